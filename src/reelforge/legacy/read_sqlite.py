"""Reading the legacy database.sqlite (section 1 of the seed ERD), read-only, table by table."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from reelforge.legacy.read_json import snake_keys
from reelforge.legacy.report import Report

SQLITE_FILE = "database.sqlite"
TABLES = (
    "users",
    "sessions",
    "jobs",
    "job_logs",
    "scripts",
    "script_logs",
    "scripts_temp",
    "credit_history",
    "charge_requests",
    "user_activity_logs",
    "folders",
    "tasks",
    "task_logs",
    "youtube_uploads",
    "settings",
)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def read_tables(folder: Path, report: Report) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """{table: [(row key, snake_case row)]}; an unreadable file or table is reported, not raised."""
    path = folder / SQLITE_FILE
    tables: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    if not path.exists():
        return tables
    try:
        # mode=ro: never change the legacy file (not even its WAL); bad UTF-8 is replaced, not fatal.
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        report.problem("files", "unreadable_file", SQLITE_FILE, None, str(exc))
        return tables
    conn.text_factory = _decode
    conn.row_factory = sqlite3.Row
    try:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        report.problem("files", "unreadable_file", SQLITE_FILE, None, f"{exc.__class__.__name__}: {exc}")
        conn.close()
        return tables
    report.readable_sources += 1
    for extra in sorted(present - set(TABLES) - {"sqlite_sequence"}):
        report.problem("files", "ignored_table", SQLITE_FILE, extra, "not in the seed ERD; not imported")
    for table in TABLES:
        if table not in present:
            continue
        try:
            rows = conn.execute(f'SELECT rowid AS "__rowid", * FROM "{table}"').fetchall()  # noqa: S608 - fixed names
        except sqlite3.Error as exc:
            report.problem("files", "unreadable_table", f"{SQLITE_FILE}:{table}", None, str(exc))
            continue
        out = []
        for r in rows:
            row = snake_keys(dict(r))
            key = str(row.get("id") if row.get("id") is not None else row.get("__rowid"))
            out.append((key, row))
        tables[table] = out
    conn.close()
    return tables
