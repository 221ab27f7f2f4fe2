"""Job rules: limits, creating paid work, listing, cancelling, retrying and deleting.

Every function takes a SQLAlchemy session and never commits (the caller's unit of
work does). `cancel_record` and `retry_record` work on every registered table (`jobs`,
`scripts`), so the scripts domain uses them for script jobs too. Payments go through
the installed `Ledger`, file removal through the kind's `remove_files` hook; the work
for other processes (dispatching, waking a running job, deleting files) is registered
after commit by `jobs.flows`.
"""

from __future__ import annotations

import base64
import binascii
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from reelforge.config import Settings, get_settings
from reelforge.db.base import utcnow
from reelforge.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from reelforge.i18n import stored
from reelforge.jobs import checkpoint, messages
from reelforge.jobs.context import workdir_for
from reelforge.jobs.models import ACTIVE_STATUSES, JOB_STATUSES, Job, JobLog, JobWorker
from reelforge.jobs.registry import TABLES, Ledger, WorkTable, all_tables, find_kind, installed_ledger, table_of

FINAL_STATUSES = ("completed", "failed", "cancelled")
MAX_PAGE = 100


# --------------------------------------------------------------------------- limits
def active_count(db: Session, user_id: str) -> int:
    """Pending + processing work of a user, over every table of work."""
    return sum(
        int(db.scalar(select(func.count()).where(t.model.user_id == user_id, t.model.status.in_(ACTIVE_STATUSES))) or 0)
        for t in all_tables()
    )


def queue_length(db: Session) -> int:
    return sum(int(db.scalar(select(func.count()).where(t.model.status == "pending")) or 0) for t in all_tables())


def _ledger() -> Ledger:
    ledger = installed_ledger()
    if ledger is None:
        raise RuntimeError("paid work needs a ledger: no domain installed one (jobs.registry.use_ledger)")
    return ledger


def check_user_limits(db: Session, user_id: str, settings: Settings | None = None) -> None:
    """Refuse new work (429) beyond the user's concurrent-job limit or the global queue cap.

    Counts pending + processing jobs and script jobs together. Call it in the same
    transaction that creates the record.
    """
    settings = settings or get_settings()
    limit = settings.job_max_active_per_user
    active = active_count(db, user_id)
    if active >= limit:
        raise TooManyRequests(
            f"You already have {active} jobs waiting or running; the limit is {limit}. "
            "Wait for one to finish or cancel one, then try again.",
            headers={"Retry-After": "30"},
            active=active,
            limit=limit,
            reason="user_active_limit",
        )
    queued = queue_length(db)
    if queued >= settings.job_queue_cap:
        raise TooManyRequests(
            f"The studio's queue is full ({queued} jobs waiting). Try again in a few minutes.",
            headers={"Retry-After": "60"},
            queued=queued,
            limit=settings.job_queue_cap,
            reason="queue_full",
        )


# --------------------------------------------------------------------------- create
def create_job(
    db: Session,
    user_id: str,
    *,
    kind: str,
    type: str,
    title: str = "",
    options: dict[str, Any] | None = None,
    price: int = 0,
    description: str = "",
    idempotency_key: str | None = None,
    script_id: str | None = None,
    folder_id: str | None = None,
    parent_job_id: str | None = None,
    settings: Settings | None = None,
) -> Job:
    """Create a pending job (checking limits), and debit `price` for it in the same transaction.

    The caller dispatches it after commit: `after_commit(db, lambda: dispatch(settings, kind, job.id))`.
    """
    check_user_limits(db, user_id, settings)
    job = Job(
        user_id=user_id,
        kind=kind,
        type=type,
        title=title[:300],
        options=options or {},
        script_id=script_id,
        folder_id=folder_id,
        parent_job_id=parent_job_id,
        status="pending",
        progress=0,
        step="",
        attempts=0,
        cancel_requested=False,
        steps_done=[],
    )
    db.add(job)
    db.flush()
    if price > 0:
        entry = _ledger().debit(
            db,
            user_id,
            price,
            description=description or stored.text(messages.DEBIT, type=type, id=job.id),
            job_id=job.id,
            idempotency_key=idempotency_key,
        )
        job.debit_id = entry.id
    db.add(JobLog(job_id=job.id, level="info", log_message="Queued."))
    db.flush()
    return job


# --------------------------------------------------------------------------- read
def get_job(db: Session, job_id: str, *, user_id: str | None) -> Job:
    """The job, if `user_id` owns it (None: any user, for admins). Others' ids are 404, not 403."""
    job = db.get(Job, job_id)
    if job is None or (user_id is not None and job.user_id != user_id):
        raise NotFound("No such job.")
    return job


