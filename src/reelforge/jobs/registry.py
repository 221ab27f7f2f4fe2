"""The kinds of durable work the runner knows, and the steps each is made of.

A domain registers its kind once, at import time::

    from reelforge.jobs.registry import Step, WorkKind, register

    def steps(db: Database, record_id: str) -> list[Step]:
        return [Step("images", make_images, weight=3), Step("compose", compose, weight=5)]

    register(WorkKind("render", table="jobs", queue="render", steps=steps))

`table` says which table holds the records: `"scripts"` (kind is always `"script"`) or
`"jobs"` (the kind is the row's `Job.kind`). Every worker process imports the modules
listed in `BUILTIN_MODULES` plus those in `REELFORGE_JOB_PLUGINS` (comma-separated
dotted module names) through `load_kinds()`, so a kind registered there can run in a
separate `reelforge worker` process.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from reelforge.db.engine import Database
    from reelforge.jobs.context import JobContext

log = logging.getLogger(__name__)

Table = Literal["jobs", "scripts"]

# Modules of the domains that register kinds (imported when present).
# Convention: `reelforge.<domain>.jobs` registers the domain's kinds.
BUILTIN_MODULES: tuple[str, ...] = (
    "reelforge.scripts.jobs",  # "script"
    "reelforge.render.jobs",  # "render"
    "reelforge.youtube.jobs",  # "upload"
)
PLUGINS_ENV = "REELFORGE_JOB_PLUGINS"


@dataclass(frozen=True)
class Step:
    """One resumable piece of a job. `run` must be idempotent: skip work whose output exists."""

    name: str
    run: Callable[[JobContext], None]
    weight: float = 1.0


@dataclass(frozen=True)
class WorkKind:
    name: str
    table: Table
    queue: str
    steps: Callable[[Database, str], list[Step]]
    # Optional: called (in its own short transaction) when the work ends failed or cancelled,
    # after the refund; e.g. to mark a dependent record. Must not raise.
    on_finish: Callable[[Database, str, str], None] | None = None


_KINDS: dict[str, WorkKind] = {}
_LOCK = threading.Lock()
_LOADED = False


def register(kind: WorkKind) -> WorkKind:
    """Register (or replace, e.g. on module reload) a kind of work."""
    if kind.table not in ("jobs", "scripts"):
        raise ValueError(f"unknown table {kind.table!r}")
    if kind.table == "scripts" and kind.name != "script":
        raise ValueError("the scripts table holds only the kind 'script'")
    if not kind.queue:
        raise ValueError("a kind needs a queue name")
    with _LOCK:
        _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    with _LOCK:
        _KINDS.pop(name, None)


def get_kind(name: str) -> WorkKind:
    load_kinds()
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(
            f"no job kind {name!r} is registered (known: {', '.join(sorted(_KINDS)) or 'none'})"
        ) from None


def find_kind(name: str) -> WorkKind | None:
    load_kinds()
    return _KINDS.get(name)


def all_kinds() -> list[WorkKind]:
    load_kinds()
    with _LOCK:
        return list(_KINDS.values())


def queues() -> list[str]:
    return sorted({k.queue for k in all_kinds()})


def plugin_modules() -> list[str]:
    raw = os.environ.get(PLUGINS_ENV, "")
    return [m.strip() for m in raw.split(",") if m.strip()]


def load_kinds(*, force: bool = False) -> None:
    """Import the built-in kind modules that exist and the REELFORGE_JOB_PLUGINS modules."""
    global _LOADED
    if _LOADED and not force:
        return
    _LOADED = True
    for name in BUILTIN_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                continue
        except ModuleNotFoundError:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # one broken domain must not stop the others' work
            log.exception("could not import job kinds from %s", name)
    for name in plugin_modules():
        importlib.import_module(name)  # a misspelt plugin is a configuration error: fail loudly
