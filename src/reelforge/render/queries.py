"""Reads of the render domain, written once for the API, the pages and other domains.

Ownership lives here: `get_owned_render` answers 404 for other users' videos exactly like
for missing ones, so a new route cannot forget the check.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelforge.errors import NotFound
from reelforge.jobs.models import Job

KIND = "render"


def get_owned_render(db: Session, job_id: str, *, user_id: str | None) -> Job:
    """The acting user's render job (`user_id=None`: any user's, for admin and job code)."""
    job = db.get(Job, job_id)
    if job is None or job.kind != KIND or (user_id is not None and job.user_id != user_id):
        raise NotFound("No such video.")
    return job


def get_finished_render(db: Session, job_id: str, *, user_id: str) -> Job:
    """The user's render whose results can be downloaded."""
    job = get_owned_render(db, job_id, user_id=user_id)
    if job.status != "completed":
        raise NotFound("This video is not ready.")
    return job


def renders_of_script(db: Session, script_id: str, *, user_id: str) -> list[Job]:
    """The user's renders of one script, newest first."""
    stmt = select(Job).where(Job.kind == KIND, Job.user_id == user_id, Job.script_id == script_id)
    return list(db.scalars(stmt.order_by(Job.created_at.desc(), Job.id.desc())))
