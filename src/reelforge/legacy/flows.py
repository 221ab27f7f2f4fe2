"""The import as one unit of work: all of it commits, or (dry run, error, kill -9) none of it."""

from __future__ import annotations

from pathlib import Path

from reelforge.config import Settings
from reelforge.credits.models import Setting
from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.legacy.queries import LAST_REPORT_KEY
from reelforge.legacy.report import Report
from reelforge.legacy.service import import_folder


def run_import(db: Database, settings: Settings, folder: Path, *, dry_run: bool = False) -> Report:
    """Import `folder` in one transaction; a dry run rolls it back after the same work."""
    session = db.new_session()
    try:
        if db.dialect == "sqlite":
            # A million ledger rows touch nine indexes; a bigger page cache for this connection.
            session.connection().exec_driver_sql("PRAGMA cache_size = -262144")
        report = import_folder(session, settings, folder, dry_run=dry_run)
        if dry_run:
            session.rollback()
        else:
            # The last report, for the admins (kept in settings: a JSON value under a reserved key).
            session.merge(Setting(key=LAST_REPORT_KEY, value=report.as_dict(), updated_at=utcnow()))
            session.commit()
        return report
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
