"""Reads of the library domain: the acting user's folders (other users' folders do not exist for them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelforge.errors import InvalidInput
from reelforge.library.models import Folder


def get_owned_folder(db: Session, folder_id: str, *, user_id: str) -> Folder:
    """The user's folder, or a 422 on `folder_id` (it is always a field of something being created)."""
    folder = db.get(Folder, folder_id)
    if folder is None or folder.user_id != user_id:
        raise InvalidInput("No such folder.", field="folder_id")
    return folder


def list_folders(db: Session, user_id: str) -> list[Folder]:
    """The user's folders by name (for pickers)."""
    return list(db.scalars(select(Folder).where(Folder.user_id == user_id).order_by(Folder.name, Folder.id)))
