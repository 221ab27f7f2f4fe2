"""Render jobs: the business rules (validation, prices, the job row, results, the music library).

Creating a render (ordered by `render.flows.order_render`) is one unit of work in the
caller's transaction:

- from an existing script: the script must be the user's and finished; one `jobs` row
  (kind "render") and one debit of the video price;
- from a topic: a `scripts` row created through the scripts service (its own debit of the
  script price) plus the render job (the video price): two ledger rows. The job's first
  step writes the script (running the script work inline when no worker has taken it).

A failed or cancelled render is refunded by the job runner (the job's debit); the script
keeps its own lifecycle (refunded by the scripts runner if writing it fails).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from reelforge.config import Settings
from reelforge.credits import service as credits
from reelforge.credits.service import VIDEO_TYPES
from reelforge.errors import Conflict, InvalidInput, NotFound
from reelforge.i18n import stored
from reelforge.jobs import service as jobs
from reelforge.jobs.models import Job
from reelforge.jobs.runner import workdir_for
from reelforge.providers.tts import AZURE_DEFAULT_VOICES, EspeakSpeech
from reelforge.render import messages
from reelforge.render.options import FRAME_SIZES, QUALITIES, SUBTITLE_STYLES, RenderOptions
from reelforge.render.probe import probe
from reelforge.render.queries import KIND as KIND
from reelforge.render.queries import get_owned_render
from reelforge.scripts.models import Script
from reelforge.storage import MediaMissing, MediaStore, media_store

MUSIC_PREFIX = "music"
MUSIC_EXTENSIONS = (".mp3", ".wav", ".ogg", ".m4a", ".flac", ".aac", ".opus")
MUSIC_MAX_BYTES = 50 * 1024 * 1024
MUSIC_MAX_SECONDS = 30 * 60


@dataclass
class Created:
    job: Job
    created: bool  # False: an Idempotency-Key replay returned the earlier job
    script: Script | None = None


# --------------------------------------------------------------------------- options
def validate_options(
    settings: Settings, raw: dict[str, Any], *, defaults: dict[str, Any] | None = None
) -> RenderOptions:
    """RenderOptions from user input, with clear 422s for bad fields and unsupported combinations."""
    data = {**(defaults or {}), **{k: v for k, v in raw.items() if v is not None}}
    try:
        options = RenderOptions.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first["loc"]) or "options"
        raise InvalidInput(
            f"Invalid render option {field}: {first['msg']}",
            field=f"options.{field}" if field != "options" else field,
            errors=[{"field": ".".join(str(x) for x in e["loc"]), "message": e["msg"]} for e in exc.errors()],
        ) from None
    check_supported(settings, options)
    return options


def check_supported(settings: Settings, options: RenderOptions) -> None:
    """Refuse what this server cannot render (unconfigured providers, unknown voices or tracks)."""
    tts = settings.tts_provider if options.tts_provider == "default" else options.tts_provider
    if tts == "azure" and not (
        settings.azure_speech_key and (settings.azure_speech_region or settings.azure_speech_endpoint)
    ):
        raise InvalidInput("Azure Speech is not configured on this server.", field="options.tts_provider")
    if tts == "openai" and not settings.tts_model:
        raise InvalidInput("No OpenAI-compatible speech server is configured here.", field="options.tts_provider")
    if tts == "offline" and options.voice:
        if options.voice not in EspeakSpeech().voices(options.language):
            raise InvalidInput(
                f"The offline narrator has no voice {options.voice!r} for {options.language}.",
                field="options.voice",
                allowed=EspeakSpeech().voices(options.language),
            )
    if options.type == "sora2" and settings.video_provider == "openai" and not settings.video_model:
        raise InvalidInput("The video-model provider is not configured (no model).", field="options.type")
    if settings.image_provider == "openai" and not settings.image_model and options.type != "sora2":
        raise InvalidInput("The image provider is not configured (no model).", field="options.type")
    if options.music == "library":
        assert options.music_file is not None
        key = music_key(options.music_file)
        if key is None or not _store(settings).exists(key):
            raise InvalidInput("That music track is not in the library.", field="options.music_file")


def option_catalogue(settings: Settings) -> dict[str, Any]:
    """What the forms and API clients may choose from."""
    speech = ["offline"]
    if settings.tts_model:
        speech.append("openai")
    if settings.azure_speech_key:
        speech.append("azure")
    return {
        "types": {t: {"width": w, "height": h} for t, (w, h) in FRAME_SIZES.items()},
        "qualities": {
            q.name: {"x264_preset": q.x264_preset, "crf": q.crf, "scale": q.scale} for q in QUALITIES.values()
        },
        "subtitle_styles": [*SUBTITLE_STYLES, "none"],
        "subtitle_positions": ["bottom", "middle", "top"],
        "music": ["none", "ambient", "library"],
        "music_tracks": [t["id"] for t in music_tracks(settings)],
        "speech_providers": speech,
        "default_speech_provider": settings.tts_provider,
        "voices": {
            "offline": {lang: EspeakSpeech().voices(lang) for lang in ("ko", "en")},
            "azure": AZURE_DEFAULT_VOICES,
        },
        "image_provider": settings.image_provider,
        "video_provider": settings.video_provider,
    }


# --------------------------------------------------------------------------- create
def price_catalogue(db: Session) -> dict[str, int]:
    """What a script and each video type cost now (the API's options and the order form show it)."""
    return {"script": credits.get_price(db, "script"), **{t: credits.get_price(db, "video", t) for t in VIDEO_TYPES}}


def find_replay(db: Session, user_id: str, key: str | None) -> Job | None:
    """The render an earlier request with this Idempotency-Key ordered (a 409 if it bought something else)."""
    if key is None:
        return None
    earlier = credits.find_debit_by_idempotency_key(db, user_id, key)
    if earlier is None:
        return None
    job = db.get(Job, earlier.job_id) if earlier.job_id else None
    if job is None or job.user_id != user_id or job.kind != KIND:
        raise Conflict("This Idempotency-Key was already used for another purchase.", field="Idempotency-Key")
    return job


def options_for_script(settings: Settings, script: Script, options: dict[str, Any]) -> tuple[RenderOptions, str]:
    """Validated options for rendering a finished script (its language and type are the defaults) and the title."""
    if script.status != "completed" or not script.content:
        raise Conflict("This script is not finished yet; render it when it is.", script_status=script.status)
    opts = validate_options(settings, options, defaults={"language": script.language, "type": script.type})
    title = str(script.content.get("title") or script.title)
    script_language = str(script.content.get("language") or script.language)
    if opts.language != script_language:
        raise InvalidInput(
            f"This script is written in {script_language}; render it in that language.",
            field="options.language",
            allowed=[script_language],
        )
    return opts, title


def create_render_job(
    db: Session,
    user_id: str,
    settings: Settings,
    *,
    opts: RenderOptions,
    script_id: str,
    title: str,
    from_topic: bool,
    idempotency_key: str | None,
    folder_id: str | None,
    parent_job_id: str | None,
    publish_options: dict[str, Any] | None,
) -> Job:
    """The render job row with one debit of the video price (the caller checked script, folder and publishing)."""
    job_options: dict[str, Any] = {"render": opts.model_dump(), "source": "topic" if from_topic else "script"}
    if publish_options is not None:
        job_options.update(auto_publish=True, youtube=publish_options)
    return jobs.create_job(
        db,
        user_id,
        kind=KIND,
        type=opts.type,
        title=title,
        options=job_options,
        price=credits.get_price(db, "video", opts.type),
        description=stored.text(messages.VIDEO_DEBIT, type=opts.type, title=title[:80]),
        idempotency_key=idempotency_key,
        script_id=script_id,
        folder_id=folder_id,
        parent_job_id=parent_job_id,
        settings=settings,
    )


def options_again(job: Job, options: dict[str, Any]) -> dict[str, Any]:
    """The options of a render of the same script again: the earlier ones, changed by `options`."""
    previous = dict(job.options.get("render", {}))
    if options.get("music") not in (None, "library"):
        previous.pop("music_file", None)  # switching away from a library track
    if options.get("type") not in (None, "sora2"):
        previous.pop("orientation", None)
    return {**previous, **options}


def get_render(db: Session, job_id: str, *, user_id: str | None) -> Job:
    """Kept for callers of the old name: the owned getter lives in `render.queries`."""
    return get_owned_render(db, job_id, user_id=user_id)


def options_of(job: Job) -> RenderOptions:
    return RenderOptions.model_validate(job.options.get("render", {}))


# --------------------------------------------------------------------------- results
def result_keys(job_id: str) -> dict[str, str]:
    return {
        "video": f"videos/{job_id}/video.mp4",
        "subtitles": f"videos/{job_id}/subtitles.srt",
        "thumbnail": f"videos/{job_id}/thumbnail.jpg",
    }


def video_url(job_id: str) -> str:
    return f"/api/v1/renders/{job_id}/video.mp4"


SCENE_FILE = re.compile(r"scene-\d{2}\.(png|jpg)")
SCENE_FOLDERS = ("images", "clips")


def scene_key(job_id: str, name: str) -> str:
    """Where a finished render keeps a scene picture (the publish step copies them there)."""
    return f"videos/{job_id}/scenes/{name}"


def checkpoint_scene_key(job_id: str, folder: str, name: str) -> str:
    """Where a running render's checkpoint holds a scene picture (see `jobs.checkpoint`)."""
    return f"work/jobs/{job_id}/{folder}/{name}"


def scene_images(settings: Settings, job_id: str) -> list[str]:
    """File names of the scene pictures made so far (they appear while the job runs), wherever
    they are: this machine's work folder, the job's checkpoint, or the finished render."""
    folder = workdir_for(settings, "jobs", job_id)
    names: set[str] = set()
    for sub in SCENE_FOLDERS:
        d = folder / sub
        if d.is_dir():
            names.update(p.name for p in d.iterdir() if SCENE_FILE.fullmatch(p.name))
    store = _store(settings)
    if store.backend != "local":  # another machine may have made them: ask the store
        prefixes = [f"videos/{job_id}/scenes", *(f"work/jobs/{job_id}/{sub}" for sub in SCENE_FOLDERS)]
        for prefix in prefixes:
            names.update(
                o.key.rsplit("/", 1)[1] for o in store.list(prefix) if SCENE_FILE.fullmatch(o.key.rsplit("/", 1)[1])
            )
    return sorted(names)


def scene_image_location(settings: Settings, job_id: str, name: str) -> tuple[Path | None, str | None]:
    """A scene picture as a file on this machine, or else as a media store key."""
    if not SCENE_FILE.fullmatch(name):
        raise NotFound("No such scene image.")
    folder = workdir_for(settings, "jobs", job_id)
    for sub in SCENE_FOLDERS:
        path = folder / sub / name
        if path.is_file():
            return path, None
    store = _store(settings)
    for key in (scene_key(job_id, name), *(checkpoint_scene_key(job_id, sub, name) for sub in SCENE_FOLDERS)):
        if store.exists(key):
            return None, key
    raise NotFound("No such scene image.")


def download_name(title: str | None, job_id: str, extension: str) -> str:
    """`<title slug>-<short id>.<ext>`: Hangul and other letters kept, what file systems refuse removed."""
    slug = re.sub(r"[\\/:*?\"<>|\x00-\x1f\x7f]+", "", (title or "").strip())
    slug = re.sub(r"\s+", "-", slug).strip(".-")[:80] or "reelforge"
    return f"{slug}-{job_id[:8]}.{extension}"


# --------------------------------------------------------------------------- music library
def _store(settings: Settings) -> MediaStore:
    return media_store(settings)


def music_tracks(settings: Settings) -> list[dict[str, Any]]:
    out = []
    for obj in _store(settings).list(MUSIC_PREFIX):
        name = obj.key.split("/", 1)[1]
        out.append({"id": name, "size": obj.size})
    return out


def music_key(track_id: str) -> str | None:
    """The media store key of a library track, or None for a name that cannot be one."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,150}", track_id or ""):
        return None
    return f"{MUSIC_PREFIX}/{track_id}"


def fetch_music(settings: Settings, track_id: str, dest_dir: Path) -> Path | None:
    """Copy a library track next to the job's work (from whichever machine stored it); None if gone."""
    key = music_key(track_id)
    if key is None:
        return None
    store = _store(settings)
    local = store.local_path(key)
    if local is not None:
        return local
    dest = dest_dir / f".music-{track_id}"  # a dot name: never checkpointed, fetched again where needed
    try:
        if dest.is_file() and dest.stat().st_size == store.size(key):
            return dest  # an earlier step of this job on this machine fetched it already
        return store.fetch(key, dest)
    except MediaMissing:
        return None


def add_music(settings: Settings, filename: str, data: bytes) -> dict[str, Any]:
    """Store an admin-uploaded track after ffmpeg confirms it is audio of a sane length."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in MUSIC_EXTENSIONS:
        raise InvalidInput(f"Upload an audio file ({', '.join(MUSIC_EXTENSIONS)}).", field="file")
    if not data:
        raise InvalidInput("The file is empty.", field="file")
    if len(data) > MUSIC_MAX_BYTES:
        raise InvalidInput(f"The file is larger than {MUSIC_MAX_BYTES // (1024 * 1024)} MB.", field="file")
    stem = re.sub(r"[^a-z0-9]+", "-", Path(filename).stem.lower()).strip("-")[:60] or "track"
    track_id = f"{stem}-{hashlib.sha256(data).hexdigest()[:8]}{suffix}"
    tmp_dir = settings.data_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"upload-{track_id}"
    tmp.write_bytes(data)
    try:
        try:
            info = probe(settings, tmp)
        except (ValueError, subprocess.TimeoutExpired):
            raise InvalidInput("That file is not audio ffmpeg can read.", field="file") from None
        if not info.audio_codec:
            raise InvalidInput("That file has no audio stream.", field="file")
        if info.duration > MUSIC_MAX_SECONDS:
            raise InvalidInput("Tracks may be at most 30 minutes long.", field="file")
        stored = _store(settings).put(f"{MUSIC_PREFIX}/{track_id}", tmp, move=True)
    finally:
        tmp.unlink(missing_ok=True)
    return {"id": track_id, "size": stored.size, "duration": round(info.duration, 2)}


def delete_music(settings: Settings, track_id: str) -> None:
    key = music_key(track_id)
    if key is None or not _store(settings).delete(key):
        raise NotFound("No such track.")


def delete_render_files(settings: Settings, job_id: str) -> int:
    """Remove a render's stored results (video, SRT, thumbnail) from the media store; returns how many."""
    return media_store(settings).delete_prefix(f"videos/{job_id}")
