"""YouTube rules: connecting channels, tokens, the daily upload quota and upload records.

Every function takes a SQLAlchemy session and never commits. Network calls (token
exchange, channels.list, revoke) happen inside the caller's unit of work only where the
result must be stored with it (connect, check); uploads run in job steps (`tasks.py`).

Quota: YouTube counts `videos.insert` per Google Cloud project per day and resets at
midnight Pacific Time. reelforge counts an upload in `youtube_quota_days` (one row per
quota day) at the moment the upload step asks YouTube for an upload session, with a
conditional UPDATE so two workers can never pass the cap. A new upload request is refused
(429 with the reset time) when today's count plus the uploads already queued reach
`youtube_daily_upload_cap`, so a queued upload is not failed later for the cap except in
a race. The quota day is the calendar day in `youtube_quota_timezone`
(America/Los_Angeles by default, as YouTube; "UTC" also works).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from google.oauth2.credentials import Credentials
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelforge.accounts.service import log_activity
from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from reelforge.jobs.models import Job
from reelforge.storage import media_store
from reelforge.youtube import client as yc
from reelforge.youtube import oauth
from reelforge.youtube.crypto import TokenCipher, TokenDecryptError
from reelforge.youtube.models import (
    PRIVACY_STATUSES,
    YoutubeChannel,
    YoutubeOAuthState,
    YoutubeQuotaDay,
    YoutubeUpload,
)

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=15)
MAX_CHANNELS_PER_USER = 20
UPLOAD_KIND = "upload"
VIDEOS_INSERT_UNITS = 1600  # the documented unit cost of videos.insert
# https://developers.google.com/youtube/v3/docs/videoCategories (ids valid in every region we target)
CATEGORIES: dict[str, str] = {
    "1": "Film & Animation",
    "2": "Autos & Vehicles",
    "10": "Music",
    "15": "Pets & Animals",
    "17": "Sports",
    "19": "Travel & Events",
    "20": "Gaming",
    "22": "People & Blogs",
    "23": "Comedy",
    "24": "Entertainment",
    "25": "News & Politics",
    "26": "Howto & Style",
    "27": "Education",
    "28": "Science & Technology",
    "29": "Nonprofits & Activism",
}


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# =========================================================================== channels: connect
def start_connect(db: Session, settings: Settings, user_id: str, *, redirect: str | None = None) -> str:
    """Begin "Connect YouTube": store a fresh state + PKCE verifier and return Google's consent URL."""
    try:
        yc.client_config(settings)
    except yc.YoutubeNotConfigured as exc:
        raise Conflict(str(exc), reason="youtube_not_configured") from exc
    count = db.scalar(select(func.count()).where(YoutubeChannel.user_id == user_id)) or 0
    if count >= MAX_CHANNELS_PER_USER:
        raise Conflict(f"You can connect at most {MAX_CHANNELS_PER_USER} channels.", reason="too_many_channels")
    now = utcnow()
    db.execute(
        delete(YoutubeOAuthState).where(
            (YoutubeOAuthState.expires_at < now)
            | (YoutubeOAuthState.user_id == user_id) & (YoutubeOAuthState.created_at < now - timedelta(minutes=1))
        )
    )
    redirect = redirect or oauth.redirect_uri(settings)
    try:
        url, state, verifier = oauth.authorization_url(settings, redirect)
    except yc.YoutubeNotConfigured as exc:
        raise Conflict(str(exc), reason="youtube_not_configured") from exc
    cipher = TokenCipher(settings)
    db.add(
        YoutubeOAuthState(
            user_id=user_id,
            state_hash=_hash(state),
            code_verifier_encrypted=cipher.encrypt_text(verifier),
            redirect_uri=redirect,
            expires_at=now + STATE_TTL,
        )
    )
    db.flush()
    return url


