"""HTML pages of the jobs domain: /jobs (my videos, live progress), /jobs/{id} (live log),
and /admin/jobs (every job, queue depth, workers). Thin over `jobs.service`, like the API;
live updates come from the SSE endpoints of `jobs/api.py` via `static/jobs.js`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from reelforge import i18n
from reelforge.accounts.models import User
from reelforge.errors import AppError, Conflict, TooManyRequests
from reelforge.i18n import N_
from reelforge.jobs import events, flows, service
from reelforge.jobs.models import JOB_STATUSES
from reelforge.library.queries import folders_by_id
from reelforge.web.auth import PageAdmin, PageUser
from reelforge.web.deps import AppSettings, DbSession
from reelforge.web.templating import add_admin_section, flash, redirect, render

router = APIRouter(include_in_schema=False)

Csrf = Annotated[str, Form(max_length=200)]

STATUS_LABELS = {
    "pending": N_("Waiting"),
    "processing": N_("Running"),
    "completed": N_("Done"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
}
STATUS_PILLS = {
    "pending": "pill",
    "processing": "pill pill-accent",
    "completed": "pill pill-ok",
    "failed": "pill pill-err",
    "cancelled": "pill pill-warn",
}
TYPE_LABELS = {
    "longform": N_("Longform"),
    "shortform": N_("Shortform"),
    "sora2": N_("AI video (sora2)"),
    "square": N_("Square"),
    "upload": N_("YouTube upload"),
}


def _(request: Request, message: str, **params: Any) -> str:
    return i18n.gettext(i18n.request_locale(request), message, **params)


def _error(request: Request, exc: AppError) -> str:
    extra = exc.extra
    if isinstance(exc, Conflict) and extra.get("reason") == "already_finished":
        status = _(request, STATUS_LABELS.get(str(extra.get("job_status")), "Done"))
        return _(request, "This job has already finished (%(status)s); there is nothing to cancel.", status=status)
    if isinstance(exc, Conflict) and extra.get("reason") == "still_active":
        return _(request, "This job is still running; cancel it first, then delete it.")
    if isinstance(exc, Conflict) and extra.get("reason") == "not_retryable":
        return _(request, "Only a failed or cancelled job can be retried.")
    if isinstance(exc, TooManyRequests) and extra.get("reason") == "user_active_limit":
        return _(
            request,
            "You already have %(active)s jobs waiting or running (limit %(limit)s). Wait for one to finish.",
            active=extra.get("active"),
            limit=extra.get("limit"),
        )
    if isinstance(exc, TooManyRequests) and extra.get("reason") == "queue_full":
        return _(request, "The queue is full right now. Try again in a few minutes.")
    return _(request, exc.detail)


def _common() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "status_pills": STATUS_PILLS,
        "type_labels": TYPE_LABELS,
        "statuses": JOB_STATUSES,
        "final_statuses": events.FINAL_STATUSES,
    }


# --------------------------------------------------------------------------- creator pages
@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    status: Annotated[str | None, Query(max_length=20)] = None,
    type: Annotated[str | None, Query(max_length=20)] = None,
    folder_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    status = status if status in JOB_STATUSES else None
    type = type if type in TYPE_LABELS else None
    f = service.JobFilter(status=status, type=type, folder_id=folder_id or None, user_id=user.id)
    try:
        jobs, next_cursor = service.list_jobs(db, f, cursor=cursor, limit=20)
    except AppError:
        jobs, next_cursor = service.list_jobs(db, f, limit=20)
    return render(
        request,
        "jobs/list.html",
        {
            **_common(),
            "jobs": jobs,
            "next_cursor": next_cursor,
            "filter_status": status or "",
            "filter_type": type or "",
            "events_url": "/api/v1/jobs/events",
            "detail_base": "/jobs",
            "admin_view": False,
            "users": {},
            "folders": folders_by_id(db, user.id),
            "folder_id": folder_id or "",
            "unfiled": service.UNFILED,
        },
    )


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str, db: DbSession, user: PageUser) -> Response:
    job = service.get_job(db, job_id, user_id=user.id)
    return _detail(request, db, job, admin_view=False)


def _detail(request: Request, db: DbSession, job: Any, *, admin_view: bool) -> Response:
    logs = service.job_logs(db, job.id, limit=2000)
    base = "/admin/jobs" if admin_view else "/jobs"
    owner = db.get(User, job.user_id) if admin_view else None
    return render(
        request,
        "jobs/detail.html",
        {
            **_common(),
            "job": job,
            "logs": logs,
            "last_log_id": logs[-1].id if logs else 0,
            "events_url": f"/api/v1{'/admin' if admin_view else ''}/jobs/{job.id}/events",
            "action_base": f"{base}/{job.id}",
            "back_url": base,
            "admin_view": admin_view,
            "owner": owner,
        },
    )


def _act(request: Request, db: DbSession, settings: Any, job_id: str, action: str, user_id: str | None) -> Response:
    base = "/admin/jobs" if user_id is None else "/jobs"
    try:
        if action == "cancel":
            result = flows.cancel_job(db, job_id, user_id=user_id)
            flash(
                request,
                _(request, "Cancelled; the credits were returned.")
                if result == "cancelled"
                else _(request, "Stopping the job; unused credits are returned when it stops."),
                "success",
            )
        elif action == "retry":
            flows.retry_job(db, settings, job_id, user_id=user_id)
            flash(request, _(request, "The job is queued again."), "success")
        elif action == "delete":
            kind = service.get_job(db, job_id, user_id=user_id).kind
            flows.delete_job(db, settings, job_id, user_id=user_id)
            if kind == "render":  # a video: say its media (video, subtitles, pictures) is gone too
                flash(
                    request,
                    _(request, "The video was deleted; its video file, subtitles and pictures were removed."),
                    "success",
                )
                return redirect(request, base if user_id is None else "/library")
            flash(request, _(request, "The job and its files were deleted."), "success")
            return redirect(request, base)
    except AppError as exc:
        if exc.status == 404:
            raise
        flash(request, _error(request, exc), "error")
    return redirect(request, f"{base}/{job_id}")


@router.post("/jobs/{job_id}/cancel")
def cancel_form(
    request: Request, job_id: str, db: DbSession, user: PageUser, settings: AppSettings, csrf_token: Csrf = ""
) -> Response:
    return _act(request, db, settings, job_id, "cancel", user.id)


@router.post("/jobs/{job_id}/retry")
def retry_form(
    request: Request, job_id: str, db: DbSession, user: PageUser, settings: AppSettings, csrf_token: Csrf = ""
) -> Response:
    return _act(request, db, settings, job_id, "retry", user.id)


@router.post("/jobs/{job_id}/delete")
def delete_form(
    request: Request, job_id: str, db: DbSession, user: PageUser, settings: AppSettings, csrf_token: Csrf = ""
) -> Response:
    return _act(request, db, settings, job_id, "delete", user.id)


# --------------------------------------------------------------------------- admin pages
@router.get("/admin/jobs", response_class=HTMLResponse)
def admin_jobs_page(
    request: Request,
    db: DbSession,
    admin: PageAdmin,
    settings: AppSettings,
    status: Annotated[str | None, Query(max_length=20)] = None,
    type: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    status = status if status in JOB_STATUSES else None
    type = type if type in TYPE_LABELS else None
    f = service.JobFilter(status=status, type=type, user_id=None)
    try:
        jobs, next_cursor = service.list_jobs(db, f, cursor=cursor, limit=50)
    except AppError:
        jobs, next_cursor = service.list_jobs(db, f, limit=50)
    user_ids = {j.user_id for j in jobs}
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    return render(
        request,
        "jobs/list.html",
        {
            **_common(),
            "jobs": jobs,
            "next_cursor": next_cursor,
            "filter_status": status or "",
            "filter_type": type or "",
            "events_url": "/api/v1/admin/jobs/events",
            "detail_base": "/admin/jobs",
            "admin_view": True,
            "users": users,
            "queues": service.queue_depth(db),
            "workers": service.workers_seen(db),
            "mode": "distributed" if settings.broker_url else "embedded",
        },
    )


@router.get("/admin/jobs/{job_id}", response_class=HTMLResponse)
def admin_job_page(request: Request, job_id: str, db: DbSession, admin: PageAdmin) -> Response:
    return _detail(request, db, service.get_job(db, job_id, user_id=None), admin_view=True)


@router.post("/admin/jobs/{job_id}/cancel")
def admin_cancel_form(
    request: Request, job_id: str, db: DbSession, admin: PageAdmin, settings: AppSettings, csrf_token: Csrf = ""
) -> Response:
    return _act(request, db, settings, job_id, "cancel", None)


@router.post("/admin/jobs/{job_id}/retry")
def admin_retry_form(
    request: Request, job_id: str, db: DbSession, admin: PageAdmin, settings: AppSettings, csrf_token: Csrf = ""
) -> Response:
    return _act(request, db, settings, job_id, "retry", None)


@router.post("/admin/jobs/{job_id}/delete")
def admin_delete_form(
    request: Request, job_id: str, db: DbSession, admin: PageAdmin, settings: AppSettings, csrf_token: Csrf = ""
) -> Response:
    return _act(request, db, settings, job_id, "delete", None)


def _register_admin_card() -> None:
    add_admin_section(
        "/admin/jobs", N_("Jobs and workers"), N_("Every job, queue depth, workers seen recently; cancel or retry.")
    )


_register_admin_card()
