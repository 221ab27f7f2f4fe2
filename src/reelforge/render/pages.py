"""HTML pages of the render domain: order a video (/renders/new) and watch it being made
(/renders/<id>: progress, scene pictures as they appear, the player, downloads, render again).
Thin over `render.flows`: the order form passes the same fields as the JSON API (script or
topic, options, folder, auto-publish) to the same `order_render`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from reelforge import i18n
from reelforge.errors import AppError
from reelforge.library.queries import list_folders
from reelforge.render import flows, queries, service
from reelforge.render.options import QUALITIES, SUBTITLE_STYLES
from reelforge.render.schemas import render_out
from reelforge.scripts.queries import find_finished_script
from reelforge.web.auth import PageAdmin, PageUser
from reelforge.web.deps import AppSettings, DbSession, FormFields
from reelforge.web.params import CLEAN
from reelforge.web.templating import add_admin_section, flash, redirect, render
from reelforge.youtube import queries as youtube

router = APIRouter(include_in_schema=False)

add_admin_section(
    "/admin/music", "Music library", "Upload background music tracks creators can put under their videos."
)

TYPE_LABELS = {
    "shortform": "Shortform 9:16 (1080x1920)",
    "longform": "Longform 16:9 (1920x1080)",
    "square": "Square 1:1 (1080x1080)",
    "sora2": "AI video clips",
}
QUALITY_LABELS = {"preview": "Quick preview (small)", "standard": "Standard", "high": "High (slower)"}
SUBTITLE_LABELS = {
    "clean": "Clean white",
    "boxed": "White on a dark box",
    "bold": "Bold",
    "karaoke-yellow": "Karaoke: words light up in yellow",
    "none": "No burned-in subtitles",
}
MUSIC_LABELS = {"ambient": "Generated ambient bed", "none": "No music", "library": "A track from the library"}
POSITION_LABELS = {"bottom": "Bottom", "middle": "Middle", "top": "Top"}

Opt = Annotated[str | None, CLEAN, Form(max_length=200)]


def _options_from_form(form: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("type", "language", "voice", "tts_provider", "subtitles", "subtitle_position", "music", "quality"):
        value = form.get(key)
        if value not in (None, ""):
            out[key] = value
    if form.get("music") == "library" and form.get("music_file"):
        out["music_file"] = form["music_file"]
    for key in ("speed", "music_volume"):
        value = form.get(key)
        if value not in (None, ""):
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value  # validation answers with a clear message
    if out.get("type") == "sora2" and form.get("orientation"):
        out["orientation"] = form["orientation"]
    return out


def _publish_from_form(form: dict[str, Any]) -> dict[str, Any] | None:
    """The API's `auto_publish` + `youtube`: the checkbox, and the channel when the user has several."""
    if form.get("publish") not in ("1", "on", "true"):
        return None
    channel_id = form.get("publish_channel_id")
    return {"channel_id": channel_id} if channel_id else {}


def _order_context(db: Session, user_id: str) -> dict[str, Any]:
    """The order form's own choices: the user's folders and connected YouTube channels."""
    return {"folders": list_folders(db, user_id), "channels": youtube.list_channels(db, user_id)}


def _form_context(request: Request, db: Any, settings: Any, current: dict[str, Any]) -> dict[str, Any]:
    return {
        "types": TYPE_LABELS,
        "qualities": {k: QUALITY_LABELS[k] for k in QUALITIES},
        "subtitle_styles": {k: SUBTITLE_LABELS[k] for k in [*SUBTITLE_STYLES, "none"]},
        "positions": POSITION_LABELS,
        "musics": MUSIC_LABELS,
        "catalogue": service.option_catalogue(settings),
        "prices": service.price_catalogue(db),
        "current": current,
    }


