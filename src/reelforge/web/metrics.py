"""`/metrics` for Prometheus on the API server, and the request-latency middleware.

Who may scrape: with `REELFORGE_METRICS_TOKEN` set, a request carrying
`Authorization: Bearer <token>`; without a token, only a request from loopback (when
`REELFORGE_METRICS_LOOPBACK`, the default) that no proxy forwarded. Everyone else gets
a plain 404, so the endpoint does not advertise itself.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelforge import metrics
from reelforge.config import Settings

router = APIRouter(include_in_schema=False)


def may_scrape(settings: Settings, request: Request) -> bool:
    return metrics.may_scrape(
        settings,
        authorization=request.headers.get("authorization", ""),
        client_host=request.client.host if request.client else None,
        forwarded="x-forwarded-for" in request.headers or "forwarded" in request.headers,
    )


@router.get("/metrics")
def metrics_endpoint(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not may_scrape(settings, request):
        return Response("Not found\n", status_code=404, media_type="text/plain")
    db = request.app.state.db

    def depth() -> list[tuple[str, str, int]]:
        from reelforge.jobs.service import queue_depth

        with db.read_session() as session:
            rows = queue_depth(session)
        return [(r["kind"], status, int(r[status])) for r in rows for status in ("pending", "processing")]

    return Response(metrics.exposition([metrics.QueueDepth(depth)]), media_type=metrics.CONTENT_TYPE)


class RequestMetricsMiddleware:
    """Observes every HTTP request's duration under its route *template* (`/api/v1/jobs/{job_id}`),
    never the raw path, so ids do not explode the label set. Pure ASGI: streams pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, int] = {}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            metrics.observe_request(
                route_template(scope), scope.get("method", ""), status.get("code", 500), time.perf_counter() - started
            )


def route_template(scope: Scope) -> str:
    """The matched route's template: FastAPI's effective route (an included router's full path),
    else the Starlette route's, else a mount's prefix + "/{path}"; "unmatched" for a 404."""
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    for candidate in (context, scope.get("route")):
        path = getattr(candidate, "path_format", None) or getattr(candidate, "path", None)
        if isinstance(path, str) and path:
            return path
    root = scope.get("root_path") or ""
    if root and scope.get("endpoint") is not None:  # a mounted app (static files, API docs assets)
        return f"{root}/{{path}}"
    return "unmatched"
