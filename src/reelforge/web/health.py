"""Liveness and readiness probes."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from reelforge.db import migrate

router = APIRouter(tags=["health"])


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


@router.get("/readyz", summary="Readiness: schema at the latest migration and the data folder writable")
def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        checks["migrations"] = "ok" if migrate.is_at_head(request.app.state.db.engine) else "behind"
    except Exception:  # noqa: BLE001
        checks["migrations"] = "unreachable"
    data_dir = request.app.state.settings.data_dir
    checks["data_dir"] = "ok" if os.access(data_dir, os.W_OK) else "not writable"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "not ready", **checks}, status_code=200 if ok else 503)
