"""A thin wrapper over google-api-python-client for the four YouTube calls reelforge makes.

* ``channels.list(mine=true)`` - the connected channel's id, title, avatar, subscribers.
* ``videos.insert`` - a **resumable** upload in chunks (a multiple of 256 KiB). Progress is
  reported from the bytes the server acknowledged; after a dropped connection the upload
  asks the server how much it has (``Content-Range: bytes */N``) and continues from the
  last acknowledged byte, never from zero. The session URI is handed to the caller so a
  retried or reclaimed job resumes the same session.
* ``thumbnails.set`` and ``captions.insert`` (SRT track).

Endpoints come from settings (``youtube_api_base``, ``youtube_token_uri``...) so the
tests and the dev mode can point everything at the local fake server; an extra CA
bundle (``youtube_ca_bundle``) is trusted per connection, never process-wide.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import google_auth_httplib2
import httplib2
import requests
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import Request as GoogleAuthRequest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError, ResumableUploadError
from googleapiclient.http import MediaFileUpload

from reelforge.config import Settings
from reelforge.errors import JobCancelled, PermanentError, TransientError

log = logging.getLogger(__name__)

SCOPE_UPLOAD = "https://www.googleapis.com/auth/youtube.upload"
SCOPE_FORCE_SSL = "https://www.googleapis.com/auth/youtube.force-ssl"
SCOPE_READONLY = "https://www.googleapis.com/auth/youtube.readonly"
SCOPES = [SCOPE_UPLOAD, SCOPE_FORCE_SSL, SCOPE_READONLY]

THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024
_QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded"}
_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError", "internalError"}


# --------------------------------------------------------------------------- errors
class YoutubeNotConfigured(PermanentError):
    """No OAuth client is configured (settings)."""


class ReconnectNeeded(PermanentError):
    """The refresh token stopped working (revoked, expired): the user must connect the channel again."""


class QuotaExceeded(PermanentError):
    """YouTube refused because the project's quota for today is used up."""


class UploadSessionExpired(TransientError):
    """The resumable session is gone (404/410): the upload must start a new session."""


