"""Tables of the credits domain: the ledger, top-up requests, settings (prices)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from reelforge.accounts.models import User
from reelforge.db.base import Base, CreatedAt, Timestamps, UUIDPk
from reelforge.db.types import UTCDateTime

_SEQ: Any = None


def _seq_statement() -> Any:
    """SELECT coalesce(max(seq), 0) for one user, built once (it runs on every ledger insert)."""
    global _SEQ
    if _SEQ is None:
        table = CreditHistory.__table__
        _SEQ = select(func.coalesce(func.max(table.c.seq), 0)).where(table.c.user_id == bindparam("uid"))
    return _SEQ


def next_seq_expression(user_id: str) -> Any:
    """`(SELECT coalesce(max(seq), 0) + 1 ...)` for use as the value of `seq` in an INSERT."""
    table = CreditHistory.__table__
    return (
        select(func.coalesce(func.max(table.c.seq), 0) + 1)
        .where(table.c.user_id == literal(user_id, String(36)))
        .scalar_subquery()
    )


def _next_seq(context: DefaultExecutionContext) -> int:
    """The next position in the user's ledger chain (1, 2, 3, ...).

    Every ledger write first locks the user's row (the conditional UPDATE of
    users.credits), so max(seq)+1 cannot race; UNIQUE(user_id, seq) is the backstop that
    makes a lost update an error instead of a silently forked chain.
    """
    user_id = context.get_current_parameters()["user_id"]  # type: ignore[no-untyped-call]
    current = context.connection.execute(_seq_statement(), {"uid": user_id}).scalar_one()
    return int(current) + 1


class CreditHistory(UUIDPk, CreatedAt, Base):
    """Seed credit_history: the append-only ledger. users.credits caches its sum.

    `seq` numbers a user's rows 1, 2, 3, ... in the order they were written (under the
    user's row lock), so `balance_after` chains along `seq` without relying on clocks.
    """

    __tablename__ = "credit_history"
    __table_args__ = (
        CheckConstraint("type IN ('charge','use','refund','adjust')", name="type_valid"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        CheckConstraint(
            "(type = 'charge' AND amount > 0) OR (type = 'use' AND amount <= 0)"
            " OR (type = 'refund' AND amount >= 0) OR (type = 'adjust' AND amount <> 0)",
            name="amount_sign",
        ),
        CheckConstraint("(type = 'refund') = (refund_of_id IS NOT NULL)", name="refund_has_debit"),
        UniqueConstraint("user_id", "seq"),
        # One charge row per approved top-up request (approving twice is impossible twice over).
        UniqueConstraint("charge_request_id"),
        # A refund points at the debit it reverses; the unique constraint makes a second one impossible.
        UniqueConstraint("refund_of_id"),
        UniqueConstraint("user_id", "idempotency_key"),
        Index("idx_credit_history_user_id", "user_id"),
        Index("idx_credit_history_created_at", "created_at"),
        Index("idx_credit_history_user_id_created_at", "user_id", "created_at"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, default=_next_seq, nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    balance_after: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    script_id: Mapped[str | None] = mapped_column(ForeignKey("scripts.id", ondelete="SET NULL"), index=True)
    charge_request_id: Mapped[str | None] = mapped_column(ForeignKey("charge_requests.id", ondelete="SET NULL"))
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
        # A retried POST with the same Idempotency-Key returns the first request.
        UniqueConstraint("user_id", "idempotency_key"),
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
    idempotency_key: Mapped[str | None] = mapped_column(String(128))


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


class LedgerBypass(RuntimeError):
    """Code tried to change users.credits through the ORM instead of the credits service."""


@event.listens_for(Session, "before_flush")
def _credits_change_only_through_the_ledger(session: Session, _ctx: UOWTransaction, _instances: object) -> None:
    """Refuse a flush that changes a loaded user's `credits` attribute.

    The credits service changes balances with conditional UPDATE statements (which do not
    pass through here) and writes a ledger row each time. An ORM write of `credits` - a
    stale detached User merged back, or `user.credits = n` - would silently fork the
    balance from its ledger, so it fails loudly instead. New users are inserted, not
    flushed as dirty, and are unaffected.
    """
    for obj in session.dirty:
        if isinstance(obj, User):
            hist = inspect(obj).attrs.credits.history
            if hist.added and hist.deleted and hist.added[0] != hist.deleted[0]:
                raise LedgerBypass(
                    f"users.credits of {obj.id} changed from {hist.deleted[0]} to {hist.added[0]} outside the "
                    "ledger; use reelforge.credits.service (grant/debit/refund) instead"
                )
