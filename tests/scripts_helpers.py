"""Shared helpers for the scripts tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from reelforge.db.engine import Database


def fund(db: Database, user_id: str, amount: int) -> None:
    """Top a user up through the ledger (an admin adjustment) so the ledger stays consistent."""
    from reelforge.accounts.service import create_user
    from reelforge.credits.service import grant

    with db.session() as s:
        admin = create_user(
            s, f"admin-{uuid.uuid4().hex[:10]}@example.com", "a-good-passphrase-1", is_admin=True, email_verified=True
        )
        s.flush()
        grant(s, user_id, amount, reason="test credits", admin_id=admin.id)


def fresh(db: Database, user_id: str) -> Any:
    from reelforge.accounts.models import User

    with db.read_session() as s:
        user = s.get(User, user_id)
        s.expunge(user)
        return user


def balance(db: Database, user_id: str) -> int:
    from reelforge.credits.service import balance as bal

    with db.read_session() as s:
        return bal(s, user_id)


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
