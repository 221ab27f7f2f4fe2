"""The fake server itself: its state, start/stop, test helpers and the request routing.

One port serves plain HTTP and TLS: `FakeServer.finish_request` peeks at the first byte of
each connection (0x16 starts a TLS handshake).
"""

from __future__ import annotations

import secrets
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reelforge.youtube.devserver.base import Grant, UploadSession, google_error
from reelforge.youtube.devserver.certificates import make_certificates
from reelforge.youtube.devserver.oauth_routes import OAuthRoutes
from reelforge.youtube.devserver.youtube_routes import YoutubeRoutes

ENDPOINTS: list[tuple[str, str, str]] = [
    ("GET", "/o/oauth2/auth", "OAuth consent: checks client_id/redirect_uri, auto-approves (302 with code+state)"),
    ("POST", "/token", "code exchange (PKCE S256 verifier checked, client via Basic or form) and refresh_token"),
    ("POST", "/revoke", "revoke an access or refresh token (form or query `token`)"),
    ("GET", "/youtube/v3/channels", "channels.list mine=true (needs youtube.readonly or force-ssl)"),
    ("POST", "/upload/youtube/v3/videos", "videos.insert uploadType=resumable: initiate -> 200 + Location"),
    ("PUT", "/upload/youtube/v3/videos?upload_id=..", "chunk -> 308 + Range | final 200 video; bytes */N status query"),
    ("POST", "/upload/youtube/v3/thumbnails/set", "thumbnails.set uploadType=media (<= 2 MB)"),
    ("POST", "/upload/youtube/v3/captions", "captions.insert uploadType=multipart (needs force-ssl)"),
    ("GET", "/_fake/state", "debug dump: channels, videos, sessions, counters"),
]


