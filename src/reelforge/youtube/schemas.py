"""API shapes of the youtube domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from reelforge.web.params import CleanInput


class ChannelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    channel_id: str
    channel_title: str
    thumbnail_url: str | None
    subscriber_count: int | None
    description: str
    is_default: bool
    needs_reconnect: bool
    last_error: str | None
    token_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AdminChannelOut(ChannelOut):
    user_id: str


class ConnectOut(BaseModel):
    authorization_url: str


class DisconnectOut(BaseModel):
    disconnected: bool
    revoked_at_google: bool


class UploadIn(CleanInput):
    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(description="A completed render job")
    channel_id: str | None = Field(default=None, description="reelforge channel id (default: your default channel)")
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=60)
    category_id: str = "22"
    privacy_status: str = Field(description="public, unlisted or private - always explicit")
    publish_at: datetime | None = Field(default=None, description="scheduled publish time (needs private)")
    made_for_kids: bool = False
    contains_synthetic_media: bool = Field(default=True, description="AI/synthetic media disclosure")
    notify_subscribers: bool = True
    language: str | None = Field(default=None, max_length=16)


class UploadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    job_id: str | None
    source_job_id: str | None
    channel_ref_id: str | None
    status: str
    video_id: str | None
    video_url: str | None
    title: str
    description: str
    tags: list[str]
    category_id: str
    thumbnail_url: str | None
    channel_id: str | None
    channel_title: str | None
    privacy_status: str
    made_for_kids: bool
    contains_synthetic_media: bool
    notify_subscribers: bool
    published_at: datetime | None
    publish_at: datetime | None
    bytes_sent: int
    size_bytes: int | None
    warnings: list[str]
    error: str | None
    created_at: datetime
    updated_at: datetime


class AdminUploadOut(UploadOut):
    user_id: str


class UploadCreated(BaseModel):
    upload: UploadOut
    job_id: str


class PrefillOut(BaseModel):
    title: str
    description: str
    tags: list[str]
    language: str | None


class QuotaOut(BaseModel):
    day: str
    used: int
    cap: int
    remaining: int
    queued: int
    resets_at: datetime
    timezone: str


class CategoryOut(BaseModel):
    id: str
    name: str
