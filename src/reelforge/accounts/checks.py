"""`reelforge doctor` checks of the accounts domain."""

from __future__ import annotations

from sqlalchemy import func, select

from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.doctor import Finding


def check_accounts(settings: Settings, db: Database) -> list[Finding]:
    """An active admin exists, the mail set-up parses, expired sessions are being purged, the web font."""
    from reelforge.accounts.mail import parse_smtp_url
    from reelforge.accounts.models import Session, User
    from reelforge.web import fonts

    findings: list[Finding] = []
    with db.read_session() as s:
        admins = s.scalar(
            select(func.count()).select_from(User).where(User.is_admin.is_(True), User.is_active.is_(True))
        )
        users = s.scalar(select(func.count()).select_from(User)) or 0
        stale = s.scalar(select(func.count()).select_from(Session).where(Session.expires_at <= utcnow())) or 0
    if users:
        findings.append(
            Finding(
                "admins",
                bool(admins),
                f"{admins} active admin(s)" if admins else "no active admin: run `reelforge admin create EMAIL`",
            )
        )
    findings.append(
        Finding(
            "sessions", stale < 1000, f"{stale} expired session(s) waiting; `reelforge sessions purge` removes them"
        )
    )
    if settings.smtp_url:
        try:
            target = parse_smtp_url(settings.smtp_url)
            findings.append(Finding("mail", True, f"SMTP {target.mode} to {target.host}:{target.port}"))
        except ValueError as exc:
            findings.append(Finding("mail", False, str(exc)))
    else:
        findings.append(Finding("mail", True, f"no SMTP: mail is written to {settings.data_dir.resolve() / 'outbox'}"))
    cached = fonts.find_cached(settings.data_dir.resolve())
    findings.append(
        Finding(
            "web font",
            True,
            str(cached)
            if cached
            else "not built yet: built at the first page view (~15 s) or by `python -m reelforge.web.i18n_compile`",
        )
    )
    return findings