@router.get("/renders/new", response_class=HTMLResponse)
def new_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    settings: AppSettings,
    script_id: Annotated[str | None, Query(max_length=36)] = None,
) -> Response:
    script = find_finished_script(db, script_id, user_id=user.id)
    current = {"type": script.type if script else "shortform", "language": script.language if script else "ko"}
    ctx = {"script": script, **_order_context(db, user.id), **_form_context(request, db, settings, current)}
    return render(request, "render/new.html", ctx)


@router.post("/renders/new", response_class=HTMLResponse)
def create_page(request: Request, db: DbSession, user: PageUser, settings: AppSettings, fields: FormFields) -> Response:
    form = {k: str(v) for k, v in fields.items()}
    script_id = form.get("script_id") or None
    topic = form.get("topic") or None
    try:
        created = flows.order_render(
            db,
            user.id,
            settings,
            options=_options_from_form(form),
            script_id=script_id,
            topic=None if script_id else topic,
            idempotency_key=form.get("idempotency_key") or None,
            folder_id=form.get("folder_id") or None,
            publish=_publish_from_form(form),
        )
    except AppError as exc:
        db.rollback()  # the form is shown again from a clean transaction (nothing of the order is kept)
        script = find_finished_script(db, script_id, user_id=user.id)
        ctx = {**_order_context(db, user.id), **_form_context(request, db, settings, form)}
        return render(
            request,
            "render/new.html",
            {"script": script, "error": exc.detail, "field": exc.extra.get("field"), "topic": topic, **ctx},
            status_code=exc.status,
        )
    flash(request, i18n.gettext(i18n.request_locale(request), "Your video is on its way."), "success")
    return redirect(request, f"/renders/{created.job.id}")


@router.get("/renders/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str, db: DbSession, user: PageUser, settings: AppSettings) -> Response:
    job = queries.get_owned_render(db, job_id, user_id=user.id)
    out = render_out(settings, job)
    current = dict(out.options)
    return render(
        request,
        "render/job.html",
        {
            "job": out,
            "type_label": TYPE_LABELS.get(job.type, job.type),
            **_form_context(request, db, settings, current),
        },
    )


@router.post("/renders/{job_id}/again", response_class=HTMLResponse)
def again_page(
    request: Request, job_id: str, db: DbSession, user: PageUser, settings: AppSettings, fields: FormFields
) -> Response:
    form = {k: str(v) for k, v in fields.items()}
    try:
        created = flows.render_again(db, user.id, settings, job_id, _options_from_form(form), None)
    except AppError as exc:
        flash(request, exc.detail, "error")
        return redirect(request, f"/renders/{job_id}#again")
    flash(request, i18n.gettext(i18n.request_locale(request), "Your video is on its way."), "success")
    return redirect(request, f"/renders/{created.job.id}")


# --------------------------------------------------------------------------- admin: music library
@router.get("/admin/music", response_class=HTMLResponse)
def music_page(request: Request, admin: PageAdmin, settings: AppSettings) -> Response:
    return render(request, "render/music.html", {"tracks": service.music_tracks(settings)})


@router.post("/admin/music", response_class=HTMLResponse)
async def music_upload(
    request: Request, admin: PageAdmin, settings: AppSettings, file: Annotated[UploadFile, File()]
) -> Response:
    data = await file.read(service.MUSIC_MAX_BYTES + 1)
    lang = i18n.request_locale(request)
    try:
        track = service.add_music(settings, file.filename or "", data)
    except AppError as exc:
        flash(request, exc.detail, "error")
    else:
        flash(request, i18n.gettext(lang, "Track %(id)s added.", id=track["id"]), "success")
    return redirect(request, "/admin/music")


@router.post("/admin/music/{track_id}/delete", response_class=HTMLResponse)
def music_delete(request: Request, track_id: str, admin: PageAdmin, settings: AppSettings) -> Response:
    try:
        service.delete_music(settings, track_id)
    except AppError as exc:
        flash(request, exc.detail, "error")
    else:
        flash(request, i18n.gettext(i18n.request_locale(request), "Track deleted."), "success")
    return redirect(request, "/admin/music")
