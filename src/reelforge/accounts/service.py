"""Accounts service: the rules every account use case shares. Takes a session, never commits.

Here: e-mail and password policy, profile fields, the activity log, creating a user and the
housekeeping purge. The topics live beside it: `signup` (registration, e-mail verification),
`password_reset`, `login` (authentication, rate limit, sessions), `profile` (the user's own
settings and API tokens) and `admin_users`; `queries` holds the SELECTs and `flows` the use
cases the API and the pages share.

Messages of the errors raised here are English msgids; the HTTP layers translate them
(`accounts` catalogue) into the visitor's language.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete
from sqlalchemy.orm import Session

from reelforge.accounts import passwords, queries
from reelforge.accounts.models import LoginAttempt, PasswordReset, User, UserActivityLog
from reelforge.accounts.sessions import purge_expired
from reelforge.db.base import utcnow
from reelforge.errors import Conflict, Forbidden, InvalidInput
from reelforge.i18n import N_

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MAIL_INTERVAL = timedelta(minutes=1)  # at most one verification or reset mail per account per minute
MAX_NAME, MAX_PHONE, MAX_ADDRESS, MAX_KAKAO = 100, 40, 300, 100
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-.]{5,38}$")
_KAKAO_RE = re.compile(r"^[A-Za-z0-9._\-]{1,100}$")

# A short list of the most common passwords of 10+ characters (the policy refuses them).
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "0123456789",
        "12345678910",
        "qwertyuiop",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "password123",
        "password1234",
        "iloveyou123",
        "qwerty12345",
        "abcdefghij",
        "aaaaaaaaaa",
        "passwordpassword",
        "qwertyqwerty",
        "11111111111",
        "0000000000",
        "1111111111",
        "asdfghjkl;",
        "q1w2e3r4t5",
        "zxcvbnm123",
        "123456789a",
        "a123456789",
        "password12",
        "letmein123",
        "welcome123",
        "admin12345",
        "administrator",
        "sunshine123",
        "football123",
        "princess123",
        "qwer123456",
        "asdf123456",
        "1q2w3e4r5t6y",
        "qwerty123456",
        "1234qwer!@",
        "q1w2e3r4!@",
        "dltmdgus12",  # common Korean romanisations
        "rkskekfk12",
        "sarang1234",
        "saranghae1",
        "iloveyou12",
        "changeme123",
        "reelforge123",
        "youtube1234",
    }
)


# ------------------------------------------------------------------ validation
def normalize_email(raw: str) -> str:
    """Trim and lower-case; refuse what is not an e-mail address."""
    candidate = (raw or "").strip().lower()
    if not candidate:
        raise InvalidInput("Enter your e-mail address.", field="email")
    if len(candidate) > 320:
        raise InvalidInput("E-mail address is too long.", field="email")
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput("This is not a valid e-mail address.", field="email", reason=str(exc)) from exc
    return candidate


def check_password_policy(password: str, email: str, *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("Password must be at least 10 characters.", field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("Password is too long.", field=field)
    lowered = password.lower()
    if email and (lowered == email.lower() or lowered == email.split("@")[0].lower()):
        raise InvalidInput("Password must not be your e-mail address.", field=field)
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        raise InvalidInput("This password is too common; choose another.", field=field)


def _clean(value: str | None, limit: int, field: str, *, required: bool, label_missing: str) -> str:
    text = " ".join((value or "").split())  # collapse whitespace, drop control characters
    text = "".join(ch for ch in text if ch.isprintable())
    if required and not text:
        raise InvalidInput(label_missing, field=field)
    if len(text) > limit:
        raise InvalidInput("This is too long.", field=field, max_length=limit)
    return text


def clean_profile(
    name: str | None, phone: str | None, address: str | None, kakao_id: str | None, *, partial: bool = False
) -> dict[str, Any]:
    """Validated, normalised profile fields (raises InvalidInput naming the field).

    With `partial`, a field given as None is left out (kept as it is); otherwise None counts as empty.
    """
    out: dict[str, Any] = {}
    if name is not None or not partial:
        out["name"] = _clean(name, MAX_NAME, "name", required=True, label_missing=N_("Enter your name."))
    if phone is not None or not partial:
        clean_phone = _clean(phone, MAX_PHONE, "phone", required=True, label_missing=N_("Enter your phone number."))
        if not _PHONE_RE.match(clean_phone) or sum(ch.isdigit() for ch in clean_phone) < 7:
            raise InvalidInput("Enter a phone number with digits only (for example 010-1234-5678).", field="phone")
        out["phone"] = clean_phone
    if address is not None or not partial:
        out["address"] = _clean(address, MAX_ADDRESS, "address", required=True, label_missing=N_("Enter your address."))
    if kakao_id is not None or not partial:
        kakao = (kakao_id or "").strip()
        if kakao and not _KAKAO_RE.match(kakao):
            raise InvalidInput("A KakaoTalk ID has letters, digits, '.', '_' or '-' only.", field="kakao_id")
        out["kakao_id"] = kakao or None
    return out


# ------------------------------------------------------------------ activity log
def log_activity(
    db: Session,
    user_id: str | None,
    action: str,
    details: str | dict[str, Any] = "",
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    actor_id: str | None = None,
) -> UserActivityLog:
    text = details if isinstance(details, str) else json.dumps(details, ensure_ascii=False, sort_keys=True)
    row = UserActivityLog(
        user_id=user_id,
        actor_id=actor_id,
        action=action[:64],
        details=text[:2000],
        ip_address=(ip or None) and ip[:64],
        user_agent=(user_agent or None) and user_agent[:500],
    )
    db.add(row)
    return row


# ------------------------------------------------------------------ users
def create_user(
    session: Session,
    email: str,
    password: str,
    *,
    name: str = "",
    is_admin: bool = False,
    email_verified: bool = False,
    phone: str = "",
    address: str = "",
    kakao_id: str | None = None,
    locale: str | None = None,
) -> User:
    normalized = normalize_email(email)
    check_password_policy(password, normalized)
    if queries.get_by_email(session, normalized) is not None:
        raise Conflict("An account with this e-mail address already exists.", field="email")
    now = utcnow()
    user = User(
        email=normalized,
        password_hash=passwords.hash_password(password),
        name=name,
        phone=phone,
        address=address,
        kakao_id=kakao_id,
        is_admin=is_admin,
        email_verified=email_verified,
        email_verified_at=now if email_verified else None,
        locale=locale,
    )
    session.add(user)
    session.flush()
    return user


def bootstrap_admin(session: Session, email: str) -> tuple[User, str] | None:
    """On a fresh install, create the first admin with a random password (returned once)."""
    if queries.count_users(session) > 0:
        return None
    password = secrets.token_urlsafe(12)
    user = create_user(session, email, password, name="Administrator", is_admin=True, email_verified=True)
    return user, password


def ensure_can_act(user: User) -> None:
    if not user.is_active:
        raise Forbidden("This account is disabled.")


# ------------------------------------------------------------------ housekeeping
_last_purge: dict[str, float] = {}


def maybe_purge(db: Session, *, every_minutes: int = 15, now: datetime | None = None) -> int | None:
    """Purge expired sessions, stale login attempts and dead reset links at most every N minutes
    (per process); called on login, so a busy server stays tidy with no timer thread."""
    key = str(db.get_bind().engine.url)
    if time.monotonic() - _last_purge.get(key, -1e9) < every_minutes * 60:
        return None
    _last_purge[key] = time.monotonic()
    return purge(db, now=now)


def purge(db: Session, *, now: datetime | None = None) -> int:
    """Expired sessions (their history rows are closed), old login attempts and reset links."""
    now = now or utcnow()
    count = purge_expired(db, now=now)
    db.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - timedelta(hours=1)))
    db.execute(delete(PasswordReset).where(PasswordReset.expires_at < now - timedelta(days=7)))
    return count
