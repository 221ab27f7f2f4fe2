"""A local fake of the Google pieces reelforge uses: OAuth 2.0, YouTube Data API v3 and its upload protocol.

It is a real HTTP server on loopback that speaks **both plain HTTP and TLS on the same
port** (it peeks at the first byte of each connection: 0x16 is a TLS handshake).
google-api-python-client keeps the discovery document's ``https`` scheme for media
uploads, so TLS is required; browsers reach the consent page over plain HTTP. The
certificate is a throw-away CA + leaf generated at start-up with ``cryptography``;
clients trust it through ``REELFORGE_YOUTUBE_CA_BUNDLE`` (the ``ca_path`` it writes).

Used by the tests (``tests/stubs/fake_youtube.py``) and by the documented dev mode
(``reelforge youtube fake-server``). Never used against real Google.

Endpoints (see ``ENDPOINTS``) follow the real ones closely enough that the official
clients (google-auth-oauthlib, google-auth, google-api-python-client) drive them
unchanged: PKCE S256 is verified, refresh tokens are issued only for
``access_type=offline``, scopes are enforced per method, the resumable upload protocol
answers ``308`` + ``Range`` and ``Content-Range: bytes */N`` status queries.
Fault injection: ``drop_upload_after`` (close the connection part-way through a chunk),
``fail_next`` (answer N requests on a path with a status), ``quota_exceeded``.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import hashlib
import html
import ipaddress
import json
import re
import secrets
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

SCOPE_UPLOAD = "https://www.googleapis.com/auth/youtube.upload"
SCOPE_FORCE_SSL = "https://www.googleapis.com/auth/youtube.force-ssl"
SCOPE_READONLY = "https://www.googleapis.com/auth/youtube.readonly"

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


# --------------------------------------------------------------------------- certificates
def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """Write a throw-away CA and a leaf for 127.0.0.1/localhost; returns (ca.pem, cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reelforge fake YouTube test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


# --------------------------------------------------------------------------- state
@dataclass
class UploadSession:
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
    client_id: str
    scopes: list[str]
    refresh_token: str | None


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
        self.server: _Server | None = None
        self.thread: threading.Thread | None = None
        self._requested_port = port

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeYouTube:
        self.server = _Server(("127.0.0.1", self._requested_port), _Handler, self)
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


class _Server(ThreadingHTTPServer):
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


def _google_error(code: int, message: str, reason: str, domain: str = "youtube.api") -> bytes:
    return json.dumps(
        {
            "error": {
                "code": code,
                "message": message,
                "errors": [{"domain": domain, "reason": reason, "message": message}],
            }
        }
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
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
                _google_error(401, "Request had invalid authentication credentials.", "authError", "global"),
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
            return None
        grant = entry[0]
        if needed and not any(s in grant.scopes for s in needed):
            self._send(
                403,
                _google_error(
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
        self._send(status, _google_error(status, f"injected {status} {reason}", reason))
        return True

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
            self._send(404, _google_error(404, f"No fake handler for {self.command} {path}", "notFound"))
            return
        route(query)

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    # ------------------------------------------------------------------ OAuth
    def _authorize(self, q: dict[str, str]) -> None:
        if q.get("client_id") != self.fake.client_id:
            self._send(400, b"<h1>Error 401: invalid_client</h1>", {"Content-Type": "text/html"})
            return
        redirect = q.get("redirect_uri", "")
        if not redirect.startswith(("http://", "https://")) or q.get("response_type") != "code":
            self._send(400, b"<h1>Error 400: invalid_request</h1>", {"Content-Type": "text/html"})
            return
        if q.get("deny") == "1":
            self._redirect(redirect, {"error": "access_denied", "state": q.get("state", "")})
            return
        code = "4/fake-" + secrets.token_urlsafe(24)
        with self.fake.lock:
            self.fake.codes[code] = {
                "client_id": q["client_id"],
                "redirect_uri": redirect,
                "scopes": q.get("scope", "").split(),
                "challenge": q.get("code_challenge"),
                "method": q.get("code_challenge_method", "plain"),
                "offline": q.get("access_type") == "offline",
                "expires": time.time() + 600,
            }
        self._redirect(redirect, {"code": code, "state": q.get("state", ""), "scope": q.get("scope", "")})

    def _redirect(self, target: str, params: dict[str, str]) -> None:
        sep = "&" if "?" in target else "?"
        location = target + sep + urlencode(params)
        body = f'<p>Redirecting to <a href="{html.escape(location)}">the app</a>.</p>'.encode()
        self._send(302, body, {"Location": location, "Content-Type": "text/html"})

    def _client_auth(self, form: dict[str, str]) -> bool:
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
        return cid == self.fake.client_id and secret == self.fake.client_secret

    def _token(self, _q: dict[str, str]) -> None:
        body = self._read_body() or b""
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        with self.fake.lock:
            self.fake.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if not self._client_auth(form):
            self._json(401, {"error": "invalid_client", "error_description": "Unauthorized"})
            return
        grant_type = form.get("grant_type")
        with self.fake.lock:
            if grant_type == "authorization_code":
                entry = self.fake.codes.pop(form.get("code", ""), None)
                if entry is None or entry["expires"] < time.time():
                    self._json(400, {"error": "invalid_grant", "error_description": "Malformed auth code."})
                    return
                if form.get("redirect_uri") != entry["redirect_uri"]:
                    self._json(400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"})
                    return
                if entry["challenge"]:
                    verifier = form.get("code_verifier", "")
                    if entry["method"] == "S256":
                        computed = (
                            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                        )
                    else:
                        computed = verifier
                    if computed != entry["challenge"]:
                        self._json(400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
                        return
                refresh = "1//fake-" + secrets.token_urlsafe(32) if entry["offline"] else None
                grant = Grant(entry["client_id"], entry["scopes"], refresh)
                if refresh:
                    self.fake.refresh_tokens[refresh] = grant
                access = self.fake.issue_access_token(grant)
                payload: dict[str, Any] = {
                    "access_token": access,
                    "expires_in": self.fake.access_token_ttl,
                    "scope": " ".join(entry["scopes"]),
                    "token_type": "Bearer",
                }
                if refresh:
                    payload["refresh_token"] = refresh
                self._json(200, payload)
                return
            if grant_type == "refresh_token":
                grant_or_none = self.fake.refresh_tokens.get(form.get("refresh_token", ""))
                if grant_or_none is None:
                    self._json(
                        400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                    )
                    return
                access = self.fake.issue_access_token(grant_or_none)
                self._json(
                    200,
                    {
                        "access_token": access,
                        "expires_in": self.fake.access_token_ttl,
                        "scope": " ".join(grant_or_none.scopes),
                        "token_type": "Bearer",
                    },
                )
                return
        self._json(400, {"error": "unsupported_grant_type"})

    def _revoke(self, q: dict[str, str]) -> None:
        body = self._read_body() or b""
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        token = form.get("token") or q.get("token", "")
        with self.fake.lock:
            grant = self.fake.refresh_tokens.pop(token, None)
            entry = self.fake.access_tokens.pop(token, None)
            if entry is not None:
                grant = grant or entry[0]
            if grant is None:
                self._json(400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
                return
            # Revoking either token revokes the whole grant, as Google does.
            for k in [k for k, g in self.fake.refresh_tokens.items() if g is grant]:
                del self.fake.refresh_tokens[k]
            for k in [k for k, (g, _) in self.fake.access_tokens.items() if g is grant]:
                del self.fake.access_tokens[k]
            self.fake.revoked.append(token)
        self._json(200, {})

    # ------------------------------------------------------------------ YouTube API
    def _channels(self, q: dict[str, str]) -> None:
        if self._bearer((SCOPE_READONLY, SCOPE_FORCE_SSL)) is None:
            return
        if q.get("mine") != "true":
            self._send(400, _google_error(400, "Only mine=true is implemented by the fake.", "invalidFilters"))
            return
        ch = self.fake.channel
        parts = q.get("part", "").split(",")
        item: dict[str, Any] = {"kind": "youtube#channel", "id": ch["id"]}
        if "snippet" in parts:
            base = self.fake.https_url
            item["snippet"] = {
                "title": ch["title"],
                "description": ch["description"],
                "thumbnails": {
                    "default": {"url": f"{base}/_fake/avatar/{ch['id']}.jpg", "width": 88, "height": 88},
                    "high": {"url": f"{base}/_fake/avatar/{ch['id']}-800.jpg", "width": 800, "height": 800},
                },
            }
        if "statistics" in parts:
            item["statistics"] = {"subscriberCount": ch["subscriberCount"], "videoCount": str(len(self.fake.videos))}
        self._json(200, {"kind": "youtube#channelListResponse", "items": [item]})

    def _upload_start(self, q: dict[str, str]) -> None:
        if q.get("uploadType") != "resumable":
            self._read_body()
            self._send(400, _google_error(400, "The fake only implements resumable video uploads.", "badRequest"))
            return
        auth = self._bearer((SCOPE_UPLOAD, SCOPE_FORCE_SSL))
        if auth is None:
            return
        body = self._read_body() or b"{}"
        if self.fake.quota_exceeded:
            self._send(
                403,
                _google_error(
                    403,
                    "The request cannot be completed because you have exceeded your quota.",
                    "quotaExceeded",
                    "youtube.quota",
                ),
            )
            return
        try:
            metadata = json.loads(body)
        except ValueError:
            self._send(400, _google_error(400, "Invalid JSON payload.", "parseError", "global"))
            return
        status = metadata.get("status") or {}
        privacy = status.get("privacyStatus")
        if privacy not in ("public", "unlisted", "private"):
            # The real API now makes such a video public; the fake refuses so a missing value is caught.
            self._send(400, _google_error(400, "status.privacyStatus must be sent explicitly.", "invalidVideoMetadata"))
            return
        if status.get("publishAt") and privacy != "private":
            self._send(400, _google_error(400, "publishAt needs privacyStatus=private.", "invalidPublishAt"))
            return
        total = self.headers.get("X-Upload-Content-Length")
        if not total or not total.isdigit():
            self._send(400, _google_error(400, "X-Upload-Content-Length is required.", "badRequest"))
            return
        sid = secrets.token_urlsafe(18)
        with self.fake.lock:
            self.fake.sessions[sid] = UploadSession(sid, auth[1], metadata, q, int(total))
        location = f"{self.fake.https_url}/upload/youtube/v3/videos?uploadType=resumable&upload_id={sid}"
        self._send(200, b"", {"Location": location, "X-GUploader-UploadID": sid})

    def _upload_put(self, q: dict[str, str]) -> None:
        session = self.fake.sessions.get(q.get("upload_id", ""))
        if session is None:
            self._read_body()
            self._send(404, _google_error(404, "Upload session not found or expired.", "notFound"))
            return
        content_range = self.headers.get("Content-Range", "")
        declared = int(self.headers.get("Content-Length") or 0)
        m_status = re.fullmatch(r"bytes \*/(\d+|\*)", content_range)
        if m_status:  # status query
            with self.fake.lock:
                session.status_queries += 1
            self._upload_progress(session)
            return
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", content_range)
        if not m:
            self._read_body()
            self._send(400, _google_error(400, "Bad Content-Range.", "badContent"))
            return
        start, end = int(m.group(1)), int(m.group(2))
        if declared != end - start + 1:
            self._read_body()
            self._send(400, _google_error(400, "Content-Length does not match Content-Range.", "badContent"))
            return
        with self.fake.lock:
            session.chunk_starts.append(start)
        if start != session.received:
            self._read_body()
            self._send(400, _google_error(400, f"Expected offset {session.received}, got {start}.", "badContent"))
            return
        drop_at = self.fake.drop_upload_after
        if drop_at is not None and session.received < drop_at <= end + 1:
            # Read part of the chunk, then vanish: a network failure half-way through a PUT.
            self.fake.drop_upload_after = None
            self._read_body(limit=max(1, (drop_at - start) // 2))
            with self.fake.lock:
                session.drops += 1
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if self.fake.chunk_delay:
            time.sleep(self.fake.chunk_delay)
        data = self._read_body()
        if data is None or len(data) != declared:
            self.close_connection = True
            self._send(400, _google_error(400, "Incomplete chunk body.", "badContent"))
            return
        with self.fake.lock:
            session.digest.update(data)
            session.received += len(data)
        self._upload_progress(session)

    def _upload_progress(self, session: UploadSession) -> None:
        if session.received < session.total:
            headers = {"Range": f"bytes=0-{session.received - 1}"} if session.received else {}
            self._send(308, b"", headers)
            return
        with self.fake.lock:
            if session.video_id is None:
                session.video_id = secrets.token_urlsafe(8).replace("-", "x").replace("_", "y")[:11]
                snippet = dict(session.metadata.get("snippet") or {})
                status = dict(session.metadata.get("status") or {})
                now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                snippet.update(
                    {
                        "publishedAt": now,
                        "channelId": self.fake.channel["id"],
                        "channelTitle": self.fake.channel["title"],
                    }
                )
                snippet["thumbnails"] = {
                    "default": {"url": f"https://i.ytimg.com/vi/{session.video_id}/default.jpg"},
                    "high": {"url": f"https://i.ytimg.com/vi/{session.video_id}/hqdefault.jpg"},
                }
                status["uploadStatus"] = "uploaded"
                self.fake.videos[session.video_id] = {
                    "kind": "youtube#video",
                    "id": session.video_id,
                    "snippet": snippet,
                    "status": status,
                    "notifySubscribers": session.params.get("notifySubscribers"),
                    "sha256": session.digest.hexdigest(),
                    "size": session.received,
                    "owner_token": session.token,
                }
            video = {
                k: v
                for k, v in self.fake.videos[session.video_id].items()
                if k not in ("sha256", "size", "owner_token", "notifySubscribers")
            }
        self._json(200, video)

    def _thumbnail(self, q: dict[str, str]) -> None:
        if self._bearer((SCOPE_UPLOAD, SCOPE_FORCE_SSL)) is None:
            return
        data = self._read_body() or b""
        vid = q.get("videoId", "")
        if vid not in self.fake.videos:
            self._send(404, _google_error(404, "Video not found.", "videoNotFound"))
            return
        if len(data) > 2 * 1024 * 1024:
            self._send(400, _google_error(400, "The thumbnail image file is too large.", "mediaBodyTooLarge"))
            return
        if not (data.startswith(b"\xff\xd8") or data.startswith(b"\x89PNG")):
            self._send(400, _google_error(400, "The thumbnail image is not JPEG or PNG.", "invalidImage"))
            return
        with self.fake.lock:
            self.fake.thumbnails[vid] = len(data)
        url = f"https://i.ytimg.com/vi/{vid}/maxresdefault.jpg"
        self._json(
            200, {"kind": "youtube#thumbnailSetResponse", "items": [{"default": {"url": url}, "high": {"url": url}}]}
        )

    def _caption(self, q: dict[str, str]) -> None:
        if self._bearer((SCOPE_FORCE_SSL,)) is None:
            return
        data = self._read_body() or b""
        ctype = self.headers.get("Content-Type", "")
        m = re.search(r'boundary="?([^";]+)"?', ctype)
        if not ctype.startswith("multipart/related") or not m:
            self._send(400, _google_error(400, "captions.insert expects multipart/related.", "badContent"))
            return
        message = email.message_from_bytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + data)
        parts = [p for p in (message.get_payload() if message.is_multipart() else []) if isinstance(p, Message)]
        if len(parts) < 2:
            self._send(400, _google_error(400, "Missing metadata or media part.", "badContent"))
            return
        meta_raw = parts[0].get_payload(decode=True)
        media = parts[1].get_payload(decode=True)
        if not isinstance(meta_raw, bytes) or not isinstance(media, bytes):
            self._send(400, _google_error(400, "Unreadable multipart body.", "badContent"))
            return
        try:
            meta = json.loads(meta_raw)
        except ValueError:
            self._send(400, _google_error(400, "Bad caption metadata.", "parseError"))
            return
        snippet = meta.get("snippet") or {}
        vid = snippet.get("videoId", "")
        if vid not in self.fake.videos:
            self._send(404, _google_error(404, "Video not found.", "videoNotFound"))
            return
        if b"-->" not in media:
            self._send(400, _google_error(400, "The caption track is not a recognised format.", "invalidMetadata"))
            return
        cid = "AUieDa" + secrets.token_urlsafe(12)
        resource = {
            "kind": "youtube#caption",
            "id": cid,
            "snippet": {**snippet, "trackKind": "standard", "status": "serving"},
        }
        with self.fake.lock:
            self.fake.captions[cid] = {**resource, "bytes": len(media)}
        self._json(200, resource)


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