class YoutubeApiError(PermanentError):
    def __init__(self, message: str, *, status: int, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class YoutubeTransientError(TransientError):
    pass


def _error_reason(exc: HttpError) -> tuple[str, str]:
    try:
        data = json.loads(exc.content.decode("utf-8", "replace"))
        err = data.get("error", {})
        errors = err.get("errors") or [{}]
        return str(errors[0].get("reason", "")), str(err.get("message", ""))
    except (ValueError, AttributeError):
        return "", ""


def classify(exc: HttpError, what: str) -> Exception:
    """Map an API error to the job engine's vocabulary (retry or fail) with a readable message."""
    status = int(exc.resp.status)
    reason, message = _error_reason(exc)
    text = f"{what}: YouTube answered {status} {reason or ''} {message}".strip()
    if status == 403 and reason in _QUOTA_REASONS:
        return QuotaExceeded(
            f"{what}: the YouTube API quota of this reelforge project is used up for today ({reason}). "
            "It resets at midnight Pacific Time; retry after that."
        )
    if status == 429 or status >= 500 or reason in _RATE_REASONS:
        return YoutubeTransientError(text)
    if status == 401:
        return ReconnectNeeded(f"{what}: YouTube no longer accepts this channel's authorisation; reconnect it.")
    return YoutubeApiError(text, status=status, reason=reason)


# --------------------------------------------------------------------------- configuration
def client_config(settings: Settings) -> dict[str, Any]:
    """The OAuth client in Google's client-secrets format (from a JSON file or id + secret)."""
    client_id, client_secret = settings.youtube_client_id, settings.youtube_client_secret
    if settings.youtube_client_secrets_file:
        path = Path(settings.youtube_client_secrets_file).expanduser()
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise YoutubeNotConfigured(f"cannot read the Google client-secrets file {path}: {exc}") from exc
        section = raw.get("web") or raw.get("installed") or {}
        client_id = section.get("client_id", client_id)
        client_secret = section.get("client_secret", client_secret)
    if not client_id or not client_secret:
        raise YoutubeNotConfigured(
            "YouTube is not configured: set REELFORGE_YOUTUBE_CLIENT_ID and REELFORGE_YOUTUBE_CLIENT_SECRET "
            "(or REELFORGE_YOUTUBE_CLIENT_SECRETS_FILE)."
        )
    return {
        "web": {
            "client_id": client_id,
            "client_secret": client_secret,
            "auth_uri": settings.youtube_auth_uri,
            "token_uri": settings.youtube_token_uri,
        }
    }


def is_configured(settings: Settings) -> bool:
    try:
        client_config(settings)
    except YoutubeNotConfigured:
        return False
    return True


def ca_bundle(settings: Settings) -> str | None:
    return settings.youtube_ca_bundle or None


def requests_session(settings: Settings) -> requests.Session:
    session = requests.Session()
    if settings.youtube_ca_bundle:
        trust_ca_bundle(session, settings.youtube_ca_bundle)
    return session


def trust_ca_bundle(session: requests.Session, path: str) -> None:
    """Verify against `path` only. REQUESTS_CA_BUNDLE in the environment would override
    `session.verify`, so environment settings are ignored for this session (dev mode only)."""
    session.verify = path
    session.trust_env = False


def make_http(settings: Settings, timeout: float = 120.0) -> httplib2.Http:
    http = httplib2.Http(ca_certs=ca_bundle(settings), timeout=timeout)
    # 308 is "Resume Incomplete" in the upload protocol, not a redirect (as googleapiclient's build_http).
    http.redirect_codes = http.redirect_codes - {308}
    return http


# --------------------------------------------------------------------------- credentials
def credentials_from_dict(settings: Settings, data: dict[str, Any]) -> Credentials:
    cfg = client_config(settings)["web"]
    expiry = None
    if data.get("expiry"):
        expiry = datetime.fromisoformat(data["expiry"]).astimezone(UTC).replace(tzinfo=None)  # google-auth: naive UTC
    return Credentials(  # type: ignore[no-untyped-call]
        token=data.get("token"),
        refresh_token=data.get("refresh_token"),
        token_uri=settings.youtube_token_uri,
        client_id=cfg["client_id"],
        client_secret=cfg["client_secret"],
        scopes=data.get("scopes") or SCOPES,
        expiry=expiry,
    )


def credentials_to_dict(creds: Credentials) -> dict[str, Any]:
    expiry = creds.expiry.replace(tzinfo=UTC).isoformat() if creds.expiry else None
    return {
        "token": creds.token,
        "refresh_token": creds.refresh_token,
        "scopes": list(creds.granted_scopes or creds.scopes or []),
        "expiry": expiry,
    }


def credentials_expiry(creds: Credentials) -> datetime | None:
    return creds.expiry.replace(tzinfo=UTC) if creds.expiry else None


def _refresh_failed(exc: RefreshError) -> Exception:
    if getattr(exc, "retryable", False):
        return YoutubeTransientError(f"token refresh failed, will retry: {exc}")
    return ReconnectNeeded(f"Google refused to refresh the token ({exc}); reconnect the channel")


def refresh_credentials(settings: Settings, creds: Credentials) -> None:
    """Refresh now. RefreshError (invalid_grant...) -> ReconnectNeeded; network trouble -> transient."""
    if not creds.refresh_token:
        raise ReconnectNeeded("this channel has no refresh token; connect it again")
    try:
        creds.refresh(GoogleAuthRequest(requests_session(settings)))  # type: ignore[no-untyped-call]
    except RefreshError as exc:
        raise _refresh_failed(exc) from exc
    except TransportError as exc:
        raise YoutubeTransientError(f"token refresh failed (network): {exc}") from exc


def ensure_fresh(settings: Settings, creds: Credentials, *, margin_seconds: int = 300) -> bool:
    """Refresh if the access token expires within `margin_seconds` (a 401 mid-upload stalls). True if refreshed."""
    expiry = credentials_expiry(creds)
    if creds.token and expiry is not None and (expiry - datetime.now(UTC)).total_seconds() > margin_seconds:
        return False
    refresh_credentials(settings, creds)
    return True


def revoke_token(settings: Settings, token: str) -> bool:
    """Ask Google to revoke a token; True when it answered 200 (an already revoked token answers 400)."""
    try:
        resp = requests_session(settings).post(
            settings.youtube_revoke_uri,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=15,
        )
    except requests.RequestException as exc:
        log.warning("token revocation failed: %s", exc)
        return False
    return resp.status_code == 200


# --------------------------------------------------------------------------- the API
@dataclass
class ChannelInfo:
    channel_id: str
    title: str
    description: str
    thumbnail_url: str | None
    subscriber_count: int | None


ProgressFn = Callable[[int, int], None]


class YoutubeApi:
    # Retries of 429/5xx replies done inside google-api-python-client (with its own backoff)
    # before the error reaches the job runner, which retries the step with its backoff.
    http_retries = 3

    def __init__(self, settings: Settings, credentials: Credentials, *, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.credentials = credentials
        self._sleep = sleep
        authed = google_auth_httplib2.AuthorizedHttp(credentials, http=make_http(settings))
        options = {"api_endpoint": settings.youtube_api_base.rstrip("/")} if settings.youtube_api_base else None
        self.service: Any = build(
            "youtube", "v3", http=authed, static_discovery=True, cache_discovery=False, client_options=options
        )

    # -- channels
    def my_channel(self) -> ChannelInfo:
        try:
            resp = (
                self.service.channels()
                .list(part="snippet,statistics", mine=True)
                .execute(num_retries=self.http_retries)
            )
        except HttpError as exc:
            raise classify(exc, "channels.list") from exc
        except RefreshError as exc:
            raise _refresh_failed(exc) from exc
        items = resp.get("items") or []
        if not items:
            raise YoutubeApiError(
                "This Google account has no YouTube channel yet; create one on YouTube first.", status=404
            )
        item = items[0]
        snippet = item.get("snippet", {})
        thumbs = snippet.get("thumbnails", {})
        thumb = (thumbs.get("high") or thumbs.get("medium") or thumbs.get("default") or {}).get("url")
        subs = item.get("statistics", {}).get("subscriberCount")
        return ChannelInfo(
            channel_id=item["id"],
            title=snippet.get("title", ""),
            description=snippet.get("description", ""),
            thumbnail_url=thumb,
            subscriber_count=int(subs) if subs is not None and str(subs).isdigit() else None,
        )

    # -- videos.insert
    def insert_video(
        self,
        path: Path,
        body: dict[str, Any],
        *,
        notify_subscribers: bool,
        chunk_size: int,
        session_uri: str | None = None,
        on_progress: ProgressFn | None = None,
        on_session: Callable[[str], None] | None = None,
        is_cancelled: Callable[[], bool] | None = None,
        max_network_failures: int = 8,
    ) -> dict[str, Any]:
        """Upload `path` resumably; return the video resource. Resumes `session_uri` if given."""
        if chunk_size <= 0 or chunk_size % (256 * 1024):
            raise ValueError("chunk_size must be a positive multiple of 256 KiB")
        media = MediaFileUpload(str(path), mimetype="video/mp4", chunksize=chunk_size, resumable=True)
        request = self.service.videos().insert(
            part="snippet,status", body=body, media_body=media, notifySubscribers=notify_subscribers
        )
        total = media.size()
        if session_uri:
            request.resumable_uri = session_uri
            # The library's own "after an error" state: its next call asks the server how many
            # bytes it holds (PUT, Content-Range: bytes */N) and continues from there.
            request._in_error_state = True
        known_uri = session_uri
        failures = 0
        response: dict[str, Any] | None = None
        while response is None:
            if is_cancelled is not None and is_cancelled():
                raise JobCancelled("upload cancelled by the user")
            try:
                try:
                    _status, response = request.next_chunk(num_retries=self.http_retries)  # 429/5xx
                finally:
                    # Persist a new session URI at once, even if the chunk after it failed.
                    if request.resumable_uri and request.resumable_uri != known_uri:
                        known_uri = request.resumable_uri
                        if on_session is not None:
                            on_session(known_uri)
            except HttpError as exc:
                code = int(exc.resp.status)
                if request.resumable_uri and code in (404, 410):
                    raise UploadSessionExpired("the upload session expired; starting a new one") from exc
                if request.resumable_uri and code == 400 and failures < max_network_failures:
                    # A chunk the server could not take whole (e.g. httplib2's silent empty
                    # re-send after a reset): re-sync with a status query, do not fail.
                    failures += 1
                    request._in_error_state = True
                    log.info("upload chunk refused (400); re-syncing with the server (%d)", failures)
                    self._sleep(min(8.0, 0.25 * 2**failures))
                    continue
                raise classify(exc, "videos.insert") from exc
            except ResumableUploadError as exc:  # pragma: no cover - initiate without Location
                raise classify(exc, "videos.insert") from exc
            except RefreshError as exc:  # a 401 made google-auth refresh, and Google refused
                raise _refresh_failed(exc) from exc
            except (OSError, http.client.HTTPException, httplib2.HttpLib2Error) as exc:
                failures += 1
                if failures > max_network_failures:
                    raise YoutubeTransientError(f"upload: network keeps failing ({exc!r})") from exc
                delay = min(30.0, 0.5 * 2 ** (failures - 1)) * (0.5 + random.random() / 2)
                log.warning("upload interrupted (%r); resuming from the last acknowledged byte", exc)
                self._sleep(delay)
                continue
            if response is None:
                failures = 0
                if on_progress is not None:
                    on_progress(int(request.resumable_progress), total)
        if on_progress is not None:
            on_progress(total, total)
        return response

    # -- thumbnails.set
    def set_thumbnail(self, video_id: str, path: Path) -> dict[str, Any]:
        mimetype = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
        media = MediaFileUpload(str(path), mimetype=mimetype, resumable=False)
        try:
            result: dict[str, Any] = (
                self.service.thumbnails().set(videoId=video_id, media_body=media).execute(num_retries=self.http_retries)
            )
        except HttpError as exc:
            raise classify(exc, "thumbnails.set") from exc
        except RefreshError as exc:
            raise _refresh_failed(exc) from exc
        return result

    # -- captions.insert
    def insert_caption(self, video_id: str, path: Path, *, language: str, name: str) -> dict[str, Any]:
        media = MediaFileUpload(str(path), mimetype="application/octet-stream", resumable=False)
        body = {"snippet": {"videoId": video_id, "language": language, "name": name, "isDraft": False}}
        try:
            result: dict[str, Any] = (
                self.service.captions()
                .insert(part="snippet", body=body, media_body=media)
                .execute(num_retries=self.http_retries)
            )
        except HttpError as exc:
            raise classify(exc, "captions.insert") from exc
        except RefreshError as exc:
            raise _refresh_failed(exc) from exc
        return result
