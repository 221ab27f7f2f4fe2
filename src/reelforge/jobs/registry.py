"""The kinds of durable work the runner knows, and the steps each is made of.

A domain registers its kind once, at import time::

    from reelforge.jobs.registry import Step, WorkKind, register

    def steps(db: Database, record_id: str) -> list[Step]:
        return [Step("images", make_images, weight=3), Step("compose", compose, weight=5)]

    register(WorkKind("render", table="jobs", queue="render", steps=steps))

`table` names the `WorkTable` that holds the records: the engine's own `"jobs"` (the
kind is the row's `Job.kind`), or a table a domain registers with `register_table`
(the scripts domain registers `"scripts"`, whose rows are all of the kind `"script"`).
Paid work is charged and refunded through the `Ledger` a domain installs with
`use_ledger` (the engine imports no domain); `remove_files` is the kind's hook for the
files it stored outside its work folder, run after a deleted job's commit.

Every worker process imports the modules listed in `BUILTIN_MODULES` plus those in
`REELFORGE_JOB_PLUGINS` (comma-separated dotted module names) through `load_kinds()`,
so a kind registered there can run in a separate `reelforge worker` process.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from reelforge.jobs.models import Job, JobLog

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from reelforge.config import Settings
    from reelforge.db.engine import Database
    from reelforge.jobs.context import JobContext

log = logging.getLogger(__name__)

Table = str  # the name of a registered WorkTable

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
    # Optional: after a deleted record's commit, remove what it stored besides its work folder.
    remove_files: Callable[[Settings, str], object] | None = None
    # True when each step reads what earlier steps left in the work folder: a resumed job that
    # finds neither those files nor a checkpoint of them runs its steps again (each skips what
    # exists) instead of skipping to a step that cannot work.
    steps_share_files: bool = False


@dataclass(frozen=True)
class WorkTable:
    """A table of durable work: its record model (with `DurableWork`'s columns, `id`,
    `user_id`, `created_at`, `updated_at`), its log model and the log's foreign key."""

    name: str
    model: type[Any]
    log_model: type[Any]
    log_fk: str  # the log model's column pointing at the record (job_id, script_id)
    workdir_root: str  # folder under data_dir holding one work folder per record
    noun: str = "job"  # in ledger descriptions: "Refund: job <id> failed"
    single_kind: str | None = None  # every row is this kind; None: the model's `kind` column

    def kind_of(self, row: Any) -> str:
        return self.single_kind or str(row.kind)


class LedgerEntry(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def amount(self) -> int: ...


class Ledger(Protocol):
    """How paid work is charged and refunded (the credits domain installs it)."""

    def debit(
        self,
        db: Session,
        user_id: str,
        amount: int,
        *,
        description: str,
        job_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> LedgerEntry: ...

    def refund(self, db: Session, debit_id: str, *, description: str) -> LedgerEntry | None:
        """Give a debit back at most once (None when it was refunded already)."""

    def refund_of(self, db: Session, debit_id: str) -> LedgerEntry | None:
        """The refund of a debit, if there is one."""


class _Tables(dict[str, WorkTable]):
    """Registered tables by name; a miss loads the kind modules first (they register tables)."""

    def __missing__(self, name: str) -> WorkTable:
        load_kinds()
        if name in self:
            return self[name]
        raise KeyError(name)


TABLES: dict[str, WorkTable] = _Tables(
    jobs=WorkTable("jobs", Job, JobLog, "job_id", "jobs"),
)
_KINDS: dict[str, WorkKind] = {}
_LOCK = threading.Lock()
_LOADED = False
_LEDGER: list[Ledger] = []


def register_table(table: WorkTable) -> WorkTable:
    """Register (or replace) a table of durable work."""
    with _LOCK:
        TABLES[table.name] = table
    return table


def all_tables() -> list[WorkTable]:
    load_kinds()
    with _LOCK:
        return list(TABLES.values())


def table_of(kind: WorkKind) -> WorkTable:
    return TABLES[kind.table]


def use_ledger(ledger: Ledger) -> None:
    """Install the ledger paid work is charged and refunded through."""
    _LEDGER[:] = [ledger]


def installed_ledger() -> Ledger | None:
    load_kinds()
    return _LEDGER[0] if _LEDGER else None


def register(kind: WorkKind) -> WorkKind:
    """Register (or replace, e.g. on module reload) a kind of work."""
    table = TABLES.get(kind.table)  # a table may register after its kinds: check the known ones
    if table is not None and table.single_kind is not None and kind.name != table.single_kind:
        raise ValueError(f"the {table.name} table holds only the kind {table.single_kind!r}")
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
