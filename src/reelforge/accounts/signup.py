"""Registration of a creator account and verification of its e-mail address. Takes a session, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from reelforge.accounts import passwords, queries
from reelforge.accounts.models import User
from reelforge.accounts.service import (
    MAIL_INTERVAL,
    check_password_policy,
    clean_profile,
    create_user,
    log_activity,
    normalize_email,
)
from reelforge.accounts.tokens import new_token, token_hash
from reelforge.db.base import utcnow
from reelforge.errors import InvalidInput, TooManyRequests

VERIFICATION_LIFETIME = timedelta(hours=48)
EXISTING_NOTICE_INTERVAL = timedelta(hours=1)  # at most one "someone used your address" mail an hour


@dataclass(frozen=True)
class SignUp:
    email: str
    password: str
    name: str
    phone: str
    address: str
    kakao_id: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class SignUpResult:
    user: User
    token: str | None  # the verification token to mail; None: the address already had an account
    notify_owner: bool = False  # with token None: mail the owner (throttled) instead


def sign_up(db: Session, data: SignUp, *, ip: str | None = None, user_agent: str | None = None) -> SignUpResult:
    """Create a creator account; returns it and the e-mail verification token (to be mailed).

    An address that already has an account is not an error (that would tell anyone which
    addresses are registered): every check runs as for a new one, a password is hashed all
    the same (equal timing), and the result names the existing owner with no token."""
    profile = clean_profile(data.name, data.phone, data.address, data.kakao_id)
    email = normalize_email(data.email)
    check_password_policy(data.password, email)
    existing = queries.get_by_email(db, email)
    if existing is not None:
        passwords.hash_password(data.password)  # the work a new account costs
        last = queries.last_activity_at(db, existing.id, "signup_existing_email")
        notify = last is None or utcnow() - last >= EXISTING_NOTICE_INTERVAL
        log_activity(db, existing.id, "signup_existing_email", ip=ip, user_agent=user_agent)
        return SignUpResult(existing, None, notify_owner=notify)
    user = create_user(db, email, data.password, locale=data.locale, **profile)
    token = issue_verification(db, user)
    log_activity(db, user.id, "signup", {"email": user.email}, ip=ip, user_agent=user_agent)
    return SignUpResult(user, token)


def issue_verification(db: Session, user: User, *, now: datetime | None = None, throttle: bool = False) -> str:
    """A new single-use verification token (the previous one stops working).

    With `throttle` (resend requests), a second link within a minute is refused with 429.
    """
    now = now or utcnow()
    if throttle and user.verification_expires_at is not None:
        sent_at = user.verification_expires_at - VERIFICATION_LIFETIME
        if now - sent_at < MAIL_INTERVAL:
            retry = max(1, int((sent_at + MAIL_INTERVAL - now).total_seconds()) + 1)
            raise TooManyRequests(
                "We just sent you an e-mail. Wait a minute before asking for another.",
                headers={"Retry-After": str(retry)},
                retry_after=retry,
            )
    token = new_token()
    user.verification_token = token_hash(token)
    user.verification_expires_at = now + VERIFICATION_LIFETIME
    return token


def verify_email(db: Session, token: str, *, now: datetime | None = None, ip: str | None = None) -> User:
    now = now or utcnow()
    if not token or len(token) > 200:
        raise InvalidInput("This verification link is invalid or has expired.", field="token")
    user = queries.user_by_verification_hash(db, token_hash(token))
    if user is None or user.verification_expires_at is None or user.verification_expires_at <= now:
        raise InvalidInput("This verification link is invalid or has expired.", field="token")
    user.email_verified = True
    user.email_verified_at = now
    user.verification_token = None
    user.verification_expires_at = None
    log_activity(db, user.id, "email_verified", ip=ip)
    return user
