"""`reelforge doctor`: checks an installation and reports what is wrong, in plain words.

Each check is a function (settings, database) -> list[Finding]. Domains add their own
checks to `CHECKS` (the ledger and job checks live with their domains).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from reelforge.config import Settings
from reelforge.db import migrate
from reelforge.db.engine import Database


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


Check = Callable[[Settings, Database], list[Finding]]


def check_database(settings: Settings, db: Database) -> list[Finding]:
    try:
        with db.read_session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        return [Finding("database", False, f"cannot connect: {exc}")]
    findings = [Finding("database", True, f"reachable ({db.dialect})")]
    current, head = migrate.current_revision(db.engine), migrate.head_revision()
    findings.append(
        Finding(
            "migrations",
            current == head,
            f"at head {head}" if current == head else f"at {current}, head is {head}: run `reelforge db upgrade`",
        )
    )
    if db.dialect == "sqlite":
        with db.read_session() as session:
            mode = session.execute(text("PRAGMA journal_mode")).scalar()
        findings.append(Finding("sqlite journal", mode == "wal", f"journal_mode={mode}"))
    return findings


def _mode(path: os.PathLike[str] | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def check_data_dir(settings: Settings, db: Database) -> list[Finding]:
    path = settings.data_dir.resolve()
    if not path.is_dir():
        return [Finding("data folder", False, f"{path} does not exist")]
    findings = [Finding("data folder", os.access(path, os.W_OK), f"{path} writable={os.access(path, os.W_OK)}")]
    mode = _mode(path)
    findings.append(Finding("data folder mode", mode & 0o077 == 0, f"{oct(mode)} (want 0700)"))
    for name in ("reelforge.db", "secret.key"):
        f = path / name
        if f.exists():
            m = _mode(f)
            findings.append(Finding(f"{name} mode", m & 0o077 == 0, f"{oct(m)} (want 0600)"))
    return findings


def check_ffmpeg(settings: Settings, db: Database) -> list[Finding]:
    from reelforge.render.ffmpeg import ffmpeg_version

    try:
        return [Finding("ffmpeg", True, ffmpeg_version(settings.ffmpeg))]
    except Exception as exc:  # noqa: BLE001
        return [Finding("ffmpeg", False, f"not usable: {exc}")]


def check_ledger(settings: Settings, db: Database) -> list[Finding]:
    """The credit ledger audit (reelforge.credits.audit); `reelforge doctor --ledger` runs only this."""
    from reelforge.credits.audit import check_ledger as audit

    return audit(settings, db)


def check_jobs(settings: Settings, db: Database) -> list[Finding]:
    """Stuck jobs (expired leases), failed paid jobs without a refund, waiting jobs without a worker."""
    from reelforge.jobs.checks import check_jobs as jobs_check

    return jobs_check(settings, db)


def check_youtube(settings: Settings, db: Database) -> list[Finding]:
    """OAuth client configuration, stored tokens readable with the current key, today's upload count."""
    from reelforge.youtube.checks import check_youtube as youtube_check

    return youtube_check(settings, db)


def check_render(settings: Settings, db: Database) -> list[Finding]:
    """ffmpeg filters/encoders the renders need, the offline voice, the Korean font, providers, media store."""
    from reelforge.render.checks import check_render as render_check

    return render_check(settings, db)


def check_scripts(settings: Settings, db: Database) -> list[Finding]:
    """Which script writer is configured, stored prompt templates, the automatic backup folder."""
    from reelforge.scripts.checks import check_scripts as scripts_check

    return scripts_check(settings, db)


def check_accounts(settings: Settings, db: Database) -> list[Finding]:
    """An active admin, the mail set-up, expired sessions waiting for the purge, the web font."""
    from reelforge.accounts.checks import check_accounts as accounts_check

    return accounts_check(settings, db)


CHECKS: list[Check] = [
    check_database,
    check_data_dir,
    check_ffmpeg,
    check_ledger,
    check_jobs,
    check_youtube,
    check_scripts,
    check_render,
    check_accounts,
]


def run_checks(
    settings: Settings, db: Database, extra: list[Check] | None = None, *, only: list[Check] | None = None
) -> list[Finding]:
    findings: list[Finding] = []
    for check in only if only is not None else [*CHECKS, *(extra or [])]:
        try:
            findings.extend(check(settings, db))
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            findings.append(Finding(check.__name__, False, f"check crashed: {exc}"))
    return findings
