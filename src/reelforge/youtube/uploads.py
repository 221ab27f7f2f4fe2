"""Uploading a finished render to YouTube: the options YouTube accepts, where the render's files
are, the form's prefill from the script, and ordering an upload job.

Every function takes a SQLAlchemy session and never commits; the upload itself runs in job
steps (`tasks.py`) and is dispatched by `flows.py` once the order is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from reelforge.accounts.service import log_activity
from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.errors import Conflict, InvalidInput
from reelforge.jobs.models import Job
from reelforge.jobs.service import create_job
from reelforge.render.queries import get_owned_render
from reelforge.render.service import result_keys
from reelforge.scripts.models import Script
from reelforge.storage import MediaStore, check_key, media_store
from reelforge.youtube.models import PRIVACY_STATUSES, YoutubeChannel, YoutubeUpload
from reelforge.youtube.queries import default_channel, get_channel
from reelforge.youtube.quota import check_upload_capacity

UPLOAD_KIND = "upload"
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


# --------------------------------------------------------------------------- options
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


# --------------------------------------------------------------------------- the render's files
@dataclass(frozen=True)
class SourceFile:
    """One file of a finished render: an object in the media store (`key`, what the render
    pipeline stores), or a file inside the data folder (`path`, older or imported jobs).
    Job steps get the bytes with `tasks.on_disk`, which fetches a stored object to scratch."""

    key: str | None = None
    path: Path | None = None

    @property
    def name(self) -> str:
        """The file name, for messages."""
        return self.path.name if self.path is not None else (self.key or "").rsplit("/", 1)[-1]


@dataclass
class SourceFiles:
    video: SourceFile
    thumbnail: SourceFile | None
    subtitles: SourceFile | None


def _locate(settings: Settings, store: MediaStore, raw: str | None, workdir: Path) -> SourceFile | None:
    """Resolve a stored output reference: a media-store key that exists, or a path inside
    data_dir (absolute, or relative to the job folder). Anything else is ignored."""
    if not raw or "://" in raw:
        return None
    try:
        key: str | None = check_key(raw)
    except ValueError:
        key = None
    if key is not None and store.exists(key):
        return SourceFile(key=key)
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
            return SourceFile(path=resolved)
    return None


def source_files(settings: Settings, job: Job) -> SourceFiles | None:
    """Where a finished render's MP4, thumbnail and SRT are (None if the video is missing).

    The render pipeline stores them in the media store under `videos/<job id>/`; older or
    imported jobs may point at files inside the data folder instead.
    """
    store = media_store(settings)
    workdir = settings.data_dir.resolve() / "jobs" / job.id
    keys = result_keys(job.id)
    video = _locate(settings, store, keys["video"], workdir) or _locate(
        settings, store, (job.options or {}).get("video_path"), workdir
    )
    if video is None and workdir.is_dir():
        found = [p for p in (workdir / "video.mp4", workdir / "final.mp4") if p.is_file()]
        video = SourceFile(path=found[0].resolve()) if found else None
    if video is None:
        return None
    thumb = _locate(settings, store, job.thumbnail_path, workdir) or _locate(
        settings, store, keys["thumbnail"], workdir
    )
    subs = _locate(settings, store, job.subtitles_path, workdir) or _locate(settings, store, keys["subtitles"], workdir)
    return SourceFiles(video, thumb, subs)


# --------------------------------------------------------------------------- ordering an upload
def prefill(db: Session, user_id: str, job_id: str) -> dict[str, Any]:
    """Title, description, tags and language for the upload form, from the render's script document."""
    job = get_owned_render(db, job_id, user_id=user_id)
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
        script = db.get(Script, job.script_id)
        if script is not None and isinstance(script.content, dict):
            return script.content
    return None


def _upload_channel(db: Session, user_id: str, channel_ref_id: str | None) -> YoutubeChannel:
    if channel_ref_id:
        channel = get_channel(db, user_id, channel_ref_id)
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
    return channel


def create_upload(
    db: Session,
    settings: Settings,
    user_id: str,
    source_job_id: str,
    opts: UploadOptions,
    *,
    auto: bool = False,
) -> tuple[Job, YoutubeUpload]:
    """Create an upload job for a finished render: checks ownership, channel, quota; one upload row.

    Not dispatched here: `flows.order_upload` (and auto-publish) queue it after the commit.
    """
    source = get_owned_render(db, source_job_id, user_id=user_id)
    # Auto-publish runs from the render's last step, while the render is still "processing".
    if source.status != "completed" and not (auto and source.status == "processing"):
        raise Conflict("Only a finished video can be uploaded.", reason="video_not_completed", job_status=source.status)
    if source_files(settings, source) is None:
        raise Conflict("The video file of this job is no longer on disk.", reason="video_missing")
    channel = _upload_channel(db, user_id, opts.channel_ref_id)
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


# --------------------------------------------------------------------------- auto-publish
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


def auto_publish_options(db: Session, render_job: Job) -> UploadOptions:
    """The upload a render's `options["youtube"]` asks for; title/description/tags default to the script."""
    options = render_job.options or {}
    raw = options.get("youtube") if isinstance(options.get("youtube"), dict) else {}
    assert isinstance(raw, dict)
    pre = prefill(db, render_job.user_id, render_job.id)
    publish_at = raw.get("publish_at")
    return UploadOptions(
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
