"""SELECTs of the accounts domain. Lookups of a user's own rows take the owner's id and answer
404 for another user's row, so a guessed id reveals nothing."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from reelforge.accounts.models import ApiToken, LoginAttempt, PasswordReset, User, UserActivityLog, UserSession
from reelforge.accounts.models import Session as LoginSession
from reelforge.db.base import utcnow
from reelforge.errors import InvalidInput, NotFound

MAX_ID_LENGTH = 36  # ids are UUID strings; a longer one cannot exist and is not looked up


# ------------------------------------------------------------------ users
def get_by_email(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == email.strip().lower()))


def get_user(db: Session, user_id: str) -> User:
    user = db.get(User, user_id) if user_id and len(user_id) <= MAX_ID_LENGTH else None
    if user is None:
        raise NotFound("No such user.")
    return user


def count_users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


def user_by_verification_hash(db: Session, hashed: str) -> User | None:
    return db.scalar(select(User).where(User.verification_token == hashed))


def active_admin_ids(db: Session) -> list[str]:
    """Ids of the active administrators; on PostgreSQL the rows stay locked until the commit."""
    query = select(User.id).where(User.is_admin.is_(True), User.is_active.is_(True))
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # serialise concurrent demotions (SQLite: BEGIN IMMEDIATE does)
    return list(db.scalars(query))


# ------------------------------------------------------------------ admin user search
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


# ------------------------------------------------------------------ activity log
HIDDEN_FROM_OWNER = ("admin.memo",)  # internal notes are not shown to the user they are about


def list_activity(
    db: Session, user_id: str, *, before_id: int | None = None, limit: int = 50, for_owner: bool = False
) -> list[UserActivityLog]:
    """Newest first; keyset-paginated by id. For an admin, also what the user did to others."""
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


def last_activity_at(db: Session, user_id: str, action: str) -> datetime | None:
    """When `action` was last logged for the user (None: never)."""
    return db.scalar(
        select(func.max(UserActivityLog.created_at)).where(
            UserActivityLog.user_id == user_id, UserActivityLog.action == action
        )
    )


# ------------------------------------------------------------------ sessions
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


def owned_session(db: Session, user_id: str, session_id: str) -> LoginSession:
    row = db.get(LoginSession, session_id) if session_id and len(session_id) <= MAX_ID_LENGTH else None
    if row is None or row.user_id != user_id:
        raise NotFound("No such session.")
    return row


# ------------------------------------------------------------------ API tokens
def list_tokens(db: Session, user_id: str) -> list[ApiToken]:
    """Live tokens first, newest first."""
    return list(
        db.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def count_live_tokens(db: Session, user_id: str) -> int:
    return (
        db.scalar(
            select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        )
        or 0
    )


def owned_token(db: Session, user_id: str, token_id: str) -> ApiToken:
    row = db.get(ApiToken, token_id) if token_id and len(token_id) <= MAX_ID_LENGTH else None
    if row is None or row.user_id != user_id:
        raise NotFound("No such API token.")
    return row


# ------------------------------------------------------------------ login attempts and reset links
def recent_failed_logins(db: Session, email_key: str, ip: str | None, since: datetime, limit: int) -> list[datetime]:
    """When the last `limit` failed logins of this account+IP (any IP with None) after `since`
    happened, newest first."""
    query = select(LoginAttempt.attempted_at).where(LoginAttempt.email == email_key, LoginAttempt.attempted_at > since)
    if ip is not None:
        query = query.where(LoginAttempt.ip_address == ip)
    return list(db.scalars(query.order_by(LoginAttempt.attempted_at.desc()).limit(limit)))


def count_resets_since(db: Session, user_id: str, since: datetime) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(PasswordReset)
            .where(PasswordReset.user_id == user_id, PasswordReset.created_at > since)
        )
        or 0
    )


def reset_by_hash(db: Session, hashed: str) -> PasswordReset | None:
    return db.scalar(select(PasswordReset).where(PasswordReset.token_hash == hashed))