class FakeYouTube:
    """The server. ``start()`` binds 127.0.0.1 on ``port`` (0: any free port)."""

    def __init__(
        self,
        *,
        port: int = 0,
        client_id: str = "reelforge-dev.apps.googleusercontent.com",
        client_secret: str = "reelforge-dev-secret",  # noqa: S107 - the fake server's dev secret
        cert_dir: Path | None = None,
        access_token_ttl: int = 3600,
        read_timeout: float = 5.0,
        channel_title: str = "reelforge dev channel",
        verbose: bool = False,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token_ttl = access_token_ttl
        self.read_timeout = read_timeout
        self.verbose = verbose
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if cert_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="fake-youtube-")
            cert_dir = Path(self._tmp.name)
        self.ca_path, cert_path, key_path = make_certificates(cert_dir)
        self.ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ssl_context.load_cert_chain(cert_path, key_path)
        self.lock = threading.RLock()
        # OAuth
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, tuple[Grant, float]] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.revoked: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        # YouTube
        self.channel = {
            "id": "UC" + secrets.token_urlsafe(16).replace("-", "x").replace("_", "y")[:22],
            "title": channel_title,
            "description": "A channel served by reelforge's fake YouTube.",
            "subscriberCount": "1234",
        }
        self.videos: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, UploadSession] = {}
        self.thumbnails: dict[str, int] = {}
        self.captions: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        # Fault injection
        self.drop_upload_after: int | None = None  # drop the connection once this many bytes arrived
        self.fail_rules: list[dict[str, Any]] = []
        self.quota_exceeded = False
        self.chunk_delay = 0.0
        self.server: FakeServer | None = None
        self.thread: threading.Thread | None = None
        self._requested_port = port

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeYouTube:
        self.server = FakeServer(("127.0.0.1", self._requested_port), FakeHandler, self)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="fake-youtube")
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> FakeYouTube:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def settings_env(self, *, browser_base: str | None = None) -> dict[str, str]:
        """The REELFORGE_* settings that point reelforge at this server."""
        return {
            "REELFORGE_YOUTUBE_CLIENT_ID": self.client_id,
            "REELFORGE_YOUTUBE_CLIENT_SECRET": self.client_secret,
            "REELFORGE_YOUTUBE_AUTH_URI": f"{browser_base or self.http_url}/o/oauth2/auth",
            "REELFORGE_YOUTUBE_TOKEN_URI": f"{self.https_url}/token",
            "REELFORGE_YOUTUBE_REVOKE_URI": f"{self.https_url}/revoke",
            "REELFORGE_YOUTUBE_API_BASE": self.https_url,
            "REELFORGE_YOUTUBE_CA_BUNDLE": str(self.ca_path),
        }

    # ------------------------------------------------------------------ test helpers
    def fail_next(self, method: str, path_prefix: str, status: int, *, times: int = 1, reason: str = "") -> None:
        with self.lock:
            self.fail_rules.append(
                {"method": method, "prefix": path_prefix, "status": status, "times": times, "reason": reason}
            )

    def invalidate_refresh_tokens(self) -> None:
        """Simulate the user revoking access in their Google account: refreshes now fail."""
        with self.lock:
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens = {k: (g, 0.0) for k, (g, _) in self.access_tokens.items()}

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "channel": self.channel,
                "videos": self.videos,
                "thumbnails": self.thumbnails,
                "captions": self.captions,
                "sessions": {
                    k: {
                        "total": s.total,
                        "received": s.received,
                        "chunk_starts": s.chunk_starts,
                        "status_queries": s.status_queries,
                        "drops": s.drops,
                        "video_id": s.video_id,
                    }
                    for k, s in self.sessions.items()
                },
                "revoked": len(self.revoked),
                "live_refresh_tokens": len(self.refresh_tokens),
            }

    # ------------------------------------------------------------------ helpers for the handler
    def take_failure(self, method: str, path: str) -> dict[str, Any] | None:
        with self.lock:
            for rule in self.fail_rules:
                if rule["method"] == method and path.startswith(rule["prefix"]) and rule["times"] > 0:
                    rule["times"] -= 1
                    return rule
        return None

    def issue_access_token(self, grant: Grant) -> str:
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        self.access_tokens[token] = (grant, time.time() + self.access_token_ttl)
        return token


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: FakeYouTube) -> None:
        self.fake = fake
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Runs in the connection's thread: TLS if the client starts a handshake, plain HTTP otherwise."""
        try:
            request.settimeout(self.fake.read_timeout)
            first = request.recv(1, socket.MSG_PEEK)
            if first == b"\x16":
                request = self.fake.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        self.RequestHandlerClass(request, client_address, self)  # type: ignore[arg-type]


class FakeHandler(OAuthRoutes, YoutubeRoutes):
    """One request: injected failures first, then the route for (method, path)."""

    def _dispatch(self) -> None:
        path, query = self._split()
        with self.fake.lock:
            self.fake.requests.append((self.command, self.path))
        if self._injected(path):
            return
        routes: dict[tuple[str, str], Callable[[dict[str, str]], None]] = {
            ("GET", "/o/oauth2/auth"): self._authorize,
            ("POST", "/token"): self._token,
            ("POST", "/revoke"): self._revoke,
            ("GET", "/youtube/v3/channels"): self._channels,
            ("POST", "/upload/youtube/v3/videos"): self._upload_start,
            ("PUT", "/upload/youtube/v3/videos"): self._upload_put,
            ("POST", "/upload/youtube/v3/thumbnails/set"): self._thumbnail,
            ("POST", "/upload/youtube/v3/captions"): self._caption,
            ("GET", "/_fake/state"): lambda q: self._json(200, self.fake.state()),
        }
        route = routes.get((self.command, path))
        if route is None:
            self._read_body()
            self._send(404, google_error(404, f"No fake handler for {self.command} {path}", "notFound"))
            return
        route(query)

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch


def serve_forever(fake: FakeYouTube) -> None:  # pragma: no cover - interactive dev mode
    """Block until Ctrl-C, then stop the (already started) server."""
    if fake.server is None:
        fake.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