def finish_connect(
    db: Session,
    settings: Settings,
    user_id: str,
    *,
    state: str,
    code: str | None,
    error: str | None = None,
) -> YoutubeChannel:
    """The OAuth callback: check `state` belongs to this user, exchange the code, store the channel."""
    row = None
    if state:
        row = db.scalar(select(YoutubeOAuthState).where(YoutubeOAuthState.state_hash == _hash(state)))
    if row is None or row.user_id != user_id or row.expires_at < utcnow():
        raise InvalidInput(
            "This sign-in link is not valid for your session (state mismatch or expired). Start again from "
            "Connect YouTube.",
            field="state",
            reason="state_mismatch",
        )
    db.delete(row)
    db.flush()
    if error:
        raise InvalidInput(f"Google did not grant access ({error}).", field="code", reason="access_denied")
    if not code:
        raise InvalidInput("The callback carries no authorisation code.", field="code")
    cipher = TokenCipher(settings)
    verifier = cipher.decrypt_text(row.code_verifier_encrypted or "")
    try:
        creds = oauth.exchange_code(settings, row.redirect_uri, state=state, verifier=verifier, code=code)
        info = yc.YoutubeApi(settings, creds).my_channel()
    except oauth.OAuthExchangeError as exc:
        raise InvalidInput(str(exc), field="code", reason="exchange_failed") from exc
    except (yc.YoutubeApiError, yc.ReconnectNeeded, yc.QuotaExceeded) as exc:
        raise InvalidInput(str(exc), reason="channel_lookup_failed") from exc
    except yc.YoutubeTransientError as exc:
        raise Conflict(f"YouTube did not answer; try again in a minute ({exc}).", reason="youtube_unavailable") from exc
    if not creds.refresh_token:
        raise InvalidInput(
            "Google returned no refresh token; remove reelforge's access in your Google account and connect again.",
            reason="no_refresh_token",
        )
    channel = db.scalar(
        select(YoutubeChannel).where(YoutubeChannel.user_id == user_id, YoutubeChannel.channel_id == info.channel_id)
    )
    has_default = db.scalar(
        select(func.count()).where(YoutubeChannel.user_id == user_id, YoutubeChannel.is_default.is_(True))
    )
    if channel is None:
        channel = YoutubeChannel(user_id=user_id, channel_id=info.channel_id, is_default=not has_default)
        db.add(channel)
    _apply_info(channel, info)
    store_credentials(settings, channel, creds)
    channel.needs_reconnect = False
    channel.last_error = None
    db.flush()
    log_activity(db, user_id, "youtube_connect", {"channel_id": channel.channel_id, "title": channel.channel_title})
    return channel


def _apply_info(channel: YoutubeChannel, info: yc.ChannelInfo) -> None:
    channel.channel_title = info.title[:300]
    channel.description = info.description
    channel.thumbnail_url = (info.thumbnail_url or "")[:500] or None
    channel.subscriber_count = info.subscriber_count


# =========================================================================== channels: tokens
def store_credentials(settings: Settings, channel: YoutubeChannel, creds: Credentials) -> None:
    data = yc.credentials_to_dict(creds)
    channel.token_encrypted = TokenCipher(settings).encrypt_json(data)
    channel.token_expires_at = yc.credentials_expiry(creds)
    channel.scopes = " ".join(data.get("scopes") or [])


def load_credentials(settings: Settings, channel: YoutubeChannel) -> Credentials:
    if not channel.token_encrypted:
        raise yc.ReconnectNeeded("this channel has no stored authorisation; reconnect it")
    try:
        data = TokenCipher(settings).decrypt_json(channel.token_encrypted)
    except TokenDecryptError as exc:
        raise yc.ReconnectNeeded("the stored authorisation cannot be read (secret key changed?); reconnect") from exc
    return yc.credentials_from_dict(settings, data)


def mark_reconnect_needed(db: Session, channel_ref_id: str, reason: str) -> None:
    db.execute(
        update(YoutubeChannel)
        .where(YoutubeChannel.id == channel_ref_id)
        .values(needs_reconnect=True, last_error=reason[:2000], updated_at=utcnow())
    )


def fresh_credentials(db: Session, settings: Settings, channel: YoutubeChannel) -> Credentials:
    """Credentials valid for at least five more minutes (refreshed and re-stored when needed).

    Raises ReconnectNeeded (after marking the channel in `db`; the caller must commit that
    even though it fails) or a transient error.
    """
    try:
        creds = load_credentials(settings, channel)
        if yc.ensure_fresh(settings, creds):
            store_credentials(settings, channel, creds)
            channel.needs_reconnect = False
            channel.last_error = None
    except yc.ReconnectNeeded as exc:
        channel.needs_reconnect = True
        channel.last_error = str(exc)[:2000]
        raise
    return creds


