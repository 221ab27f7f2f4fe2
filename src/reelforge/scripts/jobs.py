"""Imported by the job registry (`reelforge.jobs.registry.BUILTIN_MODULES`): registers the "script" kind."""

from reelforge.scripts import tasks  # noqa: F401
