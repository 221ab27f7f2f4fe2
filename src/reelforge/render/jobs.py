"""Registers the "render" kind of durable work with the job runner (imported by the registry)."""

from __future__ import annotations

from reelforge.jobs.registry import WorkKind, register
from reelforge.render.tasks import steps

RENDER = register(WorkKind("render", table="jobs", queue="render", steps=steps))