def check_channel(db: Session, settings: Settings, user_id: str, channel_ref_id: str) -> YoutubeChannel:
    """Refresh the token and the channel's title/avatar/subscribers. A dead token marks it, not raises."""
    channel = get_channel(db, user_id, channel_ref_id)
    try:
        creds = fresh_credentials(db, settings, channel)
        info = yc.YoutubeApi(settings, creds).my_channel()
    except yc.ReconnectNeeded as exc:  # the refresh token (or a 401 after refreshing) says the grant is gone
        channel.needs_reconnect = True
        channel.last_error = str(exc)[:2000]
        db.flush()
        return channel
    except (yc.YoutubeTransientError, yc.YoutubeApiError, yc.QuotaExceeded) as exc:
        raise Conflict(f"YouTube did not answer as expected: {exc}", reason="youtube_unavailable") from exc
    if info.channel_id != channel.channel_id:
        channel.needs_reconnect = True
        channel.last_error = "the authorisation now belongs to another channel; reconnect"
    else:
        _apply_info(channel, info)
    db.flush()
    return channel


# =========================================================================== channels: manage
def list_channels(db: Session, user_id: str) -> list[YoutubeChannel]:
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


def set_default(db: Session, user_id: str, channel_ref_id: str) -> YoutubeChannel:
    channel = get_channel(db, user_id, channel_ref_id)
    db.execute(
        update(YoutubeChannel)
        .where(YoutubeChannel.user_id == user_id, YoutubeChannel.id != channel.id)
        .values(is_default=False)
    )
    channel.is_default = True
    db.flush()
    return channel


def disconnect(
    db: Session, settings: Settings, user_id: str | None, channel_ref_id: str, *, actor_id: str | None = None
) -> bool:
    """Revoke the grant at Google (best effort) and forget the channel. Returns whether Google confirmed."""
    channel = get_channel(db, user_id, channel_ref_id)
    revoked = False
    if channel.token_encrypted:
        try:
            data = TokenCipher(settings).decrypt_json(channel.token_encrypted)
        except TokenDecryptError:
            data = {}
        token = data.get("refresh_token") or data.get("token")
        if token:
            revoked = yc.revoke_token(settings, token)
    owner, was_default = channel.user_id, channel.is_default
    log_activity(
        db,
        owner,
        "youtube_disconnect",
        {"channel_id": channel.channel_id, "title": channel.channel_title, "revoked": revoked},
        actor_id=actor_id,
    )
    db.delete(channel)
    db.flush()
    if was_default:
        nxt = db.scalar(
            select(YoutubeChannel).where(YoutubeChannel.user_id == owner).order_by(YoutubeChannel.created_at).limit(1)
        )
        if nxt is not None:
            nxt.is_default = True
            db.flush()
    return revoked


# =========================================================================== quota
@dataclass
class QuotaStatus:
    day: str
    used: int
    cap: int
    remaining: int
    resets_at: datetime
    timezone: str


