"""The one runner every mode uses: claim, run resumable steps, heartbeat, finish, refund.

Life of a unit of work (a row of `jobs` or `scripts`, see `DurableWork`):

1. **Claim** with one conditional UPDATE: `pending` (or `processing` whose lease expired)
   becomes `processing` with this worker's id, a lease and `attempts + 1`. Whoever's
   UPDATE matched the row owns it; everyone else (a redelivered queue message, another
   pool thread) gets rowcount 0 and does nothing.
2. **Run** the kind's steps in order, skipping those in `steps_done`. Each step runs
   without any open transaction; progress and log lines are buffered and written in
   short transactions at most ~2 times a second (and at step boundaries). After a step
   returns its name is appended to `steps_done`, so a reclaimed job resumes after it.
3. A **heartbeat** thread renews the lease and polls `cancel_requested`; when it is set,
   `ctx.cancelled()` turns true at once, so `ctx.run_process` kills its child process
   group and the step ends with `JobCancelled`.
4. **Finish** with one conditional UPDATE (still ours, still processing) to completed,
   failed (with a readable error) or cancelled; failed/cancelled paid work is refunded in
   that same transaction through `reelforge.credits.service.refund` (unique per debit).

Errors: `TransientError` retries the step with exponential backoff
(`job_retry_backoff_seconds`, doubled each time, `job_step_retries` times);
`PermanentError` fails at once; any other exception is a bug and fails the job with
its type and message (the trace goes to the log). A worker that dies leaves an expired
lease: `recover_expired` re-queues it (it resumes) or, after `job_max_attempts`
claims, fails and refunds it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.errors import JobCancelled, PermanentError, TransientError
from reelforge.jobs import events
from reelforge.jobs.context import run_killable
from reelforge.jobs.models import Job, JobLog
from reelforge.jobs.registry import Step, Table, WorkKind, find_kind, get_kind
from reelforge.scripts.models import Script, ScriptLog

log = logging.getLogger(__name__)

LOG_LEVELS = ("debug", "info", "warning", "error")
FLUSH_INTERVAL = 0.5  # seconds between progress/log writes (<= 2 writes/s per job)
CANCEL_POLL = 0.5  # seconds between cancel_requested polls
MAX_LOG_LEN = 4000


@dataclass(frozen=True)
class TableSpec:
    """How the runner reaches one table of durable work and its log table."""

    name: Table
    model: type[Job] | type[Script]
    log_model: type[JobLog] | type[ScriptLog]
    log_fk: str  # job_id | script_id
    workdir_root: str  # folder under data_dir

    def kind_of(self, row: Any) -> str:
        return "script" if self.name == "scripts" else str(row.kind)


TABLES: dict[str, TableSpec] = {
    "jobs": TableSpec("jobs", Job, JobLog, "job_id", "jobs"),
    "scripts": TableSpec("scripts", Script, ScriptLog, "script_id", "scripts"),
}


def table_for_kind(kind: str) -> TableSpec:
    return TABLES[get_kind(kind).table]


def workdir_for(settings: Settings, table: str, record_id: str) -> Path:
    """`<data_dir>/jobs/<id>/` or `<data_dir>/scripts/<id>/` (absolute)."""
    return settings.data_dir.resolve() / TABLES[table].workdir_root / record_id


class LeaseLost(JobCancelled):
    """This worker no longer holds the job (its lease expired and someone else claimed it)."""


class WorkerStopping(JobCancelled):
    """The worker is shutting down: the job is handed back to the queue, not cancelled."""


def new_worker_id(prefix: str = "") -> str:
    host = socket.gethostname()[:80]
    return f"{prefix}{host}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# --------------------------------------------------------------------------- claim
def claim(
    db: Database,
    spec: TableSpec,
    record_id: str,
    worker_id: str,
    *,
    lease_seconds: float,
    max_attempts: int,
    kind: str | None = None,
) -> bool:
    """Take the work with one conditional UPDATE. True when this worker now holds it."""
    m = spec.model
    now = utcnow()
    conditions = [
        m.id == record_id,
        or_(m.status == "pending", and_(m.status == "processing", m.lease_until < now)),
        m.cancel_requested.is_(False),
        m.attempts < max_attempts,
    ]
    if kind is not None and spec.name == "jobs":
        conditions.append(Job.kind == kind)
    stmt = (
        update(m)
        .where(*conditions)
        .values(
            status="processing",
            worker_id=worker_id,
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=m.attempts + 1,
            started_at=func.coalesce(m.started_at, now),
            updated_at=now,
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    with db.session() as s:
        claimed = bool(s.execute(stmt).rowcount == 1)  # type: ignore[attr-defined]
    if claimed:
        events.notify(record_id)
    return claimed


# --------------------------------------------------------------------------- finish
def _refund_in(session: Session, spec: TableSpec, row: Any, status: str) -> None:
    """Refund the debit of failed/cancelled paid work; a second call is a no-op (unique constraint)."""
    if not row.debit_id:
        return
    try:
        from reelforge.credits.service import refund
    except ImportError:  # pragma: no cover - the credits domain ships with the app
        log.error("cannot refund %s %s: reelforge.credits.service is missing", spec.name, row.id)
        return
    what = "script" if spec.name == "scripts" else "job"
    refund(session, row.debit_id, description=f"Refund: {what} {row.id} {status}")


def finish(
    db: Database,
    spec: TableSpec,
    record_id: str,
    status: str,
    *,
    error: str | None = None,
    worker_id: str | None = None,
    require_expired: bool = False,
) -> bool:
    """Move processing work to a final status (and refund it if failed/cancelled), in one transaction.

    The UPDATE is conditional (still processing; held by `worker_id` when given; lease
    expired when `require_expired`), so two finishers can never both succeed and the
    refund runs at most once even before the ledger's unique constraint is consulted.
    """
    assert status in ("completed", "failed", "cancelled")
    m = spec.model
    now = utcnow()
    conditions = [m.id == record_id, m.status == "processing"]
    if worker_id is not None:
        conditions.append(m.worker_id == worker_id)
    if require_expired:
        conditions.append(m.lease_until < now)
    values: dict[str, Any] = {
        "status": status,
        "error": error[:4000] if error else None,
        "finished_at": now,
        "lease_until": None,
        "updated_at": now,
    }
    if status == "completed":
        values["progress"] = 100
    with db.session() as s:
        done = s.execute(update(m).where(*conditions).values(**values).execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return False
        if status != "completed":
            row = s.get(m, record_id)
            assert row is not None
            _refund_in(s, spec, row, status)
        level = "info" if status == "completed" else ("warning" if status == "cancelled" else "error")
        message = {"completed": "Finished.", "cancelled": "Cancelled."}.get(status) or f"Failed: {error}"
        s.execute(insert(spec.log_model).values({spec.log_fk: record_id, "level": level, "log_message": message}))
    events.notify(record_id)
    kind = _kind_of_record(db, spec, record_id)
    if status != "completed" and kind is not None and kind.on_finish is not None:
        try:
            kind.on_finish(db, record_id, status)
        except Exception:
            log.exception("on_finish hook of %s failed for %s", kind.name, record_id)
    return True


def _kind_of_record(db: Database, spec: TableSpec, record_id: str) -> WorkKind | None:
    if spec.name == "scripts":
        return find_kind("script")
    with db.read_session() as s:
        name = s.scalar(select(Job.kind).where(Job.id == record_id))
    return find_kind(name) if name else None


def release(db: Database, spec: TableSpec, record_id: str, worker_id: str) -> bool:
    """Hand work back to the queue (worker shutting down): pending again, the attempt not counted."""
    m = spec.model
    now = utcnow()
    with db.session() as s:
        res = s.execute(
            update(m)
            .where(m.id == record_id, m.status == "processing", m.worker_id == worker_id)
            .values(
                status="pending",
                worker_id=None,
                lease_until=None,
                attempts=func.max(m.attempts - 1, 0) if db.dialect == "sqlite" else func.greatest(m.attempts - 1, 0),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        ok = bool(res.rowcount == 1)  # type: ignore[attr-defined]
        if ok:
            s.execute(
                insert(spec.log_model).values(
                    {spec.log_fk: record_id, "level": "warning", "log_message": "Worker stopped; job re-queued."}
                )
            )
    events.notify(record_id)
    return ok


# --------------------------------------------------------------------------- the context
class RunnerContext:
    """The database-backed `JobContext` the steps of a claimed job see.

    Besides the protocol it offers `db`, `record_id`, `table`, `kind`, `attempt`,
    `step_progress(fraction)` (progress within the current step, mapped onto the overall
    0-100 by the step weights) and `sleep(seconds)` (returns early, raising
    `JobCancelled`, when the job is cancelled).
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        spec: TableSpec,
        kind: WorkKind,
        record_id: str,
        worker_id: str,
        *,
        attempt: int = 1,
        stopping: threading.Event | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.spec = spec
        self.table = spec.name
        self.kind = kind
        self.record_id = record_id
        self.job_id = record_id
        self.worker_id = worker_id
        self.attempt = attempt
        self.workdir = workdir_for(settings, spec.name, record_id)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._cancel = threading.Event()
        self._lost = threading.Event()
        self._stopping = stopping or threading.Event()
        self._lock = threading.Lock()  # guards the buffers
        self._write_lock = threading.Lock()  # one write at a time, so log ids follow log order
        self._logs: list[tuple[str, str, datetime]] = []
        self._progress: float = 0.0
        self._step_label = ""
        self._dirty = False
        self._last_flush = 0.0
        self._step_base = 0.0
        self._step_span = 100.0
        self._done = threading.Event()
        self._heartbeat: threading.Thread | None = None

    # -- JobContext protocol
    def log(self, message: str, level: str = "info") -> None:
        level = level.lower()
        if level not in LOG_LEVELS:
            level = "info"
        with self._lock:
            self._logs.append((level, str(message)[:MAX_LOG_LEN], utcnow()))
            due = len(self._logs) >= 200 or time.monotonic() - self._last_flush >= FLUSH_INTERVAL
        if due:
            self.flush()

    def progress(self, percent: float, step: str | None = None) -> None:
        """Overall progress 0-100, kept inside the current step's share and never going back."""
        low, high = self._step_base, self._step_base + self._step_span
        value = max(low, min(high, float(percent)))
        with self._lock:
            if value > self._progress:
                self._progress = value
                self._dirty = True
            if step is not None and step[:64] != self._step_label:
                self._step_label = step[:64]
                self._dirty = True
            due = self._dirty and time.monotonic() - self._last_flush >= FLUSH_INTERVAL
        if due:
            self.flush()

    def step_progress(self, fraction: float, step: str | None = None) -> None:
        """Progress within the current step, 0.0-1.0."""
        fraction = max(0.0, min(1.0, float(fraction)))
        self.progress(self._step_base + fraction * self._step_span, step)

    def cancelled(self) -> bool:
        return self._cancel.is_set() or self._lost.is_set() or self._stopping.is_set()

    def check_cancelled(self) -> None:
        if self._lost.is_set():
            raise LeaseLost("this worker lost the job's lease")
        if self._cancel.is_set():
            raise JobCancelled("cancelled by the user")
        if self._stopping.is_set():
            raise WorkerStopping("the worker is shutting down")

    def run_process(
        self,
        argv: Sequence[str],
        *,
        on_line: Callable[[str], None] | None = None,
        timeout: float | None = None,
        cwd: Path | None = None,
    ) -> int:
        try:
            return run_killable(argv, is_cancelled=self.cancelled, on_line=on_line, timeout=timeout, cwd=cwd)
        except JobCancelled:
            self.check_cancelled()  # re-raise as the precise reason (lost lease, shutdown)
            raise

    # -- extras
    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            self.check_cancelled()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._cancel.wait(min(left, 0.1))

    def request_cancel(self) -> None:
        """Called in-process (same-process cancel, tests); the heartbeat does the same from the DB."""
        self._cancel.set()

    # -- runner internals
    def enter_step(self, name: str, base: float, span: float) -> None:
        with self._lock:
            self._step_base, self._step_span = base, span
            self._progress = max(self._progress, base)
            self._step_label = name[:64]
            self._dirty = True
        self.log(f"Step {name} started.")
        self.flush()

    def flush(self) -> None:
        """Write buffered log lines and the latest progress in one short transaction."""
        with self._write_lock:
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            lines, self._logs = self._logs, []
            dirty, self._dirty = self._dirty, False
            progress, label = int(self._progress), self._step_label
            self._last_flush = time.monotonic()
        if not lines and not dirty:
            return
        m = self.spec.model
        with self.db.session() as s:
            if dirty:
                res = s.execute(
                    update(m)
                    .where(m.id == self.record_id, m.worker_id == self.worker_id, m.status == "processing")
                    .values(progress=progress, step=label, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                if res.rowcount != 1:  # type: ignore[attr-defined]
                    self._lost.set()
                    return
            if lines:
                s.execute(
                    insert(self.spec.log_model),
                    [
                        {self.spec.log_fk: self.record_id, "level": lv, "log_message": msg, "created_at": at}
                        for lv, msg, at in lines
                    ],
                )
        events.notify(self.record_id)

    def mark_step_done(self, name: str, done: list[str], progress: float) -> None:
        with self._write_lock:
            self._mark_step_done(name, done, progress)

    def _mark_step_done(self, name: str, done: list[str], progress: float) -> None:
        m = self.spec.model
        with self._lock:
            self._progress = max(self._progress, progress)
            lines, self._logs = self._logs, []
            self._dirty = False
            self._last_flush = time.monotonic()
        with self.db.session() as s:
            res = s.execute(
                update(m)
                .where(m.id == self.record_id, m.worker_id == self.worker_id, m.status == "processing")
                .values(steps_done=list(done), progress=int(progress), updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if res.rowcount != 1:  # type: ignore[attr-defined]
                self._lost.set()
                raise LeaseLost("this worker lost the job's lease")
            lines.append(("info", f"Step {name} finished.", utcnow()))
            s.execute(
                insert(self.spec.log_model),
                [
                    {self.spec.log_fk: self.record_id, "level": lv, "log_message": msg, "created_at": at}
                    for lv, msg, at in lines
                ],
            )
        events.notify(self.record_id)

    def start_heartbeat(self) -> None:
        self._heartbeat = threading.Thread(target=self._beat, name=f"lease-{self.record_id[:8]}", daemon=True)
        _RUNNING[self.record_id] = self
        self._heartbeat.start()

    def stop_heartbeat(self) -> None:
        self._done.set()
        _RUNNING.pop(self.record_id, None)
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)

    def _beat(self) -> None:
        lease = self.settings.job_lease_seconds
        renew_every = max(0.2, lease / 3)
        last_renew = time.monotonic()
        m = self.spec.model
        last_poll = 0.0
        while not self._done.wait(min(FLUSH_INTERVAL / 2, renew_every)):
            try:
                if (self._dirty or self._logs) and time.monotonic() - self._last_flush >= FLUSH_INTERVAL:
                    self.flush()
                if time.monotonic() - last_poll < CANCEL_POLL:
                    continue
                last_poll = time.monotonic()
                with self.db.read_session() as s:
                    row = s.execute(
                        select(m.cancel_requested, m.worker_id, m.status).where(m.id == self.record_id)
                    ).first()
                if row is None or row.worker_id != self.worker_id or row.status != "processing":
                    self._lost.set()
                    return
                if row.cancel_requested:
                    self._cancel.set()
                if time.monotonic() - last_renew >= renew_every:
                    with self.db.session() as s:
                        res = s.execute(
                            update(m)
                            .where(m.id == self.record_id, m.worker_id == self.worker_id, m.status == "processing")
                            .values(lease_until=utcnow() + timedelta(seconds=lease))
                            .execution_options(synchronize_session=False)
                        )
                        if res.rowcount != 1:  # type: ignore[attr-defined]
                            self._lost.set()
                            return
                    last_renew = time.monotonic()
            except Exception:
                log.warning("heartbeat of %s failed", self.record_id, exc_info=True)


# Contexts running in this process, so a same-process cancel can reach them at once.
_RUNNING: dict[str, RunnerContext] = {}


def signal_cancel(record_id: str) -> bool:
    """Tell a job running in this process that it was cancelled (the DB flag is the source of truth)."""
    ctx = _RUNNING.get(record_id)
    if ctx is None:
        return False
    ctx.request_cancel()
    return True


# --------------------------------------------------------------------------- run
@dataclass
class RunResult:
    claimed: bool
    status: str | None = None  # completed | failed | cancelled | released | lost
    error: str | None = None
    steps_run: list[str] = field(default_factory=list)


def run(
    db: Database,
    settings: Settings,
    kind_name: str,
    record_id: str,
    *,
    worker_id: str | None = None,
    stopping: threading.Event | None = None,
) -> RunResult:
    """Claim `record_id` and run it to the end. A no-op (claimed=False) when someone else holds it."""
    kind = get_kind(kind_name)
    spec = TABLES[kind.table]
    worker_id = worker_id or new_worker_id()
    if not claim(
        db,
        spec,
        record_id,
        worker_id,
        lease_seconds=settings.job_lease_seconds,
        max_attempts=settings.job_max_attempts,
        kind=kind.name,
    ):
        return RunResult(claimed=False)
    return _execute(db, settings, spec, kind, record_id, worker_id, stopping)


def _execute(
    db: Database,
    settings: Settings,
    spec: TableSpec,
    kind: WorkKind,
    record_id: str,
    worker_id: str,
    stopping: threading.Event | None,
) -> RunResult:
    with db.read_session() as s:
        row: Any = s.get(spec.model, record_id)
        assert row is not None
        done = list(row.steps_done or [])
        attempt = row.attempts
    ctx = RunnerContext(db, settings, spec, kind, record_id, worker_id, attempt=attempt, stopping=stopping)
    result = RunResult(claimed=True)
    ctx.start_heartbeat()
    try:
        if attempt > 1:
            ctx.log(f"Attempt {attempt}: resuming after {', '.join(done) or 'no finished step'}.", "warning")
        steps = kind.steps(db, record_id)
        if not steps:
            raise PermanentError(f"the {kind.name} job has no steps")
        names = [s.name for s in steps]
        if len(set(names)) != len(names):
            raise PermanentError(f"duplicate step names in {kind.name}: {names}")
        total = sum(max(0.0, s.weight) for s in steps) or 1.0
        base = 0.0
        for step in steps:
            span = 100.0 * max(0.0, step.weight) / total
            if step.name in done:
                base += span
                continue
            ctx.check_cancelled()
            ctx.enter_step(step.name, base, span)
            _run_step(ctx, step, settings)
            result.steps_run.append(step.name)
            done.append(step.name)
            base += span
            ctx.mark_step_done(step.name, done, min(100.0, base))
        ctx.flush()
        ctx.stop_heartbeat()
        result.status = "completed" if finish(db, spec, record_id, "completed", worker_id=worker_id) else "lost"
    except LeaseLost:
        log.warning("%s %s: lease lost; another worker may hold it now", spec.name, record_id)
        result.status = "lost"
    except WorkerStopping:
        ctx.stop_heartbeat()
        _safe_flush(ctx)
        release(db, spec, record_id, worker_id)
        result.status = "released"
    except JobCancelled:
        ctx.stop_heartbeat()
        _safe_flush(ctx)
        finish(db, spec, record_id, "cancelled", worker_id=worker_id)
        result.status = "cancelled"
    except PermanentError as exc:
        result.status, result.error = "failed", str(exc) or type(exc).__name__
        _fail(db, ctx, spec, record_id, worker_id, result.error)
    except TransientError as exc:
        result.status = "failed"
        result.error = f"gave up after {settings.job_step_retries} retries: {exc}"
        _fail(db, ctx, spec, record_id, worker_id, result.error)
    except Exception as exc:
        log.exception("%s %s crashed", spec.name, record_id)
        result.status, result.error = "failed", f"internal error: {type(exc).__name__}: {exc}"
        _fail(db, ctx, spec, record_id, worker_id, result.error)
    finally:
        ctx.stop_heartbeat()
    return result


def _safe_flush(ctx: RunnerContext) -> None:
    try:
        ctx.flush()
    except Exception:
        log.warning("final flush of %s failed", ctx.record_id, exc_info=True)


def _fail(db: Database, ctx: RunnerContext, spec: TableSpec, record_id: str, worker_id: str, error: str) -> None:
    ctx.stop_heartbeat()
    _safe_flush(ctx)
    finish(db, spec, record_id, "failed", error=error, worker_id=worker_id)


def _run_step(ctx: RunnerContext, step: Step, settings: Settings) -> None:
    retries = settings.job_step_retries
    for attempt in range(retries + 1):
        try:
            step.run(ctx)
            return
        except TransientError as exc:
            if attempt >= retries:
                raise
            delay = settings.job_retry_backoff_seconds * (2**attempt)
            ctx.log(f"Step {step.name}: {exc}; retry {attempt + 1}/{retries} in {delay:.1f}s.", "warning")
            ctx.flush()
            ctx.sleep(delay)


# --------------------------------------------------------------------------- recovery
@dataclass
class Recovery:
    requeued: list[tuple[str, str]] = field(default_factory=list)  # (kind, id)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)


def recover_expired(db: Database, settings: Settings, *, now: datetime | None = None) -> Recovery:
    """Deal with work whose worker died (lease expired): re-queue it, or fail/cancel and refund it.

    Re-queued work goes back to `pending` (keeping `steps_done` and `attempts`) and the
    caller dispatches it; work that used up `job_max_attempts` fails with a refund;
    work whose user asked to cancel is cancelled with a refund.
    """
    now = now or utcnow()
    out = Recovery()
    for spec in TABLES.values():
        m = spec.model
        cols = [m.id, m.attempts, m.cancel_requested] + ([Job.kind] if spec.name == "jobs" else [])
        with db.read_session() as s:
            rows = s.execute(select(*cols).where(m.status == "processing", m.lease_until < now).limit(500)).all()
        for row in rows:
            kind = "script" if spec.name == "scripts" else row.kind
            if row.cancel_requested:
                if finish(db, spec, row.id, "cancelled", require_expired=True):
                    out.cancelled.append(row.id)
            elif row.attempts >= settings.job_max_attempts:
                error = f"the worker stopped responding {row.attempts} times; giving up"
                if finish(db, spec, row.id, "failed", error=error, require_expired=True):
                    out.failed.append(row.id)
            else:
                with db.session() as s:
                    res = s.execute(
                        update(m)
                        .where(m.id == row.id, m.status == "processing", m.lease_until < utcnow())
                        .values(status="pending", worker_id=None, lease_until=None, updated_at=utcnow())
                        .execution_options(synchronize_session=False)
                    )
                    if res.rowcount == 1:  # type: ignore[attr-defined]
                        s.execute(
                            insert(spec.log_model).values(
                                {
                                    spec.log_fk: row.id,
                                    "level": "warning",
                                    "log_message": "The worker stopped responding; the job was re-queued.",
                                }
                            )
                        )
                        out.requeued.append((kind, row.id))
                events.notify(row.id)
    if out.requeued or out.failed or out.cancelled:
        log.warning(
            "recovered expired leases: %d re-queued, %d failed, %d cancelled",
            len(out.requeued),
            len(out.failed),
            len(out.cancelled),
        )
    return out


def pending_candidates(
    db: Database, kinds: list[WorkKind], *, max_attempts: int, limit: int = 8
) -> list[tuple[str, str]]:
    """Oldest claimable work of the given kinds: (kind, id) pairs, scripts and jobs interleaved by age."""
    now = utcnow()
    out: list[tuple[datetime, str, str]] = []
    job_kinds = [k.name for k in kinds if k.table == "jobs"]
    with db.read_session() as s:
        if any(k.table == "scripts" for k in kinds):
            rows = s.execute(
                select(Script.id, Script.created_at)
                .where(
                    or_(Script.status == "pending", and_(Script.status == "processing", Script.lease_until < now)),
                    Script.cancel_requested.is_(False),
                    Script.attempts < max_attempts,
                )
                .order_by(Script.created_at)
                .limit(limit)
            ).all()
            out += [(r.created_at, "script", r.id) for r in rows]
        if job_kinds:
            jrows = s.execute(
                select(Job.id, Job.kind, Job.created_at)
                .where(
                    or_(Job.status == "pending", and_(Job.status == "processing", Job.lease_until < now)),
                    Job.cancel_requested.is_(False),
                    Job.attempts < max_attempts,
                    Job.kind.in_(job_kinds),
                )
                .order_by(Job.created_at)
                .limit(limit)
            ).all()
            out += [(r.created_at, r.kind, r.id) for r in jrows]
    out.sort(key=lambda t: t[0])
    return [(k, i) for _, k, i in out[:limit]]
