"""Users (e-mails normalised, legacy SHA-256 hashes kept for a one-time login), live sessions,
session history and activity logs."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from reelforge.accounts.models import Session as LoginSession
from reelforge.accounts.models import User, UserActivityLog, UserSession
from reelforge.accounts.passwords import LEGACY_PREFIX
from reelforge.accounts.service import normalize_email
from reelforge.accounts.tokens import new_token, token_hash
from reelforge.errors import AppError
from reelforge.legacy.context import ImportContext
from reelforge.legacy.values import flag, new_id, pick

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
# Never a valid argon2 or legacy hash: the account exists but needs a password reset.
UNUSABLE_HASH = "!legacy-unusable"


def _password_hash(ctx: ImportContext, file: str, key: str, raw: Any) -> str:
    text = str(raw or "").strip()
    if _HEX64.match(text):
        return LEGACY_PREFIX + text.lower()  # either case in the old files; the check compares lower-case
    if text.startswith("$argon2"):
        return text
    ctx.report.problem("users", "bad_password_hash", file, key, "not a SHA-256 hex hash; password reset needed")
    return UNUSABLE_HASH


def _duplicate_address(email: str, legacy_id: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:200]}+legacy-duplicate-{new_id('dup', legacy_id)[:8]}@{domain or 'invalid.local'}"


def import_users(ctx: ImportContext) -> None:
    rows = ctx.data.of("users")
    ctx.report.read("users", len(rows))
    table = User.__table__
    taken = {e: uid for uid, e in ctx.session.execute(select(User.id, User.email))}
    existing = ctx.existing(table, (new_id("user", r.data.get("id") or r.key) for r in rows))
    by_uid = {uid: e for e, uid in taken.items()}
    for uid in existing:
        ctx.emails[uid] = by_uid.get(uid, "")
    # Rows whose address is already lower-case claim it first, then the oldest (a case-duplicate
    # such as A@x / a@x is reported and imported as a disabled account, never merged or dropped).
    order = sorted(
        rows,
        key=lambda r: (
            str(r.data.get("email") or "").strip() != str(r.data.get("email") or "").strip().lower(),
            str(pick(r.data, "created_at") or ""),
        ),
    )
    out: list[dict[str, Any]] = []
    c = ctx.clean
    for r in order:
        d, f, k = r.data, r.file, r.key
        legacy_id = str(d.get("id") or k)
        uid = new_id("user", legacy_id)
        ctx.users[legacy_id] = uid
        if uid in existing:
            ctx.report.skipped("users")
            continue
        raw_email = str(d.get("email") or "")
        active = True
        try:
            email = normalize_email(raw_email)
        except AppError:
            email = raw_email.strip().lower()[:320] or f"legacy-{uid[:8]}@invalid.local"
            ctx.report.problem("users", "invalid_email", f, k, f"{raw_email[:80]!r} is not an e-mail; kept, disabled")
            active = False
        if email != raw_email:
            ctx.report.problem("users", "email_normalised", f, k, f"{raw_email[:80]!r} -> {email!r}")
        memo = c.text("users", f, k, "admin_memo", d.get("admin_memo"), 20000)
        if email in taken:
            other = taken[email]
            dup = _duplicate_address(email, legacy_id)
            ctx.report.problem(
                "users", "duplicate_email", f, k, f"{email} already belongs to {other}; imported disabled as {dup}"
            )
            memo = (memo + "\n" if memo else "") + f"[legacy import] duplicate of {email} (account {other})"
            email, active = dup, False
        taken[email] = uid
        ctx.emails[uid] = email
        ctx.new_users.add(uid)
        ctx.legacy_credits[uid] = d.get("credits")
        created = c.when("users", f, k, "created_at", d.get("created_at"), required=True)
        out.append(
            {
                "id": uid,
                "email": email,
                "password_hash": _password_hash(ctx, f, k, d.get("password")),
                "name": c.text("users", f, k, "name", d.get("name"), 100),
                "phone": c.text("users", f, k, "phone", d.get("phone"), 40),
                "address": c.text("users", f, k, "address", d.get("address"), 300),
                "kakao_id": c.opt_text("users", f, k, "kakao_id", d.get("kakao_id"), 100),
                "is_admin": flag(d.get("is_admin")),
                "is_active": active,
                "credits": 0,  # set from the ledger once it is imported
                "email_verified": flag(d.get("email_verified")),
                "email_verified_at": created if flag(d.get("email_verified")) else None,
                "verification_token": None,  # old links are long gone; the user asks for a new one
                "verification_expires_at": None,
                "admin_memo": memo,
                "locale": "ko",
                "last_login_at": None,
                "created_at": created,
                "updated_at": c.when("users", f, k, "updated_at", d.get("updated_at"), required=False) or created,
            }
        )
    ctx.insert(table, out)
    ctx.report.imported("users", len(out))


def import_sessions(ctx: ImportContext) -> None:
    """Only unexpired sessions; the legacy session id was the cookie, so its hash is kept."""
    rows = ctx.data.of("sessions")
    ctx.report.read("sessions", len(rows))
    table = LoginSession.__table__
    ids = {r.key: new_id("session", r.data.get("id") or r.key) for r in rows}
    existing = ctx.existing(table, ids.values())
    out: list[dict[str, Any]] = []
    for r in rows:
        d, f, k = r.data, r.file, r.key
        sid = ids[k]
        expires = ctx.clean.when("sessions", f, k, "expires_at", d.get("expires_at"), required=False)
        if sid in existing:
            ctx.report.skipped("sessions")
            continue
        if expires is None or expires <= ctx.now:
            ctx.report.skipped("sessions")  # expired: not a problem, just not carried over
            continue
        uid = ctx.user_of("sessions", f, k, d.get("user_id"))
        if uid is None:
            ctx.report.skipped("sessions")
            continue
        created = ctx.clean.when("sessions", f, k, "created_at", d.get("created_at"), required=True)
        out.append(
            {
                "id": sid,
                "user_id": uid,
                "token_hash": token_hash(str(d.get("id") or k)),
                "csrf_token": new_token(),
                "history_id": None,
                "expires_at": expires,
                "last_seen_at": created,
                "ip_address": None,
                "user_agent": None,
                "created_at": created,
            }
        )
    ctx.insert(table, out)
    ctx.report.imported("sessions", len(out))


def import_session_history(ctx: ImportContext) -> None:
    rows = ctx.data.of("user_sessions")
    ctx.report.read("user_sessions", len(rows))
    table = UserSession.__table__
    ids = {r.key: new_id("user_session", r.data.get("id") or r.key) for r in rows}
    existing = ctx.existing(table, ids.values())
    out: list[dict[str, Any]] = []
    c = ctx.clean
    for r in rows:
        d, f, k = r.data, r.file, r.key
        if ids[k] in existing:
            ctx.report.skipped("user_sessions")
            continue
        uid = ctx.user_of("user_sessions", f, k, d.get("user_id"))
        if uid is None:
            ctx.report.skipped("user_sessions")
            continue
        login = c.when("user_sessions", f, k, "login_at", d.get("login_at"), required=True)
        logout = c.when("user_sessions", f, k, "logout_at", d.get("logout_at"), required=False)
        out.append(
            {
                "id": ids[k],
                "user_id": uid,
                "login_at": login,
                "last_activity_at": c.when(
                    "user_sessions", f, k, "last_activity_at", d.get("last_activity_at"), required=False
                )
                or login,
                "logout_at": logout,
                "ip_address": c.opt_text("user_sessions", f, k, "ip_address", d.get("ip_address"), 64),
                "user_agent": c.opt_text("user_sessions", f, k, "user_agent", d.get("user_agent"), 500),
                # Only the sessions carried over are live here; every other history row is closed.
                "is_active": False,
            }
        )
    ctx.insert(table, out)
    ctx.report.imported("user_sessions", len(out))


def import_activity(ctx: ImportContext) -> None:
    """Activity rows have integer ids here: they come with their user, in the run that adds the user."""
    rows = ctx.data.of("user_activity_logs")
    ctx.report.read("user_activity_logs", len(rows))
    out: list[dict[str, Any]] = []
    c = ctx.clean
    e = "user_activity_logs"
    for r in rows:
        d, f, k = r.data, r.file, r.key
        uid = ctx.user_of(e, f, k, d.get("user_id"))
        if uid is None or uid not in ctx.new_users:
            ctx.report.skipped(e)
            continue
        out.append(
            {
                "user_id": uid,
                "actor_id": None,
                "action": c.text(e, f, k, "action", d.get("action"), 64) or "unknown",
                "details": c.text(e, f, k, "details", d.get("details"), 20000),
                "ip_address": c.opt_text(e, f, k, "ip_address", d.get("ip_address"), 64),
                "user_agent": c.opt_text(e, f, k, "user_agent", d.get("user_agent"), 500),
                "created_at": c.when(e, f, k, "created_at", d.get("created_at"), required=True),
            }
        )
    ctx.insert(UserActivityLog.__table__, out)
    ctx.report.imported(e, len(out))
