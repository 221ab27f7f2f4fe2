"""HTML pages of the library domain: /folders (create, rename, recolour, delete, with counts)
and /library (the video grid: search, sort, filter by folder/type/status, file into folders).
Thin over `library.flows`, like the API."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from reelforge import i18n
from reelforge.errors import AppError
from reelforge.i18n import N_
from reelforge.jobs.models import JOB_STATUSES
from reelforge.jobs.pages import STATUS_PILLS
from reelforge.jobs.pages import TYPE_LABELS as JOB_TYPE_LABELS
from reelforge.library import flows, queries
from reelforge.library.service import DEFAULT_COLOR, NAME_MAX
from reelforge.web.auth import PageUser
from reelforge.web.deps import DbSession, FormFields
from reelforge.web.templating import flash, redirect, render

router = APIRouter(include_in_schema=False)

Csrf = Annotated[str, Form(max_length=200)]

STATUS_LABELS = {
    "pending": N_("Waiting"),
    "processing": N_("Rendering"),
    "completed": N_("Ready"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
}
# The same pills and type names as the jobs list; a video's own status words stay above.
TYPE_LABELS = {k: v for k, v in JOB_TYPE_LABELS.items() if k != "upload"}  # uploads are not videos


SORT_LABELS = {
    "newest": N_("Newest first"),
    "oldest": N_("Oldest first"),
    "title": N_("Title (A to Z)"),
    "length": N_("Longest first"),
}


def _(request: Request, message: str, **params: Any) -> str:
    return i18n.gettext(i18n.request_locale(request), message, **params)


def _flash_error(request: Request, exc: AppError) -> None:
    flash(request, flows.error_text(i18n.request_locale(request), exc), "error")


# --------------------------------------------------------------------------- folders
@router.get("/folders", response_class=HTMLResponse)
def folders_page(request: Request, db: DbSession, user: PageUser) -> Response:
    views, unfiled = flows.folders_with_counts(db, user.id)
    return render(
        request,
        "library/folders.html",
        {"folders": views, "unfiled": unfiled, "default_color": DEFAULT_COLOR, "name_max": NAME_MAX},
    )


@router.post("/folders")
def create_folder_form(
    request: Request,
    db: DbSession,
    user: PageUser,
    name: Annotated[str, Form(max_length=500)] = "",
    color: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Csrf = "",
) -> Response:
    try:
        view = flows.create_folder(db, user.id, name, color or None)
    except AppError as exc:
        _flash_error(request, exc)
    else:
        flash(request, _(request, "Folder “%(name)s” created.", name=view.folder.name), "success")
    return redirect(request, "/folders")


@router.post("/folders/{folder_id}")
def update_folder_form(
    request: Request,
    folder_id: str,
    db: DbSession,
    user: PageUser,
    name: Annotated[str | None, Form(max_length=500)] = None,
    color: Annotated[str | None, Form(max_length=20)] = None,
    csrf_token: Csrf = "",
) -> Response:
    queries.get_user_folder(db, folder_id, user_id=user.id)  # someone else's: 404, not a flash
    try:
        flows.update_folder(db, folder_id, user.id, name=name, color=color)
    except AppError as exc:
        _flash_error(request, exc)
    else:
        flash(request, _(request, "Folder saved."), "success")
    return redirect(request, "/folders")


@router.post("/folders/{folder_id}/delete")
def delete_folder_form(
    request: Request, folder_id: str, db: DbSession, user: PageUser, csrf_token: Csrf = ""
) -> Response:
    name = queries.get_user_folder(db, folder_id, user_id=user.id).name
    flows.delete_folder(db, folder_id, user.id)
    flash(
        request, _(request, "Folder “%(name)s” deleted; its scripts and videos are now unfiled.", name=name), "success"
    )
    return redirect(request, "/folders")


# --------------------------------------------------------------------------- library
def _pick(value: str | None, allowed: Any) -> str | None:
    return value if value in allowed else None


@router.get("/library", response_class=HTMLResponse)
def library_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str | None, Query(max_length=20)] = None,
    folder_id: Annotated[str | None, Query(max_length=64)] = None,
    type: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 1,
) -> Response:
    # Bad filter values are dropped, not a 422 page: a stale link still shows the library.
    f = queries.LibraryFilter(
        q=(q or "").strip() or None,
        sort=_pick(sort, queries.SORTS) or "newest",
        folder_id=folder_id or None,
        type=_pick(type, queries.VIDEO_TYPES),
        status=_pick(status, JOB_STATUSES),
    )
    result = flows.library_page(db, user.id, f, page=page)
    params = {
        k: v
        for k, v in {"q": f.q, "sort": f.sort, "folder_id": f.folder_id, "type": f.type, "status": f.status}.items()
        if v
    }
    return render(
        request,
        "library/library.html",
        {
            "result": result,
            "filter": f,
            "folder_list": list(result.folders.values()),
            "unfiled": queries.UNFILED,
            "status_labels": STATUS_LABELS,
            "status_pills": STATUS_PILLS,
            "type_labels": TYPE_LABELS,
            "sort_labels": SORT_LABELS,
            "prev_url": f"/library?{urlencode({**params, 'page': result.page - 1})}" if result.page > 1 else None,
            "next_url": f"/library?{urlencode({**params, 'page': result.page + 1})}" if result.has_more else None,
            "back": f"/library?{urlencode({**params, 'page': result.page})}",
        },
    )


@router.post("/library/move")
def move_form(request: Request, db: DbSession, user: PageUser, form: FormFields) -> Response:
    back = str(form.get("back") or "/library")
    back = back if back.startswith("/library") else "/library"
    video_ids = [str(v) for v in form.getlist("video_ids")][:500]
    target = str(form.get("folder_id") or "")
    if not video_ids:
        flash(request, _(request, "Choose at least one video to move."), "error")
        return redirect(request, back)
    try:
        if target and target != queries.UNFILED:
            queries.get_user_folder(db, target, user_id=user.id)
        _scripts, moved = flows.move_items(
            db, user.id, None if target in ("", queries.UNFILED) else target, video_ids=video_ids
        )
    except AppError as exc:
        if exc.status == 404:
            raise
        _flash_error(request, exc)
        return redirect(request, back)
    flash(
        request,
        i18n.ngettext(i18n.request_locale(request), "%(num)s video moved.", "%(num)s videos moved.", moved),
        "success",
    )
    return redirect(request, back)
