"""API shapes of the render domain, and `render_out`, the presenter the API and the pages share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reelforge.config import Settings
from reelforge.jobs.models import Job
from reelforge.render.service import scene_images
from reelforge.web.params import CleanInput


class RenderCreate(CleanInput):
    """Render an existing script (`script_id`) or write one from `topic` first (two charges)."""

    model_config = ConfigDict(extra="forbid")

    script_id: str | None = Field(default=None, max_length=36)
    topic: str | None = Field(default=None, max_length=500)
    folder_id: str | None = Field(default=None, max_length=36)
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="RenderOptions: type, language, voice, tts_provider, speed, subtitles, subtitle_position, "
        "music, music_file, music_volume, quality, orientation, transition_seconds",
    )
    auto_publish: bool = Field(default=False, description="Upload to a YouTube channel when the render completes")
    youtube: dict[str, Any] | None = Field(
        default=None,
        description="Publishing options for auto_publish: channel_id (default channel if omitted), title, "
        "description, tags, category_id, privacy_status, publish_at, made_for_kids, contains_synthetic_media, "
        "notify_subscribers",
    )


class RenderAgain(CleanInput):
    model_config = ConfigDict(extra="forbid")

    options: dict[str, Any] = Field(default_factory=dict)


class RenderResultOut(BaseModel):
    video_url: str
    subtitles_url: str
    thumbnail_url: str
    duration_seconds: float | None
    size_bytes: int | None


class RenderOut(BaseModel):
    id: str
    status: str
    progress: int
    step: str
    type: str
    title: str
    error: str | None
    script_id: str | None
    parent_job_id: str | None
    options: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None
    scene_images: list[str]
    result: RenderResultOut | None


def render_out(settings: Settings, job: Job) -> RenderOut:
    """A render job as the API shows it (the job page renders the same shape)."""
    result = None
    if job.status == "completed" and job.video_url:
        base = f"/api/v1/renders/{job.id}"
        result = RenderResultOut(
            video_url=job.video_url,
            subtitles_url=f"{base}/subtitles.srt",
            thumbnail_url=f"{base}/thumbnail.jpg",
            duration_seconds=job.duration_seconds,
            size_bytes=job.size_bytes,
        )
    return RenderOut(
        id=job.id,
        status=job.status,
        progress=job.progress,
        step=job.step,
        type=job.type,
        title=job.title,
        error=job.error,
        script_id=job.script_id,
        parent_job_id=job.parent_job_id,
        options=dict(job.options.get("render", {})),
        created_at=job.created_at,
        finished_at=job.finished_at,
        scene_images=[f"/api/v1/renders/{job.id}/scenes/{n}" for n in scene_images(settings, job.id)],
        result=result,
    )


class MusicTrack(BaseModel):
    id: str
    size: int
    duration: float | None = None
