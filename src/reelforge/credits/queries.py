"""Reads of the credits domain: balances, the ledger (history, CSV export, usage chart), top-up
requests, price changes and the users shown next to them.

Reads scoped to one user take `user_id`; someone else's top-up request is NotFound, so its
existence does not leak. None of these write.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from reelforge.accounts.models import User
from reelforge.credits.models import ChargeRequest, CreditHistory, Setting, SettingChange
from reelforge.errors import InvalidInput, NotFound

# The values of credit_history.type and charge_requests.status (the models' CHECK constraints).
LEDGER_TYPES = ("charge", "use", "refund", "adjust")
REQUEST_STATUSES = ("pending", "approved", "rejected")


# ---------------------------------------------------------------- users and settings
def get_user(db: Session, user_id: str) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def users_by_id(db: Session, ids: Collection[str]) -> dict[str, User]:
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(set(ids))))} if ids else {}


def emails_by_id(db: Session, ids: Collection[str] | None = None) -> dict[str, str]:
    """E-mail addresses of the given users (None: of every user, for the admin CSV export)."""
    q = select(User.id, User.email)
    if ids is not None:
        q = q.where(User.id.in_(set(ids)))
    return {uid: email for uid, email in db.execute(q)}


def admin_emails(db: Session) -> dict[str, str]:
    """Who may have changed a price: the administrators' e-mail addresses by id."""
    return {u.id: u.email for u in db.scalars(select(User).where(User.is_admin.is_(True)))}


def search_users(db: Session, text: str, *, limit: int = 20) -> list[User]:
    """Users whose e-mail or name contains `text` (case-insensitive); none for blank text."""
    if not text.strip():
        return []
    like = f"%{text.strip().lower()}%"
    q = select(User).where(or_(func.lower(User.email).like(like), func.lower(User.name).like(like))).limit(limit)
    return list(db.scalars(q))


def setting_value(db: Session, key: str) -> Any:
    """The JSON value stored under `key` in `settings`, None when unset."""
    row = db.get(Setting, key)
    return None if row is None else row.value


# ---------------------------------------------------------------- balances and the ledger
def balance(db: Session, user_id: str) -> int:
    value = db.scalar(select(User.credits).where(User.id == user_id))
    if value is None:
        raise NotFound("No such user.")
    return int(value)


def credits_outstanding(db: Session) -> int:
    """Every user's balance added up: credits granted and not spent yet."""
    return int(db.scalar(select(func.coalesce(func.sum(User.credits), 0))) or 0)


def find_debit_by_idempotency_key(db: Session, user_id: str, key: str) -> CreditHistory | None:
    """The debit made earlier with this Idempotency-Key by this user, if any."""
    key = (key or "").strip()
    if not key:
        return None
    return db.scalar(
        select(CreditHistory).where(
            CreditHistory.user_id == user_id,
            CreditHistory.idempotency_key == key,
            CreditHistory.type == "use",
        )
    )


def refund_of(db: Session, debit_id: str) -> CreditHistory | None:
    return db.scalar(select(CreditHistory).where(CreditHistory.refund_of_id == debit_id))


# ---------------------------------------------------------------- top-up requests
def topup_by_idempotency_key(db: Session, user_id: str, key: str) -> ChargeRequest | None:
    """The top-up request this user sent earlier with this Idempotency-Key, if any."""
    return db.scalar(
        select(ChargeRequest).where(ChargeRequest.user_id == user_id, ChargeRequest.idempotency_key == key)
    )


def pending_topup_count(db: Session, user_id: str | None = None) -> int:
    """Pending top-up requests of one user (None: of everyone, the admins' queue length)."""
    q = select(func.count()).select_from(ChargeRequest).where(ChargeRequest.status == "pending")
    if user_id is not None:
        q = q.where(ChargeRequest.user_id == user_id)
    return int(db.scalar(q) or 0)


def get_request(db: Session, request_id: str, *, user_id: str | None = None) -> ChargeRequest:
    """A top-up request; with user_id, someone else's request is NotFound (no existence leak)."""
    req = db.get(ChargeRequest, request_id)
    if req is None or (user_id is not None and req.user_id != user_id):
        raise NotFound("No such top-up request.")
    return req


