"""What every route of the fake server shares: the records it keeps, Google-shaped error
bodies, and the request plumbing (bodies, query strings, bearer tokens, injected failures)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from reelforge.youtube.devserver.server import FakeServer, FakeYouTube

SCOPE_UPLOAD = "https://www.googleapis.com/auth/youtube.upload"
SCOPE_FORCE_SSL = "https://www.googleapis.com/auth/youtube.force-ssl"
SCOPE_READONLY = "https://www.googleapis.com/auth/youtube.readonly"


@dataclass
class UploadSession:
    """A resumable videos.insert: what was announced, what arrived, and what the tests look at."""

    id: str
    token: str
    metadata: dict[str, Any]
    params: dict[str, str]
    total: int
    received: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    chunk_starts: list[int] = field(default_factory=list)  # Content-Range start of every data PUT
    status_queries: int = 0
    drops: int = 0
    video_id: str | None = None


@dataclass
class Grant:
    """What one consent gave: shared by its access tokens and its refresh token (revoked together)."""

    client_id: str
    scopes: list[str]
    refresh_token: str | None


def google_error(code: int, message: str, reason: str, domain: str = "youtube.api") -> bytes:
    return json.dumps(
        {
            "error": {
                "code": code,
                "message": message,
                "errors": [{"domain": domain, "reason": reason, "message": message}],
            }
        }
    ).encode()


class HandlerBase(BaseHTTPRequestHandler):
    """Plumbing for the route mixins; `server.FakeHandler` combines them and routes requests."""

    server: FakeServer
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> FakeYouTube:
        return self.server.fake

    def log_message(self, format: str, *args: Any) -> None:
        if self.fake.verbose:
            super().log_message(format, *args)

    # ------------------------------------------------------------------ plumbing
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        hdrs = {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), headers)

    def _read_body(self, limit: int | None = None) -> bytes | None:
        """Read the declared body; None if the client sent less than it declared (timeout)."""
        length = int(self.headers.get("Content-Length") or 0)
        if limit is not None:
            length = min(length, limit)
        chunks: list[bytes] = []
        remaining = length
        try:
            while remaining > 0:
                part = self.rfile.read1(min(remaining, 65536)) if hasattr(self.rfile, "read1") else b""
                if not part:
                    return None
                chunks.append(part)
                remaining -= len(part)
        except (TimeoutError, OSError):
            return None
        return b"".join(chunks)

    def _split(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        return parts.path, {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}

    def _bearer(self, needed: tuple[str, ...]) -> tuple[Grant, str] | None:
        auth = self.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        with self.fake.lock:
            entry = self.fake.access_tokens.get(token)
        if entry is None or entry[1] < time.time():
            self._send(
                401,
                google_error(401, "Request had invalid authentication credentials.", "authError", "global"),
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
            return None
        grant = entry[0]
        if needed and not any(s in grant.scopes for s in needed):
            self._send(
                403,
                google_error(
                    403, "Request had insufficient authentication scopes.", "insufficientPermissions", "global"
                ),
            )
            return None
        return grant, token

    def _injected(self, path: str) -> bool:
        rule = self.fake.take_failure(self.command, path)
        if rule is None:
            return False
        status = rule["status"]
        reason = rule["reason"] or ("backendError" if status >= 500 else "forbidden")
        self._read_body()
        self._send(status, google_error(status, f"injected {status} {reason}", reason))
        return True
