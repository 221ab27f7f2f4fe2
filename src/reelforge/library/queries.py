"""Reads of the library domain: the acting user's folders (other users' folders do not exist for
them), how much each holds, and the video library (render jobs only, never upload jobs)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelforge.errors import InvalidInput, NotFound
from reelforge.jobs.models import JOB_STATUSES, Job
from reelforge.library.models import Folder
from reelforge.scripts.models import Script
from reelforge.youtube.models import YoutubeUpload

RENDER_KIND = "render"
VIDEO_TYPES = ("longform", "shortform", "sora2", "square")
SORTS = ("newest", "oldest", "title", "length")
UNFILED = "none"  # the folder filter's value for items in no folder
PAGE_SIZE = 24
MAX_PAGE_SIZE = 100
MAX_PAGE = 500  # bounded offset: 500 pages of 100 is more than anyone scrolls
MAX_QUERY = 200


def get_owned_folder(db: Session, folder_id: str, *, user_id: str) -> Folder:
    """The user's folder, or a 422 on `folder_id` (it is always a field of something being created)."""
    folder = db.get(Folder, folder_id)
    if folder is None or folder.user_id != user_id:
        raise InvalidInput("No such folder.", field="folder_id")
    return folder


def get_user_folder(db: Session, folder_id: str, *, user_id: str) -> Folder:
    """The user's folder addressed by its URL: a 404 for a missing or someone else's folder."""
    folder = db.get(Folder, folder_id) if len(folder_id) <= 64 else None
    if folder is None or folder.user_id != user_id:
        raise NotFound("No such folder.")
    return folder


def list_folders(db: Session, user_id: str) -> list[Folder]:
    """The user's folders by name (for pickers)."""
    return list(db.scalars(select(Folder).where(Folder.user_id == user_id).order_by(Folder.name, Folder.id)))


def folders_by_id(db: Session, user_id: str) -> dict[str, Folder]:
    """The user's folders keyed by id, for lists that show each item's folder."""
    return {f.id: f for f in list_folders(db, user_id)}


@dataclass(frozen=True)
class Counts:
    scripts: int = 0
    videos: int = 0


def folder_counts(db: Session, user_id: str) -> dict[str | None, Counts]:
    """Scripts and videos (renders) per folder id; the key None counts the unfiled ones."""
    script_rows = db.execute(
        select(Script.folder_id, func.count()).where(Script.user_id == user_id).group_by(Script.folder_id)
    )
    scripts: dict[str | None, int] = {k: int(n) for k, n in script_rows}
    video_rows = db.execute(
        select(Job.folder_id, func.count())
        .where(Job.user_id == user_id, Job.kind == RENDER_KIND)
        .group_by(Job.folder_id)
    )
    videos: dict[str | None, int] = {k: int(n) for k, n in video_rows}
    return {k: Counts(scripts.get(k, 0), videos.get(k, 0)) for k in {*scripts, *videos}}


@dataclass
class LibraryFilter:
    q: str | None = None
    folder_id: str | None = None  # a folder id, UNFILED, or None for all
    type: str | None = None
    status: str | None = None
    sort: str = "newest"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def check_filter(f: LibraryFilter) -> LibraryFilter:
    """422 on a value outside the known sets (the pages drop bad values instead)."""
    if f.sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}.", field="sort")
    if f.type is not None and f.type not in VIDEO_TYPES:
        raise InvalidInput(f"type must be one of {', '.join(VIDEO_TYPES)}.", field="type")
    if f.status is not None and f.status not in JOB_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(JOB_STATUSES)}.", field="status")
    return f


def library_videos(
    db: Session, user_id: str, f: LibraryFilter, *, page: int = 1, per_page: int = PAGE_SIZE
) -> tuple[list[Job], bool]:
    """One page of the user's videos (render jobs) and whether another page follows."""
    check_filter(f)
    page = max(1, min(MAX_PAGE, page))
    per_page = max(1, min(MAX_PAGE_SIZE, per_page))
    stmt = select(Job).where(Job.user_id == user_id, Job.kind == RENDER_KIND)
    if f.q and f.q.strip():
        needle = f"%{_escape_like(f.q.strip()[:MAX_QUERY].lower())}%"
        stmt = stmt.where(func.lower(Job.title).like(needle, escape="\\"))
    if f.folder_id == UNFILED:
        stmt = stmt.where(Job.folder_id.is_(None))
    elif f.folder_id:
        stmt = stmt.where(Job.folder_id == f.folder_id)
    if f.type:
        stmt = stmt.where(Job.type == f.type)
    if f.status:
        stmt = stmt.where(Job.status == f.status)
    order = {
        "newest": (Job.created_at.desc(), Job.id.desc()),
        "oldest": (Job.created_at.asc(), Job.id.asc()),
        "title": (func.lower(Job.title).asc(), Job.created_at.desc(), Job.id.desc()),
        # unfinished videos have no length yet: they go last
        "length": (Job.duration_seconds.is_(None), Job.duration_seconds.desc(), Job.id.desc()),
    }[f.sort]
    rows = list(db.scalars(stmt.order_by(*order).offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def youtube_uploads_of(db: Session, job_ids: list[str]) -> dict[str, YoutubeUpload]:
    """The latest finished YouTube upload of each video, for the library's badge and link."""
    if not job_ids:
        return {}
    rows = db.scalars(
        select(YoutubeUpload)
        .where(YoutubeUpload.source_job_id.in_(job_ids), YoutubeUpload.status == "completed")
        .order_by(YoutubeUpload.created_at)
    )
    return {u.source_job_id: u for u in rows if u.source_job_id}