def list_requests(
    db: Session,
    *,
    user_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> Sequence[ChargeRequest]:
    """Top-up requests, pending first (oldest pending first: a queue), then the newest handled."""
    q = select(ChargeRequest)
    if user_id is not None:
        q = q.where(ChargeRequest.user_id == user_id)
    if status is not None:
        if status not in REQUEST_STATUSES:
            raise InvalidInput("status must be pending, approved or rejected.", field="status")
        q = q.where(ChargeRequest.status == status)
    pending_first = (ChargeRequest.status != "pending").label("handled")
    q = q.order_by(pending_first, ChargeRequest.created_at.asc()).limit(max(1, min(limit, 500)))
    rows = list(db.scalars(q).all())
    # Pending: oldest first; handled: newest first.
    pending = [r for r in rows if r.status == "pending"]
    handled = sorted((r for r in rows if r.status != "pending"), key=lambda r: r.created_at, reverse=True)
    return pending + handled


def admin_summary(db: Session) -> dict[str, int]:
    """Totals for the admin dashboard."""
    return {
        "pending_topups": pending_topup_count(db),
        "credits_outstanding": credits_outstanding(db),
        "ledger_rows": int(db.scalar(select(func.count()).select_from(CreditHistory)) or 0),
    }


# ---------------------------------------------------------------- prices
def price_changes(db: Session, limit: int = 50) -> Sequence[SettingChange]:
    return db.scalars(
        select(SettingChange)
        .where(SettingChange.key.like("price.%"))
        .order_by(SettingChange.created_at.desc(), SettingChange.id.desc())
        .limit(limit)
    ).all()


# ---------------------------------------------------------------- history, export, chart
@dataclass(frozen=True)
class HistoryFilter:
    types: tuple[str, ...] = ()
    since: date | None = None  # inclusive (UTC day)
    until: date | None = None  # inclusive (UTC day)

    def validate(self) -> HistoryFilter:
        for t in self.types:
            if t not in LEDGER_TYPES:
                raise InvalidInput(f"Unknown entry type {t!r}.", field="type")
        if self.since and self.until and self.since > self.until:
            raise InvalidInput("The start date is after the end date.", field="since")
        return self


def _day_start(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _history(user_id: str | None, f: HistoryFilter) -> Select[CreditHistory]:
    """Ledger rows of one user (None: of everyone) that pass the filter."""
    q = select(CreditHistory)
    if user_id is not None:
        q = q.where(CreditHistory.user_id == user_id)
    if f.types:
        q = q.where(CreditHistory.type.in_(f.types))
    if f.since:
        q = q.where(CreditHistory.created_at >= _day_start(f.since))
    if f.until:
        q = q.where(CreditHistory.created_at < _day_start(f.until) + timedelta(days=1))
    return q


def history_page(
    db: Session,
    user_id: str | None,
    f: HistoryFilter,
    *,
    limit: int = 50,
    before: tuple[datetime, str] | None = None,
) -> tuple[list[CreditHistory], tuple[datetime, str] | None]:
    """Newest first; keyset pagination on (created_at, id). Returns rows and the next cursor."""
    limit = max(1, min(limit, 200))
    q = _history(user_id, f.validate())
    if before is not None:
        ts, rid = before
        q = q.where((CreditHistory.created_at < ts) | ((CreditHistory.created_at == ts) & (CreditHistory.id < rid)))
    q = q.order_by(CreditHistory.created_at.desc(), CreditHistory.id.desc()).limit(limit + 1)
    rows = list(db.scalars(q).all())
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = (rows[-1].created_at, rows[-1].id)
    return rows, nxt


def iter_history(db: Session, user_id: str | None, f: HistoryFilter, batch: int = 500) -> Iterator[CreditHistory]:
    """Every matching row, oldest first, in batches (for CSV export)."""
    f = f.validate()
    after: tuple[datetime, str] | None = None
    while True:
        q = _history(user_id, f)
        if after is not None:
            ts, rid = after
            q = q.where((CreditHistory.created_at > ts) | ((CreditHistory.created_at == ts) & (CreditHistory.id > rid)))
        rows = list(db.scalars(q.order_by(CreditHistory.created_at, CreditHistory.id).limit(batch)).all())
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].created_at, rows[-1].id)


def usage_series(
    db: Session,
    user_id: str | None,
    *,
    bucket: Literal["day", "week"] = "day",
    since: date,
    until: date,
) -> list[dict[str, Any]]:
    """Credits used (debits minus refunds) and added per day or ISO week, zero-filled.

    Grouped in Python over the (indexed) range so SQLite and PostgreSQL agree exactly.
    """
    if since > until:
        raise InvalidInput("The start date is after the end date.", field="since")
    if (until - since).days > 800:
        raise InvalidInput("The range is too long (at most 800 days).", field="since")
    q = select(CreditHistory.created_at, CreditHistory.type, CreditHistory.amount).where(
        CreditHistory.created_at >= _day_start(since),
        CreditHistory.created_at < _day_start(until) + timedelta(days=1),
    )
    if user_id is not None:
        q = q.where(CreditHistory.user_id == user_id)

    def key(d: date) -> date:
        return d - timedelta(days=d.weekday()) if bucket == "week" else d

    buckets: dict[date, dict[str, int]] = {}
    d = key(since)
    step = timedelta(days=7 if bucket == "week" else 1)
    while d <= until:
        buckets[d] = {"used": 0, "refunded": 0, "added": 0}
        d += step
    for created_at, type_, amount in db.execute(q):
        b = buckets.setdefault(key(created_at.astimezone(UTC).date()), {"used": 0, "refunded": 0, "added": 0})
        if type_ == "use":
            b["used"] += -amount
        elif type_ == "refund":
            b["refunded"] += amount
        elif amount > 0:  # charges and positive adjustments; admin removals are not usage
            b["added"] += amount
    return [
        {"start": k.isoformat(), "used": v["used"] - v["refunded"], "refunded": v["refunded"], "added": v["added"]}
        for k, v in sorted(buckets.items())
    ]
