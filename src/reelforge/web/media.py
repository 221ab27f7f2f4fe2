"""Answering a media GET from whichever store holds the bytes, on whichever API server.

A local folder: a `FileResponse` (sendfile, HTTP Range). An S3 bucket: by default a 307 to a
short-lived presigned URL, so video bytes go from the bucket to the browser and never through
the API servers; with `REELFORGE_MEDIA_SERVE=stream` (a bucket browsers cannot reach) the API
server streams the object itself, honouring a single `Range` with 206 like a file server.
The owner check happens before this is called; the URL it hands out expires.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from reelforge.config import Settings
from reelforge.errors import NotFound
from reelforge.storage import MediaMissing, MediaStore, media_store

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def content_disposition(filename: str, *, download: bool) -> str:
    """An ASCII fallback plus the RFC 5987 UTF-8 name, so Hangul titles survive every browser."""
    fallback = filename.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "").strip() or "download"
    kind = "attachment" if download else "inline"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def serve_media(
    request: Request,
    settings: Settings,
    key: str | None,
    *,
    media_type: str,
    filename: str,
    download: bool = False,
    cache_seconds: int = 3600,
) -> Response:
    """The object under `key` as a response, or 404 "not ready" when there is none (yet)."""
    if not key:
        raise NotFound("This file is not ready.")
    store = media_store(settings)
    disposition = content_disposition(filename, download=download)
    cache = f"private, max-age={cache_seconds}"
    path = store.local_path(key)
    if path is not None:
        return FileResponse(
            path, media_type=media_type, headers={"Content-Disposition": disposition, "Cache-Control": cache}
        )
    if settings.media_serve == "redirect":
        url = store.presigned_url(
            key, expires=settings.media_url_seconds, filename=filename, content_type=media_type, download=download
        )
        if url is not None and store.exists(key):
            # The redirect itself must not be cached longer than the URL it points to lives.
            return RedirectResponse(url, status_code=307, headers={"Cache-Control": "private, max-age=60"})
    return _stream(request, store, key, media_type, disposition, cache)


def _stream(request: Request, store: MediaStore, key: str, media_type: str, disposition: str, cache: str) -> Response:
    try:
        size = store.size(key)
    except MediaMissing:
        raise NotFound("This file is not ready.") from None
    headers = {"Content-Disposition": disposition, "Cache-Control": cache, "Accept-Ranges": "bytes"}
    wanted = request.headers.get("range", "")
    match = _RANGE.match(wanted.strip()) if wanted else None
    if wanted and (match is None or (not match.group(1) and not match.group(2))):
        match = None  # several ranges or nonsense: answer the whole object, as RFC 9110 allows
    if match is None or size == 0:
        headers["Content-Length"] = str(size)
        return StreamingResponse(store.open_range(key), media_type=media_type, headers=headers)
    first, last = match.group(1), match.group(2)
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:  # "bytes=-N": the last N bytes
        start, end = max(0, size - int(last)), size - 1
    if start >= size or start > end:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(store.open_range(key, start, end), status_code=206, media_type=media_type, headers=headers)
