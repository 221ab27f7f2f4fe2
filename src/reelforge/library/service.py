"""Rules of the library domain: folders (names unique per user, colours #RRGGBB) and filing
scripts and videos into them. Takes a session, never commits; errors carry English msgids
with their `params`, which the HTTP layers translate into the reader's language."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from reelforge.errors import Conflict, InvalidInput
from reelforge.jobs.models import Job
from reelforge.library.models import Folder
from reelforge.library.queries import RENDER_KIND, get_user_folder
from reelforge.scripts.models import Script

NAME_MAX = 100  # the column's length
MOVE_MAX = 200  # items one move may carry
DEFAULT_COLOR = "#8B5CF6"
COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")


def clean_name(name: str | None) -> str:
    """Trimmed, inner whitespace collapsed; empty or too long is a 422 on `name`."""
    text = " ".join((name or "").split())
    if not text:
        raise InvalidInput("A folder needs a name.", field="name", reason="empty")
    if len(text) > NAME_MAX:
        raise InvalidInput(
            "The folder name is too long (at most %(limit)s characters).",
            field="name",
            reason="too_long",
            params={"limit": NAME_MAX},
        )
    return text


def clean_color(color: str | None) -> str:
    """`#RRGGBB` in upper case (the seed's style); anything else is a 422 on `color`."""
    if color is None or color == "":
        return DEFAULT_COLOR
    text = color.strip()
    if not COLOR_RE.match(text):
        raise InvalidInput("The colour must look like #8B5CF6.", field="color", reason="bad_color")
    return text.upper()


def _ensure_unique(db: Session, user_id: str, name: str, *, except_id: str | None = None) -> None:
    stmt = select(Folder.id).where(Folder.user_id == user_id, func.lower(Folder.name) == name.lower())
    if except_id is not None:
        stmt = stmt.where(Folder.id != except_id)
    if db.scalar(stmt.limit(1)) is not None:
        raise Conflict(
            "You already have a folder named “%(name)s”.",
            field="name",
            reason="duplicate_name",
            params={"name": name},
        )


def create_folder(db: Session, user_id: str, name: str | None, color: str | None = None) -> Folder:
    clean, colour = clean_name(name), clean_color(color)
    _ensure_unique(db, user_id, clean)
    folder = Folder(user_id=user_id, name=clean, color=colour)
    db.add(folder)
    db.flush()
    return folder


def update_folder(
    db: Session, folder_id: str, user_id: str, *, name: str | None = None, color: str | None = None
) -> Folder:
    """Rename and/or recolour (None leaves a field as it is)."""
    folder = get_user_folder(db, folder_id, user_id=user_id)
    if name is not None:
        clean = clean_name(name)
        _ensure_unique(db, user_id, clean, except_id=folder.id)
        folder.name = clean
    if color is not None:
        if not color.strip():
            raise InvalidInput("The colour must look like #8B5CF6.", field="color", reason="bad_color")
        folder.color = clean_color(color)
    db.flush()
    return folder


def delete_folder(db: Session, folder_id: str, user_id: str) -> None:
    """Delete the folder; its scripts and videos stay, unfiled (explicitly: SQLite may not enforce SET NULL)."""
    folder = get_user_folder(db, folder_id, user_id=user_id)
    db.execute(update(Script).where(Script.folder_id == folder.id).values(folder_id=None))
    db.execute(update(Job).where(Job.folder_id == folder.id).values(folder_id=None))
    db.delete(folder)
    db.flush()


def _ids(raw: Sequence[str] | None, field: str) -> list[str]:
    ids = list(dict.fromkeys(str(i).strip() for i in (raw or []) if str(i).strip()))
    if any(len(i) > 64 for i in ids):
        raise InvalidInput("These ids are not valid.", field=field, reason="bad_id")
    return ids


def move_items(
    db: Session,
    user_id: str,
    folder_id: str | None,
    *,
    script_ids: Sequence[str] | None = None,
    video_ids: Sequence[str] | None = None,
) -> tuple[int, int]:
    """File the user's scripts and videos into one folder (None: unfile them), all or nothing.

    Returns (scripts moved, videos moved). An id that is not the user's (or a video that is
    not a render) is a 422 naming the ids, so nothing is half moved."""
    scripts, videos = _ids(script_ids, "script_ids"), _ids(video_ids, "video_ids")
    if len(scripts) + len(videos) > MOVE_MAX:
        raise InvalidInput(
            "At most %(limit)s items can be moved at once.",
            field="items",
            reason="too_many",
            params={"limit": MOVE_MAX},
        )
    target = get_user_folder(db, folder_id, user_id=user_id).id if folder_id is not None else None
    for field, model, ids in (("script_ids", Script, scripts), ("video_ids", Job, videos)):
        if not ids:
            continue
        stmt = select(model.id).where(model.user_id == user_id, model.id.in_(ids))
        if model is Job:
            stmt = stmt.where(Job.kind == RENDER_KIND)
        found = set(db.scalars(stmt))
        missing = [i for i in ids if i not in found]
        if missing:
            raise InvalidInput(
                "Some items are not yours or do not exist: %(ids)s.",
                field=field,
                reason="unknown_items",
                missing=missing[:20],
                params={"ids": ", ".join(missing[:5])},
            )
        db.execute(update(model).where(model.id.in_(ids)).values(folder_id=target))
    db.flush()
    return len(scripts), len(videos)
