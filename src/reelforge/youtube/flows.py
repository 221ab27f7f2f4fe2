"""Use cases of the youtube domain, shared by the JSON API, the HTML pages and the render job.

Ordering an upload queues its job only once the order is committed (`after_commit`), so a
worker never picks up an upload row that a rolled-back request or savepoint left behind.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from reelforge.config import Settings
from reelforge.db.outbox import after_commit
from reelforge.jobs.broker import require_broker
from reelforge.jobs.dispatch import dispatch
from reelforge.jobs.models import Job, JobLog
from reelforge.youtube import channels, queries, uploads
from reelforge.youtube.models import YoutubeChannel, YoutubeUpload


def _dispatch_after_commit(db: Session, settings: Settings, job_id: str) -> None:
    after_commit(db, lambda: dispatch(settings, uploads.UPLOAD_KIND, job_id))


# --------------------------------------------------------------------------- channels
def start_connect(db: Session, settings: Settings, user_id: str) -> str:
    """Start "Connect YouTube": Google's consent URL to send the browser to."""
    return channels.start_connect(db, settings, user_id)


def finish_connect(
    db: Session, settings: Settings, user_id: str, *, state: str, code: str | None, error: str | None = None
) -> YoutubeChannel:
    """Google's redirect back: the connected (or reconnected) channel."""
    return channels.finish_connect(db, settings, user_id, state=state, code=code, error=error)


def make_default(db: Session, user_id: str, channel_ref_id: str) -> YoutubeChannel:
    """The channel uploads and auto-publish use when none is chosen."""
    return channels.set_default(db, user_id, channel_ref_id)


def check_channel(db: Session, settings: Settings, user_id: str, channel_ref_id: str) -> YoutubeChannel:
    """Refresh the token and channel info; a dead grant marks the channel "reconnect needed"."""
    return channels.check_channel(db, settings, user_id, channel_ref_id)


def disconnect_channel(
    db: Session, settings: Settings, channel_ref_id: str, *, user_id: str | None, actor_id: str | None = None
) -> bool:
    """Revoke and forget a channel (`user_id=None`: an admin's, any user's). True if Google confirmed."""
    return channels.disconnect(db, settings, user_id, channel_ref_id, actor_id=actor_id)


# --------------------------------------------------------------------------- uploads
def order_upload(
    db: Session, settings: Settings, user_id: str, source_job_id: str, opts: uploads.UploadOptions
) -> tuple[Job, YoutubeUpload]:
    """Queue the upload of a finished render; its job is dispatched after the commit."""
    require_broker(settings)
    job, upload = uploads.create_upload(db, settings, user_id, source_job_id, opts)
    _dispatch_after_commit(db, settings, job.id)
    return job, upload


def chain_upload_after_render(db: Session, render_job: Job, settings: Settings) -> Job | None:
    """Auto-publish: queue an upload of a just-completed render when its options ask for it.

    Called by the render job's last step (after the files are stored) when
    `render_job.options["auto_publish"]` is truthy; the publishing options come from
    `options["youtube"]` (`uploads.auto_publish_options`). Never raises: a refused upload
    (no channel, cap reached...) is logged on the render job instead. The upload job is
    dispatched after `db` commits, also when an earlier run of the step already queued it
    (the dispatch may have been lost with that run's process).
    """
    if not (render_job.options or {}).get("auto_publish"):
        return None
    existing = queries.auto_upload_of(db, render_job.id)
    if existing is not None:  # the render's last step ran again (retry, reclaimed job): chain once
        _dispatch_after_commit(db, settings, existing.id)
        return existing
    try:
        with db.begin_nested():
            opts = uploads.auto_publish_options(db, render_job)
            job, _ = uploads.create_upload(db, settings, render_job.user_id, render_job.id, opts, auto=True)
    except Exception as exc:  # noqa: BLE001 - the render succeeded; report, do not fail it
        message = getattr(exc, "detail", None) or str(exc)
        db.add(JobLog(job_id=render_job.id, level="warning", log_message=f"Auto-publish to YouTube skipped: {message}"))
        db.flush()
        return None
    db.add(JobLog(job_id=render_job.id, level="info", log_message=f"Auto-publish: upload job {job.id} queued."))
    db.flush()
    _dispatch_after_commit(db, settings, job.id)
    return job
