"""HTML pages of the youtube domain: channels, the OAuth callback, the upload form, history, admin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from reelforge.config import Settings
from reelforge.errors import AppError, InvalidInput
from reelforge.i18n import N_
from reelforge.render.queries import get_owned_render
from reelforge.web.auth import PageAdmin, PageUser
from reelforge.web.deps import AppSettings, DbSession, WriteSession
from reelforge.web.middleware import CSP
from reelforge.web.params import CLEAN
from reelforge.web.templating import activity_labels, add_admin_section, flash, redirect, render, translate
from reelforge.youtube import client as yc
from reelforge.youtube import flows, queries, quota, uploads

router = APIRouter(include_in_schema=False)

add_admin_section("/admin/youtube", N_("YouTube"), N_("Connected channels, every upload, and today's upload quota."))
activity_labels["youtube_connect"] = N_("YouTube channel connected")
activity_labels["youtube_disconnect"] = N_("YouTube channel disconnected")
activity_labels["upload_youtube"] = N_("Upload to YouTube queued")

# YouTube's image hosts (channel avatars, video thumbnails).
_IMAGE_HOSTS = "https://yt3.ggpht.com https://yt3.googleusercontent.com https://i.ytimg.com"


def _csp(settings: Settings) -> dict[str, str]:
    """The studio's CSP, plus: forms may go to Google's consent page (the connect form's 303
    redirect is checked against form-action), and YouTube's avatars may load."""
    parts = urlsplit(settings.youtube_auth_uri)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
    csp = CSP.decode()
    csp = csp.replace("form-action 'self'", f"form-action 'self' {origin}".rstrip())
    csp = csp.replace("img-src 'self' data: blob:", f"img-src 'self' data: blob: {_IMAGE_HOSTS}")
    return {"Content-Security-Policy": csp}


def _uploads_context(db: DbSession, user_id: str | None, limit: int = 100) -> dict[str, object]:
    rows = queries.list_uploads(db, user_id, limit=limit)
    return {"uploads": rows, "statuses": queries.effective_statuses(db, rows)}


@router.get("/youtube", response_class=HTMLResponse)
def channels_page(request: Request, db: DbSession, user: PageUser, settings: AppSettings) -> HTMLResponse:
    own_channels = queries.list_channels(db, user.id)
    videos = queries.finished_renders(db, user.id, limit=20)
    return render(
        request,
        "youtube/index.html",
        {
            "channels": own_channels,
            "configured": yc.is_configured(settings),
            "quota": quota.quota_status(db, settings),
            "videos": videos,
            **_uploads_context(db, user.id, limit=10),
        },
        headers=_csp(settings),
    )


@router.post("/youtube/connect")
def connect(request: Request, db: DbSession, user: PageUser, settings: AppSettings) -> RedirectResponse:
    try:
        url = flows.start_connect(db, settings, user.id)
    except AppError as exc:
        flash(request, exc.detail, "error")
        return redirect(request, "/youtube")
    return RedirectResponse(url, status_code=303)


@router.get("/youtube/oauth/callback")
def oauth_callback(
    request: Request,
    db: WriteSession,
    user: PageUser,
    settings: AppSettings,
    state: str = "",
    code: str | None = None,
    error: str | None = None,
) -> RedirectResponse:
    try:
        channel = flows.finish_connect(db, settings, user.id, state=state[:200], code=code, error=error)
    except AppError as exc:
        flash(request, exc.detail, "error")
        return redirect(request, "/youtube")
    flash(request, translate(request, "Connected YouTube channel %(title)s.", title=channel.channel_title), "success")
    return redirect(request, "/youtube")


@router.post("/youtube/channels/{channel_id}/default")
def make_default(channel_id: str, request: Request, db: DbSession, user: PageUser) -> RedirectResponse:
    channel = flows.make_default(db, user.id, channel_id)
    flash(request, translate(request, "%(title)s is now your default channel.", title=channel.channel_title), "success")
    return redirect(request, "/youtube")


@router.post("/youtube/channels/{channel_id}/check")
def check(channel_id: str, request: Request, db: DbSession, user: PageUser, settings: AppSettings) -> RedirectResponse:
    try:
        channel = flows.check_channel(db, settings, user.id, channel_id)
    except AppError as exc:
        if exc.status == 404:
            raise
        flash(request, exc.detail, "error")
        return redirect(request, "/youtube")
    if channel.needs_reconnect:
        flash(request, translate(request, "This channel needs to be reconnected."), "warning")
    else:
        flash(request, translate(request, "The channel is connected and working."), "success")
    return redirect(request, "/youtube")


@router.post("/youtube/channels/{channel_id}/disconnect")
def disconnect(
    channel_id: str, request: Request, db: DbSession, user: PageUser, settings: AppSettings
) -> RedirectResponse:
    flows.disconnect_channel(db, settings, channel_id, user_id=user.id)
    flash(request, translate(request, "The channel was disconnected and its access revoked."), "success")
    return redirect(request, "/youtube")


