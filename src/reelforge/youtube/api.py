"""JSON API of the youtube domain: /api/v1/youtube (own channels and uploads) and /api/v1/admin/youtube.

The OAuth callback (`GET /youtube/oauth/callback`) is a browser redirect and lives in pages.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from reelforge.web.auth import AdminUser, CurrentUser
from reelforge.web.deps import AppSettings, DbSession
from reelforge.web.params import Offset
from reelforge.youtube import flows, queries, uploads
from reelforge.youtube.models import YoutubeUpload
from reelforge.youtube.quota import queued_uncounted, quota_status
from reelforge.youtube.schemas import (
    AdminChannelOut,
    AdminUploadOut,
    CategoryOut,
    ChannelOut,
    ConnectOut,
    DisconnectOut,
    PrefillOut,
    QuotaOut,
    UploadCreated,
    UploadIn,
    UploadOut,
)

router = APIRouter(prefix="/youtube", tags=["youtube"])
admin_router = APIRouter(prefix="/admin/youtube", tags=["admin"])


def _upload_out(row: YoutubeUpload, status: str, model: type[UploadOut] = UploadOut) -> UploadOut:
    data = model.model_validate(row)
    data.status = status
    return data


# --------------------------------------------------------------------------- channels
@router.get("/channels", response_model=list[ChannelOut], summary="My connected channels (default first)")
def my_channels(db: DbSession, user: CurrentUser) -> list[ChannelOut]:
    return [ChannelOut.model_validate(c) for c in queries.list_channels(db, user.id)]


@router.post("/channels/connect", response_model=ConnectOut, summary="Start connecting a channel (OAuth)")
def connect(db: DbSession, user: CurrentUser, settings: AppSettings) -> ConnectOut:
    """Returns Google's consent URL; send the user's browser there. Google redirects back to
    `/youtube/oauth/callback`, which stores the channel."""
    return ConnectOut(authorization_url=flows.start_connect(db, settings, user.id))


@router.post("/channels/{channel_id}/default", response_model=ChannelOut, summary="Make a channel my default")
def make_default(channel_id: str, db: DbSession, user: CurrentUser) -> ChannelOut:
    return ChannelOut.model_validate(flows.make_default(db, user.id, channel_id))


@router.post(
    "/channels/{channel_id}/check",
    response_model=ChannelOut,
    summary="Refresh the token and channel info; marks reconnect-needed if the grant is gone",
)
def check(channel_id: str, db: DbSession, user: CurrentUser, settings: AppSettings) -> ChannelOut:
    return ChannelOut.model_validate(flows.check_channel(db, settings, user.id, channel_id))


@router.delete("/channels/{channel_id}", response_model=DisconnectOut, summary="Disconnect (and revoke) a channel")
def disconnect(channel_id: str, db: DbSession, user: CurrentUser, settings: AppSettings) -> DisconnectOut:
    revoked = flows.disconnect_channel(db, settings, channel_id, user_id=user.id)
    return DisconnectOut(disconnected=True, revoked_at_google=revoked)


# --------------------------------------------------------------------------- uploads
@router.get("/categories", response_model=list[CategoryOut], summary="YouTube video categories")
def categories(user: CurrentUser) -> list[CategoryOut]:
    return [CategoryOut(id=k, name=v) for k, v in uploads.CATEGORIES.items()]


@router.get("/prefill/{job_id}", response_model=PrefillOut, summary="Title/description/tags from the video's script")
def prefill(job_id: str, db: DbSession, user: CurrentUser) -> PrefillOut:
    return PrefillOut(**uploads.prefill(db, user.id, job_id))


@router.post("/uploads", response_model=UploadCreated, status_code=202, summary="Upload a finished video")
def create_upload(
    body: UploadIn, request: Request, db: DbSession, user: CurrentUser, settings: AppSettings
) -> UploadCreated:
    opts = uploads.UploadOptions(
        title=body.title,
        description=body.description,
        tags=body.tags,
        category_id=body.category_id,
        privacy_status=body.privacy_status,
        publish_at=body.publish_at,
        made_for_kids=body.made_for_kids,
        contains_synthetic_media=body.contains_synthetic_media,
        notify_subscribers=body.notify_subscribers,
        default_language=body.language,
        channel_ref_id=body.channel_id,
    )
    job, upload = flows.order_upload(db, settings, user.id, body.job_id, opts)
    return UploadCreated(upload=_upload_out(upload, upload.status), job_id=job.id)


@router.get("/uploads", response_model=list[UploadOut], summary="My upload history, newest first")
def my_uploads(
    db: DbSession,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[UploadOut]:
    rows = queries.list_uploads(db, user.id, limit=limit, offset=offset)
    statuses = queries.effective_statuses(db, rows)
    return [_upload_out(r, statuses[r.id]) for r in rows]


@router.get("/uploads/{upload_id}", response_model=UploadOut, summary="One of my uploads")
def my_upload(upload_id: str, db: DbSession, user: CurrentUser) -> UploadOut:
    row = queries.get_upload(db, user.id, upload_id)
    return _upload_out(row, queries.effective_statuses(db, [row])[row.id])


@router.get("/quota", response_model=QuotaOut, summary="Today's upload count against the daily cap")
def quota(db: DbSession, user: CurrentUser, settings: AppSettings) -> QuotaOut:
    q = quota_status(db, settings)
    return QuotaOut(**q.__dict__, queued=queued_uncounted(db))


# --------------------------------------------------------------------------- admin
@admin_router.get("/channels", response_model=list[AdminChannelOut], summary="Every connected channel")
def admin_channels(db: DbSession, admin: AdminUser) -> list[AdminChannelOut]:
    return [AdminChannelOut.model_validate(c) for c in queries.all_channels(db)]


@admin_router.get("/uploads", response_model=list[AdminUploadOut], summary="Every upload, newest first")
def admin_uploads(
    db: DbSession,
    admin: AdminUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[UploadOut]:
    rows = queries.list_uploads(db, None, limit=limit, offset=offset)
    statuses = queries.effective_statuses(db, rows)
    return [_upload_out(r, statuses[r.id], AdminUploadOut) for r in rows]


@admin_router.get("/quota", response_model=QuotaOut, summary="The day's YouTube quota use")
def admin_quota(db: DbSession, admin: AdminUser, settings: AppSettings) -> QuotaOut:
    q = quota_status(db, settings)
    return QuotaOut(**q.__dict__, queued=queued_uncounted(db))


@admin_router.delete("/channels/{channel_id}", response_model=DisconnectOut, summary="Disconnect any channel")
def admin_disconnect(channel_id: str, db: DbSession, admin: AdminUser, settings: AppSettings) -> DisconnectOut:
    revoked = flows.disconnect_channel(db, settings, channel_id, user_id=None, actor_id=admin.id)
    return DisconnectOut(disconnected=True, revoked_at_google=revoked)
