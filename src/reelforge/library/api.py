"""JSON API of the library domain: /api/v1/folders (CRUD, move many, counts) and /api/v1/library.

Errors are problem details in the reader's language: the services raise English msgids,
translated here with the request's locale."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from reelforge import i18n
from reelforge.errors import AppError
from reelforge.jobs.models import Job
from reelforge.library import flows, queries
from reelforge.library.schemas import (
    FolderIn,
    FolderList,
    FolderOut,
    FolderPatch,
    LibraryItem,
    LibraryOut,
    MoveIn,
    MoveOut,
    YoutubeBadge,
)
from reelforge.web.auth import CurrentUser
from reelforge.web.deps import DbSession

router = APIRouter(prefix="/folders", tags=["library"])
library_router = APIRouter(prefix="/library", tags=["library"])


@contextmanager
def in_reader_language(request: Request) -> Iterator[None]:
    try:
        yield
    except AppError as exc:
        exc.detail = flows.error_text(i18n.request_locale(request), exc)
        exc.extra.pop("params", None)
        raise


def folder_out(v: flows.FolderView) -> FolderOut:
    f = v.folder
    return FolderOut(
        id=f.id,
        name=f.name,
        color=f.color,
        script_count=v.scripts,
        video_count=v.videos,
        created_at=f.created_at,
        updated_at=f.updated_at,
    )


@router.get("", response_model=FolderList, summary="My folders by name, with how many scripts and videos each holds")
def list_mine(db: DbSession, user: CurrentUser) -> FolderList:
    views, unfiled = flows.folders_with_counts(db, user.id)
    return FolderList(
        items=[folder_out(v) for v in views], unfiled_scripts=unfiled.scripts, unfiled_videos=unfiled.videos
    )


@router.post("", response_model=FolderOut, status_code=201, summary="Create a folder (names are unique per user)")
def create(body: FolderIn, request: Request, db: DbSession, user: CurrentUser) -> FolderOut:
    with in_reader_language(request):
        return folder_out(flows.create_folder(db, user.id, body.name, body.color))


@router.get("/{folder_id}", response_model=FolderOut, summary="One of my folders with its counts")
def get_one(folder_id: str, request: Request, db: DbSession, user: CurrentUser) -> FolderOut:
    with in_reader_language(request):
        return folder_out(flows.folder_view(db, queries.get_user_folder(db, folder_id, user_id=user.id)))


@router.patch("/{folder_id}", response_model=FolderOut, summary="Rename and/or recolour a folder")
def update(folder_id: str, body: FolderPatch, request: Request, db: DbSession, user: CurrentUser) -> FolderOut:
    with in_reader_language(request):
        return folder_out(flows.update_folder(db, folder_id, user.id, name=body.name, color=body.color))


@router.delete("/{folder_id}", status_code=204, summary="Delete a folder; its scripts and videos stay, unfiled")
def delete(folder_id: str, request: Request, db: DbSession, user: CurrentUser) -> Response:
    with in_reader_language(request):
        flows.delete_folder(db, folder_id, user.id)
    return Response(status_code=204)


@router.post(
    "/{folder_id}/items",
    response_model=MoveOut,
    summary="File many scripts and videos into this folder at once (folder id `none`: unfile them)",
)
def move_items(folder_id: str, body: MoveIn, request: Request, db: DbSession, user: CurrentUser) -> MoveOut:
    target = None if folder_id == queries.UNFILED else folder_id
    with in_reader_language(request):
        scripts, videos = flows.move_items(db, user.id, target, script_ids=body.script_ids, video_ids=body.video_ids)
    return MoveOut(folder_id=target, moved_scripts=scripts, moved_videos=videos)


def library_item(job: Job, page: flows.LibraryPage) -> LibraryItem:
    upload = page.uploads.get(job.id)
    folder = page.folders.get(job.folder_id) if job.folder_id else None
    done = job.status == "completed" and bool(job.video_url)
    return LibraryItem(
        id=job.id,
        title=job.title,
        type=job.type,
        status=job.status,
        progress=job.progress,
        duration_seconds=job.duration_seconds,
        folder_id=job.folder_id,
        folder_name=folder.name if folder else None,
        thumbnail_url=f"/api/v1/renders/{job.id}/thumbnail.jpg" if done else None,
        page_url=f"/renders/{job.id}",
        created_at=job.created_at,
        youtube=YoutubeBadge(
            video_id=upload.video_id,
            url=upload.video_url,
            channel_title=upload.channel_title,
            published_at=upload.published_at,
        )
        if upload
        else None,
    )


@library_router.get("", response_model=LibraryOut, summary="My videos (renders only): search, sort, filter, pages")
def library(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    q: Annotated[str | None, Query(max_length=200, description="Search in titles")] = None,
    sort: Annotated[str, Query(max_length=20, description="newest, oldest, title or length")] = "newest",
    folder_id: Annotated[str | None, Query(max_length=64, description="a folder id, or `none` for unfiled")] = None,
    type: Annotated[str | None, Query(max_length=20, description="longform, shortform, sora2 or square")] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=queries.MAX_PAGE_SIZE)] = queries.PAGE_SIZE,
) -> LibraryOut:
    f = queries.LibraryFilter(q=q, folder_id=folder_id or None, type=type or None, status=status or None, sort=sort)
    with in_reader_language(request):
        result = flows.library_page(db, user.id, f, page=page, per_page=per_page)
    return LibraryOut(
        items=[library_item(j, result) for j in result.videos], page=result.page, has_more=result.has_more
    )
