"""FastAPI app factory: one app serves the JSON API (/api/v1), the HTML pages and the probes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from reelforge import __version__
from reelforge.config import Settings, get_settings
from reelforge.db.engine import Database
from reelforge.web import health
from reelforge.web.errors import install_error_handlers
from reelforge.web.middleware import RequestContextMiddleware

log = logging.getLogger(__name__)

# Hooks run at start-up and shutdown (the embedded worker pool registers itself here).
StartupHook = Callable[[FastAPI], None]


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/meta", tags=["meta"], summary="Version of this reelforge server")
    def meta() -> dict[str, Any]:
        return {"name": "reelforge", "version": __version__}

    # Domain routers are mounted here as the domains land.
    return router


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    *,
    on_startup: list[StartupHook] | None = None,
    on_shutdown: list[StartupHook] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    settings.ensure_data_dir()
    db = database or Database(
        settings.resolved_database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in on_startup or []:
            hook(app)
        yield
        for hook in on_shutdown or []:
            hook(app)
        if database is None:
            db.dispose()

    app = FastAPI(
        title="reelforge",
        version=__version__,
        description="Self-hostable AI video studio: scripts, renders, credits and YouTube publishing.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.secret_key = settings.effective_secret_key()
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)
    app.include_router(api_router())
    _mount_pages(app)
    return app


def _mount_pages(app: FastAPI) -> None:
    from fastapi.responses import HTMLResponse

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def home() -> str:
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>reelforge</title></head>"
            "<body style='font-family:sans-serif;max-width:40rem;margin:4rem auto'><h1>reelforge</h1>"
            "<p>The studio is running. API documentation: <a href='/api/docs'>/api/docs</a>.</p></body></html>"
        )
