"""`reelforge import-legacy DIR`: move a legacy installation's data folder into this database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from reelforge.config import get_settings

console = Console(soft_wrap=True)
err = Console(stderr=True)


def import_legacy(
    folder: Annotated[Path, typer.Argument(help="The legacy data/ folder (JSON files and database.sqlite).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Do all the work in a transaction that is rolled back: writes nothing.")
    ] = False,
    report_file: Annotated[Path | None, typer.Option("--report", help="Also write the report as JSON here.")] = None,
) -> None:
    """Import users, balances and histories, scripts, videos and channels from the legacy system."""
    from reelforge.db import migrate
    from reelforge.db.engine import open_database
    from reelforge.legacy.flows import run_import
    from reelforge.legacy.service import NothingReadable

    settings = get_settings()
    db = open_database(settings)
    migrate.upgrade(db.engine)
    try:
        report = run_import(db, settings, folder, dry_run=dry_run)
    except NothingReadable as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    finally:
        db.dispose()
    console.print(report.to_text(), markup=False, highlight=False)
    if report_file is not None:
        report_file.write_text(report.to_json(), encoding="utf-8")
