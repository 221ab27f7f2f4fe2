"""Registers the "render" kind of durable work with the job runner (imported by the registry):
its steps, the ledger renders are paid through, and the media-store files a deleted render leaves."""

from __future__ import annotations

from reelforge.credits import service as credits
from reelforge.jobs.registry import WorkKind, register, use_ledger
from reelforge.render.service import delete_render_files
from reelforge.render.tasks import steps

use_ledger(credits)
RENDER = register(
    WorkKind(
        "render", table="jobs", queue="render", steps=steps, remove_files=delete_render_files, steps_share_files=True
    )
)
