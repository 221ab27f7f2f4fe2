"""Shared helpers for the scripts tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reelforge.db.engine import Database


def ledger(db: Database, user_id: str) -> list[tuple[str, int, str | None, str | None]]:
    from reelforge.credits.models import CreditHistory

    with db.read_session() as s:
        rows = s.scalars(
            select(CreditHistory).where(CreditHistory.user_id == user_id).order_by(CreditHistory.created_at)
        ).all()
        return [(r.type, r.amount, r.script_id, r.refund_of_id) for r in rows]


def script_row(db: Database, script_id: str) -> Any:
    from reelforge.scripts.models import Script

    with db.read_session() as s:
        row = s.get(Script, script_id)
        if row is not None:
            s.expunge(row)
        return row


def log_lines(db: Database, script_id: str) -> list[str]:
    from reelforge.scripts.models import ScriptLog

    with db.read_session() as s:
        return list(
            s.scalars(select(ScriptLog.log_message).where(ScriptLog.script_id == script_id).order_by(ScriptLog.id))
        )
