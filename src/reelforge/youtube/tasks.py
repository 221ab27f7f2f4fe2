"""The steps of an upload job (kind "upload", table jobs): video, thumbnail, captions, finish.

Each step is idempotent and keeps its state on the job's `youtube_uploads` row, so a retried
or reclaimed job resumes: the video step resumes the stored resumable session from the
last byte YouTube acknowledged (or starts a new one if it expired) and is skipped once the
row has a video id; thumbnail and captions are skipped once done. Thumbnail and caption
failures are warnings on the row and in the job log, never a failed upload.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reelforge.db.engine import Database
from reelforge.errors import JobCancelled, PermanentError, TooManyRequests
from reelforge.jobs.context import JobContext
from reelforge.jobs.models import Job
from reelforge.jobs.registry import Step
from reelforge.storage import MediaMissing, media_store
from reelforge.youtube import channels, queries, quota
from reelforge.youtube import client as yc
from reelforge.youtube.crypto import TokenCipher
from reelforge.youtube.models import YoutubeChannel, YoutubeUpload
from reelforge.youtube.uploads import SourceFile, SourceFiles, source_files

LANGUAGE_NAMES = {"ko": "한국어", "en": "English", "ja": "日本語", "zh": "中文", "es": "Español"}
PROGRESS_WRITE_INTERVAL = 1.0


def _db(ctx: JobContext) -> Database:
    db = getattr(ctx, "db", None)
    if db is None:
        raise PermanentError("the upload steps need the job runner's database context")
    return db  # type: ignore[no-any-return]


def _upload_row(s: Any, job_id: str) -> YoutubeUpload:
    row = queries.upload_for_job(s, job_id)
    if row is None:
        raise PermanentError("this upload job has no youtube_uploads record")
    return row


def _warn(ctx: JobContext, db: Database, job_id: str, message: str) -> None:
    ctx.log(message, "warning")
    with db.session() as s:
        row = _upload_row(s, job_id)
        row.warnings = [*(row.warnings or []), message[:500]]


def _api(ctx: JobContext, db: Database, job_id: str) -> yc.YoutubeApi:
    """Credentials refreshed ahead of expiry (a 401 mid-upload stalls the client), stored back encrypted."""
    reconnect: yc.ReconnectNeeded | None = None
    with db.session() as s:
        row = _upload_row(s, job_id)
        channel = s.get(YoutubeChannel, row.channel_ref_id) if row.channel_ref_id else None
        if channel is None:
            raise PermanentError("the YouTube channel of this upload was disconnected")
        try:
            creds = channels.fresh_credentials(s, ctx.settings, channel)
        except yc.ReconnectNeeded as exc:
            reconnect = exc  # leave the block normally so "reconnect needed" is committed
    if reconnect is not None:
        raise reconnect
    return yc.YoutubeApi(ctx.settings, creds)


def _body(row: YoutubeUpload) -> dict[str, Any]:
    snippet: dict[str, Any] = {
        "title": row.title,
        "description": row.description,
        "tags": list(row.tags or []),
        "categoryId": row.category_id,
    }
    if row.default_language:
        snippet["defaultLanguage"] = row.default_language
        snippet["defaultAudioLanguage"] = row.default_language
    status: dict[str, Any] = {
        "privacyStatus": row.privacy_status,  # always explicit: YouTube makes an omitted value public
        "selfDeclaredMadeForKids": row.made_for_kids,
        "containsSyntheticMedia": row.contains_synthetic_media,
        "embeddable": True,
        "license": "youtube",
    }
    if row.publish_at is not None:
        status["publishAt"] = row.publish_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"snippet": snippet, "status": status}


def _sources(ctx: JobContext, db: Database, job_id: str) -> SourceFiles:
    with db.read_session() as s:
        row = _upload_row(s, job_id)
        source = s.get(Job, row.source_job_id) if row.source_job_id else None
        files = source_files(ctx.settings, source) if source is not None else None
    if files is None:
        raise PermanentError("the rendered video file is missing; render it again")
    return files


@contextmanager
def on_disk(ctx: JobContext, source: SourceFile, name: str) -> Iterator[Path]:
    """A local file with the source's bytes: a data-folder file as it is, or an object of the
    media store (a local folder or a bucket) fetched into the job's work folder for this step
    and removed after it (a retried step fetches again)."""
    if source.path is not None:
        yield source.path
        return
    assert source.key is not None
    dest = ctx.workdir / f"source-{name}"
    try:
        media_store(ctx.settings).fetch(source.key, dest)
    except MediaMissing:
        raise PermanentError(f"the rendered {name} is missing from the media store; render it again") from None
    try:
        yield dest
    finally:
        dest.unlink(missing_ok=True)


# --------------------------------------------------------------------------- step: video
def upload_video(ctx: JobContext) -> None:
    db, job_id = _db(ctx), ctx.job_id
    cipher = TokenCipher(ctx.settings)
    with db.read_session() as s:
        row = _upload_row(s, job_id)
        if row.video_id:
            ctx.log(f"Video already uploaded as {row.video_id}; skipping.")
            return
        body = _body(row)
        notify = row.notify_subscribers
        session_uri = cipher.decrypt_text(row.upload_session_encrypted) if row.upload_session_encrypted else None
    source = _sources(ctx, db, job_id).video
    with on_disk(ctx, source, "video.mp4") as video_path:
        _send_video(ctx, db, video_path, source.name, body=body, notify=notify, session_uri=session_uri)


def _send_video(
    ctx: JobContext,
    db: Database,
    video_path: Path,
    shown_name: str,
    *,
    body: dict[str, Any],
    notify: bool,
    session_uri: str | None,
) -> None:
    job_id = ctx.job_id
    cipher = TokenCipher(ctx.settings)
    total = video_path.stat().st_size
    api = _api(ctx, db, job_id)
    if session_uri is None:  # this attempt calls videos.insert (a new session): count it against today's cap
        try:
            with db.session() as s:
                day = quota.count_upload(s, ctx.settings)
                row = _upload_row(s, job_id)
                row.quota_day = day
        except TooManyRequests as exc:
            raise PermanentError(exc.detail) from exc
    with db.session() as s:
        row = _upload_row(s, job_id)
        row.status, row.size_bytes, row.error = "uploading", total, None
    ctx.log(
        f"Uploading {shown_name} ({total / 1_048_576:.1f} MiB) as {body['status']['privacyStatus']}"
        + (f", scheduled for {body['status']['publishAt']}" if "publishAt" in body["status"] else "")
        + ("; resuming session" if session_uri else "")
        + "."
    )
    last_write = 0.0

    def on_session(uri: str) -> None:
        with db.session() as s:
            _upload_row(s, job_id).upload_session_encrypted = cipher.encrypt_text(uri)

    def on_progress(sent: int, size: int) -> None:
        nonlocal last_write
        fraction = sent / size if size else 1.0
        step_progress = getattr(ctx, "step_progress", None)
        if step_progress is not None:
            step_progress(fraction)
        else:
            ctx.progress(fraction * 100)
        now = time.monotonic()
        if now - last_write >= PROGRESS_WRITE_INTERVAL or sent >= size:
            last_write = now
            with db.session() as s:
                _upload_row(s, job_id).bytes_sent = sent

    chunk = ctx.settings.youtube_upload_chunk_kib * 1024
    try:
        video = api.insert_video(
            video_path,
            body,
            notify_subscribers=notify,
            chunk_size=chunk,
            session_uri=session_uri,
            on_progress=on_progress,
            on_session=on_session,
            is_cancelled=ctx.cancelled,
        )
    except yc.UploadSessionExpired:
        with db.session() as s:
            r = _upload_row(s, job_id)
            r.upload_session_encrypted, r.bytes_sent = None, 0
        ctx.log("The upload session expired at YouTube; a new one will start from the beginning.", "warning")
        raise
    except JobCancelled:
        ctx.log("Upload stopped: cancelled.", "warning")
        raise
    except yc.ReconnectNeeded as exc:
        with db.session() as s:
            row = _upload_row(s, job_id)
            if row.channel_ref_id:
                channels.mark_reconnect_needed(s, row.channel_ref_id, str(exc))
        raise
    vid = str(video["id"])
    snippet = video.get("snippet") or {}
    thumbs = snippet.get("thumbnails") or {}
    with db.session() as s:
        r = _upload_row(s, job_id)
        r.video_id = vid
        r.video_url = f"https://www.youtube.com/watch?v={vid}"
        r.upload_session_encrypted = None
        r.bytes_sent = total
        r.thumbnail_url = (thumbs.get("high") or thumbs.get("default") or {}).get("url") or r.thumbnail_url
        published = snippet.get("publishedAt")
        if published and r.privacy_status != "private":
            r.published_at = datetime.fromisoformat(published.replace("Z", "+00:00"))
        job = s.get(Job, job_id)
        if job is not None:
            job.video_url = r.video_url
    ctx.log(f"Uploaded: https://www.youtube.com/watch?v={vid}")


# --------------------------------------------------------------------------- step: thumbnail
def _small_thumbnail(ctx: JobContext, path: Path) -> Path:
    if path.stat().st_size <= yc.THUMBNAIL_MAX_BYTES:
        return path
    from PIL import Image

    out = ctx.workdir / "youtube-thumbnail.jpg"
    with Image.open(path) as img:
        rgb = img.convert("RGB")
        rgb.thumbnail((1280, 720))
        for quality in (88, 80, 70, 60):
            rgb.save(out, "JPEG", quality=quality, optimize=True)
            if out.stat().st_size <= yc.THUMBNAIL_MAX_BYTES:
                break
    ctx.log(f"Thumbnail re-encoded to {out.stat().st_size // 1024} KiB (YouTube's limit is 2 MB).")
    return out


def set_thumbnail(ctx: JobContext) -> None:
    db, job_id = _db(ctx), ctx.job_id
    with db.read_session() as s:
        row = _upload_row(s, job_id)
        if row.thumbnail_done or not row.video_id:
            return
        video_id = row.video_id
    files = _sources(ctx, db, job_id)
    if files.thumbnail is None:
        _warn(ctx, db, job_id, "No thumbnail file for this video; YouTube will pick a frame.")
        return
    try:
        api = _api(ctx, db, job_id)
        with on_disk(ctx, files.thumbnail, "thumbnail.jpg") as thumbnail:
            result = api.set_thumbnail(video_id, _small_thumbnail(ctx, thumbnail))
    except JobCancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - a thumbnail never fails the upload
        _warn(ctx, db, job_id, f"Thumbnail not set: {exc}")
        return
    items = result.get("items") or [{}]
    url = (items[0].get("high") or items[0].get("default") or {}).get("url")
    with db.session() as s:
        row = _upload_row(s, job_id)
        row.thumbnail_done = True
        if url:
            row.thumbnail_url = url
        quota.add_units(s, ctx.settings, 50)
    ctx.log("Thumbnail set.")


# --------------------------------------------------------------------------- step: captions
def upload_captions(ctx: JobContext) -> None:
    db, job_id = _db(ctx), ctx.job_id
    with db.read_session() as s:
        row = _upload_row(s, job_id)
        if row.caption_id or not row.video_id:
            return
        video_id, language = row.video_id, (row.default_language or "ko")
    files = _sources(ctx, db, job_id)
    if files.subtitles is None:
        _warn(ctx, db, job_id, "No SRT subtitles for this video; no caption track uploaded.")
        return
    try:
        api = _api(ctx, db, job_id)
        with on_disk(ctx, files.subtitles, "subtitles.srt") as subtitles:
            result = api.insert_caption(
                video_id, subtitles, language=language, name=LANGUAGE_NAMES.get(language, language)
            )
    except JobCancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - captions never fail the upload
        _warn(ctx, db, job_id, f"Caption track not uploaded: {exc}")
        return
    with db.session() as s:
        _upload_row(s, job_id).caption_id = str(result.get("id", ""))[:128] or "set"
        quota.add_units(s, ctx.settings, 400)
    ctx.log(f"Caption track ({language}) uploaded.")


# --------------------------------------------------------------------------- step: finish
def finish_upload(ctx: JobContext) -> None:
    db = _db(ctx)
    with db.session() as s:
        row = _upload_row(s, ctx.job_id)
        row.status = "completed"
        row.error = None


def steps(db: Database, record_id: str) -> list[Step]:
    return [
        Step("video", upload_video, weight=20),
        Step("thumbnail", set_thumbnail, weight=1),
        Step("captions", upload_captions, weight=1),
        Step("finish", finish_upload, weight=0.1),
    ]


def on_finish(db: Database, record_id: str, status: str) -> None:
    """The job ended failed or cancelled: mirror it on the upload row (the session is kept for a retry)."""
    with db.session() as s:
        row = queries.upload_for_job(s, record_id)
        job = s.get(Job, record_id)
        if row is None or row.status == "completed":
            return
        row.status = "cancelled" if status == "cancelled" else "failed"
        row.error = job.error if job is not None else None
