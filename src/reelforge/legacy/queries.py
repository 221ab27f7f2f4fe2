"""Reads of the legacy domain: the report of the last (committed) import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from reelforge.credits.models import Setting

LAST_REPORT_KEY = "legacy_import.last_report"  # a reserved settings key: the last committed report


@dataclass(frozen=True)
class LastImport:
    report: dict[str, Any]
    at: datetime | None


def last_import(db: Session) -> LastImport | None:
    """The last import's report as `reelforge import-legacy` stored it, or None before any import."""
    row = db.get(Setting, LAST_REPORT_KEY)
    if row is None or not isinstance(row.value, dict):
        return None
    return LastImport(report=row.value, at=row.updated_at)
