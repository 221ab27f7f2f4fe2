"""Login: credentials, the failure limits, starting and ending a session. Takes a session, never commits.

Two limits: per account+IP (a typo-prone person behind one address), and per account
whatever the IP (an attacker rotating addresses). The second locks the account until its
window passes, even for the right password; the failure that locks it is reported in
`LoginOutcome.locked`, so the flow can tell the owner by mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete
from sqlalchemy.orm import Session

from reelforge.accounts import passwords, queries
from reelforge.accounts.models import LoginAttempt, User
from reelforge.accounts.models import Session as LoginSession
from reelforge.accounts.service import MAX_PASSWORD_LENGTH, log_activity
from reelforge.accounts.sessions import NewSession, create_session, end_session
from reelforge.db.base import utcnow
from reelforge.errors import TooManyRequests

LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW = timedelta(minutes=1)
ACCOUNT_MAX_FAILURES = 20
ACCOUNT_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class AccountLimit:
    """The per-account limit (any IP)."""

    max_failures: int = ACCOUNT_MAX_FAILURES
    window: timedelta = ACCOUNT_WINDOW


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    reason: Literal["ok", "invalid", "disabled"]
    locked: User | None = None  # the account this failure has just locked (its owner is told)


def _limit_key(email: str) -> str:
    return (email or "").strip().lower()[:320]


def _ip_key(ip: str | None) -> str:
    return (ip or "-")[:64]


def check_login_rate(
    db: Session,
    email: str,
    ip: str,
    *,
    now: datetime | None = None,
    max_failures: int = LOGIN_MAX_FAILURES,
    window: timedelta = LOGIN_WINDOW,
    account: AccountLimit = AccountLimit(),
) -> None:
    """Raise 429 (with Retry-After) after `max_failures` failed logins per account+IP in `window`,
    or `account.max_failures` per account from any IP in `account.window`."""
    now = now or utcnow()
    key = _limit_key(email)
    rows = queries.recent_failed_logins(db, key, _ip_key(ip), now - window, max_failures)
    if len(rows) >= max_failures:
        raise _too_many("Too many failed logins. Wait a minute and try again.", rows[-1] + window - now)
    rows = queries.recent_failed_logins(db, key, None, now - account.window, account.max_failures)
    if len(rows) >= account.max_failures:
        raise _too_many(
            "Too many failed logins for this account. It is locked for a while; try again later.",
            rows[-1] + account.window - now,
        )


def _too_many(message: str, wait: timedelta) -> TooManyRequests:
    retry = max(1, int(wait.total_seconds()) + 1)
    return TooManyRequests(message, headers={"Retry-After": str(retry)}, retry_after=retry)


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
    account: AccountLimit = AccountLimit(),
) -> LoginOutcome:
    """Check credentials. Never reveals whether the e-mail exists: an unknown address costs one
    argon2 verification against a dummy hash, like a known one. A failure is recorded (not
    raised) so that it commits with the request."""
    now = now or utcnow()
    key = _limit_key(email)
    check_login_rate(db, key, ip or "-", now=now, max_failures=max_failures, window=window, account=account)
    user = queries.get_by_email(db, key) if key and len(key) <= 320 else None
    pw = password if len(password) <= MAX_PASSWORD_LENGTH else ""
    if user is None:
        passwords.verify_password(passwords.DUMMY_HASH, pw or "x")
        ok = False
    else:
        ok = bool(pw) and passwords.verify_password(user.password_hash, pw)
    if not ok:
        db.add(LoginAttempt(email=key or "-", ip_address=_ip_key(ip), attempted_at=now))
        if user is None:
            return LoginOutcome(None, "invalid")
        log_activity(db, user.id, "login_failed", ip=ip, user_agent=user_agent)
        db.flush()
        failures = queries.recent_failed_logins(db, key, None, now - account.window, account.max_failures)
        if len(failures) < account.max_failures:
            return LoginOutcome(None, "invalid")
        log_activity(db, user.id, "login_locked", {"failures": len(failures)}, ip=ip, user_agent=user_agent)
        return LoginOutcome(None, "invalid", locked=user)
    assert user is not None
    if not user.is_active:
        log_activity(db, user.id, "login_refused", "account disabled", ip=ip, user_agent=user_agent)
        return LoginOutcome(None, "disabled")
    if passwords.needs_rehash(user.password_hash):  # argon2 parameters changed, or a legacy hash
        user.password_hash = passwords.hash_password(pw)
    db.execute(delete(LoginAttempt).where(LoginAttempt.email == key, LoginAttempt.ip_address == _ip_key(ip)))
    return LoginOutcome(user, "ok")


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
