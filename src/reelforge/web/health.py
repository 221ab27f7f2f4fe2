"""Liveness and readiness probes."""

from __future__ import annotations

import logging
import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from reelforge.config import Settings
from reelforge.db import migrate
from reelforge.storage import media_store

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", summary="Liveness: the process answers and the database is reachable")
def healthz(request: Request) -> JSONResponse:
    try:
        with request.app.state.db.read_session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        return JSONResponse(
            {"status": "error", "database": "unreachable", "detail": type(exc).__name__},
            status_code=503,
            media_type="application/problem+json",
        )
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get(
    "/readyz",
    summary="Readiness: schema at the latest migration, data folder writable, media store and broker reachable",
)
def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        checks["migrations"] = "ok" if migrate.is_at_head(request.app.state.db.engine) else "behind"
    except Exception:  # noqa: BLE001
        checks["migrations"] = "unreachable"
    settings = request.app.state.settings
    checks["data_dir"] = "ok" if os.access(settings.data_dir, os.W_OK) else "not writable"
    checks["media_store"] = _media_store(settings)
    if settings.broker_url:
        checks["broker"] = _broker(settings.broker_url)
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "not ready", **checks}, status_code=200 if ok else 503)


def _media_store(settings: Settings) -> str:
    """A probe object written, read back and deleted: an unreachable bucket makes this server unready."""
    try:
        media_store(settings).check()
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: media store failed: %s", exc)
        return "unreachable"
    return "ok"


def _broker(url: str) -> str:
    """PING the Redis broker with a short timeout: an API server that cannot enqueue is not ready."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: broker failed: %s", exc)
        return "unreachable"
    return "ok"
