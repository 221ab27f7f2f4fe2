"""Tables of the accounts domain: users, sessions, session history, activity, API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.db.base import Base, CreatedAt, Timestamps, UUIDPk, utcnow
from reelforge.db.types import UTCDateTime


class User(UUIDPk, Timestamps, Base):
    """Seed `users` (SQLite table and users.json merged into one row)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("credits >= 0", name="credits_non_negative"),
        Index("idx_users_verification_token", "verification_token"),
        Index("idx_users_created_at_id", "created_at", "id"),  # admin list: keyset pagination
    )

    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)  # normalised lower-case
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    phone: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    address: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    kakao_id: Mapped[str | None] = mapped_column(String(100))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    credits: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # SHA-256 of the current verification token (the token itself is only in the e-mail).
    verification_token: Mapped[str | None] = mapped_column(String(64))
    verification_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    admin_memo: Mapped[str] = mapped_column(Text, default="", nullable=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Session(UUIDPk, CreatedAt, Base):
    """Seed `sessions`: a live server-side login. The cookie holds a token; we keep its hash."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("idx_sessions_user_id", "user_id"),
        Index("idx_sessions_expires_at", "expires_at"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    history_id: Mapped[str | None] = mapped_column(ForeignKey("user_sessions.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))


class UserSession(UUIDPk, Base):
    """Seed user_sessions.json: the history of logins, kept after logout."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("idx_user_sessions_user_id_login_at", "user_id", "login_at"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    login_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    logout_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class UserActivityLog(CreatedAt, Base):
    """Seed user_activity_logs: login, logout, generate_video, admin actions, ..."""

    __tablename__ = "user_activity_logs"
    __table_args__ = (
        Index("idx_user_activity_logs_user_id", "user_id"),
        Index("idx_user_activity_logs_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    details: Mapped[str] = mapped_column(Text, default="", nullable=False)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))


class ApiToken(UUIDPk, CreatedAt, Base):
    """A personal API token (shown once; only its hash is kept)."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("idx_api_tokens_user_id", "user_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordReset(UUIDPk, CreatedAt, Base):
    """A single-use password reset token (hashed), sent by e-mail."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("idx_password_resets_user_id", "user_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttempt(Base):
    """A failed login, counted per account+IP for the rate limit (shared by every server process)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("idx_login_attempts_email_ip_at", "email", "ip_address", "attempted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False)  # as typed, normalised
    ip_address: Mapped[str] = mapped_column(String(64), nullable=False)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
