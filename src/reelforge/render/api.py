"""JSON API of the render domain: /api/v1/renders (own videos) and /api/v1/admin/music."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from reelforge.render import flows, queries, service
from reelforge.render.schemas import MusicTrack, RenderAgain, RenderCreate, RenderOut, render_out
from reelforge.web.auth import AdminUser, CurrentUser
from reelforge.web.deps import AppSettings, DbSession
from reelforge.web.media import serve_media

router = APIRouter(prefix="/renders", tags=["renders"])
admin_router = APIRouter(prefix="/admin/music", tags=["admin"])


def _created(settings: AppSettings, created: service.Created) -> RenderOut | JSONResponse:
    out = render_out(settings, created.job)
    if not created.created:
        return JSONResponse(out.model_dump(mode="json"), status_code=200, headers={"Idempotent-Replayed": "true"})
    return out


@router.get("/options", summary="What a render can be: types, qualities, subtitle styles, voices, music")
def options(user: CurrentUser, settings: AppSettings, db: DbSession) -> dict[str, Any]:
    catalogue = service.option_catalogue(settings)
    catalogue["prices"] = service.price_catalogue(db)
    return catalogue


@router.post(
    "",
    response_model=RenderOut,
    status_code=202,
    summary="Order a video from a script or a topic (debits the price; Idempotency-Key supported)",
    responses={402: {"description": "Not enough credits"}, 409: {"description": "Script not finished"}},
)
def create(
    body: RenderCreate,
    request: Request,
    db: DbSession,
    user: CurrentUser,
    settings: AppSettings,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> RenderOut | JSONResponse:
    created = flows.order_render(
        db,
        user.id,
        settings,
        options=body.options,
        script_id=body.script_id,
        topic=body.topic,
        idempotency_key=idempotency_key,
        folder_id=body.folder_id,
        publish=(body.youtube or {}) if body.auto_publish else None,
    )
    return _created(settings, created)


@router.get("/{job_id}", response_model=RenderOut, summary="One video job with its result and scene images")
def get_one(job_id: str, db: DbSession, user: CurrentUser, settings: AppSettings) -> RenderOut:
    return render_out(settings, queries.get_owned_render(db, job_id, user_id=user.id))


@router.post("/{job_id}/again", response_model=RenderOut, status_code=202, summary="Render the same script again")
def again(
    job_id: str,
    body: RenderAgain,
    request: Request,
    db: DbSession,
    user: CurrentUser,
    settings: AppSettings,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> RenderOut | JSONResponse:
    created = flows.render_again(db, user.id, settings, job_id, body.options, idempotency_key)
    return _created(settings, created)


def _serve(
    request: Request, settings: Any, key: str | None, media_type: str, filename: str, download: bool
) -> Response:
    return serve_media(request, settings, key, media_type=media_type, filename=filename, download=download)


@router.get(
    "/{job_id}/video.mp4", summary="The video (owner only; HTTP Range for seeking, or a redirect to the bucket)"
)
def video(
    job_id: str,
    request: Request,
    db: DbSession,
    user: CurrentUser,
    settings: AppSettings,
    download: bool = Query(False),
) -> Response:
    job = queries.get_finished_render(db, job_id, user_id=user.id)
    name = service.download_name(job.title, job_id, "mp4")
    return _serve(request, settings, service.result_keys(job_id)["video"], "video/mp4", name, download)


@router.get("/{job_id}/subtitles.srt", summary="The subtitles (SRT)")
def subtitles(
    job_id: str,
    request: Request,
    db: DbSession,
    user: CurrentUser,
    settings: AppSettings,
    download: bool = Query(False),
) -> Response:
    job = queries.get_finished_render(db, job_id, user_id=user.id)
    name = service.download_name(job.title, job_id, "srt")
    return _serve(request, settings, job.subtitles_path, "application/x-subrip", name, download)


@router.get("/{job_id}/thumbnail.jpg", summary="The 1280x720 thumbnail")
def thumbnail(
    job_id: str,
    request: Request,
    db: DbSession,
    user: CurrentUser,
    settings: AppSettings,
    download: bool = Query(False),
) -> Response:
    job = queries.get_finished_render(db, job_id, user_id=user.id)
    name = service.download_name(job.title, job_id, "jpg")
    return _serve(request, settings, job.thumbnail_path, "image/jpeg", name, download)


@router.get("/{job_id}/scenes/{name}", summary="A scene picture (available while the job runs)")
def scene(
    job_id: str, name: str, request: Request, db: DbSession, user: CurrentUser, settings: AppSettings
) -> Response:
    queries.get_owned_render(db, job_id, user_id=user.id)
    path, key = service.scene_image_location(settings, job_id, name)
    media = "image/png" if name.endswith(".png") else "image/jpeg"
    if path is not None:
        return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=600"})
    return serve_media(request, settings, key, media_type=media, filename=name, cache_seconds=600)


# --------------------------------------------------------------------------- admin: music library
@admin_router.get("", response_model=list[MusicTrack], summary="Background music tracks")
def list_music(admin: AdminUser, settings: AppSettings) -> list[MusicTrack]:
    return [MusicTrack(**t) for t in service.music_tracks(settings)]


@admin_router.post("", response_model=MusicTrack, status_code=201, summary="Upload a background music track")
async def upload_music(admin: AdminUser, settings: AppSettings, file: Annotated[UploadFile, File()]) -> MusicTrack:
    data = await file.read(service.MUSIC_MAX_BYTES + 1)
    return MusicTrack(**service.add_music(settings, file.filename or "", data))


@admin_router.delete("/{track_id}", status_code=204, summary="Delete a music track")
def delete_music(track_id: str, admin: AdminUser, settings: AppSettings) -> Response:
    service.delete_music(settings, track_id)
    return Response(status_code=204)
