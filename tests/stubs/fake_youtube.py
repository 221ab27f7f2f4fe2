"""Test helpers around reelforge's local fake of Google OAuth + YouTube Data API v3.

The server itself ships in `reelforge.youtube.devserver` (the documented dev mode runs it
too); it is a real HTTP + TLS server on 127.0.0.1 with a certificate generated at start-up.
Here: fixtures, settings pointing at it, a finished render on disk, and the OAuth dance.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.youtube.devserver import FakeYouTube

__all__ = ["FakeYouTube", "connect_channel", "fake_youtube", "make_render", "youtube_settings"]


@pytest.fixture
def fake_youtube() -> Iterator[FakeYouTube]:
    fake = FakeYouTube(read_timeout=1.0).start()
    yield fake
    fake.stop()


def youtube_settings(settings: Settings, fake: FakeYouTube, **extra: Any) -> Settings:
    update: dict[str, Any] = {k.removeprefix("REELFORGE_").lower(): v for k, v in fake.settings_env().items()}
    update.update(
        youtube_upload_chunk_kib=256,
        job_retry_backoff_seconds=0.05,
        job_step_retries=2,
        base_url="http://127.0.0.1:8000",
    )
    update.update(extra)
    return settings.model_copy(update=update)


def authorize(fake: FakeYouTube, authorization_url: str) -> tuple[str, dict[str, str]]:
    """What the user's browser does at Google: open the consent URL, get redirected back."""
    assert authorization_url.startswith(fake.http_url + "/o/oauth2/auth?")
    resp = requests.get(authorization_url, allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    loc = urlsplit(resp.headers["Location"])
    return loc.path, {k: v[-1] for k, v in parse_qs(loc.query).items()}


def connect_channel(client: Any, fake: FakeYouTube) -> dict[str, Any]:
    """Drive "Connect YouTube" end to end through reelforge's API, the fake Google and the callback."""
    start = client.post("/api/v1/youtube/channels/connect")
    assert start.status_code == 200, start.text
    path, params = authorize(fake, start.json()["authorization_url"])
    assert path == "/youtube/oauth/callback"
    back = client.get(path, params=params, follow_redirects=False)
    assert back.status_code == 303, back.text
    channels = client.get("/api/v1/youtube/channels").json()
    match = [c for c in channels if c["channel_id"] == fake.channel["id"]]
    assert match, channels
    return dict(match[0])


def _jpeg(size: tuple[int, int] = (1280, 720)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 40, 90)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def make_render(
    db: Database,
    settings: Settings,
    user_id: str,
    *,
    size: int = 5 * 256 * 1024 + 12345,
    thumbnail: bool = True,
    subtitles: bool = True,
    script: dict[str, Any] | None = None,
    status: str = "completed",
) -> str:
    """A finished render job with its MP4 (random bytes: the fake checks the protocol, not the codec),
    thumbnail and SRT in the media store, as the render pipeline leaves them. Returns the job id."""
    from reelforge.jobs.models import Job

    with db.session() as s:
        job = Job(
            user_id=user_id,
            kind="render",
            type="shortform",
            title="My render",
            status=status,
            progress=100 if status == "completed" else 0,
            options={"script": script} if script else {},
            steps_done=[],
        )
        s.add(job)
        s.flush()
        job_id = job.id
        # Stored the way the render pipeline's publish step stores them: media-store keys.
        from reelforge.render.service import result_keys, video_url
        from reelforge.storage import media_store

        store, keys = media_store(settings), result_keys(job_id)
        tmp = settings.data_dir.resolve() / "tmp-render" / job_id
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "video.mp4").write_bytes(os.urandom(size))
        store.put(keys["video"], tmp / "video.mp4", move=True)
        job.video_url = video_url(job_id)
        if thumbnail:
            (tmp / "thumbnail.jpg").write_bytes(_jpeg())
            store.put(keys["thumbnail"], tmp / "thumbnail.jpg", move=True)
            job.thumbnail_path = keys["thumbnail"]
        if subtitles:
            (tmp / "subtitles.srt").write_text(
                "1\n00:00:00,000 --> 00:00:02,000\n안녕하세요\n\n2\n00:00:02,000 --> 00:00:04,000\nreelforge\n",
                encoding="utf-8",
            )
            store.put(keys["subtitles"], tmp / "subtitles.srt", move=True)
            job.subtitles_path = keys["subtitles"]
    return job_id
