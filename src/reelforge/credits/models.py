"""Tables of the credits domain: the ledger, top-up requests, settings (prices)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.db.base import Base, CreatedAt, Timestamps, UUIDPk
from reelforge.db.types import UTCDateTime


class CreditHistory(UUIDPk, CreatedAt, Base):
    """Seed credit_history: the append-only ledger. users.credits caches its sum."""

    __tablename__ = "credit_history"
    __table_args__ = (
        CheckConstraint("type IN ('charge','use','refund','adjust')", name="type_valid"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        # A refund points at the debit it reverses; the unique constraint makes a second one impossible.
        UniqueConstraint("refund_of_id"),
        UniqueConstraint("user_id", "idempotency_key"),
        Index("idx_credit_history_user_id", "user_id"),
        Index("idx_credit_history_created_at", "created_at"),
        Index("idx_credit_history_user_id_created_at", "user_id", "created_at"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    balance_after: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    script_id: Mapped[str | None] = mapped_column(ForeignKey("scripts.id", ondelete="SET NULL"), index=True)
    charge_request_id: Mapped[str | None] = mapped_column(
        ForeignKey("charge_requests.id", ondelete="SET NULL"), index=True
    )
    refund_of_id: Mapped[str | None] = mapped_column(ForeignKey("credit_history.id", ondelete="RESTRICT"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ChargeRequest(UUIDPk, CreatedAt, Base):
    """Seed charge_requests: a top-up request an admin approves or rejects."""

    __tablename__ = "charge_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending','approved','rejected')", name="status_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("idx_charge_requests_user_id", "user_id"),
        Index("idx_charge_requests_status", "status"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    memo: Mapped[str] = mapped_column(Text, default="", nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejected_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Setting(Timestamps, Base):
    """Seed settings (settings.json): one row per key, JSON value (prices and other knobs)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=False)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SettingChange(CreatedAt, Base):
    """Who changed which setting (a price, say) from what to what."""

    __tablename__ = "setting_changes"
    __table_args__ = (Index("idx_setting_changes_key_created_at", "key", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100), nullable=False)
    old_value: Mapped[Any] = mapped_column(JSON)
    new_value: Mapped[Any] = mapped_column(JSON)
    changed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
