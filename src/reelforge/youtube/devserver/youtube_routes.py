"""The fake YouTube Data API v3: channels.list, resumable videos.insert, thumbnails.set, captions.insert."""

from __future__ import annotations

import datetime as dt
import email
import json
import re
import secrets
import socket
import time
from email.message import Message
from typing import Any

from reelforge.youtube.devserver.base import (
    SCOPE_FORCE_SSL,
    SCOPE_READONLY,
    SCOPE_UPLOAD,
    HandlerBase,
    UploadSession,
    google_error,
)


class YoutubeRoutes(HandlerBase):
    """Scopes are enforced per method; uploads answer 308 + Range and `bytes */N` status queries."""

    def _channels(self, q: dict[str, str]) -> None:
        if self._bearer((SCOPE_READONLY, SCOPE_FORCE_SSL)) is None:
            return
        if q.get("mine") != "true":
            self._send(400, google_error(400, "Only mine=true is implemented by the fake.", "invalidFilters"))
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
            self._send(400, google_error(400, "The fake only implements resumable video uploads.", "badRequest"))
            return
        auth = self._bearer((SCOPE_UPLOAD, SCOPE_FORCE_SSL))
        if auth is None:
            return
        body = self._read_body() or b"{}"
        if self.fake.quota_exceeded:
            self._send(
                403,
                google_error(
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
            self._send(400, google_error(400, "Invalid JSON payload.", "parseError", "global"))
            return
        status = metadata.get("status") or {}
        privacy = status.get("privacyStatus")
        if privacy not in ("public", "unlisted", "private"):
            # The real API now makes such a video public; the fake refuses so a missing value is caught.
            self._send(400, google_error(400, "status.privacyStatus must be sent explicitly.", "invalidVideoMetadata"))
            return
        if status.get("publishAt") and privacy != "private":
            self._send(400, google_error(400, "publishAt needs privacyStatus=private.", "invalidPublishAt"))
            return
        total = self.headers.get("X-Upload-Content-Length")
        if not total or not total.isdigit():
            self._send(400, google_error(400, "X-Upload-Content-Length is required.", "badRequest"))
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
            self._send(404, google_error(404, "Upload session not found or expired.", "notFound"))
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
            self._send(400, google_error(400, "Bad Content-Range.", "badContent"))
            return
        start, end = int(m.group(1)), int(m.group(2))
        if declared != end - start + 1:
            self._read_body()
            self._send(400, google_error(400, "Content-Length does not match Content-Range.", "badContent"))
            return
        with self.fake.lock:
            session.chunk_starts.append(start)
        if start != session.received:
            self._read_body()
            self._send(400, google_error(400, f"Expected offset {session.received}, got {start}.", "badContent"))
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
            self._send(400, google_error(400, "Incomplete chunk body.", "badContent"))
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
            self._send(404, google_error(404, "Video not found.", "videoNotFound"))
            return
        if len(data) > 2 * 1024 * 1024:
            self._send(400, google_error(400, "The thumbnail image file is too large.", "mediaBodyTooLarge"))
            return
        if not (data.startswith(b"\xff\xd8") or data.startswith(b"\x89PNG")):
            self._send(400, google_error(400, "The thumbnail image is not JPEG or PNG.", "invalidImage"))
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
            self._send(400, google_error(400, "captions.insert expects multipart/related.", "badContent"))
            return
        message = email.message_from_bytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + data)
        parts = [p for p in (message.get_payload() if message.is_multipart() else []) if isinstance(p, Message)]
        if len(parts) < 2:
            self._send(400, google_error(400, "Missing metadata or media part.", "badContent"))
            return
        meta_raw = parts[0].get_payload(decode=True)
        media = parts[1].get_payload(decode=True)
        if not isinstance(meta_raw, bytes) or not isinstance(media, bytes):
            self._send(400, google_error(400, "Unreadable multipart body.", "badContent"))
            return
        try:
            meta = json.loads(meta_raw)
        except ValueError:
            self._send(400, google_error(400, "Bad caption metadata.", "parseError"))
            return
        snippet = meta.get("snippet") or {}
        vid = snippet.get("videoId", "")
        if vid not in self.fake.videos:
            self._send(404, google_error(404, "Video not found.", "videoNotFound"))
            return
        if b"-->" not in media:
            self._send(400, google_error(400, "The caption track is not a recognised format.", "invalidMetadata"))
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
