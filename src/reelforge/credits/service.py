"""Credits service: the ledger, prices, top-up requests and admin adjustments.

Every change of a balance is one conditional UPDATE of `users.credits` (which also takes
the user's row lock, so ledger writes of one user are serialised on every database) and
one append-only `credit_history` row carrying the new balance. Services take a session
and never commit: the caller's unit of work commits the balance, the ledger row and the
thing paid for together, or none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Integer, Table, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from reelforge.accounts.models import User
from reelforge.accounts.service import log_activity
from reelforge.credits.models import ChargeRequest, CreditHistory, Setting, SettingChange, next_seq_expression
from reelforge.db.base import utcnow
from reelforge.errors import Conflict, Forbidden, InvalidInput, NotFound, PaymentRequired, TooManyRequests

log = logging.getLogger(__name__)

LEDGER_TYPES = ("charge", "use", "refund", "adjust")
VIDEO_TYPES = ("longform", "shortform", "sora2", "square")
# users.credits is a 32-bit integer on PostgreSQL; keep every balance far below its limit.
MAX_BALANCE = 1_000_000_000
MAX_DEBIT = 10_000_000
MAX_ADJUST = 100_000_000
MAX_DESCRIPTION = 500
MAX_IDEMPOTENCY_KEY = 128

# Prices live in the `settings` key/value table under these keys.
PRICE_SCRIPT_KEY = "price.script"
PRICE_VIDEO_KEY = "price.video"
DEFAULT_PRICES = {PRICE_SCRIPT_KEY: 100, PRICE_VIDEO_KEY: 150}  # the legacy settings.json values
MAX_PRICE = 1_000_000
# Top-up requests.
TOPUP_MIN_KEY = "topup.min"
TOPUP_MAX_KEY = "topup.max"
TOPUP_MAX_PENDING = 3
DEFAULT_TOPUP_MIN = 100
DEFAULT_TOPUP_MAX = 1_000_000
MAX_NOTE = 1000


def video_price_key(video_type: str) -> str:
    return f"{PRICE_VIDEO_KEY}.{video_type}"


# ---------------------------------------------------------------- validation helpers
def _int_amount(value: Any, *, field: str, minimum: int, maximum: int) -> int:
    """An integer in [minimum, maximum]; bools, floats and strings are refused (money is integers)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number of credits.", field=field, minimum=minimum, maximum=maximum)
    if value < minimum or value > maximum:
        raise InvalidInput(
            f"{field} must be between {minimum} and {maximum}.", field=field, minimum=minimum, maximum=maximum
        )
    return value


def _text(value: str | None, *, field: str, required: bool, maximum: int) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise InvalidInput(f"{field} is required.", field=field)
    if len(cleaned) > maximum:
        raise InvalidInput(f"{field} is too long (at most {maximum} characters).", field=field)
    return cleaned


def _clip(description: str | None) -> str:
    """Descriptions of debits and refunds are written by code (job titles...): clip, never refuse."""
    text = (description or "").strip()
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _user(db: Session, user_id: str) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


# ---------------------------------------------------------------- the ledger primitive
def _move_statement(require_verified: bool) -> Any:
    """Built once (Core, bound parameters): the statement is compiled and cached once."""
    users = User.__table__
    assert isinstance(users, Table)
    delta = bindparam("delta", type_=Integer)
    cond = [users.c.id == bindparam("uid"), users.c.credits + delta >= 0, users.c.credits + delta <= MAX_BALANCE]
    if require_verified:
        cond += [users.c.email_verified.is_(True), users.c.is_active.is_(True)]
    return update(users).where(*cond).values(credits=users.c.credits + delta).returning(users.c.credits)


_MOVE = _move_statement(False)
_MOVE_VERIFIED = _move_statement(True)


def _move(
    db: Session,
    user_id: str,
    delta: int,
    *,
    require_verified: bool = False,
) -> int | None:
    """Add `delta` to the user's balance if the result stays in [0, MAX_BALANCE]; return it.

    One conditional UPDATE ... RETURNING: zero rows means "not allowed" (or no such user),
    and the caller finds out why. The UPDATE also takes the user's row lock (SQLite: the
    database write lock taken by BEGIN IMMEDIATE), serialising every ledger write per user.
    """
    stmt = _MOVE_VERIFIED if require_verified else _MOVE
    new_balance = db.execute(stmt, {"uid": user_id, "delta": delta}).scalar_one_or_none()
    if new_balance is not None:
        # Keep a User object already loaded in this session in step with the database.
        loaded = db.identity_map.get(db.identity_key(User, user_id))
        if loaded is not None:
            set_committed_value(loaded, "credits", int(new_balance))
        return int(new_balance)
    return None


