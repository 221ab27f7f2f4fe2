"""Job log and ledger lines of script writing, as stored-text templates (see `i18n.stored`)."""

from __future__ import annotations

from reelforge.i18n import stored

SCRIPT_DEBIT = stored.template("Script: %(topic)s")
WRITING_WITH = stored.template("Writing with %(model)s at %(endpoint)s.")
WRITING_OFFLINE = stored.template(
    "Writing an offline draft (no AI model is configured; set REELFORGE_LLM_API_KEY to use one)."
)
TOKENS = stored.template("Tokens: %(input)s in, %(output)s out (%(calls)s call(s)).")
WROTE = stored.template("Wrote %(count)s scenes: %(title)s")
DRAFT_REUSED = stored.template("Draft already written by an earlier attempt; reusing it.")
SAVED = stored.template("Saved the script.")
TOPIC = stored.template(
    "Topic: %(topic)s (%(type)s, %(language)s, tone %(tone)s, template %(prompt_id)s v%(version)s)."
)
