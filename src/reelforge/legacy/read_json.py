"""Reading the legacy data/*.json files: a BOM, bad UTF-8, a truncated array, odd shapes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from reelforge.legacy.report import Report

# Section 2 of the seed ERD; jobs.json is the pure-JSON era (section 8), read when present.
JSON_FILES = (
    "users.json",
    "sessions.json",
    "user_sessions.json",
    "user_activity_logs.json",
    "credit_history.json",
    "charge_requests.json",
    "settings.json",
    "youtube_channels.json",
    "prompts.json",
    "scripts.json",
    "jobs.json",
)
MAX_FILE_BYTES = 4 * 1024**3
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


@lru_cache(maxsize=4096)  # the same few keys on every row of a million-row file
def snake(key: str) -> str:
    return _CAMEL.sub(r"_\1", key).lower()


@lru_cache(maxsize=1024)
def _snake_names(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(snake(k) for k in keys)


def snake_keys(row: dict[str, Any]) -> dict[str, Any]:
    """The row with snake_case keys (every row of a file has the same keys: converted once)."""
    return dict(zip(_snake_names(tuple(str(k) for k in row)), row.values(), strict=True))


def _salvage_array(text: str) -> list[Any]:
    """The complete elements of a JSON array cut off midway (a crash while writing)."""
    decoder = json.JSONDecoder()
    items: list[Any] = []
    pos = text.index("[") + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return items
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return items
        items.append(item)


def load_text(path: Path, report: Report) -> str | None:
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            report.problem("files", "file_too_large", name, None, f"{size} bytes; not read")
            return None
        raw = path.read_bytes()
    except OSError as exc:
        report.problem("files", "unreadable_file", name, None, f"{exc.__class__.__name__}: {exc}")
        return None
    try:
        return raw.decode("utf-8-sig")  # -sig: a BOM left by a Windows editor is dropped
    except UnicodeDecodeError as exc:
        report.problem("files", "bad_encoding", name, None, f"not UTF-8 ({exc.reason}); bad bytes replaced")
        return raw.decode("utf-8-sig", errors="replace")


def read_json_file(path: Path, report: Report) -> Any:
    """The parsed document, or what could be salvaged of it (reported), or None."""
    text = load_text(path, report)
    if text is None:
        return None
    if not text.strip():
        return []  # an emptied file holds no rows; that is not a problem
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = f"invalid JSON ({exc.__class__.__name__}: {str(exc)[:120]})"
        if text.lstrip().startswith("["):
            items = _salvage_array(text)
            report.problem("files", "invalid_json", path.name, None, f"{detail}; {len(items)} complete rows kept")
            return items
        report.problem("files", "invalid_json", path.name, None, f"{detail}; file skipped")
        return None


def records(document: Any, file: str, entity: str, report: Report) -> Iterator[tuple[str, dict[str, Any]]]:
    """(row key, snake_case row) for a list of objects or an object keyed by id (sessions.json)."""
    if document is None:
        return
    if isinstance(document, dict):
        values = list(document.values())
        if len(document) == 1 and isinstance(values[0], list):  # {"users": [...]}
            document = values[0]
        else:
            for key, row in document.items():
                if not isinstance(row, dict):
                    report.read(entity)
                    report.problem(entity, "bad_row", file, key, f"not an object ({type(row).__name__}); skipped")
                    report.skipped(entity)
                    continue
                yield str(key), snake_keys({"id": key, **row})
            return
    if not isinstance(document, list):
        report.problem("files", "bad_shape", file, None, f"expected a list or an object, got {type(document).__name__}")
        return
    for index, row in enumerate(document):
        if not isinstance(row, dict):
            report.read(entity)
            report.problem(entity, "bad_row", file, index, f"not an object ({type(row).__name__}); skipped")
            report.skipped(entity)
            continue
        yield str(index), snake_keys(row)


def other_files(folder: Path, known: set[str]) -> Iterator[Path]:
    """Files the import does not read (backups, corrupted copies), so the report can name them."""
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name not in known and not path.name.startswith("youtube_token_"):
            yield path
