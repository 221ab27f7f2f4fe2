"""Use cases on a job that the JSON API and the HTML pages share: cancel, retry, delete.

Each runs the rule in `jobs.service` (refunds included, in the caller's transaction) and
registers the work for other processes with `after_commit`, so neither HTTP layer
dispatches anything by hand. `user_id=None` acts as an admin (any user's job).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from reelforge.config import Settings
from reelforge.db.outbox import after_commit
from reelforge.jobs import events, service
from reelforge.jobs.broker import require_broker
from reelforge.jobs.context import signal_cancel
from reelforge.jobs.dispatch import dispatch
from reelforge.jobs.models import Job


def cancel_job(db: Session, job_id: str, *, user_id: str | None) -> str:
    """ "cancelled" (it was waiting: refunded now) or "requested" (running: it stops within a second)."""
    result = service.cancel_job(db, job_id, user_id=user_id)

    def wake() -> None:  # a job running in this process stops at once; streams update now
        signal_cancel(job_id)
        events.notify(job_id)

    after_commit(db, wake)
    return result


def retry_job(db: Session, settings: Settings, job_id: str, *, user_id: str | None) -> Job:
    """Queue failed or cancelled work again (charging it again when `job_retry_charges`)."""
    require_broker(settings)
    job = service.retry_job(db, job_id, user_id=user_id, settings=settings)
    kind = job.kind
    after_commit(db, lambda: dispatch(settings, kind, job_id))
    return job


def delete_job(db: Session, settings: Settings, job_id: str, *, user_id: str | None) -> None:
    """Delete a finished job; its work folder and stored files go once the deletion committed."""
    kind = service.get_job(db, job_id, user_id=user_id).kind
    folder = service.delete_job(db, job_id, user_id=user_id, settings=settings)
    after_commit(db, lambda: service.remove_job_files(settings, kind, job_id, folder))
