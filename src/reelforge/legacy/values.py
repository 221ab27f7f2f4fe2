"""Cleaning legacy values: timestamps in any form, text, whole numbers, flags, deterministic ids."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from reelforge.legacy.report import Report

# Every id reelforge gives a legacy row is uuid5(NAMESPACE, "<entity>:<legacy id>"): the same
# folder always maps to the same ids, so a second run finds the rows of the first (idempotent)
# and two entities that reuse an id never collide.
NAMESPACE = uuid.UUID("6f1d2c3e-8a4b-5c6d-9e0f-1a2b3c4d5e6f")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SQLITE_TS = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
# Epoch values above this are milliseconds (1e11 s is the year 5138).
_MS_THRESHOLD = 100_000_000_000
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


_NS = NAMESPACE.bytes


def new_id(entity: str, legacy_id: Any) -> str:
    """str(uuid.uuid5(NAMESPACE, f"{entity}:{legacy_id}")), without the UUID object (a million rows)."""
    h = hashlib.sha1(_NS + f"{entity}:{legacy_id}".encode(), usedforsecurity=False).hexdigest()
    variant = "89ab"[int(h[16], 16) & 0x3]
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


def parse_when(value: Any) -> datetime | None:
    """Aware UTC from ISO (Z, offset or naive = UTC), SQLite text, epoch s/ms; None if not a time."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _NUMERIC.match(text):
            value = float(text)
        else:
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                return None
            aware = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
            return aware if _EARLIEST <= aware < _LATEST else None
    if isinstance(value, int | float):
        seconds = float(value) / 1000 if abs(value) >= _MS_THRESHOLD else float(value)
        try:
            aware = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return aware if _EARLIEST <= aware < _LATEST else None
    return None


def looks_like_sqlite_ts(text: str) -> bool:
    return bool(_SQLITE_TS.match(text))


class Cleaner:
    """Value cleaning that reports what it changes, bound to the current file and row."""

    def __init__(self, report: Report, now: datetime) -> None:
        self.report = report
        self.now = now

    def when(self, entity: str, file: str, row: Any, field: str, value: Any, *, required: bool) -> datetime | None:
        parsed = parse_when(value)
        if parsed is None and value not in (None, ""):
            fallback = " (import time used)" if required else " (left empty)"
            self.report.problem(entity, "bad_timestamp", file, row, f"{field}={str(value)[:60]!r}{fallback}")
        if parsed is None and required:
            return self.now
        return parsed

    def text(
        self, entity: str, file: str, row: Any, field: str, value: Any, limit: int | None, *, default: str = ""
    ) -> str:
        if value is None:
            return default
        text = value if isinstance(value, str) else str(value)
        if _CONTROL.search(text):
            text = _CONTROL.sub("", text)
            self.report.problem(entity, "control_chars", file, row, f"{field}: control characters removed")
        if limit is not None and len(text) > limit:
            self.report.problem(entity, "truncated", file, row, f"{field}: {len(text)} characters cut to {limit}")
            text = text[:limit]
        return text

    def opt_text(self, entity: str, file: str, row: Any, field: str, value: Any, limit: int | None) -> str | None:
        text = self.text(entity, file, row, field, value, limit)
        return text or None

    def whole(self, entity: str, file: str, row: Any, field: str, value: Any, *, default: int | None = 0) -> int | None:
        """An int from int, integral float or numeric text; reported and `default` otherwise."""
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")) or number != int(number):
            self.report.problem(entity, "bad_number", file, row, f"{field}={str(value)[:40]!r} (used {default})")
            return default
        return int(number)


def flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t")
    return bool(value)


def pick(row: dict[str, Any], *names: str) -> Any:
    """The first present, non-null value among snake_case / camelCase spellings."""
    for name in names:
        value = row.get(name)
        if value is not None:
            return value
    return None
