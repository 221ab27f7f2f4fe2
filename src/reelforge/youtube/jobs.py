"""Registers the "upload" job kind with the job engine (imported by `reelforge.jobs.registry.load_kinds`)."""

from __future__ import annotations

from reelforge.jobs.registry import WorkKind, register
from reelforge.youtube import tasks

UPLOAD = register(WorkKind("upload", table="jobs", queue="uploads", steps=tasks.steps, on_finish=tasks.on_finish))
