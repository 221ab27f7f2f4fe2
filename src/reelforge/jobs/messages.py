"""Job log and ledger lines the job engine writes, as stored-text templates (see `i18n.stored`):
written in English, shown in the reader's language."""

from __future__ import annotations

from reelforge.i18n import stored

STEP_STARTED = stored.template("Step %(step)s started.")
RUNNING_ON = stored.template("Running on %(host)s (process %(pid)s).")
STEP_FINISHED = stored.template("Step %(step)s finished.")
STEP_RETRY = stored.template("Step %(step)s: %(error)s; retry %(n)s/%(total)s in %(delay)ss.")
RESUMING = stored.template("Attempt %(attempt)s: resuming after %(steps)s.")
RESTORED = stored.template("Restored %(count)s files of the finished steps from the media store.")
MAKING_AGAIN = stored.template("The files of %(steps)s are not on this machine: making them again.")
FINISHED = stored.template("Finished.")
CANCELLED = stored.template("Cancelled.")
FAILED = stored.template("Failed: %(error)s")
REFUND = stored.template("Refund: %(noun)s %(id)s %(status)s")
RETRY_CHARGE = stored.template("Retry of %(noun)s %(id)s")
DEBIT = stored.template("%(type)s job %(id)s")
NO_STEP = "no finished step"

stored.words(
    NO_STEP,
    "job",
    "script",
    "failed",
    "cancelled",
    "completed",
    "write",
    "images",
    "narration",
    "subtitles",
    "compose",
    "thumbnail",
    "publish",
    "upload",
    "render",
    "longform",
    "shortform",
    "square",
    "sora2",
)