def _zone(settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.youtube_quota_timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def quota_day(settings: Settings, now: datetime | None = None) -> tuple[str, datetime]:
    """(the quota day as YYYY-MM-DD in the quota time zone, when it ends in UTC)."""
    zone = _zone(settings)
    local = (now or utcnow()).astimezone(zone)
    next_midnight = datetime(local.year, local.month, local.day, tzinfo=zone) + timedelta(days=1)
    next_midnight = datetime(next_midnight.year, next_midnight.month, next_midnight.day, tzinfo=zone)  # DST-safe
    return local.date().isoformat(), next_midnight.astimezone(UTC)


def quota_status(db: Session, settings: Settings, now: datetime | None = None) -> QuotaStatus:
    day, resets = quota_day(settings, now)
    row = db.get(YoutubeQuotaDay, day)
    used = row.uploads if row else 0
    cap = settings.youtube_daily_upload_cap
    return QuotaStatus(day, used, cap, max(0, cap - used), resets, str(_zone(settings)))


def _cap_reached(settings: Settings, cap: int, resets: datetime, now: datetime | None) -> TooManyRequests:
    seconds = max(1, int((resets - (now or utcnow())).total_seconds()))
    return TooManyRequests(
        f"This studio has used its {cap} YouTube uploads for today. The count resets at "
        f"{resets.strftime('%Y-%m-%d %H:%M')} UTC (midnight {_zone(settings)}).",
        headers={"Retry-After": str(seconds)},
        reason="youtube_daily_cap",
        cap=cap,
        resets_at=resets.isoformat(),
    )


def queued_uncounted(db: Session) -> int:
    """Uploads waiting or running that have not reached YouTube yet (not counted in a quota day)."""
    return int(
        db.scalar(
            select(func.count())
            .select_from(YoutubeUpload)
            .join(Job, Job.id == YoutubeUpload.job_id)
            .where(YoutubeUpload.quota_day.is_(None), Job.status.in_(("pending", "processing")))
        )
        or 0
    )


def check_upload_capacity(db: Session, settings: Settings, now: datetime | None = None) -> None:
    """Refuse (429 + reset time) a new upload when today's count plus queued uploads reach the cap."""
    status = quota_status(db, settings, now)
    if status.used + queued_uncounted(db) >= status.cap:
        raise _cap_reached(settings, status.cap, status.resets_at, now)


def count_upload(db: Session, settings: Settings, now: datetime | None = None) -> str:
    """Count one `videos.insert` against today's cap (conditional UPDATE: never past the cap).

    Called by the upload step right before it asks YouTube for an upload session.
    Raises TooManyRequests when the cap is reached.
    """
    day, resets = quota_day(settings, now)
    cap = settings.youtube_daily_upload_cap
    if db.get(YoutubeQuotaDay, day) is None:
        try:
            with db.begin_nested():
                db.add(YoutubeQuotaDay(day=day, uploads=0, units=0))
        except IntegrityError:
            pass  # another worker created it first
    taken = db.execute(
        update(YoutubeQuotaDay)
        .where(YoutubeQuotaDay.day == day, YoutubeQuotaDay.uploads < cap)
        .values(uploads=YoutubeQuotaDay.uploads + 1, units=YoutubeQuotaDay.units + VIDEOS_INSERT_UNITS)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise _cap_reached(settings, cap, resets, now)
    return day


def add_units(db: Session, settings: Settings, units: int) -> None:
    """Record API units spent on other calls (thumbnails.set 50, captions.insert 400, channels.list 1)."""
    day, _ = quota_day(settings)
    db.execute(
        update(YoutubeQuotaDay)
        .where(YoutubeQuotaDay.day == day)
        .values(units=YoutubeQuotaDay.units + units)
        .execution_options(synchronize_session=False)
    )


# =========================================================================== uploads
@dataclass
class UploadOptions:
    title: str
    privacy_status: str
    description: str = ""
    tags: list[str] | None = None
    category_id: str = "22"
    publish_at: datetime | None = None
    made_for_kids: bool = False
    contains_synthetic_media: bool = True
    notify_subscribers: bool = True
    default_language: str | None = None
    channel_ref_id: str | None = None


def validate_options(opts: UploadOptions, now: datetime | None = None) -> UploadOptions:
    title = " ".join(opts.title.split())
    if not title:
        raise InvalidInput("A title is required.", field="title")
    if len(title) > 100:
        raise InvalidInput("YouTube titles are at most 100 characters.", field="title")
    if "<" in title or ">" in title:
        raise InvalidInput("YouTube does not allow < or > in titles.", field="title")
    if len(opts.description.encode()) > 5000:
        raise InvalidInput("YouTube descriptions are at most 5000 bytes.", field="description")
    if "<" in opts.description or ">" in opts.description:
        raise InvalidInput("YouTube does not allow < or > in descriptions.", field="description")
    if opts.privacy_status not in PRIVACY_STATUSES:
        raise InvalidInput("privacy_status must be public, unlisted or private.", field="privacy_status")
    if opts.category_id not in CATEGORIES:
        raise InvalidInput("Unknown YouTube category.", field="category_id", allowed=sorted(CATEGORIES))
    tags = [t.strip().lstrip("#") for t in (opts.tags or []) if t and t.strip()]
    if any("<" in t or ">" in t or "," in t for t in tags):
        raise InvalidInput("Tags cannot contain <, > or commas.", field="tags")
    if sum(len(t) + (2 if " " in t else 0) + 1 for t in tags) > 500:
        raise InvalidInput("Tags add up to more than YouTube's 500 characters.", field="tags")
    if opts.publish_at is not None:
        if opts.publish_at.tzinfo is None:
            raise InvalidInput("publish_at needs a time zone (e.g. 2026-12-01T09:00:00+09:00).", field="publish_at")
        if opts.privacy_status != "private":
            raise InvalidInput(
                "A scheduled publish time needs privacy_status=private (YouTube makes it public at that time).",
                field="publish_at",
            )
        if opts.publish_at <= (now or utcnow()) + timedelta(minutes=1):
            raise InvalidInput("The scheduled publish time must be in the future.", field="publish_at")
    opts.title = title
    opts.tags = tags
    return opts


def _data_path(settings: Settings, raw: str | None, workdir: Path) -> Path | None:
    """Resolve a stored output reference: a media-store key (what the render pipeline stores),
    or a path inside data_dir (absolute, or relative to the job folder). Anything else is ignored."""
    if not raw or "://" in raw:
        return None
    try:
        local = media_store(settings).local_path(raw)
    except ValueError:
        local = None
    if local is not None:
        return local
    roots = [settings.data_dir.resolve()]
    if settings.media_root:
        roots.append(Path(settings.media_root).resolve())
    candidates = [Path(raw)] if Path(raw).is_absolute() else [workdir / raw, roots[0] / raw]
    for cand in candidates:
        try:
            resolved = cand.resolve()
        except OSError:
            continue
        if any(resolved.is_relative_to(root) for root in roots) and resolved.is_file():
            return resolved
    return None


@dataclass
class SourceFiles:
    video: Path
    thumbnail: Path | None
    subtitles: Path | None


def _result_keys(job_id: str) -> dict[str, str]:
    try:
        from reelforge.render.service import result_keys
    except ImportError:  # pragma: no cover - the render domain ships with the app
        return {
            k: f"videos/{job_id}/{n}"
            for k, n in (("video", "video.mp4"), ("subtitles", "subtitles.srt"), ("thumbnail", "thumbnail.jpg"))
        }
    return result_keys(job_id)


def source_files(settings: Settings, job: Job) -> SourceFiles | None:
    """Where a finished render's MP4, thumbnail and SRT are on disk (None if the video is missing).

    The render pipeline stores them in the media store under `videos/<job id>/`; older or
    imported jobs may point at files inside the data folder instead.
    """
    workdir = settings.data_dir.resolve() / "jobs" / job.id
    keys = _result_keys(job.id)
    video = _data_path(settings, keys["video"], workdir) or _data_path(
        settings, (job.options or {}).get("video_path"), workdir
    )
    if video is None and workdir.is_dir():
        found = [p for p in (workdir / "video.mp4", workdir / "final.mp4") if p.is_file()]
        video = found[0].resolve() if found else None
    if video is None:
        return None
    thumb = _data_path(settings, job.thumbnail_path, workdir) or _data_path(settings, keys["thumbnail"], workdir)
    subs = _data_path(settings, job.subtitles_path, workdir) or _data_path(settings, keys["subtitles"], workdir)
    return SourceFiles(video, thumb, subs)


def get_render(db: Session, user_id: str | None, job_id: str) -> Job:
    job = db.get(Job, job_id)
    if job is None or job.kind != "render" or (user_id is not None and job.user_id != user_id):
        raise NotFound("No such video.")
    return job


def prefill(db: Session, user_id: str, job_id: str) -> dict[str, Any]:
    """Title, description, tags and language for the upload form, from the render's script document."""
    job = get_render(db, user_id, job_id)
    out: dict[str, Any] = {"title": job.title or "", "description": "", "tags": [], "language": None}
    doc = _script_document(db, job)
    if doc is not None:
        out.update(
            title=doc.get("title") or out["title"],
            description=doc.get("description") or "",
            tags=list(doc.get("tags") or []),
            language=doc.get("language"),
        )
    out["title"] = str(out["title"])[:100]
    return out


def _script_document(db: Session, job: Job) -> dict[str, Any] | None:
    doc = (job.options or {}).get("script")
    if isinstance(doc, dict):
        return doc
    if job.script_id:
        from reelforge.scripts.models import Script

        script = db.get(Script, job.script_id)
        if script is not None and isinstance(script.content, dict):
            return script.content
    return None


def create_upload(
    db: Session,
    settings: Settings,
    user_id: str,
    source_job_id: str,
    opts: UploadOptions,
    *,
    auto: bool = False,
) -> tuple[Job, YoutubeUpload]:
    """Queue an upload job for a finished render: checks ownership, channel, quota; one upload row.

    The caller dispatches it after commit: `dispatch(settings, "upload", job.id)`.
    """
    from reelforge.jobs.service import create_job

    source = get_render(db, user_id, source_job_id)
    # Auto-publish runs from the render's last step, while the render is still "processing".
    if source.status != "completed" and not (auto and source.status == "processing"):
        raise Conflict("Only a finished video can be uploaded.", reason="video_not_completed", job_status=source.status)
    if source_files(settings, source) is None:
        raise Conflict("The video file of this job is no longer on disk.", reason="video_missing")
    if opts.channel_ref_id:
        channel = get_channel(db, user_id, opts.channel_ref_id)
    else:
        found = default_channel(db, user_id)
        if found is None:
            raise Conflict("Connect a YouTube channel first (or choose one).", reason="no_channel")
        channel = found
    if channel.needs_reconnect:
        raise Conflict(
            "This channel must be reconnected before uploading (its authorisation stopped working).",
            reason="reconnect_needed",
            channel_id=channel.id,
        )
    opts = validate_options(opts)
    check_upload_capacity(db, settings)
    job = create_job(
        db,
        user_id,
        kind=UPLOAD_KIND,
        type="upload",
        title=opts.title,
        options={"source_job_id": source.id, "channel_ref_id": channel.id, "auto": auto},
        parent_job_id=source.id,
        script_id=source.script_id,
        folder_id=source.folder_id,
        settings=settings,
    )
    upload = YoutubeUpload(
        user_id=user_id,
        job_id=job.id,
        source_job_id=source.id,
        channel_ref_id=channel.id,
        channel_id=channel.channel_id,
        channel_title=channel.channel_title,
        status="pending",
        title=opts.title,
        description=opts.description,
        tags=list(opts.tags or []),
        category_id=opts.category_id,
        default_language=opts.default_language,
        privacy_status=opts.privacy_status,
        publish_at=opts.publish_at.astimezone(UTC) if opts.publish_at else None,
        made_for_kids=opts.made_for_kids,
        contains_synthetic_media=opts.contains_synthetic_media,
        notify_subscribers=opts.notify_subscribers,
        quota_day=None,
        warnings=[],
        extra={"auto": True} if auto else {},
    )
    db.add(upload)
    db.flush()
    log_activity(
        db,
        user_id,
        "upload_youtube",
        {"upload_id": upload.id, "job_id": job.id, "title": upload.title, "privacy": upload.privacy_status},
    )
    return job, upload


def validate_auto_publish(db: Session, user_id: str, raw: dict[str, Any] | None) -> dict[str, Any]:
    """Check auto-publish options when a render is created (early 4xx), return them normalised.

    For the render API: store the result as `options["youtube"]` with `options["auto_publish"] = True`.
    Keys: channel_id, title, description, tags, category_id, privacy_status (default private),
    publish_at (ISO 8601 with zone), made_for_kids, contains_synthetic_media, notify_subscribers.
    """
    raw = dict(raw or {})
    allowed = {
        "channel_id", "title", "description", "tags", "category_id", "privacy_status", "publish_at",
        "made_for_kids", "contains_synthetic_media", "notify_subscribers",
    }  # fmt: skip
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise InvalidInput(
            f"Unknown YouTube option(s): {', '.join(unknown)}.", field="youtube", allowed=sorted(allowed)
        )
    channel = (
        get_channel(db, user_id, str(raw["channel_id"])) if raw.get("channel_id") else default_channel(db, user_id)
    )
    if channel is None:
        raise Conflict("Connect a YouTube channel before asking for auto-publish.", reason="no_channel")
    if channel.needs_reconnect:
        raise Conflict("Reconnect this YouTube channel before asking for auto-publish.", reason="reconnect_needed")
    publish_at = raw.get("publish_at")
    when = None
    if publish_at is not None:
        try:
            when = datetime.fromisoformat(str(publish_at))
        except ValueError as exc:
            raise InvalidInput("publish_at is not an ISO 8601 date and time.", field="youtube.publish_at") from exc
    tags = raw.get("tags") or []
    if not isinstance(tags, list):
        raise InvalidInput("tags must be a list of strings.", field="youtube.tags")
    validate_options(
        UploadOptions(
            title=str(raw.get("title") or "placeholder"),  # the real default comes from the script later
            description=str(raw.get("description") or ""),
            tags=[str(t) for t in tags],
            category_id=str(raw.get("category_id") or "22"),
            privacy_status=str(raw.get("privacy_status") or "private"),
            publish_at=when,
        )
    )
    raw.setdefault("privacy_status", "private")
    raw["channel_id"] = channel.id
    return raw


def chain_upload_after_render(db: Session, render_job: Job, settings: Settings | None = None) -> Job | None:
    """Auto-publish: queue an upload of a just-completed render when its options ask for it.

    Called by the render job glue (its last step, after the files are stored, or once the
    render is completed) when `render_job.options["auto_publish"]` is truthy; publishing
    options come from
    `options["youtube"]` (title/description/tags default to the script). Never raises: a
    refused upload (no channel, cap reached...) is logged on the render job instead. The
    caller dispatches the returned job after commit.
    """
    from reelforge.config import get_settings
    from reelforge.jobs.models import JobLog

    settings = settings or get_settings()
    options = render_job.options or {}
    if not options.get("auto_publish"):
        return None
    raw = options.get("youtube") if isinstance(options.get("youtube"), dict) else {}
    assert isinstance(raw, dict)
    existing = db.scalar(
        select(Job)
        .join(YoutubeUpload, YoutubeUpload.job_id == Job.id)
        .where(YoutubeUpload.source_job_id == render_job.id, YoutubeUpload.extra["auto"].as_boolean().is_(True))
    )
    if existing is not None:  # the render's last step ran again (retry, reclaimed job): chain once
        return existing
    try:
        pre = prefill(db, render_job.user_id, render_job.id)
        publish_at = raw.get("publish_at")
        opts = UploadOptions(
            title=str(raw.get("title") or pre["title"] or "Untitled"),
            description=str(raw.get("description") if raw.get("description") is not None else pre["description"]),
            tags=[str(t) for t in (raw.get("tags") if raw.get("tags") is not None else pre["tags"]) or []],
            category_id=str(raw.get("category_id") or "22"),
            privacy_status=str(raw.get("privacy_status") or "private"),
            publish_at=datetime.fromisoformat(publish_at) if isinstance(publish_at, str) else None,
            made_for_kids=bool(raw.get("made_for_kids", False)),
            contains_synthetic_media=bool(raw.get("contains_synthetic_media", True)),
            notify_subscribers=bool(raw.get("notify_subscribers", True)),
            default_language=pre.get("language"),
            channel_ref_id=raw.get("channel_id") or None,
        )
        with db.begin_nested():
            job, _ = create_upload(db, settings, render_job.user_id, render_job.id, opts, auto=True)
    except Exception as exc:  # noqa: BLE001 - the render succeeded; report, do not fail it
        message = getattr(exc, "detail", None) or str(exc)
        db.add(JobLog(job_id=render_job.id, level="warning", log_message=f"Auto-publish to YouTube skipped: {message}"))
        db.flush()
        return None
    db.add(JobLog(job_id=render_job.id, level="info", log_message=f"Auto-publish: upload job {job.id} queued."))
    db.flush()
    return job


def list_uploads(db: Session, user_id: str | None, *, limit: int = 100, offset: int = 0) -> list[YoutubeUpload]:
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
    return db.scalar(select(YoutubeUpload).where(YoutubeUpload.job_id == job_id))


def all_channels(db: Session, *, limit: int = 500) -> list[YoutubeChannel]:
    return list(db.scalars(select(YoutubeChannel).order_by(YoutubeChannel.created_at.desc()).limit(limit)))
