"""The import of one legacy data folder, in dependency order. Takes a session, never commits."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.legacy import import_accounts, import_ledger, import_misc, import_work, merge
from reelforge.legacy.context import ImportContext
from reelforge.legacy.report import Report
from reelforge.legacy.values import Cleaner


class NothingReadable(Exception):
    """DIR holds no readable legacy store at all."""


def import_folder(
    session: Session, settings: Settings, folder: Path, *, dry_run: bool = False, now: datetime | None = None
) -> Report:
    report = Report(source=str(folder), dry_run=dry_run)
    if not folder.is_dir():
        raise NothingReadable(f"{folder} is not a directory")
    data = merge.load(folder, report)
    if report.readable_sources == 0:
        raise NothingReadable(f"{folder} holds no readable legacy file (JSON files or database.sqlite)")
    moment = now or utcnow()
    ctx = ImportContext(session, settings, data, report, moment, Cleaner(report, moment))
    import_misc.import_prices(ctx)  # first: the script price decides which debit a refund reverses
    import_accounts.import_users(ctx)
    import_accounts.import_session_history(ctx)
    import_accounts.import_sessions(ctx)
    import_accounts.import_activity(ctx)
    import_misc.import_folders(ctx)
    import_work.import_scripts(ctx)
    import_work.import_jobs(ctx)
    import_ledger.import_ledger(ctx)  # after scripts: refunds of interrupted scripts point at them
    import_ledger.import_charge_requests(ctx)
    import_misc.import_prompts(ctx)
    import_work.import_tasks(ctx)
    import_misc.import_channels(ctx)
    import_misc.import_uploads(ctx)
    session.flush()
    return report
