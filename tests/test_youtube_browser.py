"""The dev-mode journey in a real browser: a real uvicorn server, the fake Google on loopback, a
worker pool. Click "Connect YouTube", approve, come back; upload a finished video from the form;
watch the history page turn "Uploaded" with a link once the upload job ran."""

from __future__ import annotations

from typing import Any

import pytest

from reelforge.config import Settings
from reelforge.db.engine import Database
from tests.browser_helpers import Shots, chromium
from tests.stubs.fake_youtube import FakeYouTube, fake_youtube, make_render, youtube_settings

pytestmark = pytest.mark.slow  # Chromium

__all__ = ["chromium", "fake_youtube"]

SCRIPT = {
    "title": "부산 야경 산책",
    "description": "Busan at night.",
    "tags": ["busan"],
    "language": "ko",
    "type": "shortform",
    "scenes": [{"narration": "hi", "image_prompt": "busan"}],
}


@pytest.fixture
def settings(settings: Settings, fake_youtube: FakeYouTube) -> Settings:  # overrides conftest's
    return youtube_settings(settings, fake_youtube, job_poll_seconds=0.2)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_connect_and_upload_in_a_browser(
    chromium: Any, app: Any, db: Database, settings: Settings, make_user: Any, fake_youtube: FakeYouTube
) -> None:
    from reelforge.accounts.sessions import create_session
    from reelforge.jobs.pool import WorkerPool
    from tests.conftest import LiveServer, free_port

    user = make_user()
    render_id = make_render(db, settings, user.id, script=SCRIPT)
    with db.session() as s:
        new = create_session(s, s.merge(user), ip="127.0.0.1", user_agent="playwright")
    server = LiveServer(app, free_port()).start()
    live = settings.model_copy(update={"base_url": server.url})
    app.state.settings = live  # the OAuth redirect URI must point at this server
    pool = WorkerPool(db, live, size=1, mode="local").start()
    shots = Shots("youtube")
    try:
        ctx = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        ctx.add_cookies(
            [
                {"name": "rf_session", "value": new.token, "url": server.url},
                {"name": "rf_lang", "value": "en", "url": server.url},
            ]
        )
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/youtube")
        page.click("[data-connect-youtube]")  # -> fake consent (auto-approve) -> callback -> /youtube
        page.wait_for_selector("[data-channel-id]", timeout=20000)
        assert "Connected YouTube channel reelforge dev channel." in page.content()
        assert page.locator("[data-channel-id]").count() == 1
        shots.take(page, "channels")

        page.goto(f"{server.url}/youtube/upload/{render_id}")
        assert page.input_value("#f-title") == SCRIPT["title"]
        page.check("input[name=privacy_status][value=unlisted]")
        page.fill("#f-publish_at", "2030-01-02T09:30")  # scheduling forces private (youtube.js)
        assert page.is_checked("input[name=privacy_status][value=private]")
        assert page.is_disabled("input[name=privacy_status][value=public]")
        page.fill("#f-publish_at", "")
        page.check("input[name=privacy_status][value=unlisted]")
        shots.take(page, "upload-form")
        page.click("[data-upload-form] button[type=submit]")
        page.wait_for_url(server.url + "/youtube/uploads")
        # youtube.js polls the API and reloads when the status changes; the pool runs the job.
        page.wait_for_selector("[data-upload-status=completed]", timeout=60000)
        link = page.locator("[data-uploads] a[href^='https://www.youtube.com/watch?v=']")
        assert link.count() == 1 and link.inner_text() == SCRIPT["title"]
        shots.take(page, "uploaded")
        assert errors == []
        video_id = link.get_attribute("href").rsplit("=", 1)[1]  # type: ignore[union-attr]
        assert fake_youtube.videos[video_id]["status"]["privacyStatus"] == "unlisted"
        assert video_id in fake_youtube.thumbnails and len(fake_youtube.captions) == 1
        ctx.close()
    finally:
        pool.stop()
        server.stop()
