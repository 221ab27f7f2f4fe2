"""The worker's small HTTP listener for an orchestrator: `/healthz` and `/metrics`.

`reelforge worker --health-port N` (or REELFORGE_WORKER_HEALTH_PORT) starts it in a thread
(stdlib `http.server`, no web framework in a worker). `/healthz` answers 200 only when the
database answers `SELECT 1` and, with a broker configured, Redis answers PING; otherwise
503 with a JSON body naming what failed, so a liveness probe restarts a worker that cannot
work. `/metrics` is this process's Prometheus text (every process's with
PROMETHEUS_MULTIPROC_DIR), guarded like the API's (token, or loopback only).
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import text

from reelforge import metrics
from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs.broker import ping

log = logging.getLogger(__name__)


def health(settings: Settings, db: Database) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): every dependency the worker needs, checked for real."""
    body: dict[str, Any] = {}
    try:
        with db.read_session() as session:
            session.execute(text("SELECT 1"))
        body["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "cannot work"
        body["database"] = f"unreachable: {type(exc).__name__}"
    if settings.broker_url:
        error = ping(settings.broker_url)
        body["broker"] = "ok" if error is None else f"unreachable: {error.split(':', 1)[0]}"
    failed = [name for name, value in body.items() if value != "ok"]
    body = {"status": "ok" if not failed else "error", **body, "failed": failed}
    return (200 if not failed else 503), body


class HealthServer:
    """`ThreadingHTTPServer` on (host, port) in a daemon thread; port 0 picks a free one (tests)."""

    def __init__(self, settings: Settings, db: Database, *, host: str | None = None, port: int | None = None) -> None:
        self.settings, self.db = settings, db
        bind = (
            host if host is not None else settings.worker_health_host,
            settings.worker_health_port if port is None else port,
        )
        self.server = ThreadingHTTPServer(bind, self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="worker-health", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> HealthServer:
        self._thread.start()
        log.info("worker health listener on %s:%d (/healthz, /metrics)", self.server.server_address[0], self.port)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "reelforge-worker"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    status, body = health(owner.settings, owner.db)
                    self._send(status, json.dumps(body).encode(), "application/json")
                elif path == "/metrics" and metrics.may_scrape(
                    owner.settings,
                    authorization=self.headers.get("Authorization", ""),
                    client_host=self.client_address[0],
                    forwarded=bool(self.headers.get("X-Forwarded-For") or self.headers.get("Forwarded")),
                ):
                    self._send(200, metrics.exposition(), metrics.CONTENT_TYPE)
                else:
                    self._send(404, b"Not found\n", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # probes every few seconds: not worth a line
                log.debug("health listener: " + format, *args)

        return Handler
