"""The SQL of a lease: claim, renew, write progress, hand back, re-queue and finish a unit of work.

Every statement is a conditional UPDATE, so the database decides who holds a record:

- **claimable** (`claimable`, the one place the condition is written): `pending`, or
  `processing` whose lease expired; not cancelled; attempts left. `claim` takes such a
  record; `pending_candidates` lists them for a pool.
- **held** (`held_by`): still `processing` and still this worker's. Progress, steps,
  lease renewals and hand-backs only touch held records; rowcount 0 means the lease was lost.
- **finish** moves processing work to completed, failed or cancelled; failed/cancelled paid
  work is refunded in that same transaction through the installed `Ledger`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.i18n import stored
from reelforge.jobs import events, messages
from reelforge.jobs.registry import WorkKind, WorkTable, all_tables, find_kind, get_kind, installed_ledger, table_of

log = logging.getLogger(__name__)

MAX_ERROR_LEN = 4000


def claimable(spec: WorkTable, now: datetime, max_attempts: int) -> list[ColumnElement[bool]]:
    """The condition for work a worker may take now."""
    m = spec.model
    return [
        or_(m.status == "pending", and_(m.status == "processing", m.lease_until < now)),
        m.cancel_requested.is_(False),
        m.attempts < max_attempts,
    ]


def held_by(spec: WorkTable, record_id: str, worker_id: str) -> list[ColumnElement[bool]]:
    """The condition for work this worker still holds."""
    m = spec.model
    return [m.id == record_id, m.worker_id == worker_id, m.status == "processing"]


def _changed(result: Any) -> bool:
    return bool(result.rowcount == 1)


def _log_row(spec: WorkTable, record_id: str, level: str, message: str, **extra: Any) -> dict[str, Any]:
    return {spec.log_fk: record_id, "level": level, "log_message": message, **extra}


def add_log_lines(s: Session, spec: WorkTable, record_id: str, lines: list[tuple[str, str, datetime]]) -> None:
    if lines:
        s.execute(insert(spec.log_model), [_log_row(spec, record_id, lv, msg, created_at=at) for lv, msg, at in lines])


# --------------------------------------------------------------------------- claim
def claim(
    db: Database,
    spec: WorkTable,
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
    conditions = [m.id == record_id, *claimable(spec, now, max_attempts)]
    if kind is not None and spec.single_kind is None:
        conditions.append(m.kind == kind)
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
        claimed = _changed(s.execute(stmt))
    if claimed:
        events.notify(record_id)
    return claimed


def pending_candidates(
    db: Database, kinds: list[WorkKind], *, max_attempts: int, limit: int = 8
) -> list[tuple[str, str]]:
    """Oldest claimable work of the given kinds: (kind, id) pairs, all tables interleaved by age."""
    now = utcnow()
    wanted = {k.name for k in kinds}
    out: list[tuple[datetime, str, str]] = []
    with db.read_session() as s:
        for spec in all_tables():
            m = spec.model
            if spec.single_kind is not None:
                if spec.single_kind not in wanted:
                    continue
                stmt = select(m.id, m.created_at).where(*claimable(spec, now, max_attempts))
            else:
                names = [k.name for k in kinds if k.table == spec.name]
                if not names:
                    continue
                stmt = select(m.id, m.kind, m.created_at).where(*claimable(spec, now, max_attempts), m.kind.in_(names))
            rows = s.execute(stmt.order_by(m.created_at).limit(limit)).all()
            out += [(r.created_at, spec.kind_of(r), r.id) for r in rows]
    out.sort(key=lambda t: t[0])
    return [(k, i) for _, k, i in out[:limit]]


# --------------------------------------------------------------------------- while held
def write_progress(
    db: Database,
    spec: WorkTable,
    record_id: str,
    worker_id: str,
    *,
    progress: int | None,
    step: str,
    lines: list[tuple[str, str, datetime]],
) -> bool:
    """Progress (when given) and log lines in one transaction. False: the lease is lost."""
    with db.session() as s:
        if progress is not None:
            res = s.execute(
                update(spec.model)
                .where(*held_by(spec, record_id, worker_id))
                .values(progress=progress, step=step, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if not _changed(res):
                return False
        add_log_lines(s, spec, record_id, lines)
    events.notify(record_id)
    return True


def write_step_done(
    db: Database,
    spec: WorkTable,
    record_id: str,
    worker_id: str,
    *,
    steps_done: list[str],
    progress: int,
    lines: list[tuple[str, str, datetime]],
) -> bool:
    """Record a finished step (so a reclaim resumes after it) with the log lines. False: lease lost."""
    with db.session() as s:
        res = s.execute(
            update(spec.model)
            .where(*held_by(spec, record_id, worker_id))
            .values(steps_done=list(steps_done), progress=progress, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not _changed(res):
            return False
        add_log_lines(s, spec, record_id, lines)
    events.notify(record_id)
    return True


def poll(db: Database, spec: WorkTable, record_id: str) -> Any:
    """(cancel_requested, worker_id, status) of a record, or None when it is gone."""
    m = spec.model
    with db.read_session() as s:
        return s.execute(select(m.cancel_requested, m.worker_id, m.status).where(m.id == record_id)).first()


def renew(db: Database, spec: WorkTable, record_id: str, worker_id: str, lease_seconds: float) -> bool:
    """Push the lease forward. False: the lease is lost."""
    with db.session() as s:
        res = s.execute(
            update(spec.model)
            .where(*held_by(spec, record_id, worker_id))
            .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        return _changed(res)


def release(db: Database, spec: WorkTable, record_id: str, worker_id: str) -> bool:
    """Hand work back to the queue (worker shutting down): pending again, the attempt not counted."""
    m = spec.model
    now = utcnow()
    with db.session() as s:
        res = s.execute(
            update(m)
            .where(*held_by(spec, record_id, worker_id))
            .values(
                status="pending",
                worker_id=None,
                lease_until=None,
                attempts=func.max(m.attempts - 1, 0) if db.dialect == "sqlite" else func.greatest(m.attempts - 1, 0),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        ok = _changed(res)
        if ok:
            s.execute(
                insert(spec.log_model).values(_log_row(spec, record_id, "warning", "Worker stopped; job re-queued."))
            )
    events.notify(record_id)
    return ok


# --------------------------------------------------------------------------- expired leases
def expired(db: Database, spec: WorkTable, now: datetime, *, limit: int = 500) -> list[Any]:
    """Processing work whose lease ran out: rows of (id, attempts, cancel_requested[, kind])."""
    m = spec.model
    cols = [m.id, m.attempts, m.cancel_requested] + ([m.kind] if spec.single_kind is None else [])
    with db.read_session() as s:
        return list(s.execute(select(*cols).where(m.status == "processing", m.lease_until < now).limit(limit)).all())


def requeue_expired(db: Database, spec: WorkTable, record_id: str) -> bool:
    """Put work whose worker died back to pending (keeping steps_done and attempts)."""
    m = spec.model
    with db.session() as s:
        res = s.execute(
            update(m)
            .where(m.id == record_id, m.status == "processing", m.lease_until < utcnow())
            .values(status="pending", worker_id=None, lease_until=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        ok = _changed(res)
        if ok:
            s.execute(
                insert(spec.log_model).values(
                    _log_row(spec, record_id, "warning", "The worker stopped responding; the job was re-queued.")
                )
            )
    events.notify(record_id)
    return ok


# --------------------------------------------------------------------------- finish
def refund_in(session: Session, spec: WorkTable, row: Any, status: str) -> None:
    """Refund the debit of failed/cancelled paid work; a second call is a no-op (unique per debit)."""
    if not row.debit_id:
        return
    ledger = installed_ledger()
    if ledger is None:  # an app without a credits domain: nothing can have been charged through it
        log.error("cannot refund %s %s: no ledger is installed", spec.name, row.id)
        return
    ledger.refund(
        session, row.debit_id, description=stored.text(messages.REFUND, noun=spec.noun, id=row.id, status=status)
    )


def finish(
    db: Database,
    spec: WorkTable,
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
        "error": error[:MAX_ERROR_LEN] if error else None,
        "finished_at": now,
        "lease_until": None,
        "updated_at": now,
    }
    if status == "completed":
        values["progress"] = 100
    with db.session() as s:
        done = s.execute(update(m).where(*conditions).values(**values).execution_options(synchronize_session=False))
        if not _changed(done):
            return False
        if status != "completed":
            row = s.get(m, record_id)
            assert row is not None
            refund_in(s, spec, row, status)
        level = "info" if status == "completed" else ("warning" if status == "cancelled" else "error")
        message = {"completed": messages.FINISHED, "cancelled": messages.CANCELLED}.get(status) or stored.text(
            messages.FAILED, error=error
        )
        s.execute(insert(spec.log_model).values(_log_row(spec, record_id, level, message)))
    events.notify(record_id)
    kind = kind_of_record(db, spec, record_id)
    if status != "completed" and kind is not None and kind.on_finish is not None:
        try:
            kind.on_finish(db, record_id, status)
        except Exception:
            log.exception("on_finish hook of %s failed for %s", kind.name, record_id)
    return True


def kind_of_record(db: Database, spec: WorkTable, record_id: str) -> WorkKind | None:
    if spec.single_kind is not None:
        return find_kind(spec.single_kind)
    with db.read_session() as s:
        name = s.scalar(select(spec.model.kind).where(spec.model.id == record_id))
    return find_kind(name) if name else None


def table_for_kind(kind: str) -> WorkTable:
    return table_of(get_kind(kind))
