"""Reads of the youtube domain, written once for the API, the pages, the job steps and the CLI.

Ownership lives here: `get_channel` and `get_upload` answer 404 for other users' ids exactly
like for missing ones (`user_id=None`: any user's, for admins and job code).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelforge.errors import NotFound
from reelforge.jobs.models import Job
from reelforge.youtube.models import YoutubeChannel, YoutubeUpload


# --------------------------------------------------------------------------- channels
def list_channels(db: Session, user_id: str) -> list[YoutubeChannel]:
    """The user's channels, the default first."""
    return list(
        db.scalars(
            select(YoutubeChannel)
            .where(YoutubeChannel.user_id == user_id)
            .order_by(YoutubeChannel.is_default.desc(), YoutubeChannel.created_at)
        )
    )


def get_channel(db: Session, user_id: str | None, channel_ref_id: str) -> YoutubeChannel:
    """The channel if `user_id` owns it (None: any, for admins). Other users' ids are 404."""
    channel = db.get(YoutubeChannel, channel_ref_id)
    if channel is None or (user_id is not None and channel.user_id != user_id):
        raise NotFound("No such YouTube channel.")
    return channel


def default_channel(db: Session, user_id: str) -> YoutubeChannel | None:
    return db.scalar(
        select(YoutubeChannel).where(YoutubeChannel.user_id == user_id, YoutubeChannel.is_default.is_(True))
    )


def all_channels(db: Session, *, limit: int = 500) -> list[YoutubeChannel]:
    """Every user's channels, newest first (admin)."""
    return list(db.scalars(select(YoutubeChannel).order_by(YoutubeChannel.created_at.desc()).limit(limit)))


# --------------------------------------------------------------------------- uploads
def finished_renders(db: Session, user_id: str, *, limit: int = 20) -> list[Job]:
    """The user's completed renders, newest first: what the channels page offers to upload."""
    return list(
        db.scalars(
            select(Job)
            .where(Job.user_id == user_id, Job.kind == "render", Job.status == "completed")
            .order_by(Job.created_at.desc())
            .limit(limit)
        )
    )


def list_uploads(db: Session, user_id: str | None, *, limit: int = 100, offset: int = 0) -> list[YoutubeUpload]:
    """The user's uploads (None: everyone's), newest first."""
    q = select(YoutubeUpload).order_by(YoutubeUpload.created_at.desc(), YoutubeUpload.id).limit(limit).offset(offset)
    if user_id is not None:
        q = q.where(YoutubeUpload.user_id == user_id)
    return list(db.scalars(q))


def get_upload(db: Session, user_id: str | None, upload_id: str) -> YoutubeUpload:
    row = db.get(YoutubeUpload, upload_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        raise NotFound("No such upload.")
    return row


def upload_for_job(db: Session, job_id: str) -> YoutubeUpload | None:
    """The upload row of an upload job (job code: the job id is already trusted)."""
    return db.scalar(select(YoutubeUpload).where(YoutubeUpload.job_id == job_id))


def auto_upload_of(db: Session, render_job_id: str) -> Job | None:
    """The upload job auto-publish already queued for this render, if any."""
    return db.scalar(
        select(Job)
        .join(YoutubeUpload, YoutubeUpload.job_id == Job.id)
        .where(YoutubeUpload.source_job_id == render_job_id, YoutubeUpload.extra["auto"].as_boolean().is_(True))
    )


def effective_statuses(db: Session, rows: list[YoutubeUpload]) -> dict[str, str]:
    """The status to show: the row's, except where its job knows better.

    An upload whose job was cancelled (or failed) while still queued never ran, so its row
    still says pending; a failed or cancelled upload whose job was retried is queued again.
    """
    job_ids = [r.job_id for r in rows if r.job_id and r.status != "completed"]
    job_status = dict(db.execute(select(Job.id, Job.status).where(Job.id.in_(job_ids))).all()) if job_ids else {}
    out: dict[str, str] = {}
    for r in rows:
        js = job_status.get(r.job_id or "")
        if r.status in ("pending", "uploading") and js in ("failed", "cancelled"):
            out[r.id] = js
        elif r.status in ("failed", "cancelled") and js in ("pending", "processing"):
            out[r.id] = "pending"
        else:
            out[r.id] = r.status
    return out
