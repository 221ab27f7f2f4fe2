"""ASGI middleware: request id, security headers, access log. Pure ASGI so SSE streams pass through."""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelforge.logs import request_id_var

log = logging.getLogger("reelforge.access")
_SESSION_COOKIE = b"rf_session="  # web.auth.SESSION_COOKIE (not imported: this layer knows no accounts)

_VALID_RID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# The studio pages need only 'self'; the API docs page sets its own (`docs_csp`).
CSP = (
    b"default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    b"form-action 'self'; base-uri 'self'"
)


def docs_csp(nonce: str) -> str:
    """The API docs page's policy: its own assets, and its one inline script by nonce."""
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        f"script-src 'self' 'nonce-{nonce}'; connect-src 'self'; font-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
    )


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = dict(scope.get("headers") or [])
        incoming = request_headers.get(b"x-request-id", b"").decode("latin-1")
        authenticated = b"authorization" in request_headers or _SESSION_COOKIE in request_headers.get(b"cookie", b"")
        rid = incoming if _VALID_RID.match(incoming) else secrets.token_hex(8)
        token = request_id_var.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status_holder: dict[str, Any] = {}
        path = scope.get("path", "")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                names = {h[0].lower() for h in headers}
                headers.append((b"x-request-id", rid.encode()))
                for name, value in SECURITY_HEADERS:
                    if name not in names:
                        headers.append((name, value))
                if b"content-security-policy" not in names and not path.startswith("/api/docs-assets"):
                    headers.append((b"content-security-policy", CSP))
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if authenticated and b"json" in content_type and b"cache-control" not in names:
                    # One user's data must not sit in a shared or browser cache.
                    headers.append((b"cache-control", b"no-store"))
                if scope.get("scheme") == "https":
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            # Anything no handler caught: log the trace, answer a generic 500 with the request id.
            log.exception("unhandled error on %s %s", scope.get("method"), path)
            if "status" in status_holder:
                raise  # the response already started; nothing sane to send
            from starlette.requests import Request

            from reelforge.web.errors import internal_error

            response = internal_error(Request(scope, receive))
            await response(scope, receive, send_wrapper)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %s %.1fms", scope.get("method"), path, status_holder.get("status", "-"), elapsed)
            request_id_var.reset(token)
