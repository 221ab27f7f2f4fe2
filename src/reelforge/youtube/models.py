"""Tables of the youtube domain: connected channels (tokens encrypted), pending OAuth flows,
the upload history and the per-day upload counter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.db.base import Base, CreatedAt, Timestamps, UUIDPk
from reelforge.db.types import UTCDateTime

UPLOAD_STATUSES = ("pending", "uploading", "completed", "failed", "cancelled")
PRIVACY_STATUSES = ("public", "unlisted", "private")


class YoutubeChannel(UUIDPk, Timestamps, Base):
    """Seed youtube_channels.json; the OAuth token lives here encrypted, not in loose files."""

    __tablename__ = "youtube_channels"
    __table_args__ = (
        UniqueConstraint("user_id", "channel_id"),
        Index("idx_youtube_channels_user_id", "user_id"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    channel_id: Mapped[str] = mapped_column(String(64), nullable=False)
    channel_title: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    thumbnail_url: Mapped[str | None] = mapped_column(String(500))
    subscriber_count: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    token_encrypted: Mapped[str | None] = mapped_column(Text)  # Fernet token of the OAuth credentials JSON
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scopes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    needs_reconnect: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)


class YoutubeOAuthState(UUIDPk, CreatedAt, Base):
    """A pending "Connect YouTube" flow: the `state` we sent (hashed) and its PKCE verifier (encrypted)."""

    __tablename__ = "youtube_oauth_states"
    __table_args__ = (Index("idx_youtube_oauth_states_user_id", "user_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    code_verifier_encrypted: Mapped[str | None] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(String(500), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class YoutubeUpload(UUIDPk, Timestamps, Base):
    """Seed youtube_uploads: one row per upload (and per upload job)."""

    __tablename__ = "youtube_uploads"
    __table_args__ = (
        UniqueConstraint("job_id"),
        CheckConstraint("privacy_status IN ('public','unlisted','private')", name="privacy_valid"),
        CheckConstraint("status IN ('pending','uploading','completed','failed','cancelled')", name="status_valid"),
        Index("idx_youtube_uploads_user_id", "user_id"),
        Index("idx_youtube_uploads_video_id", "video_id"),
        Index("idx_youtube_uploads_published_at", "published_at"),
        Index("idx_youtube_uploads_user_id_created_at", "user_id", "created_at"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # The upload job itself (jobs.kind == "upload").
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    # The finished render the video file comes from.
    source_job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    channel_ref_id: Mapped[str | None] = mapped_column(
        ForeignKey("youtube_channels.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    video_id: Mapped[str | None] = mapped_column(String(64))
    video_url: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    category_id: Mapped[str] = mapped_column(String(8), default="22", nullable=False)
    default_language: Mapped[str | None] = mapped_column(String(16))
    thumbnail_url: Mapped[str | None] = mapped_column(String(500))
    channel_id: Mapped[str | None] = mapped_column(String(64))
    channel_title: Mapped[str | None] = mapped_column(String(300))
    privacy_status: Mapped[str] = mapped_column(String(16), nullable=False)
    made_for_kids: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    contains_synthetic_media: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    notify_subscribers: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # scheduled publish time
    # Resumable-upload bookkeeping, so a retried or reclaimed job resumes instead of starting over.
    upload_session_encrypted: Mapped[str | None] = mapped_column(Text)
    bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    thumbnail_done: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    caption_id: Mapped[str | None] = mapped_column(String(128))
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    quota_day: Mapped[str | None] = mapped_column(String(10))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)


class YoutubeQuotaDay(Base):
    """Uploads counted against the project's daily YouTube quota (one row per quota day)."""

    __tablename__ = "youtube_quota_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD in the quota time zone
    uploads: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    units: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
