"""One list of rows per legacy entity, from the JSON files and the SQLite tables together.

Where an entity is in both stores the row with the same legacy id is merged, field by field:
for the stores the seed ERD (section 4) names as the live one - users, sessions, credit
history, charge requests, activity logs, settings in JSON; jobs and scripts in SQLite - that
store's value wins and the other store only fills fields it lacks. Every merged entity and
every field that disagreed is reported (kind `merged` once per entity, `conflict` per field).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelforge.legacy.read_json import JSON_FILES, other_files, read_json_file, records
from reelforge.legacy.read_sqlite import SQLITE_FILE, TABLES, read_tables
from reelforge.legacy.report import Report

# entity -> (JSON file or None, SQLite table or None, which store wins)
SOURCES: dict[str, tuple[str | None, str | None, str]] = {
    "users": ("users.json", "users", "json"),
    "sessions": ("sessions.json", "sessions", "json"),
    "user_sessions": ("user_sessions.json", None, "json"),
    "user_activity_logs": ("user_activity_logs.json", "user_activity_logs", "json"),
    "credit_history": ("credit_history.json", "credit_history", "json"),
    "charge_requests": ("charge_requests.json", "charge_requests", "json"),
    "settings": ("settings.json", "settings", "json"),
    "youtube_channels": ("youtube_channels.json", None, "json"),
    "prompts": ("prompts.json", None, "json"),
    "scripts": ("scripts.json", "scripts", "sqlite"),
    "jobs": ("jobs.json", "jobs", "sqlite"),
    "job_logs": (None, "job_logs", "sqlite"),
    "script_logs": (None, "script_logs", "sqlite"),
    "scripts_temp": (None, "scripts_temp", "sqlite"),
    "folders": (None, "folders", "sqlite"),
    "tasks": (None, "tasks", "sqlite"),
    "task_logs": (None, "task_logs", "sqlite"),
    "youtube_uploads": (None, "youtube_uploads", "sqlite"),
}
# Fields compared when a row is in both stores (differences are reported).
COMPARED = {"users": ("email", "password", "credits", "is_admin"), "credit_history": ("amount", "balance_after")}
# Integer-keyed log tables: their SQLite rowid is not an identity worth merging on.
UNKEYED = {"job_logs", "script_logs", "task_logs"}


@dataclass
class Row:
    file: str
    key: str
    data: dict[str, Any]


@dataclass
class LegacyData:
    folder: Path
    rows: dict[str, list[Row]]

    def of(self, entity: str) -> list[Row]:
        return self.rows.get(entity, [])


def _normalise(entity: str, row: dict[str, Any]) -> dict[str, Any]:
    """The few fields the two stores spell differently, under one name."""
    if "balance" in row and "balance_after" not in row:
        row["balance_after"] = row.pop("balance")
    if entity == "users":
        if "is_email_verified" in row and "email_verified" not in row:
            row["email_verified"] = row.pop("is_email_verified")
        if "memo" in row and "admin_memo" not in row:
            row["admin_memo"] = row.pop("memo")
    if entity == "settings":
        for legacy, name in (("ai_script_cost", "script"), ("video_generation_cost", "video")):
            if legacy in row:
                row[name] = row.pop(legacy)
    return row


def _comparable(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    return str(value).strip()


def _merge(entity: str, primary: list[Row], secondary: list[Row], report: Report) -> list[Row]:
    by_id: dict[str, Row] = {}
    out: list[Row] = []
    for row in primary:
        rid = str(row.data.get("id") or "")
        if rid and rid in by_id:
            report.problem(entity, "duplicate_id", row.file, row.key, f"id {rid} appears twice; the first kept")
            report.read(entity)
            report.skipped(entity)
            continue
        if rid:
            by_id[rid] = row
        out.append(row)
    merged = 0
    for row in secondary:
        rid = str(row.data.get("id") or "")
        twin = by_id.get(rid) if rid else None
        if twin is None:
            if rid:
                by_id[rid] = row
            out.append(row)
            continue
        merged += 1
        for field in COMPARED.get(entity, ()):
            a, b = twin.data.get(field), row.data.get(field)
            if a is not None and b is not None and _comparable(a) != _comparable(b):
                shown = "(differs)" if field == "password" else f"{a!r} kept, {b!r} ignored"
                report.problem(entity, "conflict", twin.file, twin.key, f"{field}: {shown} ({row.file} {row.key})")
        for field, value in row.data.items():
            if twin.data.get(field) in (None, "") and value not in (None, ""):
                twin.data[field] = value
    if merged:
        report.problem(
            entity,
            "merged",
            f"{primary[0].file if primary else ''} + {secondary[0].file if secondary else ''}",
            None,
            f"{merged} rows in both stores, merged by id ({primary[0].file if primary else '?'} wins)",
        )
    return out


def load(folder: Path, report: Report) -> LegacyData:
    tables = read_tables(folder, report)
    json_rows: dict[str, list[Row]] = {}
    for entity, (file, _table, _win) in SOURCES.items():
        if file is None or not (folder / file).exists():
            continue
        document = read_json_file(folder / file, report)
        if document is not None:
            report.readable_sources += 1
        if entity == "settings" and isinstance(document, dict) and "id" not in document:
            document = [document]
        json_rows[entity] = [Row(file, k, _normalise(entity, r)) for k, r in records(document, file, entity, report)]
    known = set(JSON_FILES) | {SQLITE_FILE, f"{SQLITE_FILE}-wal", f"{SQLITE_FILE}-shm"}
    for path in other_files(folder, known):
        report.problem("files", "ignored_file", path.name, None, "not a store of the seed ERD (a backup?); not read")
    rows: dict[str, list[Row]] = {}
    for entity, (_file, table, winner) in SOURCES.items():
        from_json = json_rows.get(entity, [])
        from_sqlite = [Row(f"{SQLITE_FILE}:{table}", k, _normalise(entity, r)) for k, r in tables.get(table or "", [])]
        if entity in UNKEYED or not from_json or not from_sqlite:
            rows[entity] = from_json + from_sqlite if winner == "json" else from_sqlite + from_json
            if entity not in UNKEYED:
                rows[entity] = _merge(entity, rows[entity], [], report)
            continue
        first, second = (from_json, from_sqlite) if winner == "json" else (from_sqlite, from_json)
        rows[entity] = _merge(entity, first, second, report)
    assert set(TABLES) <= {t for _f, t, _w in SOURCES.values() if t}
    return LegacyData(folder, rows)