def _append(
    db: Session,
    user_id: str,
    type_: str,
    amount: int,
    balance_after: int,
    description: str,
    **refs: Any,
) -> CreditHistory:
    row = CreditHistory(
        user_id=user_id,
        # The next position in the chain, computed inside the INSERT (no extra round trip
        # while the user's row lock is held); it is loaded back only when someone reads it.
        seq=next_seq_expression(user_id),
        type=type_,
        amount=amount,
        balance_after=balance_after,
        description=description,
        **refs,
    )
    db.add(row)
    db.flush()
    return row


# ---------------------------------------------------------------- contract: prices
def _setting(db: Session, key: str) -> Any:
    row = db.get(Setting, key)
    return None if row is None else row.value


def _valid_price(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PRICE


def get_price(db: Session, item: Literal["script", "video"], video_type: str | None = None) -> int:
    """The current price of a script or a video (a per-type price overrides the video price)."""
    if item == "script":
        key = PRICE_SCRIPT_KEY
    elif item == "video":
        key = PRICE_VIDEO_KEY
        if video_type is not None:
            if video_type not in VIDEO_TYPES:
                raise InvalidInput(f"Unknown video type {video_type!r}.", field="type")
            override = _setting(db, video_price_key(video_type))
            if _valid_price(override):
                return int(override)
    else:
        raise InvalidInput(f"Unknown priced item {item!r}.", field="item")
    value = _setting(db, key)
    return int(value) if _valid_price(value) else DEFAULT_PRICES[key]


@dataclass(frozen=True)
class Prices:
    script: int
    video: int
    video_types: dict[str, int | None]  # None: uses the video price

    def effective(self) -> dict[str, int]:
        return {t: (p if p is not None else self.video) for t, p in self.video_types.items()}


def get_prices(db: Session) -> Prices:
    overrides: dict[str, int | None] = {}
    for t in VIDEO_TYPES:
        v = _setting(db, video_price_key(t))
        overrides[t] = int(v) if _valid_price(v) else None
    return Prices(script=get_price(db, "script"), video=get_price(db, "video"), video_types=overrides)


def _write_setting(db: Session, key: str, value: Any, admin_id: str) -> bool:
    row = db.get(Setting, key, with_for_update=True)
    old = None if row is None else row.value
    if old == value:
        return False
    if value is None:
        if row is not None:
            db.delete(row)
    elif row is None:
        db.add(Setting(key=key, value=value, updated_by=admin_id))
    else:
        row.value = value
        row.updated_by = admin_id
    db.add(SettingChange(key=key, old_value=old, new_value=value, changed_by=admin_id))
    db.flush()
    return True


def set_prices(
    db: Session,
    *,
    admin_id: str,
    script: int | None = None,
    video: int | None = None,
    video_types: dict[str, int | None] | None = None,
) -> Prices:
    """Change prices (only the ones given); each change is logged in `setting_changes`.

    In `video_types` a None value removes the override (the type then costs the video price).
    """
    _require_admin(db, admin_id)
    changes: dict[str, int | None] = {}
    if script is not None:
        changes[PRICE_SCRIPT_KEY] = _int_amount(script, field="script", minimum=0, maximum=MAX_PRICE)
    if video is not None:
        changes[PRICE_VIDEO_KEY] = _int_amount(video, field="video", minimum=0, maximum=MAX_PRICE)
    for t, p in (video_types or {}).items():
        if t not in VIDEO_TYPES:
            raise InvalidInput(f"Unknown video type {t!r}.", field="video_types")
        changes[video_price_key(t)] = (
            None if p is None else _int_amount(p, field=f"video_types.{t}", minimum=0, maximum=MAX_PRICE)
        )
    changed = {key: value for key, value in changes.items() if _write_setting(db, key, value, admin_id)}
    if changed:
        log_activity(db, admin_id, "credits.prices_changed", changed, actor_id=admin_id)
    return get_prices(db)


def price_changes(db: Session, limit: int = 50) -> Sequence[SettingChange]:
    return db.scalars(
        select(SettingChange)
        .where(SettingChange.key.like("price.%"))
        .order_by(SettingChange.created_at.desc(), SettingChange.id.desc())
        .limit(limit)
    ).all()


# ---------------------------------------------------------------- contract: debit / refund
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


def validate_idempotency_key(key: str | None) -> str | None:
    """None for a missing/blank header; a clear 422 for one that is too long or not printable."""
    if key is None or not key.strip():
        return None
    key = key.strip()
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise InvalidInput(
            f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} printable characters.", field="Idempotency-Key"
        )
    return key


