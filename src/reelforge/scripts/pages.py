"""HTML pages of the scripts domain: the new-script form, my scripts (search), the live generation
view, the scene editor, and the admin prompt-template editor. Thin over `scripts.service` and
`scripts.prompts`, like the API; live progress comes from `/api/v1/scripts/{id}/events` via
`static/scripts.js`."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from reelforge import i18n
from reelforge.credits.service import get_price
from reelforge.errors import AppError, InvalidInput, PaymentRequired, TooManyRequests
from reelforge.i18n import N_
from reelforge.library.queries import folders_by_id
from reelforge.providers.llm import provider_name
from reelforge.scripts import flows, prompts, queries, service
from reelforge.scripts.models import Script
from reelforge.scripts.schema import CLIP_SECONDS, SCENE_BOUNDS
from reelforge.web.auth import PageAdmin, PageUser
from reelforge.web.deps import AppSettings, DbSession, FormFields, WriteSession
from reelforge.web.params import CLEAN, INT32_MAX
from reelforge.web.templating import add_admin_section, flash, redirect, render

router = APIRouter(include_in_schema=False)

add_admin_section(
    "/admin/prompts", N_("Prompt templates"), N_("Edit the prompts scripts are written with; preview and revert.")
)

STATUS_LABELS = {
    "pending": N_("Waiting"),
    "processing": N_("Writing"),
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
    "longform": N_("Longform (16:9)"),
    "shortform": N_("Shortform (9:16)"),
    "sora2": N_("AI video clips (sora2)"),
}
TONE_LABELS = {
    "friendly": N_("Friendly"),
    "informative": N_("Informative"),
    "energetic": N_("Energetic"),
    "calm": N_("Calm"),
    "humorous": N_("Humorous"),
}
LENGTH_LABELS = {"short": N_("Short"), "standard": N_("Standard"), "long": N_("Long")}
LANGUAGE_LABELS = {"ko": "한국어", "en": "English"}


def _(request: Request, message: str, **params: Any) -> str:
    return i18n.gettext(i18n.request_locale(request), message, **params)


def _common(settings: Any) -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "status_pills": STATUS_PILLS,
        "type_labels": TYPE_LABELS,
        "tone_labels": TONE_LABELS,
        "length_labels": LENGTH_LABELS,
        "language_labels": LANGUAGE_LABELS,
        "scene_bounds": SCENE_BOUNDS,
        "clip_seconds": CLIP_SECONDS,
        "topic_max": settings.script_topic_max_chars,
    }


def _error_text(request: Request, exc: AppError) -> str:
    if isinstance(exc, PaymentRequired):
        return _(
            request,
            "Not enough credits: a script costs %(price)s, your balance is %(balance)s.",
            price=exc.extra.get("price"),
            balance=exc.extra.get("balance"),
        )
    if isinstance(exc, TooManyRequests) and exc.extra.get("reason") == "user_active_limit":
        return _(request, "You already have %(active)s jobs waiting or running. Wait for one to finish.", **exc.extra)
    if exc.extra.get("reason") == "too_long" and exc.extra.get("field") == "topic":
        return _(request, "The topic is too long (%(length)s characters, at most %(limit)s).", **exc.extra)
    return _(request, exc.detail)


# ------------------------------------------------------------------ list and new
@router.get("/scripts", response_class=HTMLResponse)
def scripts_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    settings: AppSettings,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query()] = None,
    folder_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> Response:
    status = status if status in queries.STATUSES else None
    folder_id = folder_id or None
    try:
        rows, next_cursor = queries.list_scripts(
            db, user.id, q=q, status=status, folder_id=folder_id, cursor=cursor, limit=20
        )
    except InvalidInput:
        rows, next_cursor = queries.list_scripts(db, user.id, q=q, status=status, folder_id=folder_id, limit=20)
    items = [(r, service.summary(r)) for r in rows]
    ctx: dict[str, Any] = {"items": items, "q": q or "", "status": status or "", "next_cursor": next_cursor}
    ctx |= {"folders": folders_by_id(db, user.id), "folder_id": folder_id or "", "unfiled": queries.UNFILED}
    return render(request, "scripts/list.html", {**_common(settings), **ctx})


def _new_context(request: Request, db: DbSession, user: Any, settings: Any, **extra: Any) -> dict[str, Any]:
    locale = i18n.request_locale(request)
    return {
        **_common(settings),
        "price": get_price(db, "script"),
        "offline": provider_name(settings) == "offline",
        "form": {
            "topic": "",
            "type": "shortform",
            "language": locale if locale in ("ko", "en") else "ko",
            "tone": "friendly",
            "length": "standard",
        },
        "errors": {},
        "form_token": secrets.token_urlsafe(16),
        **extra,
    }


@router.get("/scripts/new", response_class=HTMLResponse)
def new_script_page(request: Request, db: DbSession, user: PageUser, settings: AppSettings) -> Response:
    return render(request, "scripts/new.html", _new_context(request, db, user, settings))


@router.post("/scripts", response_class=HTMLResponse)
def create_script_form(
    request: Request,
    db: DbSession,
    user: PageUser,
    settings: AppSettings,
    topic: Annotated[str, CLEAN, Form(max_length=2000)] = "",
    type: Annotated[str, Form(max_length=20)] = "shortform",
    language: Annotated[str, Form(max_length=8)] = "ko",
    tone: Annotated[str, Form(max_length=20)] = "friendly",
    length: Annotated[str, Form(max_length=20)] = "standard",
    form_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    form = {"topic": topic, "type": type, "language": language, "tone": tone, "length": length}
    try:
        req = service.make_request(settings, topic=topic, type=type, language=language, tone=tone, length=length)
        # The form's one-time token is the Idempotency-Key: a double submit opens the same script.
        key = f"form:{form_token}" if form_token else None
        result = flows.order_script(db, user.id, settings, req, idempotency_key=key)
    except AppError as exc:
        if exc.status == 404:
            raise
        field = str(exc.extra.get("field") or "_form")
        errors = {field if field in form else "_form": _error_text(request, exc)}
        ctx = _new_context(request, db, user, settings, form=form, errors=errors)
        ctx["payment_required"] = isinstance(exc, PaymentRequired)
        return render(request, "scripts/new.html", ctx, status_code=exc.status)
    return redirect(request, f"/scripts/{result.script.id}")


# ------------------------------------------------------------------ one script: live view or editor
@router.get("/scripts/{script_id}", response_class=HTMLResponse)
def script_page(request: Request, script_id: str, db: DbSession, user: PageUser, settings: AppSettings) -> Response:
    row = queries.get_owned_script(db, script_id, user_id=user.id)
    return _script_view(request, db, row, settings)


def _script_view(
    request: Request,
    db: DbSession,
    row: Script,
    settings: Any,
    *,
    errors: dict[str, str] | None = None,
    draft: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    logs = queries.script_logs(db, row.id, limit=1000)
    document = service.document_of(row)
    ctx: dict[str, Any] = {
        **_common(settings),
        "script": row,
        "logs": logs,
        "last_log_id": logs[-1].id if logs else 0,
        "document": draft or (document.model_dump(mode="json") if document else None),
        "summary": service.summary(row),
        "errors": errors or {},
    }
    if document is not None:
        ctx["scene_seconds"] = service.scene_seconds(document)
    template = "scripts/editor.html" if row.status == "completed" and row.content else "scripts/live.html"
    return render(request, template, ctx, status_code=status_code)


@router.post("/scripts/{script_id}/save", response_class=HTMLResponse)
def save_script_form(
    request: Request, script_id: str, db: DbSession, user: PageUser, settings: AppSettings, form: FormFields
) -> Response:

    def texts(name: str) -> list[str]:
        return [str(v) for v in form.getlist(name)]

    narrations, images, captions, clips = (
        texts("narration"),
        texts("image_prompt"),
        texts("caption"),
        texts("clip_seconds"),
    )
    scenes: list[dict[str, Any]] = []
    for i, narration in enumerate(narrations):
        clip_raw = clips[i] if i < len(clips) else ""
        scenes.append(
            {
                "narration": narration,
                "image_prompt": images[i] if i < len(images) else "",
                "caption": (captions[i] if i < len(captions) else "").strip() or None,
                "clip_seconds": int(clip_raw) if clip_raw.isdigit() else None,
            }
        )
    tags = [t.strip() for t in str(form.get("tags", "")).replace("\n", ",").split(",") if t.strip()]
    title, description = str(form.get("title", "")), str(form.get("description", ""))
    row = queries.get_owned_script(db, script_id, user_id=user.id)
    try:
        service.update_script(
            db, script_id, user_id=user.id, title=title, description=description, tags=tags, scenes=scenes
        )
    except AppError as exc:
        if exc.status == 404:
            raise
        document = service.document_of(row)
        draft = document.model_dump(mode="json") if document else {}
        draft.update({"title": title, "description": description, "tags": tags, "scenes": scenes})
        return _script_view(
            request,
            db,
            row,
            settings,
            errors={"_form": _error_text(request, exc)},
            draft=draft,
            status_code=exc.status,
        )
    flash(request, _(request, "Saved."), "success")
    return redirect(request, f"/scripts/{script_id}")


@router.post("/scripts/{script_id}/duplicate")
def duplicate_form(request: Request, script_id: str, db: DbSession, user: PageUser) -> Response:
    try:
        copy = service.duplicate_script(db, script_id, user_id=user.id)
    except AppError as exc:
        if exc.status == 404:
            raise
        flash(request, _error_text(request, exc), "error")
        return redirect(request, f"/scripts/{script_id}")
    flash(request, _(request, "A copy was made; you are editing the copy."), "success")
    return redirect(request, f"/scripts/{copy.id}")


@router.post("/scripts/{script_id}/delete")
def delete_form(request: Request, script_id: str, db: DbSession, user: PageUser, settings: AppSettings) -> Response:
    try:
        flows.delete_script(db, script_id, user_id=user.id, settings=settings)
    except AppError as exc:
        if exc.status == 404:
            raise
        flash(request, _error_text(request, exc), "error")
        return redirect(request, f"/scripts/{script_id}")
    flash(request, _(request, "The script was deleted."), "success")
    return redirect(request, "/scripts")


@router.post("/scripts/{script_id}/cancel")
def cancel_form(request: Request, script_id: str, db: DbSession, user: PageUser) -> Response:
    try:
        result = flows.cancel_script(db, script_id, user_id=user.id)
    except AppError as exc:
        if exc.status == 404:
            raise
        flash(request, _error_text(request, exc), "error")
        return redirect(request, f"/scripts/{script_id}")
    flash(
        request,
        _(request, "Cancelled; the credits were returned.")
        if result == "cancelled"
        else _(request, "Stopping; the credits are returned when it stops."),
        "success",
    )
    return redirect(request, f"/scripts/{script_id}")


@router.post("/scripts/{script_id}/retry")
def retry_form(request: Request, script_id: str, db: DbSession, user: PageUser, settings: AppSettings) -> Response:
    try:
        flows.retry_script(db, script_id, user_id=user.id, settings=settings)
    except AppError as exc:
        if exc.status == 404:
            raise
        flash(request, _error_text(request, exc), "error")
        return redirect(request, f"/scripts/{script_id}")
    flash(request, _(request, "Queued again."), "success")
    return redirect(request, f"/scripts/{script_id}")


# ------------------------------------------------------------------ admin: prompt templates
@router.get("/admin/prompts", response_class=HTMLResponse)
def admin_prompts_page(request: Request, db: WriteSession, admin: PageAdmin, settings: AppSettings) -> Response:
    rows = prompts.list_prompts(db)
    return render(request, "scripts/admin_prompts.html", {**_common(settings), "rows": rows})


def _prompt_context(db: DbSession, pid: str, settings: Any, **extra: Any) -> dict[str, Any]:
    row = prompts.get_prompt_by_id(db, pid)
    return {
        **_common(settings),
        "row": row,
        "texts": prompts.texts_of(row),
        "versions": prompts.versions(db, pid),
        "text_variables": prompts.TEXT_VARIABLES,
        "image_variables": prompts.IMAGE_VARIABLES,
        "sample_topic": prompts.SAMPLE_TOPICS[row.language],
        "errors": {},
        **extra,
    }


@router.get("/admin/prompts/{prompt_id}", response_class=HTMLResponse)
def admin_prompt_page(
    request: Request, prompt_id: str, db: WriteSession, admin: PageAdmin, settings: AppSettings
) -> Response:
    ctx = _prompt_context(db, prompt_id, settings)
    row = ctx["row"]
    p = prompts.preview(ctx["texts"], row.type, row.language)
    ctx["preview"] = p
    return render(request, "scripts/admin_prompt.html", ctx)


@router.post("/admin/prompts/{prompt_id}", response_class=HTMLResponse)
def admin_prompt_save(
    request: Request,
    prompt_id: str,
    db: DbSession,
    admin: PageAdmin,
    settings: AppSettings,
    system_prompt: Annotated[str, CLEAN, Form(max_length=20000)] = "",
    scene_template: Annotated[str, CLEAN, Form(max_length=20000)] = "",
    image_template: Annotated[str, CLEAN, Form(max_length=20000)] = "",
    name: Annotated[str, CLEAN, Form(max_length=300)] = "",
) -> Response:
    texts = {"system_prompt": system_prompt, "scene_template": scene_template, "image_template": image_template}
    try:
        row = prompts.update_prompt(db, prompt_id, admin_id=admin.id, name=name or None, **texts)
    except AppError as exc:
        if exc.status == 404:
            raise
        field = str(exc.extra.get("field") or "_form")
        ctx = _prompt_context(db, prompt_id, settings, errors={field: _(request, exc.detail)})
        ctx["texts"] = texts
        return render(request, "scripts/admin_prompt.html", ctx, status_code=exc.status)
    flash(request, _(request, "Saved as version %(version)s.", version=row.version), "success")
    return redirect(request, f"/admin/prompts/{prompt_id}")


@router.post("/admin/prompts/{prompt_id}/revert")
def admin_prompt_revert(
    request: Request,
    prompt_id: str,
    db: DbSession,
    admin: PageAdmin,
    version: Annotated[int, Form(ge=1, le=INT32_MAX)],
) -> Response:
    row = prompts.revert_prompt(db, prompt_id, version, admin_id=admin.id)
    flash(
        request,
        _(request, "Version %(old)s restored as version %(version)s.", old=version, version=row.version),
        "success",
    )
    return redirect(request, f"/admin/prompts/{prompt_id}")


@router.post("/admin/prompts/{prompt_id}/reset")
def admin_prompt_reset(request: Request, prompt_id: str, db: DbSession, admin: PageAdmin) -> Response:
    row = prompts.reset_prompt(db, prompt_id, admin_id=admin.id)
    flash(request, _(request, "The built-in default is version %(version)s now.", version=row.version), "success")
    return redirect(request, f"/admin/prompts/{prompt_id}")
