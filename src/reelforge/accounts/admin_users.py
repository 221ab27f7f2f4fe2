"""Administration of users: memo, verified/admin/active flags, forced logout, resending the
verification mail. Every change is logged with the admin as actor. Takes a session, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from reelforge.accounts import queries
from reelforge.accounts.models import User
from reelforge.accounts.service import log_activity
from reelforge.accounts.sessions import end_all_sessions, end_session, revoke_all_tokens
from reelforge.accounts.signup import issue_verification
from reelforge.db.base import utcnow
from reelforge.errors import Conflict, InvalidInput

MAX_MEMO = 5000


@dataclass
class AdminContext:
    admin: User
    ip: str | None = None
    user_agent: str | None = None


def _admin_log(db: Session, ctx: AdminContext, target: User, action: str, details: str | dict[str, Any] = "") -> None:
    log_activity(db, target.id, action, details, ip=ctx.ip, user_agent=ctx.user_agent, actor_id=ctx.admin.id)


def _guard_last_admin(db: Session, target: User) -> None:
    admins = queries.active_admin_ids(db)
    if target.id in admins and len(admins) <= 1:
        raise Conflict("This is the last active administrator; make someone else an administrator first.")


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
        end_session(db, queries.owned_session(db, target.id, session_id))
        ended = 1
    else:  # everywhere: API tokens too, or a stolen one would outlive the logout
        ended = end_all_sessions(db, target.id)
        revoked = revoke_all_tokens(db, target.id)
        _admin_log(db, ctx, target, "admin.force_logout", {"sessions_ended": ended, "tokens_revoked": revoked})
        return ended
    _admin_log(db, ctx, target, "admin.force_logout", {"sessions_ended": ended})
    return ended


def admin_resend_verification(db: Session, ctx: AdminContext, target: User) -> str:
    if target.email_verified:
        raise Conflict("This e-mail address is already verified.")
    token = issue_verification(db, target, throttle=True)
    _admin_log(db, ctx, target, "admin.resend_verification")
    return token