def debit(
    db: Session,
    user_id: str,
    amount: int,
    *,
    description: str,
    job_id: str | None = None,
    script_id: str | None = None,
    idempotency_key: str | None = None,
) -> CreditHistory:
    """Take `amount` credits for a job or script (a `use` row with the new balance).

    Raises PaymentRequired (extras `balance`, `price`) when the balance is short, Forbidden
    for an unverified or disabled account, Conflict when `idempotency_key` was used before.
    """
    amount = _int_amount(amount, field="amount", minimum=0, maximum=MAX_DEBIT)
    description = _clip(description)
    idempotency_key = validate_idempotency_key(idempotency_key)

    def _do() -> CreditHistory:
        new_balance = _move(db, user_id, -amount, require_verified=True)
        if new_balance is None:
            user = _user(db, user_id)
            db.refresh(user)
            if not user.email_verified:
                raise Forbidden("Verify your e-mail address before spending credits.", reason="email_unverified")
            if not user.is_active:
                raise Forbidden("This account is disabled.", reason="account_disabled")
            raise PaymentRequired(
                f"Not enough credits: this costs {amount}, your balance is {user.credits}.",
                balance=user.credits,
                price=amount,
            )
        return _append(
            db,
            user_id,
            "use",
            -amount,
            new_balance,
            description,
            job_id=job_id,
            script_id=script_id,
            idempotency_key=idempotency_key,
        )

    if idempotency_key is None:
        return _do()
    existing = find_debit_by_idempotency_key(db, user_id, idempotency_key)
    if existing is not None:
        raise _idempotency_conflict(existing)
    try:
        with db.begin_nested():
            return _do()
    except IntegrityError:
        # A concurrent request with the same key committed first (PostgreSQL: the unique
        # index made us wait for it). The savepoint undid our balance change.
        existing = find_debit_by_idempotency_key(db, user_id, idempotency_key)
        if existing is None:
            raise
        raise _idempotency_conflict(existing) from None


def _idempotency_conflict(existing: CreditHistory) -> Conflict:
    return Conflict(
        "A request with this Idempotency-Key was already processed.",
        field="Idempotency-Key",
        debit_id=existing.id,
        job_id=existing.job_id,
        script_id=existing.script_id,
    )


def refund_of(db: Session, debit_id: str) -> CreditHistory | None:
    return db.scalar(select(CreditHistory).where(CreditHistory.refund_of_id == debit_id))


def refund(db: Session, debit_id: str, *, description: str) -> CreditHistory | None:
    """Give back a debit, at most once (UNIQUE refund_of_id). None if it was refunded already.

    The write runs in a SAVEPOINT: if a concurrent refund of the same debit wins the race,
    the unique constraint fails only the savepoint, so the caller's transaction (marking a
    job failed, say) goes on.
    """
    description = _clip(description)
    original = db.get(CreditHistory, debit_id)
    if original is None:
        raise NotFound("No such ledger entry.")
    if original.type != "use":
        raise InvalidInput("Only a debit (a `use` entry) can be refunded.", field="debit_id")
    if refund_of(db, debit_id) is not None:
        return None
    try:
        with db.begin_nested():
            new_balance = _move(db, original.user_id, -original.amount)
            if new_balance is None:  # only if the balance would pass MAX_BALANCE
                raise Conflict("The refund would exceed the maximum balance.", balance=balance(db, original.user_id))
            return _append(
                db,
                original.user_id,
                "refund",
                -original.amount,
                new_balance,
                description,
                job_id=original.job_id,
                script_id=original.script_id,
                refund_of_id=original.id,
            )
    except IntegrityError:
        if refund_of(db, debit_id) is not None:
            return None
        raise


def balance(db: Session, user_id: str) -> int:
    value = db.scalar(select(User.credits).where(User.id == user_id))
    if value is None:
        raise NotFound("No such user.")
    return int(value)


