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


CHECKS: list[Check] = [check_database, check_data_dir, check_ffmpeg]


def run_checks(settings: Settings, db: Database, extra: list[Check] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for check in [*CHECKS, *(extra or [])]:
        try:
            findings.extend(check(settings, db))
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            findings.append(Finding(check.__name__, False, f"check crashed: {exc}"))
    return findings
