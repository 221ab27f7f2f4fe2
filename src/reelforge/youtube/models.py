"""Tables of the youtube domain: connected channels (tokens encrypted) and the upload history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.db.base import Base, CreatedAt, Timestamps, UUIDPk
from reelforge.db.types import UTCDateTime


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


class YoutubeUpload(UUIDPk, CreatedAt, Base):
    """Seed youtube_uploads: one row per upload."""

    __tablename__ = "youtube_uploads"
    __table_args__ = (
        Index("idx_youtube_uploads_user_id", "user_id"),
        Index("idx_youtube_uploads_video_id", "video_id"),
        Index("idx_youtube_uploads_published_at", "published_at"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    channel_ref_id: Mapped[str | None] = mapped_column(
        ForeignKey("youtube_channels.id", ondelete="SET NULL"), index=True
    )
    video_id: Mapped[str | None] = mapped_column(String(64))
    video_url: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    thumbnail_url: Mapped[str | None] = mapped_column(String(500))
    channel_id: Mapped[str | None] = mapped_column(String(64))
    channel_title: Mapped[str | None] = mapped_column(String(300))
    privacy_status: Mapped[str] = mapped_column(String(16), nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # scheduled publish time
