"""YouTube HTML pages: connect button -> fake Google -> callback (cookie session + CSRF), the channel
list, the upload form (prefilled, explicit privacy, schedule in the browser's zone), history, Korean."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from sqlalchemy import select

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.youtube.models import YoutubeUpload
from tests.stubs.fake_youtube import FakeYouTube, authorize, fake_youtube, make_render, youtube_settings

__all__ = ["fake_youtube"]

ROOT = Path(__file__).resolve().parent.parent / "src" / "reelforge"
SCRIPT = {
    "title": "제주 바다 브이로그",
    "description": "Jeju sea.",
    "tags": ["jeju", "sea"],
    "language": "ko",
    "type": "shortform",
    "scenes": [{"narration": "hi", "image_prompt": "sea"}],
}


@pytest.fixture
def settings(settings: Settings, fake_youtube: FakeYouTube) -> Settings:  # overrides conftest's
    return youtube_settings(settings, fake_youtube)


def _connect_in_browser(c: Any, fake: FakeYouTube) -> None:
    page = c.get("/youtube")
    assert page.status_code == 200 and "data-connect-youtube" in page.text
    resp = c.post("/youtube/connect", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert resp.status_code == 303
    path, params = authorize(fake, resp.headers["location"])
    back = c.get(path, params=params, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/youtube"


def test_connect_flow_and_channel_list(cookie_client: Any, make_user: Any, fake_youtube: FakeYouTube) -> None:
    c = cookie_client(make_user())
    c.cookies.set("rf_lang", "en")
    # Without the CSRF token the form post is refused.
    assert c.post("/youtube/connect", data={}, follow_redirects=False).status_code == 403
    _connect_in_browser(c, fake_youtube)
    page = c.get("/youtube")
    assert "Connected YouTube channel reelforge dev channel." in page.text  # the flash
    assert "reelforge dev channel" in page.text and "Default" in page.text and "Disconnect" in page.text

    fake_youtube.invalidate_refresh_tokens()
    fake_youtube.expire_access_tokens()
    channel_id = re.search(r'data-channel-id="([^"]+)"', page.text)
    assert channel_id
    # The stored access token is still "valid" by its expiry, but the fake now answers 401:
    # google-auth refreshes, Google refuses, and the channel is marked instead of a 500.
    resp = c.post(f"/youtube/channels/{channel_id.group(1)}/check", data={"csrf_token": c.csrf})
    assert resp.status_code == 200  # followed the redirect back to /youtube
    assert "This channel needs to be reconnected." in resp.text and "Reconnect needed" in resp.text


def test_upload_form(
    cookie_client: Any, make_user: Any, fake_youtube: FakeYouTube, db: Database, settings: Settings
) -> None:
    user = make_user()
    c = cookie_client(user)
    c.cookies.set("rf_lang", "en")
    _connect_in_browser(c, fake_youtube)
    render_id = make_render(db, settings, user.id, script=SCRIPT)

    form = c.get(f"/youtube/upload/{render_id}")
    assert form.status_code == 200
    assert SCRIPT["title"] in form.text and "jeju, sea" in form.text
    assert 'name="privacy_status"' in form.text and "checked" not in form.text.split('name="privacy_status"')[1][:40]

    base = {
        "csrf_token": c.csrf,
        "title": SCRIPT["title"],
        "tags": "jeju, sea",
        "category_id": "19",
        "contains_synthetic_media": "1",
        "language": "ko",
    }
    # No privacy status chosen: the form comes back with the error, nothing is queued.
    again = c.post(f"/youtube/upload/{render_id}", data=base)
    assert again.status_code == 422 and "privacy_status must be" in again.text
    # Scheduled, but public: refused.
    when_local = (datetime.now(ZoneInfo("Asia/Seoul")) + timedelta(days=1)).replace(second=0, microsecond=0)
    sched = {"publish_at": when_local.strftime("%Y-%m-%dT%H:%M"), "timezone": "Asia/Seoul"}
    bad = c.post(f"/youtube/upload/{render_id}", data={**base, **sched, "privacy_status": "public"})
    assert bad.status_code == 422 and "needs privacy_status=private" in bad.text

    ok = c.post(
        f"/youtube/upload/{render_id}", data={**base, **sched, "privacy_status": "private"}, follow_redirects=False
    )
    assert ok.status_code == 303 and urlsplit(ok.headers["location"]).path == "/youtube/uploads"
    with db.read_session() as s:
        row = s.scalar(select(YoutubeUpload))
        assert row is not None
        assert row.publish_at == when_local.astimezone(UTC)  # the browser's zone, stored as UTC
        assert row.tags == ["jeju", "sea"] and row.category_id == "19" and row.notify_subscribers is False
    history = c.get("/youtube/uploads")
    assert history.status_code == 200 and SCRIPT["title"] in history.text and "Queued" in history.text


def test_korean_pages(cookie_client: Any, make_user: Any) -> None:
    c = cookie_client(make_user())
    c.cookies.set("rf_lang", "ko")
    page = c.get("/youtube")
    assert page.status_code == 200
    assert "YouTube 연결" in page.text and "내 채널" in page.text


def test_every_youtube_string_has_a_korean_translation() -> None:
    with (ROOT / "i18n/locales/ko/LC_MESSAGES/youtube.po").open("rb") as fh:
        ko = read_po(fh)
    missing = []
    for path in sorted((ROOT / "web/templates/youtube").glob("*.html")):
        for _l, msg, _c, _x in extract_from_file("jinja2", str(path), keywords={"_": None}):
            text = msg if isinstance(msg, str) else msg[0]
            if not (ko.get(text) and ko.get(text).string):
                missing.append((path.name, text))
    for _l, msg, _c, _x in extract_from_file(
        "python", str(ROOT / "youtube/pages.py"), keywords={"translate": (2,), "N_": None}
    ):
        text = msg if isinstance(msg, str) else msg[0]
        if not (ko.get(text) and ko.get(text).string):
            missing.append(("pages.py", text))
    assert missing == []
