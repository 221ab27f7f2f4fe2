"""JSON API of the jobs domain: /api/v1/jobs (own jobs) and /api/v1/admin/jobs (everyone's).

Jobs are created by the domains that sell them (render, upload); this router lists,
shows, streams, cancels, retries and deletes them. Live progress is Server-Sent
Events (see `jobs/events.py` for the event format).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from reelforge import i18n
from reelforge.i18n import stored
from reelforge.jobs import events, flows, service
from reelforge.jobs.schemas import (
    AdminJobOut,
    AdminJobPage,
    AdminOverview,
    CancelOut,
    JobDetail,
    JobLogOut,
    JobOut,
    JobPage,
    QueueDepth,
    WorkerOut,
)
from reelforge.web.auth import AdminUser, CurrentUser
from reelforge.web.deps import AppDatabase, AppSettings, DbSession
from reelforge.web.params import AfterId

router = APIRouter(prefix="/jobs", tags=["jobs"])
admin_router = APIRouter(prefix="/admin/jobs", tags=["admin"])

SSE_HEADERS = events.SSE_HEADERS

StatusQ = Annotated[str | None, Query(description="pending, processing, completed, failed or cancelled")]
TypeQ = Annotated[str | None, Query(description="longform, shortform, sora2, square, upload")]
KindQ = Annotated[str | None, Query(description="render or upload")]
FolderQ = Annotated[str | None, Query(alias="folder", description="folder id (older name of folder_id)")]
FolderIdQ = Annotated[str | None, Query(alias="folder_id", max_length=64, description="folder id, or `none`: unfiled")]
CursorQ = Annotated[str | None, Query(description="next_cursor of the previous page")]
LimitQ = Annotated[int, Query(ge=1, le=100)]
IdsQ = Annotated[str | None, Query(description="comma-separated job ids to watch (default: active and changed)")]


def _ids(raw: str | None) -> list[str]:
    return [i.strip() for i in (raw or "").split(",") if i.strip()][:200]


def _sse(request: Request, settings: AppSettings, stream: AsyncIterator[str]) -> StreamingResponse:
    return events.sse_response(request, settings, stream)


def _job_stream(database: AppDatabase, settings: AppSettings, job_id: str, last: int, lang: str) -> AsyncIterator[str]:
    poll = settings.job_sse_poll_seconds
    return events.record_stream(
        database, "jobs", job_id, last_event_id=last, poll_seconds=poll, settings=settings, lang=lang
    )


# --------------------------------------------------------------------------- own jobs
@router.get("", response_model=JobPage, summary="List my jobs, newest first")
def list_my_jobs(
    db: DbSession,
    user: CurrentUser,
    status: StatusQ = None,
    type: TypeQ = None,
    kind: KindQ = None,
    folder_id: FolderQ = None,
    folder_id_q: FolderIdQ = None,
    cursor: CursorQ = None,
    limit: LimitQ = 20,
) -> JobPage:
    f = service.JobFilter(status=status, type=type, kind=kind, folder_id=folder_id_q or folder_id, user_id=user.id)
    items, next_cursor = service.list_jobs(db, f, cursor=cursor, limit=limit)
    return JobPage(items=[JobOut.model_validate(j) for j in items], next_cursor=next_cursor)


@router.get("/events", summary="Live progress of many of my jobs (one SSE stream)")
def my_jobs_events(
    request: Request, user: CurrentUser, database: AppDatabase, settings: AppSettings, ids: IdsQ = None
) -> StreamingResponse:
    poll = settings.job_sse_poll_seconds
    stream = events.list_stream(database, "jobs", user_id=user.id, ids=_ids(ids), poll_seconds=poll, settings=settings)
    return _sse(request, settings, stream)


@router.get("/{job_id}", response_model=JobDetail, summary="One of my jobs, with its log")
def get_my_job(job_id: str, request: Request, db: DbSession, user: CurrentUser) -> JobDetail:
    job = service.get_job(db, job_id, user_id=user.id)
    return _detail(db, job, i18n.request_locale(request))


def _log_out(line: object, lang: str) -> JobLogOut:
    out = JobLogOut.model_validate(line)
    out.text = stored.localize(out.log_message, lang)
    return out


def _detail(db: DbSession, job: object, lang: str = "en") -> JobDetail:
    base = JobOut.model_validate(job).model_dump()
    logs = [_log_out(line, lang) for line in service.job_logs(db, base["id"])]
    return JobDetail(**base, options=getattr(job, "options", {}) or {}, logs=logs)


@router.get("/{job_id}/logs", response_model=list[JobLogOut], summary="Log lines after a given line id")
def my_job_logs(
    job_id: str,
    request: Request,
    db: DbSession,
    user: CurrentUser,
    after: AfterId = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[JobLogOut]:
    service.get_job(db, job_id, user_id=user.id)
    lang = i18n.request_locale(request)
    return [_log_out(x, lang) for x in service.job_logs(db, job_id, after_id=after, limit=limit)]


@router.get("/{job_id}/events", summary="Live progress and log of one job (SSE; resumes with Last-Event-ID)")
def my_job_events(
    job_id: str, request: Request, db: DbSession, user: CurrentUser, database: AppDatabase, settings: AppSettings
) -> StreamingResponse:
    service.get_job(db, job_id, user_id=user.id)
    last = events.parse_last_event_id(request.headers.get("last-event-id") or request.query_params.get("after"))
    return _sse(request, settings, _job_stream(database, settings, job_id, last, i18n.request_locale(request)))


@router.post("/{job_id}/cancel", response_model=CancelOut, summary="Cancel a waiting or running job")
def cancel_my_job(job_id: str, request: Request, db: DbSession, user: CurrentUser) -> CancelOut:
    result = flows.cancel_job(db, job_id, user_id=user.id)
    return CancelOut(id=job_id, result=result, status="cancelled" if result == "cancelled" else "processing")


@router.post("/{job_id}/retry", response_model=JobOut, summary="Queue a failed or cancelled job again")
def retry_my_job(job_id: str, request: Request, db: DbSession, user: CurrentUser, settings: AppSettings) -> JobOut:
    job = flows.retry_job(db, settings, job_id, user_id=user.id)
    return JobOut.model_validate(job)


@router.delete("/{job_id}", status_code=204, summary="Delete a finished job and its files")
def delete_my_job(job_id: str, request: Request, db: DbSession, user: CurrentUser, settings: AppSettings) -> Response:
    flows.delete_job(db, settings, job_id, user_id=user.id)
    return Response(status_code=204)


# --------------------------------------------------------------------------- admin
@admin_router.get("", response_model=AdminJobPage, summary="All users' jobs")
def admin_list_jobs(
    db: DbSession,
    admin: AdminUser,
    status: StatusQ = None,
    type: TypeQ = None,
    kind: KindQ = None,
    folder_id: FolderQ = None,
    folder_id_q: FolderIdQ = None,
    user_id: Annotated[str | None, Query(description="only this user's jobs")] = None,
    cursor: CursorQ = None,
    limit: LimitQ = 50,
) -> AdminJobPage:
    f = service.JobFilter(status=status, type=type, kind=kind, folder_id=folder_id_q or folder_id, user_id=user_id)
    items, next_cursor = service.list_jobs(db, f, cursor=cursor, limit=limit)
    return AdminJobPage(items=[AdminJobOut.model_validate(j) for j in items], next_cursor=next_cursor)


@admin_router.get("/overview", response_model=AdminOverview, summary="Queue depth and workers seen recently")
def admin_overview(db: DbSession, admin: AdminUser, settings: AppSettings) -> AdminOverview:
    broker_queues: dict[str, int] | None = None
    if settings.broker_url:
        try:
            from reelforge.jobs.actors import queue_lengths  # lazily: Dramatiq only in distributed mode

            broker_queues = queue_lengths(settings)
        except Exception:  # noqa: BLE001 - Redis down: show the database's view only
            broker_queues = None
    return AdminOverview(
        queues=[QueueDepth(**q) for q in service.queue_depth(db)],
        broker_queues=broker_queues,
        workers=[WorkerOut.model_validate(w) for w in service.workers_seen(db)],
        mode="distributed" if settings.broker_url else "embedded",
    )


@admin_router.get("/events", summary="Live progress of all active jobs (SSE)")
def admin_jobs_events(
    request: Request, admin: AdminUser, database: AppDatabase, settings: AppSettings, ids: IdsQ = None
) -> StreamingResponse:
    poll = settings.job_sse_poll_seconds
    stream = events.list_stream(database, "jobs", user_id=None, ids=_ids(ids), poll_seconds=poll, settings=settings)
    return _sse(request, settings, stream)


@admin_router.get("/{job_id}", response_model=JobDetail, summary="Any job, with its log")
def admin_get_job(job_id: str, request: Request, db: DbSession, admin: AdminUser) -> JobDetail:
    return _detail(db, service.get_job(db, job_id, user_id=None), i18n.request_locale(request))


@admin_router.get("/{job_id}/events", summary="Live progress and log of any job (SSE)")
def admin_job_events(
    job_id: str, request: Request, db: DbSession, admin: AdminUser, database: AppDatabase, settings: AppSettings
) -> StreamingResponse:
    service.get_job(db, job_id, user_id=None)
    last = events.parse_last_event_id(request.headers.get("last-event-id") or request.query_params.get("after"))
    return _sse(request, settings, _job_stream(database, settings, job_id, last, i18n.request_locale(request)))


@admin_router.post("/{job_id}/cancel", response_model=CancelOut, summary="Cancel any job")
def admin_cancel_job(job_id: str, request: Request, db: DbSession, admin: AdminUser) -> CancelOut:
    result = flows.cancel_job(db, job_id, user_id=None)
    return CancelOut(id=job_id, result=result, status="cancelled" if result == "cancelled" else "processing")


@admin_router.post("/{job_id}/retry", response_model=AdminJobOut, summary="Queue any failed job again")
def admin_retry_job(
    job_id: str, request: Request, db: DbSession, admin: AdminUser, settings: AppSettings
) -> AdminJobOut:
    job = flows.retry_job(db, settings, job_id, user_id=None)
    return AdminJobOut.model_validate(job)


@admin_router.delete("/{job_id}", status_code=204, summary="Delete any finished job and its files")
def admin_delete_job(job_id: str, request: Request, db: DbSession, admin: AdminUser, settings: AppSettings) -> Response:
    flows.delete_job(db, settings, job_id, user_id=None)
    return Response(status_code=204)
