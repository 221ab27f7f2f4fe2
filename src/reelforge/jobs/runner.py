"""The one runner every mode uses: claim, run resumable steps, heartbeat, finish, refund.

Life of a unit of work (a row of a registered `WorkTable`, see `DurableWork`):

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
   that same transaction through the installed `Ledger` (unique per debit).

Errors: `TransientError` retries the step with exponential backoff
(`job_retry_backoff_seconds`, doubled each time, `job_step_retries` times);
`PermanentError` fails at once; any other exception is a bug and fails the job with
its type and message (the trace goes to the log). A worker that dies leaves an expired
lease: `recover_expired` re-queues it (it resumes) or, after `job_max_attempts`
claims, fails and refunds it.

The SQL of each stage is in `jobs.lease`, the step's context in `jobs.context`; this
module is the loop and the recovery, and re-exports the names callers and tests use.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from reelforge import metrics
from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.errors import JobCancelled, PermanentError, TransientError
from reelforge.i18n import stored
from reelforge.jobs import checkpoint, lease, messages
from reelforge.jobs.context import LeaseLost, RunnerContext, WorkerStopping, signal_cancel, workdir_for
from reelforge.jobs.lease import claim, finish, pending_candidates, release, table_for_kind
from reelforge.jobs.registry import TABLES, Step, WorkKind, WorkTable, all_tables, get_kind, table_of

TableSpec = WorkTable  # the name callers knew before tables were registered by their domains

# Names that moved to jobs.lease / jobs.context, kept importable from here.
__all__ = [
    "TABLES",
    "LeaseLost",
    "Recovery",
    "RunResult",
    "RunnerContext",
    "TableSpec",
    "WorkerStopping",
    "claim",
    "finish",
    "new_worker_id",
    "pending_candidates",
    "recover_expired",
    "release",
    "run",
    "signal_cancel",
    "table_for_kind",
    "workdir_for",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


def new_worker_id(prefix: str = "") -> str:
    host = socket.gethostname()[:80]
    return f"{prefix}{host}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


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
    spec = table_of(kind)
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
    spec: WorkTable,
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
        shown = float(row.progress or 0)
    ctx = RunnerContext(db, settings, spec, kind, record_id, worker_id, attempt=attempt, stopping=stopping)
    ctx.keep_progress_above(shown)  # a resumed job's bar never goes back
    result = RunResult(claimed=True)
    ctx.start_heartbeat()
    try:
        parts = worker_id.rsplit(":", 2)  # "<host>:<pid>:<random>" (see new_worker_id)
        host, pid = (parts[0], parts[1]) if len(parts) == 3 else (worker_id, "?")
        ctx.log(stored.text(messages.RUNNING_ON, host=host, pid=pid))  # which machine ran what follows
        if attempt > 1:
            ctx.log(
                stored.text(messages.RESUMING, attempt=attempt, steps=", ".join(done) or messages.NO_STEP), "warning"
            )
        checkpoints = checkpoint.enabled(settings)
        if checkpoints and done:
            restored = _retrying(
                ctx, settings, "restore", lambda: checkpoint.restore(settings, spec.name, record_id, ctx.workdir)
            )
            if restored:
                ctx.log(stored.text(messages.RESTORED, count=restored))
        if done and kind.steps_share_files and not any(ctx.workdir.iterdir()):
            # Another machine did the finished steps and nothing of them is here (no checkpoints):
            # run them again rather than fail in a step that needs their files.
            ctx.log(stored.text(messages.MAKING_AGAIN, steps=", ".join(done)), "warning")
            done = []
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
            if checkpoints:  # stored before the step is recorded, so "done" holds on every machine
                _retrying(
                    ctx, settings, "checkpoint", lambda: checkpoint.save(settings, spec.name, record_id, ctx.workdir)
                )
            result.steps_run.append(step.name)
            done.append(step.name)
            base += span
            ctx.mark_step_done(step.name, done, min(100.0, base))
        ctx.flush()
        ctx.stop_heartbeat()
        result.status = "completed" if finish(db, spec, record_id, "completed", worker_id=worker_id) else "lost"
        if result.status == "completed" and checkpoints:
            _discard_checkpoint(settings, spec.name, record_id)
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
        metrics.job_finished(kind.name, result.status)
    return result


def _discard_checkpoint(settings: Settings, table: str, record_id: str) -> None:
    try:
        checkpoint.discard(settings, table, record_id)
    except Exception:  # the job is done; a leftover checkpoint costs space, not correctness
        log.warning("could not remove the checkpoint of %s %s", table, record_id, exc_info=True)


def _safe_flush(ctx: RunnerContext) -> None:
    try:
        ctx.flush()
    except Exception:
        log.warning("final flush of %s failed", ctx.record_id, exc_info=True)


def _fail(db: Database, ctx: RunnerContext, spec: WorkTable, record_id: str, worker_id: str, error: str) -> None:
    ctx.stop_heartbeat()
    _safe_flush(ctx)
    finish(db, spec, record_id, "failed", error=error, worker_id=worker_id)


def _run_step(ctx: RunnerContext, step: Step, settings: Settings) -> None:
    started = time.perf_counter()
    try:
        _retrying(ctx, settings, step.name, lambda: step.run(ctx))
    finally:
        metrics.step_finished(ctx.kind.name, step.name, time.perf_counter() - started)


def _retrying(ctx: RunnerContext, settings: Settings, name: str, fn: Callable[[], T]) -> T:
    """`fn()`, retried with doubling backoff while it raises TransientError."""
    retries = settings.job_step_retries
    for attempt in range(retries + 1):
        try:
            return fn()
        except TransientError as exc:
            if attempt >= retries:
                raise
            delay = settings.job_retry_backoff_seconds * (2**attempt)
            ctx.log(
                stored.text(
                    messages.STEP_RETRY, step=name, error=exc, n=attempt + 1, total=retries, delay=f"{delay:.1f}"
                ),
                "warning",
            )
            ctx.flush()
            ctx.sleep(delay)
    raise AssertionError("unreachable")


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
    for spec in all_tables():
        for row in lease.expired(db, spec, now):
            kind = spec.kind_of(row)
            if row.cancel_requested:
                if finish(db, spec, row.id, "cancelled", require_expired=True):
                    out.cancelled.append(row.id)
                    metrics.job_finished(kind, "cancelled")
            elif row.attempts >= settings.job_max_attempts:
                error = f"the worker stopped responding {row.attempts} times; giving up"
                if finish(db, spec, row.id, "failed", error=error, require_expired=True):
                    out.failed.append(row.id)
                    metrics.job_finished(kind, "failed")
            elif lease.requeue_expired(db, spec, row.id):
                out.requeued.append((kind, row.id))
    if out.requeued or out.failed or out.cancelled:
        log.warning(
            "recovered expired leases: %d re-queued, %d failed, %d cancelled",
            len(out.requeued),
            len(out.failed),
            len(out.cancelled),
        )
    return out