@router.get("/youtube/upload/{job_id}", response_class=HTMLResponse)
def upload_form(job_id: str, request: Request, db: DbSession, user: PageUser, settings: AppSettings) -> HTMLResponse:
    job = get_owned_render(db, job_id, user_id=user.id)
    pre = uploads.prefill(db, user.id, job_id)
    return render(
        request,
        "youtube/upload.html",
        {
            "job": job,
            "form": {
                "title": pre["title"],
                "description": pre["description"],
                "tags": ", ".join(pre["tags"]),
                "language": pre["language"] or "",
                "privacy_status": "",
                "category_id": "22",
                "publish_at": "",
                "made_for_kids": False,
                "contains_synthetic_media": True,
                "notify_subscribers": True,
                "channel_id": "",
            },
            "channels": queries.list_channels(db, user.id),
            "categories": uploads.CATEGORIES,
            "quota": quota.quota_status(db, settings),
            "errors": {},
        },
        headers=_csp(settings),
    )


@router.post("/youtube/upload/{job_id}", response_class=HTMLResponse, response_model=None)
def upload_submit(
    job_id: str,
    request: Request,
    db: DbSession,
    user: PageUser,
    settings: AppSettings,
    title: Annotated[str, CLEAN, Form(max_length=300)] = "",
    description: Annotated[str, CLEAN, Form(max_length=10000)] = "",
    tags: Annotated[str, CLEAN, Form(max_length=2000)] = "",
    category_id: Annotated[str, Form(max_length=8)] = "22",
    privacy_status: Annotated[str, Form(max_length=16)] = "",
    publish_at: Annotated[str, Form(max_length=40)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
    made_for_kids: Annotated[str, Form(max_length=8)] = "",
    contains_synthetic_media: Annotated[str, Form(max_length=8)] = "",
    notify_subscribers: Annotated[str, Form(max_length=8)] = "",
    channel_id: Annotated[str, Form(max_length=40)] = "",
    language: Annotated[str, Form(max_length=16)] = "",
) -> HTMLResponse | RedirectResponse:
    job = get_owned_render(db, job_id, user_id=user.id)
    form = {
        "title": title,
        "description": description,
        "tags": tags,
        "category_id": category_id,
        "privacy_status": privacy_status,
        "publish_at": publish_at,
        "made_for_kids": bool(made_for_kids),
        "contains_synthetic_media": bool(contains_synthetic_media),
        "notify_subscribers": bool(notify_subscribers),
        "channel_id": channel_id,
        "language": language,
    }
    try:
        when = _parse_local(publish_at, timezone) if publish_at else None
        opts = uploads.UploadOptions(
            title=title,
            description=description.replace("\r\n", "\n"),
            tags=[t.strip() for t in tags.split(",") if t.strip()],
            category_id=category_id,
            privacy_status=privacy_status,
            publish_at=when,
            made_for_kids=bool(made_for_kids),
            contains_synthetic_media=bool(contains_synthetic_media),
            notify_subscribers=bool(notify_subscribers),
            default_language=language or None,
            channel_ref_id=channel_id or None,
        )
        flows.order_upload(db, settings, user.id, job.id, opts)
    except AppError as exc:
        if exc.status == 404:
            raise
        field = str(exc.extra.get("field") or "_")
        return render(
            request,
            "youtube/upload.html",
            {
                "job": job,
                "form": form,
                "channels": queries.list_channels(db, user.id),
                "categories": uploads.CATEGORIES,
                "quota": quota.quota_status(db, settings),
                "errors": {field: exc.detail},
            },
            status_code=exc.status,
            headers=_csp(settings),
        )
    flash(request, translate(request, "The upload is queued."), "success")
    return redirect(request, "/youtube/uploads")


def _parse_local(value: str, tz: str) -> datetime:
    """A datetime-local form value in the browser's time zone (sent by youtube.js), else UTC."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("The scheduled time is not a valid date and time.", field="publish_at") from exc
    if naive.tzinfo is not None:
        return naive
    try:
        zone = ZoneInfo(tz) if tz else ZoneInfo("UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return naive.replace(tzinfo=zone)


@router.get("/youtube/uploads", response_class=HTMLResponse)
def uploads_page(request: Request, db: DbSession, user: PageUser, settings: AppSettings) -> HTMLResponse:
    return render(
        request,
        "youtube/uploads.html",
        {"quota": quota.quota_status(db, settings), **_uploads_context(db, user.id)},
    )


@router.get("/admin/youtube", response_class=HTMLResponse)
def admin_page(request: Request, db: DbSession, admin: PageAdmin, settings: AppSettings) -> HTMLResponse:
    return render(
        request,
        "youtube/admin.html",
        {
            "channels": queries.all_channels(db),
            "quota": quota.quota_status(db, settings),
            "queued": quota.queued_uncounted(db),
            **_uploads_context(db, None, limit=200),
        },
    )
