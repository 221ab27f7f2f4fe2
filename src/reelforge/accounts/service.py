"""Accounts service: the rules for users. Takes a session, never commits.

Messages of the errors raised here are English msgids; the HTTP layers translate them
(`accounts` catalogue) into the visitor's language.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from reelforge.accounts import passwords
from reelforge.accounts.models import (
    ApiToken,
    LoginAttempt,
    PasswordReset,
    User,
    UserActivityLog,
    UserSession,
)
from reelforge.accounts.models import Session as LoginSession
from reelforge.accounts.sessions import (
    NewSession,
    create_session,
    end_all_sessions,
    end_session,
    purge_expired,
)
from reelforge.accounts.tokens import new_token, token_hash
from reelforge.db.base import utcnow
from reelforge.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from reelforge.i18n import N_

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
VERIFICATION_LIFETIME = timedelta(hours=48)
RESET_LIFETIME = timedelta(hours=1)
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW = timedelta(minutes=1)
MAIL_INTERVAL = timedelta(minutes=1)  # at most one verification or reset mail per account per minute
MAX_NAME, MAX_PHONE, MAX_ADDRESS, MAX_KAKAO, MAX_MEMO = 100, 40, 300, 100, 5000
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


HIDDEN_FROM_OWNER = ("admin.memo",)  # internal notes are not shown to the user they are about


def list_activity(
    db: Session, user_id: str, *, before_id: int | None = None, limit: int = 50, for_owner: bool = False
) -> list[UserActivityLog]:
    """Newest first; keyset-paginated by id."""
    query = select(UserActivityLog).where(
        or_(UserActivityLog.user_id == user_id, UserActivityLog.actor_id == user_id)
        if not for_owner
        else UserActivityLog.user_id == user_id
    )
    if for_owner:
        query = query.where(UserActivityLog.action.not_in(HIDDEN_FROM_OWNER))
    if before_id is not None:
        query = query.where(UserActivityLog.id < before_id)
    return list(db.scalars(query.order_by(UserActivityLog.id.desc()).limit(max(1, min(limit, 200)))))


# ------------------------------------------------------------------ users
def get_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def get_user(db: Session, user_id: str) -> User:
    user = db.get(User, user_id) if user_id and len(user_id) <= 36 else None
    if user is None:
        raise NotFound("No such user.")
    return user


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
    if get_by_email(session, normalized) is not None:
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


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def bootstrap_admin(session: Session, email: str) -> tuple[User, str] | None:
    """On a fresh install, create the first admin with a random password (returned once)."""
    if count_users(session) > 0:
        return None
    password = secrets.token_urlsafe(12)
    user = create_user(session, email, password, name="Administrator", is_admin=True, email_verified=True)
    return user, password


@dataclass(frozen=True)
class SignUp:
    email: str
    password: str
    name: str
    phone: str
    address: str
    kakao_id: str | None = None
    locale: str | None = None


def sign_up(db: Session, data: SignUp, *, ip: str | None = None, user_agent: str | None = None) -> tuple[User, str]:
    """Create a creator account; returns it and the e-mail verification token (to be mailed)."""
    profile = clean_profile(data.name, data.phone, data.address, data.kakao_id)
    user = create_user(db, data.email, data.password, locale=data.locale, **profile)
    token = issue_verification(db, user)
    log_activity(db, user.id, "signup", {"email": user.email}, ip=ip, user_agent=user_agent)
    return user, token


# ------------------------------------------------------------------ e-mail verification
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
    user = db.scalar(select(User).where(User.verification_token == token_hash(token)))
    if user is None or user.verification_expires_at is None or user.verification_expires_at <= now:
        raise InvalidInput("This verification link is invalid or has expired.", field="token")
    user.email_verified = True
    user.email_verified_at = now
    user.verification_token = None
    user.verification_expires_at = None
    log_activity(db, user.id, "email_verified", ip=ip)
    return user


# ------------------------------------------------------------------ password reset
def request_password_reset(
    db: Session, email: str, *, now: datetime | None = None, ip: str | None = None
) -> tuple[User, str] | None:
    """A reset token for an active account, or None (the caller answers the same either way)."""
    now = now or utcnow()
    try:
        normalized = normalize_email(email)
    except InvalidInput:
        return None
    user = get_by_email(db, normalized)
    if user is None or not user.is_active:
        return None
    recent = db.scalar(
        select(func.count())
        .select_from(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.created_at > now - MAIL_INTERVAL)
    )
    if recent:  # one mail a minute per account: a form cannot be used to flood a mailbox
        return None
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
    reset = db.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
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
    log_activity(db, user.id, "password_reset", ip=ip)
    return user


# ------------------------------------------------------------------ login
@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    reason: Literal["ok", "invalid", "disabled"]


def _limit_key(email: str) -> str:
    return (email or "").strip().lower()[:320]


def check_login_rate(
    db: Session,
    email: str,
    ip: str,
    *,
    now: datetime | None = None,
    max_failures: int = LOGIN_MAX_FAILURES,
    window: timedelta = LOGIN_WINDOW,
) -> None:
    """Raise 429 (with Retry-After) after `max_failures` failed logins per account+IP in `window`."""
    now = now or utcnow()
    since = now - window
    rows = list(
        db.scalars(
            select(LoginAttempt.attempted_at)
            .where(
                LoginAttempt.email == _limit_key(email),
                LoginAttempt.ip_address == (ip or "-")[:64],
                LoginAttempt.attempted_at > since,
            )
            .order_by(LoginAttempt.attempted_at.desc())
            .limit(max_failures)
        )
    )
    if len(rows) >= max_failures:
        oldest = rows[-1]
        retry = max(1, int((oldest + window - now).total_seconds()) + 1)
        raise TooManyRequests(
            "Too many failed logins. Wait a minute and try again.",
            headers={"Retry-After": str(retry)},
            retry_after=retry,
        )


def authenticate(
    db: Session,
    email: str,
    password: str,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
    max_failures: int = LOGIN_MAX_FAILURES,
    window: timedelta = LOGIN_WINDOW,
) -> LoginOutcome:
    """Check credentials. Never reveals whether the e-mail exists: an unknown address costs one
    argon2 verification against a dummy hash, like a known one. A failure is recorded (not
    raised) so that it commits with the request."""
    now = now or utcnow()
    key = _limit_key(email)
    check_login_rate(db, key, ip or "-", now=now, max_failures=max_failures, window=window)
    user = get_by_email(db, key) if key and len(key) <= 320 else None
    pw = password if len(password) <= MAX_PASSWORD_LENGTH else ""
    if user is None:
        passwords.verify_password(passwords.DUMMY_HASH, pw or "x")
        ok = False
    else:
        ok = bool(pw) and passwords.verify_password(user.password_hash, pw)
    if not ok:
        db.add(LoginAttempt(email=key or "-", ip_address=(ip or "-")[:64], attempted_at=now))
        if user is not None:
            log_activity(db, user.id, "login_failed", ip=ip, user_agent=user_agent)
        return LoginOutcome(None, "invalid")
    assert user is not None
    if not user.is_active:
        log_activity(db, user.id, "login_refused", "account disabled", ip=ip, user_agent=user_agent)
        return LoginOutcome(None, "disabled")
    if passwords.needs_rehash(user.password_hash):  # argon2 parameters changed, or a legacy hash
        user.password_hash = passwords.hash_password(pw)
    db.execute(delete(LoginAttempt).where(LoginAttempt.email == key, LoginAttempt.ip_address == (ip or "-")[:64]))
    return LoginOutcome(user, "ok")


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


def start_session(
    db: Session, user: User, *, ip: str | None = None, user_agent: str | None = None, now: datetime | None = None
) -> NewSession:
    """A new session (fresh id: no fixation), its history row and a `login` activity row."""
    now = now or utcnow()
    new = create_session(db, user, ip=ip, user_agent=user_agent, now=now)
    user.last_login_at = now
    log_activity(db, user.id, "login", ip=ip, user_agent=user_agent)
    return new


def logout(db: Session, session: LoginSession, *, ip: str | None = None, user_agent: str | None = None) -> None:
    log_activity(db, session.user_id, "logout", ip=ip, user_agent=user_agent)
    end_session(db, session)


# ------------------------------------------------------------------ profile
def update_profile(
    db: Session,
    user: User,
    *,
    name: str | None,
    phone: str | None,
    address: str | None,
    kakao_id: str | None,
    partial: bool = False,
    ip: str | None = None,
    user_agent: str | None = None,
) -> list[str]:
    """Edit the profile (with `partial`, None fields keep their value); returns the changed fields."""
    values = clean_profile(name, phone, address, kakao_id, partial=partial)
    changed = [k for k, v in values.items() if getattr(user, k) != v]
    for key in changed:
        setattr(user, key, values[key])
    if changed:
        log_activity(db, user.id, "profile_updated", {"fields": changed}, ip=ip, user_agent=user_agent)
    return changed


def change_password(
    db: Session,
    user: User,
    current: str,
    new: str,
    *,
    keep_session_id: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> int:
    """Change the password (needs the current one); ends every other session. Returns how many."""
    if len(current) > MAX_PASSWORD_LENGTH or not passwords.verify_password(user.password_hash, current):
        raise InvalidInput("The current password is wrong.", field="current_password")
    check_password_policy(new, user.email, field="new_password")
    if current == new:
        raise InvalidInput("The new password must differ from the current one.", field="new_password")
    user.password_hash = passwords.hash_password(new)
    ended = end_all_sessions(db, user.id, except_session_id=keep_session_id)
    log_activity(db, user.id, "password_changed", {"sessions_ended": ended}, ip=ip, user_agent=user_agent)
    return ended


def set_locale(user: User, locale: str) -> None:
    user.locale = locale


def list_live_sessions(db: Session, user_id: str, *, now: datetime | None = None) -> list[LoginSession]:
    now = now or utcnow()
    return list(
        db.scalars(
            select(LoginSession)
            .where(LoginSession.user_id == user_id, LoginSession.expires_at > now)
            .order_by(LoginSession.last_seen_at.desc())
        )
    )


def list_session_history(db: Session, user_id: str, *, limit: int = 50) -> list[UserSession]:
    return list(
        db.scalars(
            select(UserSession)
            .where(UserSession.user_id == user_id)
            .order_by(UserSession.login_at.desc(), UserSession.id.desc())
            .limit(max(1, min(limit, 200)))
        )
    )


def end_own_session(
    db: Session, user: User, session_id: str, *, ip: str | None = None, user_agent: str | None = None
) -> None:
    """End one of the user's own sessions; another user's id answers 404."""
    row = db.get(LoginSession, session_id) if session_id and len(session_id) <= 36 else None
    if row is None or row.user_id != user.id:
        raise NotFound("No such session.")
    end_session(db, row)
    log_activity(db, user.id, "session_ended", {"session": session_id[:8]}, ip=ip, user_agent=user_agent)


# ------------------------------------------------------------------ API tokens
MAX_TOKENS_PER_USER = 50


def create_token(
    db: Session, user: User, name: str, *, ip: str | None = None, user_agent: str | None = None
) -> tuple[str, ApiToken]:
    from reelforge.accounts.sessions import create_api_token

    clean = " ".join((name or "").split())
    if not clean:
        raise InvalidInput("Give the token a name.", field="name")
    if len(clean) > 100:
        raise InvalidInput("This is too long.", field="name", max_length=100)
    live = db.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if (live or 0) >= MAX_TOKENS_PER_USER:
        raise Conflict("You have too many API tokens; revoke one first.", field="name")
    plain, row = create_api_token(db, user, clean)
    log_activity(db, user.id, "token_created", {"name": clean, "prefix": row.prefix}, ip=ip, user_agent=user_agent)
    return plain, row


def list_tokens(db: Session, user_id: str) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def revoke_token(
    db: Session, user: User, token_id: str, *, ip: str | None = None, user_agent: str | None = None
) -> ApiToken:
    row = db.get(ApiToken, token_id) if token_id and len(token_id) <= 36 else None
    if row is None or row.user_id != user.id:
        raise NotFound("No such API token.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        log_activity(
            db, user.id, "token_revoked", {"name": row.name, "prefix": row.prefix}, ip=ip, user_agent=user_agent
        )
    return row


# ------------------------------------------------------------------ admin
@dataclass(frozen=True)
class UserPage:
    users: list[User]
    next_cursor: str | None


def _encode_cursor(user: User) -> str:
    raw = f"{user.created_at.isoformat()}|{user.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, user_id = raw.partition("|")
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None or not user_id:
            raise ValueError("bad cursor")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The page cursor is not valid.", field="cursor") from exc
    return when, user_id


def search_users(db: Session, q: str = "", *, cursor: str | None = None, limit: int = 25) -> UserPage:
    """Users newest first, filtered by e-mail, name or phone; keyset pagination on (created_at, id)."""
    limit = max(1, min(limit, 100))
    query = select(User)
    term = " ".join((q or "").split())[:100]
    if term:
        pattern = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        digits = "".join(ch for ch in term if ch.isdigit())
        conditions = [
            func.lower(User.email).like(pattern, escape="\\"),
            func.lower(User.name).like(pattern, escape="\\"),
            User.phone.like(pattern, escape="\\"),
        ]
        if len(digits) >= 3:  # "01012345678" finds "010-1234-5678"
            stripped = func.replace(func.replace(func.replace(User.phone, "-", ""), " ", ""), ".", "")
            conditions.append(stripped.like(f"%{digits}%"))
        query = query.where(or_(*conditions))
    if cursor:
        when, user_id = _decode_cursor(cursor)
        query = query.where(or_(User.created_at < when, (User.created_at == when) & (User.id < user_id)))
    rows = list(db.scalars(query.order_by(User.created_at.desc(), User.id.desc()).limit(limit + 1)))
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return UserPage(rows[:limit], next_cursor)


def _active_admin_ids(db: Session) -> list[str]:
    query = select(User.id).where(User.is_admin.is_(True), User.is_active.is_(True))
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # serialise concurrent demotions (SQLite: BEGIN IMMEDIATE does)
    return list(db.scalars(query))


def _guard_last_admin(db: Session, target: User) -> None:
    admins = _active_admin_ids(db)
    if target.id in admins and len(admins) <= 1:
        raise Conflict("This is the last active administrator; make someone else an administrator first.")


@dataclass
class AdminContext:
    admin: User
    ip: str | None = None
    user_agent: str | None = None


def _admin_log(db: Session, ctx: AdminContext, target: User, action: str, details: str | dict[str, Any] = "") -> None:
    log_activity(db, target.id, action, details, ip=ctx.ip, user_agent=ctx.user_agent, actor_id=ctx.admin.id)


def admin_set_memo(db: Session, ctx: AdminContext, target: User, memo: str) -> None:
    if len(memo) > MAX_MEMO:
        raise InvalidInput("This is too long.", field="memo", max_length=MAX_MEMO)
    if memo != target.admin_memo:
        target.admin_memo = memo
        _admin_log(db, ctx, target, "admin.memo", {"length": len(memo)})


def admin_set_verified(db: Session, ctx: AdminContext, target: User, verified: bool) -> None:
    if verified == target.email_verified:
        return
    target.email_verified = verified
    target.email_verified_at = utcnow() if verified else None
    if verified:
        target.verification_token, target.verification_expires_at = None, None
    _admin_log(db, ctx, target, "admin.verify" if verified else "admin.unverify")


def admin_set_admin(db: Session, ctx: AdminContext, target: User, is_admin: bool) -> None:
    if is_admin == target.is_admin:
        return
    if not is_admin:
        _guard_last_admin(db, target)
    target.is_admin = is_admin
    _admin_log(db, ctx, target, "admin.grant_admin" if is_admin else "admin.revoke_admin")


def admin_set_active(db: Session, ctx: AdminContext, target: User, active: bool) -> int:
    """Enable or disable an account; disabling ends all its sessions. Returns sessions ended."""
    if active == target.is_active:
        return 0
    ended = 0
    if not active:
        if target.id == ctx.admin.id:
            raise Conflict("You cannot disable your own account.")
        if target.is_admin:
            _guard_last_admin(db, target)
        target.is_active = False
        ended = end_all_sessions(db, target.id)
    else:
        target.is_active = True
    _admin_log(db, ctx, target, "admin.enable" if active else "admin.disable", {"sessions_ended": ended})
    return ended


def admin_end_sessions(db: Session, ctx: AdminContext, target: User, session_id: str | None = None) -> int:
    """Force logout: one session of the user (404 if it is not theirs) or all of them."""
    if session_id:
        row = db.get(LoginSession, session_id) if len(session_id) <= 36 else None
        if row is None or row.user_id != target.id:
            raise NotFound("No such session.")
        end_session(db, row)
        ended = 1
    else:
        ended = end_all_sessions(db, target.id)
    _admin_log(db, ctx, target, "admin.force_logout", {"sessions_ended": ended})
    return ended


def admin_resend_verification(db: Session, ctx: AdminContext, target: User) -> str:
    if target.email_verified:
        raise Conflict("This e-mail address is already verified.")
    token = issue_verification(db, target, throttle=True)
    _admin_log(db, ctx, target, "admin.resend_verification")
    return token


def ensure_can_act(user: User) -> None:
    if not user.is_active:
        raise Forbidden("This account is disabled.")
