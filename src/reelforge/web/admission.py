"""Admission control: at most N requests hold a database connection at once; the rest wait
in line on the event loop, where waiting costs nothing.

Why it exists: a sync handler's dependencies and body run on different thread-pool
threads. Without a bound, a burst of 200 requests takes every pooled connection in its
dependencies and then waits for a thread that only a request waiting for a connection can
free; the server wedges until the pool times out. With `slots <= pool size` and
`threads >= slots + margin`, every admitted request is sure of a connection and a thread.

A slot is released when the response starts, so a long stream (server-sent events, a
video) does not keep one. Probes, /metrics and static files skip the line. A request that cannot be
admitted within `wait_seconds`, or finds `max_waiting` already queued, gets a 503 problem
with `Retry-After` instead of hanging.
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelforge import i18n

log = logging.getLogger("reelforge.admission")

EXEMPT_PREFIXES = ("/healthz", "/metrics", "/static/", "/api/docs-assets/", "/favicon")


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, *, slots: int, wait_seconds: float = 15.0, max_waiting: int = 1000) -> None:
        self.app = app
        self.slots = slots
        self.wait_seconds = wait_seconds
        self.max_waiting = max_waiting
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore = asyncio.Semaphore(slots)
        self.waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a semaphore belongs to one loop (a restarted server has a new one)
            self._loop, self._semaphore = loop, asyncio.Semaphore(self.slots)
        semaphore = self._semaphore
        if self.waiting >= self.max_waiting:
            await self._busy(scope, send)
            return
        self.waiting += 1
        try:
            await asyncio.wait_for(semaphore.acquire(), timeout=self.wait_seconds)
        except TimeoutError:
            await self._busy(scope, send)
            return
        finally:
            self.waiting -= 1
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                semaphore.release()

        async def send_and_release(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_and_release)
        finally:
            release()

    async def _busy(self, scope: Scope, send: Send) -> None:
        log.warning("request refused: %d waiting for %d slots", self.waiting, self.slots)
        lang = i18n.choose_locale(Request(scope))
        title = i18n.gettext(lang, "Server busy")
        detail = i18n.gettext(lang, "Too many requests are waiting right now. Please try again in a moment.")
        body = json.dumps(
            {"type": "about:blank", "title": title, "status": 503, "detail": detail}, ensure_ascii=False
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/problem+json; charset=utf-8"),
                    (b"retry-after", b"1"),
                    (b"content-length", str(len(body)).encode()),
                    (b"content-language", lang.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def widen_thread_pool(slots: int) -> None:
    """Give sync handlers enough threads: every admitted request, plus streams and probes.

    Must run on the serving loop (the limiter is per loop)."""
    import anyio.to_thread

    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = max(int(limiter.total_tokens), 2 * slots + 8)
