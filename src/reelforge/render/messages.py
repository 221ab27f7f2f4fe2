"""Job log and ledger lines of renders, as stored-text templates (see `i18n.stored`)."""

from __future__ import annotations

from reelforge.i18n import stored

VIDEO_DEBIT = stored.template("Video (%(type)s): %(title)s")
WRITING_SCRIPT_FIRST = stored.template("Writing the script first.")
REUSING = stored.template("Reusing the earlier render's %(what)s (same options for them).")
SCRIPT_READY = stored.template("Script: %(count)s scenes, “%(title)s”.")
VIDEO_READY = stored.template("Video ready: %(seconds)s s, %(mb)s MB, %(width)sx%(height)s.")
IMAGE_MADE = stored.template("image %(n)s/%(total)s by %(provider)s: %(prompt)s")
IMAGES_SKIPPED = stored.template("images: all scene images already made; skipped")
CLIP_MADE = stored.template("clip %(n)s/%(total)s (%(seconds)s s) by %(provider)s: %(prompt)s")
NARRATION_MADE = stored.template("narration %(n)s/%(total)s by %(provider)s: %(seconds)s s")
SUBTITLES_MADE = stored.template("subtitles: %(count)s cues")
COMPOSE_SKIPPED = stored.template("compose: video already rendered; skipped")
COMPOSE_PLAN = stored.template("compose: %(count)s scenes, %(seconds)s s, %(width)sx%(height)s")

stored.words("images and narration", "images and audio", "clips", "audio", "offline", "espeak-ng", "openai")
