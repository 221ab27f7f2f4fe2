"""The automatic database backup taken before every script run (seed section 9).

SQLite: the online backup API copies the live database page by page (consistent even
while other connections write) into
`<data_dir>/backups/database_YYYY-MM-DD_HH-MM-SS_auto_before_script.sqlite` (UTC time),
written under a temporary name and renamed, mode 0600. Only the newest
`script_backups_keep` automatic backups are kept (0 turns the automatic backup off).
PostgreSQL: skipped with a log line; operators use pg_dump.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

PREFIX = "database_"
SUFFIX = "_auto_before_script.sqlite"
NAME_RE = re.compile(r"^database_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_auto_before_script\.sqlite$")


@dataclass(frozen=True)
class BackupResult:
    path: Path | None
    skipped: str | None = None  # why no file was written
    removed: tuple[Path, ...] = ()


def backup_dir(data_dir: Path) -> Path:
    return data_dir.resolve() / "backups"


def backup_name(now: datetime) -> str:
    return f"{PREFIX}{now.astimezone(UTC).strftime('%Y-%m-%d_%H-%M-%S')}{SUFFIX}"


def list_auto_backups(data_dir: Path) -> list[Path]:
    """Automatic backups, oldest first (the timestamped names sort chronologically)."""
    folder = backup_dir(data_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if NAME_RE.match(p.name))


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def backup_before_script(database_url: str, data_dir: Path, keep: int, *, now: datetime | None = None) -> BackupResult:
    """Take the automatic backup and apply retention. Never raises for PostgreSQL or keep=0."""
    if keep <= 0:
        return BackupResult(None, skipped="automatic backups are turned off (REELFORGE_SCRIPT_BACKUPS_KEEP=0)")
    source = sqlite_path(database_url)
    if source is None:
        backend = make_url(database_url).get_backend_name()
        if backend == "sqlite":
            return BackupResult(None, skipped="the database is in memory; nothing to back up")
        return BackupResult(
            None, skipped=f"automatic backup skipped on {backend}: use pg_dump (or your provider's snapshots)"
        )
    folder = backup_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / backup_name(now or datetime.now(UTC))
    if not target.exists():
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        src = sqlite3.connect(source, timeout=30)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.close(fd)
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst, pages=256)
                dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    removed = prune(data_dir, keep)
    return BackupResult(target, removed=tuple(removed))


def prune(data_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` automatic backups; returns the removed paths."""
    backups = list_auto_backups(data_dir)
    doomed = backups[: max(0, len(backups) - keep)]
    for path in doomed:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
    return doomed
