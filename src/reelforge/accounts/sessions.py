"""Server-side sessions (seed `sessions`) and personal API tokens: creation and resolution.

The cookie holds an opaque random token; the database holds only its SHA-256, so a
leaked database does not leak live sessions. Takes a session, never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as DbSession

from reelforge.accounts.models import ApiToken, Session, User, UserSession
from reelforge.accounts.tokens import new_token, token_hash
from reelforge.db.base import utcnow
from reelforge.db.engine import database_of

SESSION_LIFETIME = timedelta(days=14)  # sliding: extended on activity
ACTIVITY_WRITE_INTERVAL = timedelta(minutes=1)  # last-activity writes at most once a minute
API_TOKEN_PREFIX = "rf_"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie; never stored
    session: Session


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user and how they authenticated."""

    user: User
    via: str  # "session" | "token"
    session: Session | None = None
    api_token: ApiToken | None = None


def create_session(
    db: DbSession, user: User, *, ip: str | None = None, user_agent: str | None = None, now: datetime | None = None
) -> NewSession:
    """Start a session with a fresh id (no fixation) and its session-history row."""
    now = now or utcnow()
    history = UserSession(
        user_id=user.id, login_at=now, last_activity_at=now, ip_address=ip, user_agent=(user_agent or "")[:500]
    )
    db.add(history)
    db.flush()
    token = new_token()
    session = Session(
        user_id=user.id,
        token_hash=token_hash(token),
        csrf_token=new_token(),
        history_id=history.id,
        expires_at=now + SESSION_LIFETIME,
        last_seen_at=now,
        ip_address=ip,
        user_agent=(user_agent or "")[:500],
        created_at=now,
    )
    db.add(session)
    db.flush()
    return NewSession(token=token, session=session)


def resolve_session(db: DbSession, token: str, *, now: datetime | None = None, touch: bool = True) -> Principal | None:
    """The live session for a cookie token, sliding its expiry (unless `touch` is False);
    None if unknown, expired or disabled."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = db.execute(
        select(Session, User).join(User, User.id == Session.user_id).where(Session.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    session, user = row
    if session.expires_at <= now or not user.is_active:
        return None
    if touch and now - session.last_seen_at >= ACTIVITY_WRITE_INTERVAL:
        _touch_later(db, f"session:{session.id}", _session_touch(session.id, session.history_id, now))
    return Principal(user=user, via="session", session=session)


def _touch_later(db: DbSession, key: str, write: Callable[[DbSession], None]) -> None:
    """Last-activity writes leave the request: a read stays a read (no write lock), and
    the database's deferred writer applies them in one short batch a moment later."""
    database_of(db).deferred.add(key, write)


def _session_touch(session_id: str, history_id: str | None, now: datetime) -> Callable[[DbSession], None]:
    def write(db: DbSession) -> None:
        db.execute(
            update(Session)
            .where(Session.id == session_id, Session.last_seen_at < now)
            .values(last_seen_at=now, expires_at=now + SESSION_LIFETIME)
        )
        if history_id:
            db.execute(update(UserSession).where(UserSession.id == history_id).values(last_activity_at=now))

    return write


def _token_touch(token_id: str, now: datetime) -> Callable[[DbSession], None]:
    def write(db: DbSession) -> None:
        db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))

    return write


def end_session(db: DbSession, session: Session, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if session.history_id:
        db.execute(
            update(UserSession)
            .where(UserSession.id == session.history_id)
            .values(logout_at=now, is_active=False, last_activity_at=now)
        )
    db.delete(session)


def end_all_sessions(db: DbSession, user_id: str, *, except_session_id: str | None = None) -> int:
    """End every session of a user (password change, disable, force logout)."""
    now = utcnow()
    query = select(Session).where(Session.user_id == user_id)
    if except_session_id:
        query = query.where(Session.id != except_session_id)
    sessions = list(db.scalars(query))
    for s in sessions:
        end_session(db, s, now=now)
    return len(sessions)


def revoke_all_tokens(db: DbSession, user_id: str, *, except_token_id: str | None = None) -> int:
    """Revoke every live API token of a user (password change or reset, force logout): a token
    is a credential like a session, and must not outlive the password that let it be made."""
    query = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if except_token_id:
        query = query.where(ApiToken.id != except_token_id)
    result = db.execute(query.values(revoked_at=utcnow()).execution_options(synchronize_session="fetch"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_expired(db: DbSession, *, now: datetime | None = None) -> int:
    now = now or utcnow()
    expired = list(db.scalars(select(Session).where(Session.expires_at <= now)))
    for s in expired:
        if s.history_id:
            db.execute(
                update(UserSession)
                .where(UserSession.id == s.history_id, UserSession.is_active.is_(True))
                .values(is_active=False, logout_at=s.expires_at)
            )
    db.execute(delete(Session).where(Session.expires_at <= now))
    return len(expired)


def create_api_token(db: DbSession, user: User, name: str) -> tuple[str, ApiToken]:
    """A personal API token; the plain value is returned once and never stored."""
    plain = new_token(API_TOKEN_PREFIX)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(plain), prefix=plain[:8])
    db.add(row)
    db.flush()
    return plain, row


def resolve_api_token(db: DbSession, plain: str, *, now: datetime | None = None) -> Principal | None:
    if not plain.startswith(API_TOKEN_PREFIX) or len(plain) > 200:
        return None
    now = now or utcnow()
    row = db.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == token_hash(plain))
    ).first()
    if row is None:
        return None
    api_token, user = row
    if api_token.revoked_at is not None or not user.is_active:
        return None
    if api_token.last_used_at is None or now - api_token.last_used_at >= ACTIVITY_WRITE_INTERVAL:
        _touch_later(db, f"token:{api_token.id}", _token_touch(api_token.id, now))
    return Principal(user=user, via="token", api_token=api_token)