# ---------------------------------------------------------------- admin adjustments
def _require_admin(db: Session, admin_id: str) -> User:
    admin = db.get(User, admin_id)
    if admin is None or not admin.is_admin or not admin.is_active:
        raise Forbidden("This needs an administrator account.")
    return admin


def grant(db: Session, user_id: str, amount: int, *, reason: str, admin_id: str) -> CreditHistory:
    """An admin adds (amount > 0) or removes (amount < 0) credits, with a mandatory reason.

    Removing more than the balance is refused (409 with the balance): never below zero.
    """
    amount = _int_amount(amount, field="amount", minimum=-MAX_ADJUST, maximum=MAX_ADJUST)
    if amount == 0:
        raise InvalidInput("amount must not be zero.", field="amount")
    reason = _text(reason, field="reason", required=True, maximum=MAX_DESCRIPTION)
    _require_admin(db, admin_id)
    new_balance = _move(db, user_id, amount)
    if new_balance is None:
        current = balance(db, user_id)  # NotFound for an unknown user
        if amount < 0:
            raise Conflict(
                f"Cannot remove {-amount} credits: the balance is {current} and never goes below zero.",
                field="amount",
                balance=current,
            )
        raise Conflict(f"The balance would exceed {MAX_BALANCE}.", field="amount", balance=current)
    log_activity(db, user_id, "credits.adjusted", {"amount": amount, "reason": reason}, actor_id=admin_id)
    return _append(db, user_id, "adjust", amount, new_balance, reason, created_by=admin_id)


adjust = grant


# ---------------------------------------------------------------- top-up requests
def _topup_bounds(db: Session) -> tuple[int, int]:
    lo, hi = _setting(db, TOPUP_MIN_KEY), _setting(db, TOPUP_MAX_KEY)
    lo = int(lo) if _valid_price(lo) and lo >= 1 else DEFAULT_TOPUP_MIN
    hi = int(hi) if isinstance(hi, int) and not isinstance(hi, bool) and lo <= hi <= MAX_ADJUST else DEFAULT_TOPUP_MAX
    return lo, max(lo, hi)


def topup_bounds(db: Session) -> tuple[int, int]:
    return _topup_bounds(db)


def request_topup(
    db: Session, user_id: str, amount: int, *, note: str = "", idempotency_key: str | None = None
) -> ChargeRequest:
    """A user asks for credits (paid by bank transfer); an admin approves or rejects it.

    With an idempotency key, a retried submission returns the request made the first time.
    """
    lo, hi = _topup_bounds(db)
    amount = _int_amount(amount, field="amount", minimum=lo, maximum=hi)
    note = _text(note, field="note", required=False, maximum=MAX_NOTE)
    idempotency_key = validate_idempotency_key(idempotency_key)
    # Lock the user row so "at most N pending" (and the idempotency key) hold under concurrent
    # requests on PostgreSQL too; on SQLite BEGIN IMMEDIATE serialises writers already.
    user = db.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise NotFound("No such user.")
    if idempotency_key is not None:
        earlier = db.scalar(
            select(ChargeRequest).where(
                ChargeRequest.user_id == user_id, ChargeRequest.idempotency_key == idempotency_key
            )
        )
        if earlier is not None:
            if earlier.amount != amount or earlier.note != note:
                raise Conflict(
                    "This Idempotency-Key was used for a different request.",
                    field="Idempotency-Key",
                    request_id=earlier.id,
                )
            return earlier
    if not user.email_verified:
        raise Forbidden("Verify your e-mail address before requesting credits.", reason="email_unverified")
    if not user.is_active:
        raise Forbidden("This account is disabled.", reason="account_disabled")
    pending = db.scalar(
        select(func.count())
        .select_from(ChargeRequest)
        .where(ChargeRequest.user_id == user_id, ChargeRequest.status == "pending")
    )
    if (pending or 0) >= TOPUP_MAX_PENDING:
        raise TooManyRequests(
            f"You already have {pending} pending top-up requests; wait until an admin handles them.",
            pending=pending,
        )
    req = ChargeRequest(user_id=user_id, amount=amount, note=note, status="pending", idempotency_key=idempotency_key)
    db.add(req)
    db.flush()
    log_activity(db, user_id, "credits.topup_requested", {"request_id": req.id, "amount": amount}, actor_id=user_id)
    return req


