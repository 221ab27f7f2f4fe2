"""Reads of the scripts domain, written once for the API, the pages and other domains.

Ownership lives here: `get_owned_script` answers 404 for other users' scripts exactly
like for missing ones, so a new route cannot forget the check.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from reelforge.errors import InvalidInput, NotFound
from reelforge.jobs.service import decode_cursor, encode_cursor
from reelforge.scripts.models import Script, ScriptLog
from reelforge.scripts.prompts import TYPES

STATUSES = ("pending", "processing", "completed", "failed", "cancelled")
MAX_PAGE = 100
MAX_QUERY = 200
UNFILED = "none"  # the folder filter's value for scripts in no folder


def get_owned_script(db: Session, script_id: str, *, user_id: str | None) -> Script:
    """The acting user's script (`user_id=None`: any user's, for admin and job code)."""
    row = db.get(Script, script_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        raise NotFound("No such script.")
    return row


def find_finished_script(db: Session, script_id: str | None, *, user_id: str) -> Script | None:
    """The user's script if it is finished (renderable), else None: for forms that show it."""
    if not script_id:
        return None
    row = db.get(Script, script_id)
    if row is None or row.user_id != user_id or row.status != "completed" or not row.content:
        return None
    return row


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_scripts(
    db: Session,
    user_id: str,
    *,
    q: str | None = None,
    status: str | None = None,
    type: str | None = None,
    folder_id: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[Script], str | None]:
    """The user's scripts, newest first, keyset-paginated on (created_at, id); `q` searches title and topic;
    `folder_id` keeps one folder's scripts ("none": the unfiled ones)."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}.", field="status")
    if type is not None and type not in TYPES:
        raise InvalidInput(f"type must be one of {', '.join(TYPES)}.", field="type")
    limit = max(1, min(MAX_PAGE, limit))
    stmt = select(Script).where(Script.user_id == user_id)
    if q and q.strip():
        needle = f"%{_escape_like(q.strip()[:MAX_QUERY].lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Script.title).like(needle, escape="\\"),
                func.lower(Script.original_topic).like(needle, escape="\\"),
            )
        )
    if status:
        stmt = stmt.where(Script.status == status)
    if type:
        stmt = stmt.where(Script.type == type)
    if folder_id == UNFILED:
        stmt = stmt.where(Script.folder_id.is_(None))
    elif folder_id:
        stmt = stmt.where(Script.folder_id == folder_id)
    if cursor:
        when, last_id = decode_cursor(cursor)
        stmt = stmt.where(or_(Script.created_at < when, and_(Script.created_at == when, Script.id < last_id)))
    rows = list(db.scalars(stmt.order_by(Script.created_at.desc(), Script.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def script_logs(db: Session, script_id: str, *, after_id: int = 0, limit: int = 500) -> list[ScriptLog]:
    return list(
        db.scalars(
            select(ScriptLog)
            .where(ScriptLog.script_id == script_id, ScriptLog.id > after_id)
            .order_by(ScriptLog.id)
            .limit(max(1, min(1000, limit)))
        )
    )
