"""Use cases of the library domain shared by the JSON API and the HTML pages: folders with their
counts, filing items, and one page of the video library with what its cards show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from reelforge import i18n
from reelforge.errors import AppError
from reelforge.jobs.models import Job
from reelforge.library import queries, service
from reelforge.library.models import Folder
from reelforge.youtube.models import YoutubeUpload


def error_text(lang: str, exc: AppError) -> str:
    """The error's message in `lang` (services raise English msgids with their `params`)."""
    params = exc.extra.get("params")
    return i18n.gettext(lang, exc.detail, **params) if isinstance(params, dict) else i18n.gettext(lang, exc.detail)


@dataclass
class FolderView:
    folder: Folder
    scripts: int
    videos: int


def folders_with_counts(db: Session, user_id: str) -> tuple[list[FolderView], queries.Counts]:
    """The user's folders with how many scripts and videos each holds, and the unfiled counts."""
    counts = queries.folder_counts(db, user_id)
    views = []
    for f in queries.list_folders(db, user_id):
        c = counts.get(f.id, queries.Counts())
        views.append(FolderView(f, c.scripts, c.videos))
    return views, counts.get(None, queries.Counts())


def folder_view(db: Session, folder: Folder) -> FolderView:
    c = queries.folder_counts(db, folder.user_id).get(folder.id, queries.Counts())
    return FolderView(folder, c.scripts, c.videos)


def create_folder(db: Session, user_id: str, name: str | None, color: str | None = None) -> FolderView:
    return FolderView(service.create_folder(db, user_id, name, color), 0, 0)


def update_folder(
    db: Session, folder_id: str, user_id: str, *, name: str | None = None, color: str | None = None
) -> FolderView:
    return folder_view(db, service.update_folder(db, folder_id, user_id, name=name, color=color))


def delete_folder(db: Session, folder_id: str, user_id: str) -> None:
    service.delete_folder(db, folder_id, user_id)


def move_items(
    db: Session,
    user_id: str,
    folder_id: str | None,
    *,
    script_ids: Sequence[str] | None = None,
    video_ids: Sequence[str] | None = None,
) -> tuple[int, int]:
    return service.move_items(db, user_id, folder_id, script_ids=script_ids, video_ids=video_ids)


@dataclass
class LibraryPage:
    videos: list[Job]
    has_more: bool
    page: int
    uploads: dict[str, YoutubeUpload] = field(default_factory=dict)
    folders: dict[str, Folder] = field(default_factory=dict)


def library_page(
    db: Session, user_id: str, f: queries.LibraryFilter, *, page: int = 1, per_page: int = 24
) -> LibraryPage:
    videos, has_more = queries.library_videos(db, user_id, f, page=page, per_page=per_page)
    return LibraryPage(
        videos=videos,
        has_more=has_more,
        page=max(1, min(queries.MAX_PAGE, page)),
        uploads=queries.youtube_uploads_of(db, [v.id for v in videos]),
        folders=queries.folders_by_id(db, user_id),
    )
