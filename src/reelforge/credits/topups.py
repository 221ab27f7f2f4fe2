"""Top-up requests: a user asks for credits (paid by bank transfer), an admin approves or
rejects, or the user withdraws the request while it is pending.

A request leaves `pending` once, by one conditional UPDATE, so two admins racing to decide
it (or an admin and the withdrawing user) cannot both win. The e-mail telling the user is
the business of `credits.flows`; these take a session and never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reelforge.accounts.models import User
from reelforge.accounts.service import log_activity
from reelforge.credits.ledger import (
    MAX_ADJUST,
    clean_text,
    credit_topup,
    require_admin,
    validate_idempotency_key,
    whole_credits,
)
from reelforge.credits.models import ChargeRequest, CreditHistory
from reelforge.credits.prices import is_valid_price
from reelforge.credits.queries import get_request, pending_topup_count, setting_value, topup_by_idempotency_key
from reelforge.db.base import utcnow
from reelforge.errors import Conflict, Forbidden, NotFound, TooManyRequests

TOPUP_MIN_KEY = "topup.min"
TOPUP_MAX_KEY = "topup.max"
TOPUP_MAX_PENDING = 3
DEFAULT_TOPUP_MIN = 100
DEFAULT_TOPUP_MAX = 1_000_000
MAX_NOTE = 1000


def topup_bounds(db: Session) -> tuple[int, int]:
    """The smallest and largest amount one request may ask for (settings, else the defaults)."""
    lo, hi = setting_value(db, TOPUP_MIN_KEY), setting_value(db, TOPUP_MAX_KEY)
    lo = int(lo) if is_valid_price(lo) and lo >= 1 else DEFAULT_TOPUP_MIN
    hi = int(hi) if isinstance(hi, int) and not isinstance(hi, bool) and lo <= hi <= MAX_ADJUST else DEFAULT_TOPUP_MAX
    return lo, max(lo, hi)


def request_topup(
    db: Session, user_id: str, amount: int, *, note: str = "", idempotency_key: str | None = None
) -> ChargeRequest:
    """A user asks for credits (paid by bank transfer); an admin approves or rejects it.

    With an idempotency key, a retried submission returns the request made the first time.
    """
    lo, hi = topup_bounds(db)
    amount = whole_credits(amount, field="amount", minimum=lo, maximum=hi)
    note = clean_text(note, field="note", required=False, maximum=MAX_NOTE)
    idempotency_key = validate_idempotency_key(idempotency_key)
    # Lock the user row so "at most N pending" (and the idempotency key) hold under concurrent
    # requests on PostgreSQL too; on SQLite BEGIN IMMEDIATE serialises writers already.
    user = db.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise NotFound("No such user.")
    if idempotency_key is not None:
        earlier = topup_by_idempotency_key(db, user_id, idempotency_key)
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
    pending = pending_topup_count(db, user_id)
    if pending >= TOPUP_MAX_PENDING:
        raise TooManyRequests(
            f"You already have {pending} pending top-up requests; wait until an admin handles them.",
            pending=pending,
        )
    req = ChargeRequest(user_id=user_id, amount=amount, note=note, status="pending", idempotency_key=idempotency_key)
    db.add(req)
    db.flush()
    log_activity(db, user_id, "credits.topup_requested", {"request_id": req.id, "amount": amount}, actor_id=user_id)
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
    memo = clean_text(memo, field="memo", required=False, maximum=MAX_NOTE)
    require_admin(db, admin_id)
    now = utcnow()
    req = _transition(db, request_id, None, status="approved", approved_at=now, approved_by=admin_id, memo=memo)
    entry = credit_topup(db, req.user_id, req.amount, charge_request_id=req.id, admin_id=admin_id)
    log_activity(
        db, req.user_id, "credits.topup_approved", {"request_id": req.id, "amount": req.amount}, actor_id=admin_id
    )
    return entry


def reject_topup(db: Session, request_id: str, *, admin_id: str, memo: str = "") -> ChargeRequest:
    """pending -> rejected with the admin's memo (shown to the user)."""
    memo = clean_text(memo, field="memo", required=False, maximum=MAX_NOTE)
    require_admin(db, admin_id)
    now = utcnow()
    req = _transition(db, request_id, None, status="rejected", rejected_at=now, rejected_by=admin_id, memo=memo)
    log_activity(
        db, req.user_id, "credits.topup_rejected", {"request_id": req.id, "amount": req.amount}, actor_id=admin_id
    )
    return req