def job_logs(db: Session, job_id: str, *, after_id: int = 0, limit: int = 1000) -> list[JobLog]:
    return list(
        db.scalars(select(JobLog).where(JobLog.job_id == job_id, JobLog.id > after_id).order_by(JobLog.id).limit(limit))
    )


def encode_cursor(created_at: datetime, record_id: str) -> str:
    raw = f"{created_at.isoformat()}|{record_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, record_id = raw.split("|", 1)
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, record_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("The cursor is not valid; start from the first page.", field="cursor") from None


UNFILED = "none"  # the folder filter's value for jobs in no folder


@dataclass
class JobFilter:
    status: str | None = None
    type: str | None = None
    kind: str | None = None
    folder_id: str | None = None
    user_id: str | None = None  # None: everyone's (admin)


def list_jobs(db: Session, f: JobFilter, *, cursor: str | None = None, limit: int = 20) -> tuple[list[Job], str | None]:
    """Newest first, keyset-paginated on (created_at, id). Returns (page, next cursor or None)."""
    if f.status is not None and f.status not in JOB_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(JOB_STATUSES)}.", field="status")
    limit = max(1, min(MAX_PAGE, limit))
    stmt = select(Job)
    if f.user_id is not None:
        stmt = stmt.where(Job.user_id == f.user_id)
    if f.status:
        stmt = stmt.where(Job.status == f.status)
    if f.type:
        stmt = stmt.where(Job.type == f.type)
    if f.kind:
        stmt = stmt.where(Job.kind == f.kind)
    if f.folder_id == UNFILED:
        stmt = stmt.where(Job.folder_id.is_(None))
    elif f.folder_id:
        stmt = stmt.where(Job.folder_id == f.folder_id)
    if cursor:
        when, last_id = decode_cursor(cursor)
        stmt = stmt.where(or_(Job.created_at < when, and_(Job.created_at == when, Job.id < last_id)))
    rows = list(db.scalars(stmt.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


# --------------------------------------------------------------------------- cancel
def cancel_record(db: Session, spec: WorkTable, record_id: str) -> str:
    """Cancel a job or script job. Returns "cancelled" (it was waiting: done, refunded) or
    "requested" (it is running: the worker stops it within a second or so).

    Raises Conflict when it already finished. Works for both tables.
    """
    m = spec.model
    now = utcnow()
    res = db.execute(
        update(m)
        .where(m.id == record_id, m.status == "pending")
        .values(status="cancelled", cancel_requested=True, finished_at=now, updated_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount == 1:  # type: ignore[attr-defined]
        row: Any = db.get(m, record_id)
        assert row is not None
        db.refresh(row)
        if row.debit_id:
            _ledger().refund(
                db,
                row.debit_id,
                description=stored.text(messages.REFUND, noun=spec.noun, id=record_id, status="cancelled"),
            )
        db.add(spec.log_model(**{spec.log_fk: record_id, "level": "warning", "log_message": "Cancelled."}))
        return "cancelled"
    res = db.execute(
        update(m)
        .where(m.id == record_id, m.status == "processing")
        .values(cancel_requested=True, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount == 1:  # type: ignore[attr-defined]
        db.add(spec.log_model(**{spec.log_fk: record_id, "level": "warning", "log_message": "Cancellation requested."}))
        return "requested"
    status = db.scalar(select(m.status).where(m.id == record_id))
    if status is None:
        raise NotFound("No such job.")
    raise Conflict(
        f"This job has already finished ({status}); there is nothing to cancel.",
        job_status=status,
        reason="already_finished",
    )


def cancel_job(db: Session, job_id: str, *, user_id: str | None) -> str:
    get_job(db, job_id, user_id=user_id)
    return cancel_record(db, TABLES["jobs"], job_id)


# --------------------------------------------------------------------------- retry
def retry_record(db: Session, spec: WorkTable, record_id: str, settings: Settings | None = None) -> Any:
    """Put failed or cancelled work back in the queue, resuming after its finished steps.

    Paid work was refunded when it failed, so a retry charges the same amount again when
    `job_retry_charges` is on (402 if the balance is short), or runs free when it is off.
    """
    settings = settings or get_settings()
    m = spec.model
    row: Any = db.get(m, record_id)
    if row is None:
        raise NotFound("No such job.")
    if row.status not in ("failed", "cancelled"):
        raise Conflict(
            f"Only a failed or cancelled job can be retried; this one is {row.status}.",
            job_status=row.status,
            reason="not_retryable",
        )
    check_user_limits(db, row.user_id, settings)
    new_debit_id: str | None = None
    if row.debit_id:
        ledger = _ledger()
        refunded = ledger.refund_of(db, row.debit_id)
        if refunded is None:
            new_debit_id = row.debit_id  # still paid (never refunded): keep the payment
        elif settings.job_retry_charges and refunded.amount > 0:
            # A refund gives back exactly what was debited, so it says what the retry costs.
            # Not linked through job_id/script_id: the ledger keeps one debit per job (the
            # audit checks that); the retry's debit is tied to the work by its debit_id.
            entry = ledger.debit(
                db,
                row.user_id,
                refunded.amount,
                description=stored.text(messages.RETRY_CHARGE, noun=spec.noun, id=record_id),
            )
            new_debit_id = entry.id
    now = utcnow()
    res = db.execute(
        update(m)
        .where(m.id == record_id, m.status.in_(("failed", "cancelled")))
        .values(
            status="pending",
            error=None,
            attempts=0,
            cancel_requested=False,
            worker_id=None,
            lease_until=None,
            started_at=None,
            finished_at=None,
            debit_id=new_debit_id,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("The job changed while retrying it; reload and try again.", reason="race")
    db.add(spec.log_model(**{spec.log_fk: record_id, "level": "info", "log_message": "Retry requested; queued."}))
    db.flush()
    db.refresh(row)
    return row


def retry_job(db: Session, job_id: str, *, user_id: str | None, settings: Settings | None = None) -> Job:
    get_job(db, job_id, user_id=user_id)
    job: Job = retry_record(db, TABLES["jobs"], job_id, settings)
    return job


# --------------------------------------------------------------------------- delete
def delete_job(db: Session, job_id: str, *, user_id: str | None, settings: Settings | None = None) -> Path:
    """Delete a finished job and its log; returns its work folder, which the caller removes after commit
    (`remove_job_files`)."""
    settings = settings or get_settings()
    job = get_job(db, job_id, user_id=user_id)
    if job.status not in FINAL_STATUSES:
        raise Conflict(
            f"This job is still {job.status}; cancel it first, then delete it.",
            job_status=job.status,
            reason="still_active",
        )
    folder = workdir_for(settings, "jobs", job_id)
    db.execute(delete(JobLog).where(JobLog.job_id == job_id))
    db.execute(update(Job).where(Job.parent_job_id == job_id).values(parent_job_id=None))
    db.execute(delete(Job).where(Job.id == job_id, Job.status.in_(FINAL_STATUSES)))
    return folder


def remove_job_files(settings: Settings, kind: str, job_id: str, folder: Path) -> None:
    """After a deleted job's commit: its work folder and what its kind stored elsewhere (media store)."""
    remove_folder(settings, folder)
    work_kind = find_kind(kind)
    if work_kind is not None:
        checkpoint.discard(settings, table_of(work_kind).name, job_id)
    if work_kind is not None and work_kind.remove_files is not None:
        work_kind.remove_files(settings, job_id)


def remove_folder(settings: Settings, folder: Path) -> None:
    """Remove a job's work folder, refusing anything outside the data folder."""
    root = settings.data_dir.resolve()
    target = folder.resolve()
    if root not in target.parents:
        return
    shutil.rmtree(target, ignore_errors=True)


# --------------------------------------------------------------------------- admin
def queue_depth(db: Session) -> list[dict[str, Any]]:
    """Pending and processing counts per kind, with each kind's queue."""
    out: list[dict[str, Any]] = []
    counts: dict[str, dict[str, int]] = {}
    for t in all_tables():
        m = t.model
        active = m.status.in_(ACTIVE_STATUSES)
        rows: list[tuple[str, str, int]] = []
        if t.single_kind is None:
            stmt = select(m.kind, m.status, func.count()).where(active).group_by(m.kind, m.status)
            rows = [(kind, status, n) for kind, status, n in db.execute(stmt)]
        else:
            stmt = select(m.status, func.count()).where(active).group_by(m.status)
            rows = [(t.single_kind, status, n) for status, n in db.execute(stmt)]
        for kind, status, n in rows:
            counts.setdefault(kind, {"pending": 0, "processing": 0})[status] = int(n)
    for kind, c in sorted(counts.items()):
        k = find_kind(kind)
        out.append({"kind": kind, "queue": k.queue if k else "?", **c})
    return out


def workers_seen(db: Session, *, within_seconds: float = 120) -> list[JobWorker]:
    since = utcnow() - timedelta(seconds=within_seconds)
    return list(db.scalars(select(JobWorker).where(JobWorker.seen_at >= since).order_by(JobWorker.started_at)))
