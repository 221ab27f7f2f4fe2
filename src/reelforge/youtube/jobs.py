"""Registers the "upload" job kind with the job engine (imported by `reelforge.jobs.registry.load_kinds`),
with the ledger paid work goes through."""

from __future__ import annotations

from reelforge.credits import service as credits
from reelforge.jobs.registry import WorkKind, register, use_ledger
from reelforge.youtube import tasks

use_ledger(credits)
UPLOAD = register(WorkKind("upload", table="jobs", queue="uploads", steps=tasks.steps, on_finish=tasks.on_finish))