def get_request(db: Session, request_id: str, *, user_id: str | None = None) -> ChargeRequest:
    """A top-up request; with user_id, someone else's request is NotFound (no existence leak)."""
    req = db.get(ChargeRequest, request_id)
    if req is None or (user_id is not None and req.user_id != user_id):
        raise NotFound("No such top-up request.")
    return req


def _transition(db: Session, request_id: str, user_id: str | None, **values: Any) -> ChargeRequest:
    """pending -> approved/rejected as one conditional UPDATE: the second of two racing
    transitions updates zero rows (PostgreSQL re-checks the status after the first commits)."""
    get_request(db, request_id, user_id=user_id)
    now = utcnow()
    values.setdefault("processed_at", now)
    done = db.execute(
        update(ChargeRequest)
        .where(ChargeRequest.id == request_id, ChargeRequest.status == "pending")
        .values(**values)
        .returning(ChargeRequest.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    req = get_request(db, request_id, user_id=user_id)
    db.refresh(req)
    if done is None:
        raise Conflict(f"This request is already {req.status}.", request_status=req.status)
    return req


def cancel_topup(db: Session, user_id: str, request_id: str) -> ChargeRequest:
    """The user withdraws a pending request (recorded as rejected by the user)."""
    now = utcnow()
    return _transition(
        db, request_id, user_id, status="rejected", rejected_at=now, rejected_by=user_id, memo="Withdrawn by the user."
    )


def approve_topup(db: Session, request_id: str, *, admin_id: str, memo: str = "") -> CreditHistory:
    """pending -> approved and the credits added (a `charge` row), atomically, at most once."""
    memo = _text(memo, field="memo", required=False, maximum=MAX_NOTE)
    _require_admin(db, admin_id)
    now = utcnow()
    req = _transition(db, request_id, None, status="approved", approved_at=now, approved_by=admin_id, memo=memo)
    new_balance = _move(db, req.user_id, req.amount)
    if new_balance is None:
        raise Conflict(f"The balance would exceed {MAX_BALANCE}.", balance=balance(db, req.user_id))
    log_activity(
        db, req.user_id, "credits.topup_approved", {"request_id": req.id, "amount": req.amount}, actor_id=admin_id
    )
    return _append(
        db,
        req.user_id,
        "charge",
        req.amount,
        new_balance,
        f"Top-up request approved ({req.amount} credits)",
        charge_request_id=req.id,
        created_by=admin_id,
    )


def reject_topup(db: Session, request_id: str, *, admin_id: str, memo: str = "") -> ChargeRequest:
    """pending -> rejected with the admin's memo (shown to the user)."""
    memo = _text(memo, field="memo", required=False, maximum=MAX_NOTE)
    _require_admin(db, admin_id)
    now = utcnow()
    req = _transition(db, request_id, None, status="rejected", rejected_at=now, rejected_by=admin_id, memo=memo)
    log_activity(
        db, req.user_id, "credits.topup_rejected", {"request_id": req.id, "amount": req.amount}, actor_id=admin_id
    )
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
        if status not in ("pending", "approved", "rejected"):
            raise InvalidInput("status must be pending, approved or rejected.", field="status")
        q = q.where(ChargeRequest.status == status)
    pending_first = (ChargeRequest.status != "pending").label("handled")
    q = q.order_by(pending_first, ChargeRequest.created_at.asc()).limit(max(1, min(limit, 500)))
    rows = list(db.scalars(q).all())
    # Pending: oldest first; handled: newest first.
    pending = [r for r in rows if r.status == "pending"]
    handled = sorted((r for r in rows if r.status != "pending"), key=lambda r: r.created_at, reverse=True)
    return pending + handled


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


def _filtered(q: Any, f: HistoryFilter) -> Any:
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
    q = select(CreditHistory)
    if user_id is not None:
        q = q.where(CreditHistory.user_id == user_id)
    q = _filtered(q, f.validate())
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


def iter_history(db: Session, user_id: str | None, f: HistoryFilter, batch: int = 500) -> Any:
    """Every matching row, oldest first, in batches (for CSV export)."""
    f = f.validate()
    after: tuple[datetime, str] | None = None
    while True:
        q = select(CreditHistory)
        if user_id is not None:
            q = q.where(CreditHistory.user_id == user_id)
        q = _filtered(q, f)
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
