"""The ledger: debits, refunds, top-up credits and admin adjustments, and the rules on amounts.

Every change of a balance is one conditional UPDATE of `users.credits` (which also takes
the user's row lock, so ledger writes of one user are serialised on every database) and
one append-only `credit_history` row carrying the new balance. These take a session and
never commit: the caller's unit of work commits the balance, the ledger row and the thing
paid for together, or none of them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Table, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from reelforge import metrics
from reelforge.accounts.models import User
from reelforge.accounts.service import log_activity
from reelforge.credits import messages
from reelforge.credits.models import CreditHistory, next_seq_expression
from reelforge.credits.queries import balance, find_debit_by_idempotency_key, get_user, refund_of
from reelforge.db.outbox import after_commit
from reelforge.errors import Conflict, Forbidden, InvalidInput, NotFound, PaymentRequired
from reelforge.i18n import stored

# users.credits is a 32-bit integer on PostgreSQL; keep every balance far below its limit.
MAX_BALANCE = 1_000_000_000
MAX_DEBIT = 10_000_000
MAX_ADJUST = 100_000_000
MAX_DESCRIPTION = 500
MAX_IDEMPOTENCY_KEY = 128


# ---------------------------------------------------------------- rules on input
def whole_credits(value: Any, *, field: str, minimum: int, maximum: int) -> int:
    """An integer in [minimum, maximum]; bools, floats and strings are refused (money is integers)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number of credits.", field=field, minimum=minimum, maximum=maximum)
    if value < minimum or value > maximum:
        raise InvalidInput(
            f"{field} must be between {minimum} and {maximum}.", field=field, minimum=minimum, maximum=maximum
        )
    return value


def clean_text(value: str | None, *, field: str, required: bool, maximum: int) -> str:
    """Text typed by a person (a reason, a note, a memo): stripped, refused when too long."""
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


def require_admin(db: Session, admin_id: str) -> User:
    admin = db.get(User, admin_id)
    if admin is None or not admin.is_admin or not admin.is_active:
        raise Forbidden("This needs an administrator account.")
    return admin


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


# ---------------------------------------------------------------- debit / refund
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
    amount = whole_credits(amount, field="amount", minimum=0, maximum=MAX_DEBIT)
    description = _clip(description)
    idempotency_key = validate_idempotency_key(idempotency_key)

    def _do() -> CreditHistory:
        new_balance = _move(db, user_id, -amount, require_verified=True)
        if new_balance is None:
            user = get_user(db, user_id)
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
        entry = _append(
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
        after_commit(db, lambda: metrics.ledger_debit(amount))  # counted only once it is committed
        return entry

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
            entry = _append(
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
            after_commit(db, lambda: metrics.ledger_refund(entry.amount))
            return entry
    except IntegrityError:
        if refund_of(db, debit_id) is not None:
            return None
        raise


# ---------------------------------------------------------------- credits added
def credit_topup(db: Session, user_id: str, amount: int, *, charge_request_id: str, admin_id: str) -> CreditHistory:
    """Add an approved top-up's credits (a `charge` row); Conflict past MAX_BALANCE."""
    new_balance = _move(db, user_id, amount)
    if new_balance is None:
        raise Conflict(f"The balance would exceed {MAX_BALANCE}.", balance=balance(db, user_id))
    return _append(
        db,
        user_id,
        "charge",
        amount,
        new_balance,
        stored.text(messages.TOPUP_APPROVED, amount=amount),
        charge_request_id=charge_request_id,
        created_by=admin_id,
    )


def grant(db: Session, user_id: str, amount: int, *, reason: str, admin_id: str) -> CreditHistory:
    """An admin adds (amount > 0) or removes (amount < 0) credits, with a mandatory reason.

    Removing more than the balance is refused (409 with the balance): never below zero.
    """
    amount = whole_credits(amount, field="amount", minimum=-MAX_ADJUST, maximum=MAX_ADJUST)
    if amount == 0:
        raise InvalidInput("amount must not be zero.", field="amount")
    reason = clean_text(reason, field="reason", required=True, maximum=MAX_DESCRIPTION)
    require_admin(db, admin_id)
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
