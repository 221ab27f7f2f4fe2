"""The render pages: order form, job page with live status, player, downloads, render again."""

from __future__ import annotations

import pytest

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import runner
from tests import factories
from tests.factories import VIDEO_PRICE


@pytest.fixture
def payer(make_user, db: Database):  # type: ignore[no-untyped-def]
    user = make_user()
    factories.grant_credits(db, user.id, 1000)
    return user


def test_order_watch_and_render_again_through_pages(
    cookie_client, payer, make_user, db: Database, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    c = cookie_client(payer)
    sid = factories.script(db, payer.id)
    page = c.get(f"/renders/new?script_id={sid}")
    assert page.status_code == 200 and 'name="script_id"' in page.text and "바다는 왜 파랄까" in page.text

    form = {
        "csrf_token": c.csrf, "script_id": sid, "type": "shortform", "subtitles": "bold", "music": "ambient",
        "music_volume": "0.2", "speed": "1.1", "quality": "preview", "tts_provider": "default", "voice": "",
    }  # fmt: skip
    assert c.post("/renders/new", data={**form, "csrf_token": "wrong"}, follow_redirects=False).status_code == 403
    r = c.post("/renders/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    job_url = r.headers["location"]
    job_id = job_url.rsplit("/", 1)[1]
    assert factories.balance(db, payer.id) == 1000 - VIDEO_PRICE

    waiting = c.get(job_url)
    assert waiting.status_code == 200 and f'data-render-job="{job_id}"' in waiting.text and "<video" not in waiting.text
    assert f'action="/jobs/{job_id}/cancel"' in waiting.text

    assert runner.run(db, settings, "render", job_id).status == "completed"
    done = c.get(job_url).text
    assert f'src="/api/v1/renders/{job_id}/video.mp4"' in done
    assert f"/api/v1/renders/{job_id}/subtitles.srt?download=1" in done
    assert done.count(f'<img src="/api/v1/renders/{job_id}/scenes/scene-') == 2
    assert 'action="/renders/' in done and "/again" in done
    assert f'href="/renders/{job_id}"' in c.get("/jobs").text  # the jobs list opens a video on its own page

    bad = c.post("/renders/new", data={**form, "speed": "7"}, follow_redirects=False)
    assert bad.status_code == 422 and "speed" in bad.text

    again = c.post(f"/renders/{job_id}/again", data={**form, "type": "longform"}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] != job_url
    assert factories.balance(db, payer.id) == 1000 - 2 * VIDEO_PRICE

    other = cookie_client(make_user())
    assert other.get(job_url).status_code == 404
    assert c.get("/renders/new").status_code == 200  # the topic form


def test_admin_music_library_page(cookie_client, make_user, settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    from reelforge.render.ffmpeg import ffmpeg_path

    admin = cookie_client(make_user(admin=True))
    assert admin.get("/admin/music").status_code == 200
    track = tmp_path / "rain.wav"
    subprocess.run([ffmpeg_path(), "-loglevel", "error", "-f", "lavfi", "-i", "sine=d=1", str(track)], check=True)
    files = {"file": ("rain.wav", track.read_bytes(), "audio/wav")}
    r = admin.post("/admin/music", data={"csrf_token": admin.csrf}, files=files, follow_redirects=False)
    assert r.status_code == 303
    page = admin.get("/admin/music").text
    assert "rain-" in page and ".wav" in page
    assert cookie_client(make_user()).get("/admin/music").status_code == 403
