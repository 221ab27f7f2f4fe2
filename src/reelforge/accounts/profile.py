"""The user's own settings: profile fields, password, language, sessions and API tokens.
Takes a session, never commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from reelforge.accounts import passwords, queries
from reelforge.accounts.models import ApiToken, User
from reelforge.accounts.service import MAX_PASSWORD_LENGTH, check_password_policy, clean_profile, log_activity
from reelforge.accounts.sessions import create_api_token, end_all_sessions, end_session, revoke_all_tokens
from reelforge.db.base import utcnow
from reelforge.errors import Conflict, InvalidInput

MAX_TOKENS_PER_USER = 50


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
    keep_token_id: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> int:
    """Change the password (needs the current one); ends every other session and revokes every
    API token but the caller's own. Returns how many sessions ended."""
    if len(current) > MAX_PASSWORD_LENGTH or not passwords.verify_password(user.password_hash, current):
        raise InvalidInput("The current password is wrong.", field="current_password")
    check_password_policy(new, user.email, field="new_password")
    if current == new:
        raise InvalidInput("The new password must differ from the current one.", field="new_password")
    user.password_hash = passwords.hash_password(new)
    ended = end_all_sessions(db, user.id, except_session_id=keep_session_id)
    revoked = revoke_all_tokens(db, user.id, except_token_id=keep_token_id)
    details = {"sessions_ended": ended, "tokens_revoked": revoked}
    log_activity(db, user.id, "password_changed", details, ip=ip, user_agent=user_agent)
    return ended


def set_locale(user: User, locale: str) -> None:
    user.locale = locale


def end_own_session(
    db: Session, user: User, session_id: str, *, ip: str | None = None, user_agent: str | None = None
) -> None:
    """End one of the user's own sessions; another user's id answers 404."""
    end_session(db, queries.owned_session(db, user.id, session_id))
    log_activity(db, user.id, "session_ended", {"session": session_id[:8]}, ip=ip, user_agent=user_agent)


# ------------------------------------------------------------------ API tokens
def create_token(
    db: Session, user: User, name: str, *, ip: str | None = None, user_agent: str | None = None
) -> tuple[str, ApiToken]:
    clean = " ".join((name or "").split())
    if not clean:
        raise InvalidInput("Give the token a name.", field="name")
    if len(clean) > 100:
        raise InvalidInput("This is too long.", field="name", max_length=100)
    if queries.count_live_tokens(db, user.id) >= MAX_TOKENS_PER_USER:
        raise Conflict("You have too many API tokens; revoke one first.", field="name")
    plain, row = create_api_token(db, user, clean)
    log_activity(db, user.id, "token_created", {"name": clean, "prefix": row.prefix}, ip=ip, user_agent=user_agent)
    return plain, row


def revoke_token(
    db: Session, user: User, token_id: str, *, ip: str | None = None, user_agent: str | None = None
) -> ApiToken:
    row = queries.owned_token(db, user.id, token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        log_activity(
            db, user.id, "token_revoked", {"name": row.name, "prefix": row.prefix}, ip=ip, user_agent=user_agent
        )
    return row
