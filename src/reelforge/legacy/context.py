"""State shared by the import steps: the session, the report, the legacy->new id maps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from reelforge.config import Settings
from reelforge.legacy.merge import LegacyData
from reelforge.legacy.report import Report
from reelforge.legacy.values import Cleaner

CHUNK = 2000


@dataclass
class ImportContext:
    session: Session
    settings: Settings
    data: LegacyData
    report: Report
    now: datetime
    clean: Cleaner
    users: dict[str, str] = field(default_factory=dict)  # legacy user id -> users.id (old or new)
    new_users: set[str] = field(default_factory=set)  # users.id inserted by this run
    legacy_credits: dict[str, Any] = field(default_factory=dict)  # users.id -> the old cached balance
    emails: dict[str, str] = field(default_factory=dict)  # users.id -> e-mail (for charge approvers)
    jobs: dict[str, str] = field(default_factory=dict)  # legacy job id -> jobs.id
    scripts: dict[str, str] = field(default_factory=dict)  # legacy script id -> scripts.id
    channels: dict[tuple[str, str], str] = field(default_factory=dict)  # (users.id, channel id) -> row id
    # scripts the legacy process never finished: scripts.id -> (users.id, created_at)
    interrupted_scripts: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    script_price: int = 100
    # legacy parents (jobs, scripts, tasks) not imported by this run: their logs are skipped quietly
    skipped_parents: set[str] = field(default_factory=set)

    def existing(self, table: Any, ids: Iterable[str]) -> set[str]:
        """Which of `ids` are already in `table` (rows of an earlier run)."""
        found: set[str] = set()
        pending = list(dict.fromkeys(ids))
        for i in range(0, len(pending), CHUNK):
            part = pending[i : i + CHUNK]
            found.update(self.session.scalars(select(table.c.id).where(table.c.id.in_(part))))
        return found

    def insert(self, table: Any, rows: Sequence[dict[str, Any]]) -> None:
        for i in range(0, len(rows), CHUNK):
            self.session.execute(insert(table), list(rows[i : i + CHUNK]))

    def user_of(self, entity: str, file: str, key: str, legacy_user: Any) -> str | None:
        """The users.id for a legacy user id, or None (reported as an orphan; the caller skips)."""
        uid = self.users.get(str(legacy_user)) if legacy_user is not None else None
        if uid is None:
            self.report.problem(entity, "orphan", file, key, f"user {legacy_user!r} does not exist; skipped")
        return uid
