"""FastAPI app factory: one app serves the JSON API (/api/v1), the HTML pages and the probes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from reelforge import __version__
from reelforge.config import Settings, get_settings

# Every stored-text template (job log and ledger lines) must be known where those lines are shown.
from reelforge.credits import messages as _credit_lines  # noqa: F401
from reelforge.db.engine import Database
from reelforge.jobs import messages as _job_lines  # noqa: F401
from reelforge.render import messages as _render_lines  # noqa: F401
from reelforge.scripts import messages as _script_lines  # noqa: F401
from reelforge.web import health
from reelforge.web import metrics as metrics_web
from reelforge.web.admission import AdmissionMiddleware, widen_thread_pool
from reelforge.web.errors import install_error_handlers
from reelforge.web.middleware import RequestContextMiddleware, docs_csp
from reelforge.web.proxies import TrustedProxyMiddleware

log = logging.getLogger(__name__)

# Hooks run at start-up and shutdown (the embedded worker pool registers itself here).
StartupHook = Callable[[FastAPI], None]


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/meta", tags=["meta"], summary="Version of this reelforge server")
    def meta() -> dict[str, Any]:
        return {"name": "reelforge", "version": __version__}

    # Domain routers are mounted here as the domains land.
    from reelforge.accounts import api as accounts_api

    router.include_router(accounts_api.router)
    from reelforge.jobs import api as jobs_api

    router.include_router(jobs_api.router)
    router.include_router(jobs_api.admin_router)
    from reelforge.credits import api as credits_api

    router.include_router(credits_api.router)
    router.include_router(credits_api.admin_router)
    from reelforge.youtube import api as youtube_api

    router.include_router(youtube_api.router)
    router.include_router(youtube_api.admin_router)
    from reelforge.scripts import api as scripts_api

    router.include_router(scripts_api.router)
    router.include_router(scripts_api.admin_router)
    from reelforge.render import api as render_api

    router.include_router(render_api.router)
    router.include_router(render_api.admin_router)
    from reelforge.library import api as library_api

    router.include_router(library_api.router)
    router.include_router(library_api.library_router)
    from reelforge.admin import api as admin_api

    router.include_router(admin_api.router)
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
        widen_thread_pool(db.pool_size)
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
        docs_url=None,  # served below from local assets: the studio must work with no network
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.secret_key = settings.effective_secret_key()
    install_error_handlers(app)
    # Outermost last: the request context wraps admission, so a refused request is logged too.
    app.add_middleware(
        AdmissionMiddleware,
        slots=db.pool_size,
        wait_seconds=settings.http_queue_wait_seconds,
        max_waiting=settings.http_max_waiting,
    )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(metrics_web.RequestMetricsMiddleware)  # times refused and failed requests too
    # Outermost: every layer below (logs, rate limits, cookies' Secure flag) sees the real client.
    app.add_middleware(TrustedProxyMiddleware, networks=settings.trusted_proxy_networks)
    app.include_router(health.router)
    app.include_router(metrics_web.router)
    app.include_router(api_router())
    _mount_api_docs(app)
    _mount_pages(app)
    return app


def _mount_api_docs(app: FastAPI) -> None:
    """Swagger UI at /api/docs with its JS/CSS from the fastapi-offline wheel (FastAPI's default
    page loads them from a CDN, which an offline install cannot reach)."""
    import secrets
    from pathlib import Path

    import fastapi_offline
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).with_name("static")
    app.mount("/api/docs-assets", StaticFiles(directory=assets), name="api-docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="reelforge API",
            swagger_js_url="/api/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs-assets/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )
        # Swagger UI starts from one inline script: it runs by a per-response nonce, nothing else inline.
        nonce = secrets.token_urlsafe(16)
        html = bytes(page.body).decode().replace("<script>", f'<script nonce="{nonce}">')
        return HTMLResponse(html, headers={"Content-Security-Policy": docs_csp(nonce)})


def _mount_pages(app: FastAPI) -> None:
    """HTML pages (Jinja2, see web/templating.py) and static files; domains add their page routers here."""
    from reelforge.web import pages as shell_pages
    from reelforge.web import templating

    templating.install(app)  # static files, web font, login redirect, HTML error page
    app.include_router(shell_pages.router)
    from reelforge.jobs import pages as jobs_pages

    app.include_router(jobs_pages.router)
    from reelforge.accounts import pages as accounts_pages

    app.include_router(accounts_pages.router)
    from reelforge.youtube import pages as youtube_pages

    app.include_router(youtube_pages.router)
    from reelforge.credits import pages as credits_pages

    app.include_router(credits_pages.router)
    from reelforge.scripts import pages as scripts_pages

    app.include_router(scripts_pages.router)
    from reelforge.render import pages as render_pages

    app.include_router(render_pages.router)
    from reelforge.library import pages as library_pages

    app.include_router(library_pages.router)
    from reelforge.legacy import pages as legacy_pages

    app.include_router(legacy_pages.router)
    from reelforge.admin import pages as admin_pages

    app.include_router(admin_pages.router)
