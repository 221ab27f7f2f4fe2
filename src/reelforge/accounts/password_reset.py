"""Password reset by e-mailed link: single use, expiring, one live link and one mail a minute
per account. Takes a session, never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from reelforge.accounts import passwords, queries
from reelforge.accounts.models import PasswordReset, User
from reelforge.accounts.service import MAIL_INTERVAL, check_password_policy, log_activity, normalize_email
from reelforge.accounts.sessions import end_all_sessions, revoke_all_tokens
from reelforge.accounts.tokens import new_token, token_hash
from reelforge.db.base import utcnow
from reelforge.errors import InvalidInput

RESET_LIFETIME = timedelta(hours=1)


def request_password_reset(
    db: Session, email: str, *, now: datetime | None = None, ip: str | None = None
) -> tuple[User, str] | None:
    """A reset token for an active account, or None (the caller answers the same either way)."""
    now = now or utcnow()
    try:
        normalized = normalize_email(email)
    except InvalidInput:
        return None
    user = queries.get_by_email(db, normalized)
    if user is None or not user.is_active:
        return None
    if queries.count_resets_since(db, user.id, now - MAIL_INTERVAL):
        return None  # one mail a minute per account: a form cannot be used to flood a mailbox
    # One live link at a time: older unused links stop working.
    db.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    token = new_token()
    db.add(
        PasswordReset(user_id=user.id, token_hash=token_hash(token), expires_at=now + RESET_LIFETIME, created_at=now)
    )
    log_activity(db, user.id, "password_reset_requested", ip=ip)
    return user, token


def reset_password(
    db: Session, token: str, new_password: str, *, now: datetime | None = None, ip: str | None = None
) -> User:
    """Set a new password from a reset link: single use, expiring; ends every session."""
    now = now or utcnow()
    bad = InvalidInput("This reset link is invalid, used or expired. Ask for a new one.", field="token")
    if not token or len(token) > 200:
        raise bad
    reset = queries.reset_by_hash(db, token_hash(token))
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise bad
    user = db.get(User, reset.user_id)
    if user is None or not user.is_active:
        raise bad
    check_password_policy(new_password, user.email)
    # Conditional claim: two concurrent uses of one link cannot both succeed.
    claimed = db.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise bad
    user.password_hash = passwords.hash_password(new_password)
    # The link proved control of the mailbox.
    if not user.email_verified:
        user.email_verified, user.email_verified_at = True, now
    end_all_sessions(db, user.id)
    revoke_all_tokens(db, user.id)
    log_activity(db, user.id, "password_reset", ip=ip)
    return user
