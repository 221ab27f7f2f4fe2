"""JSON API of the scripts domain: /api/v1/scripts (own scripts) and /api/v1/admin/prompts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from reelforge import i18n
from reelforge.credits.service import get_price
from reelforge.i18n import stored
from reelforge.jobs import events
from reelforge.providers.llm import provider_name
from reelforge.scripts import flows, prompts, queries, service
from reelforge.scripts.models import Script
from reelforge.scripts.schema import SCENE_BOUNDS
from reelforge.scripts.schemas import (
    CancelOut,
    PromptOut,
    PromptPreviewIn,
    PromptPreviewOut,
    PromptRevertIn,
    PromptUpdate,
    PromptVersionOut,
    SceneOut,
    ScriptCreate,
    ScriptDetail,
    ScriptLogOut,
    ScriptOptions,
    ScriptOut,
    ScriptPage,
    ScriptUpdate,
    TypeInfo,
    VariablesOut,
)
from reelforge.web.auth import AdminUser, CurrentUser
from reelforge.web.deps import AppDatabase, AppSettings, DbSession, WriteSession
from reelforge.web.params import AfterId

router = APIRouter(prefix="/scripts", tags=["scripts"])
admin_router = APIRouter(prefix="/admin/prompts", tags=["admin"])


def script_out(row: Script) -> ScriptOut:
    return ScriptOut.model_validate({**_base(row), **service.summary(row)})


def _base(row: Script) -> dict[str, object]:
    return {c: getattr(row, c) for c in ScriptOut.model_fields if hasattr(row, c)}


def script_detail(row: Script) -> ScriptDetail:
    document = service.document_of(row)
    scenes: list[SceneOut] = []
    if document is not None:
        seconds = service.scene_seconds(document)
        scenes = [
            SceneOut(**s.model_dump(), estimated_seconds=sec) for s, sec in zip(document.scenes, seconds, strict=True)
        ]
    return ScriptDetail.model_validate({**_base(row), **service.summary(row), "content": row.content, "scenes": scenes})


@router.get(
    "/options", response_model=ScriptOptions, summary="What a new script can be: types, languages, tones, price"
)
def options(db: DbSession, user: CurrentUser, settings: AppSettings) -> ScriptOptions:
    return ScriptOptions(
        types=[TypeInfo(type=t, scene_min=SCENE_BOUNDS[t][0], scene_max=SCENE_BOUNDS[t][1]) for t in prompts.TYPES],
        languages=list(prompts.LANGUAGES),
        tones=list(prompts.TONES),
        lengths=list(prompts.LENGTHS),
        topic_max_chars=settings.script_topic_max_chars,
        price=get_price(db, "script"),
        provider="openai" if provider_name(settings) == "openai" else "offline",
    )


@router.post(
    "",
    response_model=ScriptDetail,
    status_code=201,
    summary="Order a script: debits its price and queues the writing job (Idempotency-Key supported)",
    responses={402: {"description": "Not enough credits"}, 403: {"description": "E-mail not verified"}},
)
def create(
    body: ScriptCreate,
    request: Request,
    db: DbSession,
    user: CurrentUser,
    settings: AppSettings,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> ScriptDetail | JSONResponse:
    req = service.make_request(
        settings,
        topic=body.topic,
        type=body.type,
        language=body.language,
        tone=body.tone,
        length=body.length,
        scene_count=body.scene_count,
    )
    result = flows.order_script(db, user.id, settings, req, idempotency_key=idempotency_key)
    detail = script_detail(result.script)
    if not result.created:
        return JSONResponse(detail.model_dump(mode="json"), status_code=200, headers={"Idempotent-Replayed": "true"})
    return detail


@router.get("", response_model=ScriptPage, summary="My scripts, newest first; search title and topic with q")
def list_mine(
    db: DbSession,
    user: CurrentUser,
    q: Annotated[str | None, Query(max_length=200, description="Search in title and topic")] = None,
    status: Annotated[str | None, Query()] = None,
    type: Annotated[str | None, Query()] = None,
    folder_id: Annotated[str | None, Query(max_length=64, description="a folder id, or `none` for unfiled")] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ScriptPage:
    rows, next_cursor = queries.list_scripts(
        db, user.id, q=q, status=status, type=type, folder_id=folder_id, cursor=cursor, limit=limit
    )
    return ScriptPage(items=[script_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{script_id}", response_model=ScriptDetail, summary="One script with its document")
def get_one(script_id: str, db: DbSession, user: CurrentUser) -> ScriptDetail:
    return script_detail(queries.get_owned_script(db, script_id, user_id=user.id))


@router.patch("/{script_id}", response_model=ScriptDetail, summary="Edit a finished script (validated)")
def update(script_id: str, body: ScriptUpdate, db: DbSession, user: CurrentUser) -> ScriptDetail:
    row = service.update_script(
        db,
        script_id,
        user_id=user.id,
        title=body.title,
        description=body.description,
        tags=body.tags,
        scenes=[s.model_dump() for s in body.scenes] if body.scenes is not None else None,
        expected_updated_at=body.expected_updated_at,
    )
    return script_detail(row)


@router.post(
    "/{script_id}/duplicate", response_model=ScriptDetail, status_code=201, summary="Copy a finished script (free)"
)
def duplicate(script_id: str, db: DbSession, user: CurrentUser) -> ScriptDetail:
    return script_detail(service.duplicate_script(db, script_id, user_id=user.id))


@router.delete("/{script_id}", status_code=204, summary="Delete a finished script and its log")
def delete(script_id: str, request: Request, db: DbSession, user: CurrentUser, settings: AppSettings) -> Response:
    flows.delete_script(db, script_id, user_id=user.id, settings=settings)
    return Response(status_code=204)


@router.post("/{script_id}/cancel", response_model=CancelOut, summary="Cancel a waiting or running script job")
def cancel(script_id: str, request: Request, db: DbSession, user: CurrentUser) -> CancelOut:
    result = flows.cancel_script(db, script_id, user_id=user.id)
    return CancelOut(id=script_id, result=result)


@router.post("/{script_id}/retry", response_model=ScriptDetail, summary="Queue a failed or cancelled script again")
def retry(script_id: str, request: Request, db: DbSession, user: CurrentUser, settings: AppSettings) -> ScriptDetail:
    row = flows.retry_script(db, script_id, user_id=user.id, settings=settings)
    return script_detail(row)


@router.get("/{script_id}/logs", response_model=list[ScriptLogOut], summary="Log lines after a given line id")
def logs(
    script_id: str,
    request: Request,
    db: DbSession,
    user: CurrentUser,
    after: AfterId = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[ScriptLogOut]:
    queries.get_owned_script(db, script_id, user_id=user.id)
    lang = i18n.request_locale(request)
    out = [ScriptLogOut.model_validate(x) for x in queries.script_logs(db, script_id, after_id=after, limit=limit)]
    for line in out:
        line.text = stored.localize(line.log_message, lang)
    return out


@router.get("/{script_id}/events", summary="Live progress and log of a script job (SSE; resumes with Last-Event-ID)")
def script_events(
    script_id: str, request: Request, db: DbSession, user: CurrentUser, database: AppDatabase, settings: AppSettings
) -> StreamingResponse:
    queries.get_owned_script(db, script_id, user_id=user.id)
    last = events.parse_last_event_id(request.headers.get("last-event-id") or request.query_params.get("after"))
    poll = float(getattr(settings, "job_sse_poll_seconds", 0.5))
    stream = events.record_stream(
        database,
        "scripts",
        script_id,
        last_event_id=last,
        poll_seconds=poll,
        settings=settings,
        lang=i18n.request_locale(request),
    )
    return events.sse_response(request, settings, stream)


# ------------------------------------------------------------------ admin: prompt templates
@admin_router.get(
    "", response_model=list[PromptOut], summary="Every prompt template (defaults are created on first use)"
)
def list_prompts(db: WriteSession, admin: AdminUser) -> list[PromptOut]:
    return [PromptOut.model_validate(p) for p in prompts.list_prompts(db)]


@admin_router.get("/variables", response_model=VariablesOut, summary="Placeholders the templates may use")
def variables(admin: AdminUser) -> VariablesOut:
    return VariablesOut(text=prompts.TEXT_VARIABLES, image=prompts.IMAGE_VARIABLES)


@admin_router.get("/{prompt_id}", response_model=PromptOut)
def get_prompt(prompt_id: str, db: WriteSession, admin: AdminUser) -> PromptOut:
    return PromptOut.model_validate(prompts.get_prompt_by_id(db, prompt_id))


@admin_router.put("/{prompt_id}", response_model=PromptOut, summary="Save new template texts as the next version")
def save_prompt(prompt_id: str, body: PromptUpdate, db: DbSession, admin: AdminUser) -> PromptOut:
    row = prompts.update_prompt(
        db,
        prompt_id,
        admin_id=admin.id,
        name=body.name,
        system_prompt=body.system_prompt,  # type: ignore[arg-type]
        scene_template=body.scene_template,  # type: ignore[arg-type]
        image_template=body.image_template,  # type: ignore[arg-type]
    )
    return PromptOut.model_validate(row)


@admin_router.post(
    "/{prompt_id}/preview", response_model=PromptPreviewOut, summary="Render (unsaved) templates for a sample topic"
)
def preview_prompt(prompt_id: str, body: PromptPreviewIn, db: DbSession, admin: AdminUser) -> PromptPreviewOut:
    row = prompts.get_prompt_by_id(db, prompt_id)
    texts = prompts.texts_of(row)
    for f in prompts.FIELDS:
        value = getattr(body, f)
        if value is not None:
            texts[f] = value
    p = prompts.preview(texts, row.type, row.language, topic=body.topic)
    return PromptPreviewOut(topic=p.topic, system=p.system, user=p.user, image_prompt=p.image_prompt)


@admin_router.get(
    "/{prompt_id}/versions", response_model=list[PromptVersionOut], summary="Every saved version, newest first"
)
def prompt_versions(prompt_id: str, db: DbSession, admin: AdminUser) -> list[PromptVersionOut]:
    return [PromptVersionOut.model_validate(v) for v in prompts.versions(db, prompt_id)]


@admin_router.post(
    "/{prompt_id}/revert", response_model=PromptOut, summary="Make an earlier version current (as a new version)"
)
def revert_prompt(prompt_id: str, body: PromptRevertIn, db: DbSession, admin: AdminUser) -> PromptOut:
    return PromptOut.model_validate(prompts.revert_prompt(db, prompt_id, body.version, admin_id=admin.id))


@admin_router.post(
    "/{prompt_id}/reset", response_model=PromptOut, summary="Restore the built-in default (as a new version)"
)
def reset_prompt(prompt_id: str, db: DbSession, admin: AdminUser) -> PromptOut:
    return PromptOut.model_validate(prompts.reset_prompt(db, prompt_id, admin_id=admin.id))
