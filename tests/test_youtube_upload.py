"""YouTube uploads as jobs, run by the real job runner against the local fake YouTube:
resumable upload with a dropped connection, scheduled private publish, cancel mid-upload,
the daily cap, YouTube's own quota and 5xx errors, thumbnail/caption warnings, auto-publish,
and other users' ids answering 404."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs.models import Job, JobLog
from reelforge.jobs.runner import run
from reelforge.youtube import client as yc
from reelforge.youtube.crypto import TokenCipher
from reelforge.youtube.flows import chain_upload_after_render
from reelforge.youtube.models import YoutubeQuotaDay, YoutubeUpload
from reelforge.youtube.quota import quota_day
from reelforge.youtube.uploads import validate_auto_publish
from tests.stubs.fake_youtube import FakeYouTube, connect_channel, fake_youtube, make_render, youtube_settings

__all__ = ["fake_youtube"]

CHUNK = 256 * 1024
SCRIPT = {
    "title": "서울의 밤 산책",
    "description": "A walk through Seoul at night.",
    "tags": ["seoul", "night walk"],
    "language": "ko",
    "type": "shortform",
    "scenes": [{"narration": "hi", "image_prompt": "seoul"}],
}


@pytest.fixture
def settings(settings: Settings, fake_youtube: FakeYouTube) -> Settings:  # overrides conftest's
    return youtube_settings(settings, fake_youtube)


@pytest.fixture
def creator(api_client: Any, make_user: Any, fake_youtube: FakeYouTube) -> tuple[Any, Any, dict[str, Any]]:
    user = make_user()
    client = api_client(user)
    channel = connect_channel(client, fake_youtube)
    return user, client, channel


def _upload(client: Any, job_id: str, **over: Any) -> Any:
    body = {"job_id": job_id, "title": "My first upload", "privacy_status": "unlisted", **over}
    return client.post("/api/v1/youtube/uploads", json=body)


def _row(db: Database, job_id: str) -> YoutubeUpload:
    with db.read_session() as s:
        row = s.scalar(select(YoutubeUpload).where(YoutubeUpload.job_id == job_id))
        assert row is not None
        s.expunge(row)
        return row


def _job(db: Database, job_id: str) -> Job:
    with db.read_session() as s:
        job = s.get(Job, job_id)
        assert job is not None
        s.expunge(job)
        return job


def _logs(db: Database, job_id: str) -> list[str]:
    with db.read_session() as s:
        return list(s.scalars(select(JobLog.log_message).where(JobLog.job_id == job_id).order_by(JobLog.id)))


def _video_file(settings: Settings, render_id: str) -> Path:
    from reelforge.storage import media_store

    path = media_store(settings).local_path(f"videos/{render_id}/video.mp4")
    assert path is not None
    return path


def test_upload_resumes_after_dropped_connection(
    creator: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube
) -> None:
    user, client, channel = creator
    render_id = make_render(db, settings, user.id, script=SCRIPT)
    pre = client.get(f"/api/v1/youtube/prefill/{render_id}").json()
    assert pre == {
        "title": SCRIPT["title"],
        "description": SCRIPT["description"],
        "tags": SCRIPT["tags"],
        "language": "ko",
    }
    resp = _upload(
        client,
        render_id,
        title=pre["title"],
        description=pre["description"],
        tags=pre["tags"],
        language="ko",
        category_id="27",
        notify_subscribers=False,
        made_for_kids=False,
        contains_synthetic_media=True,
    )
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["job_id"]
    assert resp.json()["upload"]["status"] == "pending"

    size = _video_file(settings, render_id).stat().st_size
    fake_youtube.drop_upload_after = 2 * CHUNK + 1000  # the network dies inside the third chunk
    result = run(db, settings, "upload", job_id)
    assert result.status == "completed", result.error

    state = fake_youtube.state()
    (session,) = state["sessions"].values()
    assert session["drops"] == 1
    assert session["status_queries"] >= 1  # it asked how much the server had...
    starts = session["chunk_starts"]
    assert starts.count(0) == 1  # ...and never sent from byte zero again
    assert starts == sorted(starts) and starts[-1] == (size // CHUNK) * CHUNK
    assert set(starts) == {i * CHUNK for i in range(size // CHUNK + 1)}

    video = fake_youtube.videos[session["video_id"]]
    assert video["size"] == size
    assert video["sha256"] == hashlib.sha256(_video_file(settings, render_id).read_bytes()).hexdigest()
    assert video["snippet"]["title"] == SCRIPT["title"] and video["snippet"]["tags"] == SCRIPT["tags"]
    assert video["snippet"]["categoryId"] == "27"
    assert video["status"]["privacyStatus"] == "unlisted"
    assert video["status"]["containsSyntheticMedia"] is True
    assert video["status"]["selfDeclaredMadeForKids"] is False
    assert video["notifySubscribers"] == "false"
    assert session["video_id"] in fake_youtube.thumbnails
    (caption,) = fake_youtube.captions.values()
    assert caption["snippet"]["videoId"] == session["video_id"] and caption["snippet"]["language"] == "ko"

    row = _row(db, job_id)
    assert row.status == "completed" and row.video_id == session["video_id"]
    assert row.video_url == f"https://www.youtube.com/watch?v={row.video_id}"
    assert row.bytes_sent == size and row.size_bytes == size
    assert row.channel_id == channel["channel_id"] and row.channel_title == channel["channel_title"]
    assert row.published_at is not None and row.warnings == []
    assert row.upload_session_encrypted is None and row.quota_day is not None
    assert _job(db, job_id).progress == 100
    history = client.get("/api/v1/youtube/uploads").json()
    assert [h["video_id"] for h in history] == [row.video_id]
    assert client.get("/api/v1/youtube/quota").json()["used"] == 1


def test_scheduled_private_upload(creator: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube) -> None:
    user, client, _ = creator
    render_id = make_render(db, settings, user.id)
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)

    bad = _upload(client, render_id, privacy_status="public", publish_at=when.isoformat())
    assert bad.status_code == 422 and bad.json()["field"] == "publish_at"
    past = _upload(client, render_id, privacy_status="private", publish_at=(when - timedelta(days=5)).isoformat())
    assert past.status_code == 422
    missing = client.post("/api/v1/youtube/uploads", json={"job_id": render_id, "title": "x"})
    assert missing.status_code == 422  # privacy status is never implied

    resp = _upload(client, render_id, privacy_status="private", publish_at=when.isoformat())
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["job_id"]
    assert run(db, settings, "upload", job_id).status == "completed"
    row = _row(db, job_id)
    video = fake_youtube.videos[row.video_id or ""]
    assert video["status"]["privacyStatus"] == "private"
    assert video["status"]["publishAt"] == when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert row.publish_at == when and row.published_at is None


def test_cancel_mid_upload(creator: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube) -> None:
    user, client, _ = creator
    render_id = make_render(db, settings, user.id, size=12 * CHUNK)
    job_id = _upload(client, render_id).json()["job_id"]
    fake_youtube.chunk_delay = 0.25
    outcome: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: outcome.update(r=run(db, settings, "upload", job_id)))
    worker.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        sessions = fake_youtube.state()["sessions"]
        if sessions and next(iter(sessions.values()))["received"] >= 2 * CHUNK:
            break
        time.sleep(0.05)
    resp = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert resp.status_code == 200, resp.text
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert outcome["r"].status == "cancelled"
    (session,) = fake_youtube.state()["sessions"].values()
    assert 2 * CHUNK <= session["received"] < 12 * CHUNK and session["video_id"] is None
    assert fake_youtube.videos == {}
    row = _row(db, job_id)
    assert row.status == "cancelled" and row.video_id is None
    assert 0 < row.bytes_sent < 12 * CHUNK
    assert client.get(f"/api/v1/youtube/uploads/{row.id}").json()["status"] == "cancelled"


def test_resume_of_stored_session_after_a_failed_step(
    creator: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch
) -> None:
    """5xx on a chunk: the runner retries the step, which resumes the stored session (no new session)."""
    monkeypatch.setattr(yc.YoutubeApi, "http_retries", 0)
    user, client, _ = creator
    render_id = make_render(db, settings, user.id)
    job_id = _upload(client, render_id).json()["job_id"]
    fake_youtube.fail_next("PUT", "/upload/youtube/v3/videos", 503, times=2)
    result = run(db, settings, "upload", job_id)
    assert result.status == "completed", result.error
    state = fake_youtube.state()
    assert len(state["sessions"]) == 1  # resumed the same session
    (session,) = state["sessions"].values()
    assert session["chunk_starts"].count(0) == 1 and session["status_queries"] >= 1
    assert any("retry" in line for line in _logs(db, job_id))


def test_daily_cap(creator: Any, db: Database, settings: Settings, app: Any, fake_youtube: FakeYouTube) -> None:
    user, client, _ = creator
    app.state.settings = settings.model_copy(update={"youtube_daily_upload_cap": 1})
    capped = app.state.settings
    first = _upload(client, make_render(db, settings, user.id))
    assert first.status_code == 202
    second = _upload(client, make_render(db, settings, user.id))  # the first is still queued: counts
    assert second.status_code == 429, second.text
    problem = second.json()
    assert problem["reason"] == "youtube_daily_cap" and problem["cap"] == 1
    assert "resets" in problem["detail"] and "resets_at" in problem
    assert int(second.headers["retry-after"]) > 0

    assert run(db, capped, "upload", first.json()["job_id"]).status == "completed"
    quota = client.get("/api/v1/youtube/quota").json()
    assert quota["used"] == 1 and quota["remaining"] == 0 and quota["cap"] == 1
    assert _upload(client, make_render(db, settings, user.id)).status_code == 429

    # A race that slipped past the check (cap reached by the time it runs) fails before YouTube is called.
    app.state.settings = settings.model_copy(update={"youtube_daily_upload_cap": 5})
    late = _upload(client, make_render(db, settings, user.id)).json()["job_id"]
    day, _ = quota_day(settings)
    with db.session() as s:
        row = s.get(YoutubeQuotaDay, day)
        assert row is not None
        row.uploads = 5
    sessions_before = len(fake_youtube.sessions)
    result = run(db, app.state.settings, "upload", late)
    assert result.status == "failed" and "YouTube uploads for today" in (result.error or "")
    assert len(fake_youtube.sessions) == sessions_before
    assert _row(db, late).status == "failed"


def test_quota_day_is_pacific_by_default(settings: Settings) -> None:
    # 07:30 UTC on 26 Nov is still 25 Nov in California; the day ends at 08:00 UTC (PST = UTC-8).
    day, resets = quota_day(settings, datetime(2026, 11, 26, 7, 30, tzinfo=UTC))
    assert day == "2026-11-25" and resets == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    utc = settings.model_copy(update={"youtube_quota_timezone": "UTC"})
    assert quota_day(utc, datetime(2026, 11, 26, 7, 30, tzinfo=UTC))[0] == "2026-11-26"
    # Summer time: PDT = UTC-7.
    assert quota_day(settings, datetime(2026, 7, 1, 12, tzinfo=UTC))[1] == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)


def test_youtube_quota_exceeded_fails_with_a_clear_message(
    creator: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube
) -> None:
    user, client, _ = creator
    job_id = _upload(client, make_render(db, settings, user.id)).json()["job_id"]
    fake_youtube.quota_exceeded = True
    result = run(db, settings, "upload", job_id)
    assert result.status == "failed"
    assert "quota" in (result.error or "") and "Pacific" in (result.error or "")
    row = _row(db, job_id)
    assert row.status == "failed" and "quota" in (row.error or "")
    assert client.get(f"/api/v1/youtube/uploads/{row.id}").json()["status"] == "failed"


def test_thumbnail_and_caption_failures_are_warnings(
    creator: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube
) -> None:
    user, client, _ = creator
    render_id = make_render(db, settings, user.id, subtitles=False)
    job_id = _upload(client, render_id).json()["job_id"]
    fake_youtube.fail_next("POST", "/upload/youtube/v3/thumbnails/set", 400, reason="invalidImage")
    result = run(db, settings, "upload", job_id)
    assert result.status == "completed", result.error
    row = _row(db, job_id)
    assert row.status == "completed" and row.video_id in fake_youtube.videos
    assert len(row.warnings) == 2
    assert row.warnings[0].startswith("Thumbnail not set") and "invalidImage" in row.warnings[0]
    assert "No SRT" in row.warnings[1]
    assert fake_youtube.captions == {} and fake_youtube.thumbnails == {}
    assert any("Thumbnail not set" in line for line in _logs(db, job_id))


def test_reconnect_needed_channel(creator: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube) -> None:
    user, client, channel = creator
    job_id = _upload(client, make_render(db, settings, user.id)).json()["job_id"]
    fake_youtube.invalidate_refresh_tokens()
    fake_youtube.expire_access_tokens()
    with db.session() as s:  # make the stored token look expired so the step refreshes first
        from reelforge.youtube.models import YoutubeChannel

        ch = s.get(YoutubeChannel, channel["id"])
        assert ch is not None
        ch.token_encrypted = TokenCipher(settings).encrypt_json(
            {**TokenCipher(settings).decrypt_json(ch.token_encrypted or ""), "expiry": None}
        )
    result = run(db, settings, "upload", job_id)
    assert result.status == "failed" and "reconnect" in (result.error or "")
    assert client.get("/api/v1/youtube/channels").json()[0]["needs_reconnect"] is True
    refused = _upload(client, make_render(db, settings, user.id))
    assert refused.status_code == 409 and refused.json()["reason"] == "reconnect_needed"


def test_other_users_ids_are_404(
    creator: Any, api_client: Any, make_user: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube
) -> None:
    alice, a, alice_channel = creator
    alice_render = make_render(db, settings, alice.id)
    upload = _upload(a, alice_render).json()["upload"]
    bob = make_user()
    b = api_client(bob)
    bob_render = make_render(db, settings, bob.id)

    assert b.get(f"/api/v1/youtube/prefill/{alice_render}").status_code == 404
    assert _upload(b, alice_render).status_code == 404  # Alice's video
    assert _upload(b, bob_render, channel_id=alice_channel["id"]).status_code == 404  # Alice's channel
    assert b.get(f"/api/v1/youtube/uploads/{upload['id']}").status_code == 404
    assert b.get("/api/v1/youtube/uploads").json() == []
    assert b.get(f"/youtube/upload/{alice_render}").status_code == 404
    assert b.get("/api/v1/admin/youtube/uploads").status_code == 403
    # Bob without a channel of his own gets a clear 409 for his own video.
    assert _upload(b, bob_render).json()["reason"] == "no_channel"
    # Not-finished and unknown videos.
    assert _upload(a, make_render(db, settings, alice.id, status="processing")).status_code == 409
    assert _upload(a, "00000000-0000-0000-0000-000000000000").status_code == 404


def test_admin_sees_all_and_the_quota(
    creator: Any, api_client: Any, make_user: Any, db: Database, settings: Settings
) -> None:
    user, client, _ = creator
    _upload(client, make_render(db, settings, user.id))
    admin = api_client(make_user(admin=True))
    assert len(admin.get("/api/v1/admin/youtube/channels").json()) == 1
    uploads = admin.get("/api/v1/admin/youtube/uploads").json()
    assert len(uploads) == 1 and uploads[0]["user_id"] == user.id
    quota = admin.get("/api/v1/admin/youtube/quota").json()
    assert quota["cap"] == 100 and quota["queued"] == 1 and quota["used"] == 0
    page = admin.get("/admin/youtube")
    assert page.status_code == 200 and "My first upload" in page.text


def test_auto_publish_chains_an_upload(
    creator: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube
) -> None:
    user, client, channel = creator
    # Called from the render's last step: the files are stored, the render is still processing.
    render_id = make_render(db, settings, user.id, script=SCRIPT, status="processing")
    with db.session() as s:
        render = s.get(Job, render_id)
        assert render is not None
        render.options = {**render.options, "auto_publish": True, "youtube": {"privacy_status": "private"}}
        s.flush()
        job = chain_upload_after_render(s, render, settings)
        assert job is not None
        job_id = job.id
        again = chain_upload_after_render(s, render, settings)  # a re-run of that step
        assert again is not None and again.id == job_id
    row = _row(db, job_id)
    assert row.title == SCRIPT["title"] and row.privacy_status == "private" and row.source_job_id == render_id
    assert row.channel_ref_id == channel["id"]
    assert run(db, settings, "upload", job_id).status == "completed"

    # Without a channel it logs a warning on the render and does not raise.
    # What the render API calls when a render asks for auto-publish (early 4xx).
    from reelforge.errors import Conflict, InvalidInput

    with db.session() as s:
        checked = validate_auto_publish(s, user.id, {"tags": ["a"]})
        assert checked == {"tags": ["a"], "privacy_status": "private", "channel_id": channel["id"]}
        soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        with pytest.raises(InvalidInput):
            validate_auto_publish(s, user.id, {"privacy_status": "public", "publish_at": soon})
        with pytest.raises(InvalidInput):
            validate_auto_publish(s, user.id, {"privacy": "public"})
    assert client.delete(f"/api/v1/youtube/channels/{channel['id']}").status_code == 200
    with db.session() as s, pytest.raises(Conflict):
        validate_auto_publish(s, user.id, {})
    other = make_render(db, settings, user.id, script=SCRIPT, status="processing")
    with db.session() as s:
        render = s.get(Job, other)
        assert render is not None
        render.options = {"auto_publish": True}
        s.flush()
        assert chain_upload_after_render(s, render, settings) is None
    assert any("Auto-publish to YouTube skipped" in line for line in _logs(db, other))


def test_expired_session_restarts_once(
    creator: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube
) -> None:
    """A stored session YouTube no longer knows (404 on the status query) starts a new one."""
    from reelforge.youtube.crypto import TokenCipher

    user, client, _ = creator
    job_id = _upload(client, make_render(db, settings, user.id)).json()["job_id"]
    stale = f"{fake_youtube.https_url}/upload/youtube/v3/videos?uploadType=resumable&upload_id=expired"
    with db.session() as s:
        row = s.scalar(select(YoutubeUpload).where(YoutubeUpload.job_id == job_id))
        assert row is not None
        row.upload_session_encrypted = TokenCipher(settings).encrypt_text(stale)
        row.bytes_sent = 3 * CHUNK
    result = run(db, settings, "upload", job_id)
    assert result.status == "completed", result.error
    assert ("PUT", "/upload/youtube/v3/videos?uploadType=resumable&upload_id=expired") in fake_youtube.requests
    assert len(fake_youtube.sessions) == 1 and _row(db, job_id).video_id in fake_youtube.videos
    assert any("session expired" in line for line in _logs(db, job_id))
    assert client.get("/api/v1/youtube/quota").json()["used"] == 1  # counted once


def test_cancel_while_queued_then_retry(creator: Any, db: Database, settings: Settings) -> None:
    user, client, _ = creator
    created = _upload(client, make_render(db, settings, user.id)).json()
    job_id, upload_id = created["job_id"], created["upload"]["id"]
    assert client.get("/api/v1/youtube/quota").json()["queued"] == 1
    assert client.post(f"/api/v1/jobs/{job_id}/cancel").json()["status"] == "cancelled"
    assert client.get(f"/api/v1/youtube/uploads/{upload_id}").json()["status"] == "cancelled"
    quota = client.get("/api/v1/youtube/quota").json()
    assert quota["used"] == 0 and quota["queued"] == 0  # a cancelled queued upload takes no slot
    assert client.post(f"/api/v1/jobs/{job_id}/retry").status_code == 200
    assert client.get(f"/api/v1/youtube/uploads/{upload_id}").json()["status"] == "pending"
    assert run(db, settings, "upload", job_id).status == "completed"
    assert client.get(f"/api/v1/youtube/uploads/{upload_id}").json()["status"] == "completed"
    assert client.get("/api/v1/youtube/quota").json()["used"] == 1


def test_auto_publish_through_the_render_api(
    creator: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube, make_user: Any, api_client: Any
) -> None:
    """POST /api/v1/renders with auto_publish: a real (preview) render, then the chained upload reaches YouTube."""
    from reelforge.accounts.service import create_user
    from reelforge.credits.service import balance, grant
    from reelforge.scripts.models import Script

    user, client, channel = creator
    with db.session() as s:
        admin = create_user(s, "granter@example.com", "a-good-passphrase-1", is_admin=True)
        grant(s, user.id, 1000, reason="test credits", admin_id=admin.id)
        script = Script(
            user_id=user.id, title=SCRIPT["title"], original_topic=SCRIPT["title"], type="shortform",
            language="ko", status="completed",
            content={**SCRIPT, "scenes": [{"narration": "서울의 밤은 조용합니다.", "image_prompt": "seoul at night"}]},
        )  # fmt: skip
        s.add(script)
        s.flush()
        script_id = script.id

    body = {"script_id": script_id, "options": {"quality": "preview"}, "auto_publish": True}
    r = client.post("/api/v1/renders", json={**body, "youtube": {"privacy_status": "unlisted", "tags": ["밤"]}})
    assert r.status_code == 202, r.text
    render_id = r.json()["id"]
    with db.read_session() as s:
        assert balance(s, user.id) == 1000 - 150
    result = run(db, settings, "render", render_id)
    assert result.status == "completed", result.error
    with db.read_session() as s:
        upload_job = s.scalar(select(Job).where(Job.kind == "upload", Job.parent_job_id == render_id))
        assert upload_job is not None
        upload_job_id = upload_job.id
    assert run(db, settings, "upload", upload_job_id).status == "completed"
    row = _row(db, upload_job_id)
    assert row.privacy_status == "unlisted" and row.channel_ref_id == channel["id"] and row.video_id
    assert row.video_id in fake_youtube.videos

    # A user with no channel is refused before anything is charged.
    loner = make_user()
    with db.session() as s:
        grant(s, loner.id, 500, reason="test credits", admin_id=admin.id)
    lone_client = api_client(loner)
    r = lone_client.post(
        "/api/v1/renders", json={"topic": "혼자 사는 고양이", **{k: body[k] for k in ("options", "auto_publish")}}
    )
    assert r.status_code == 409 and r.json()["reason"] == "no_channel"
    with db.read_session() as s:
        assert balance(s, loner.id) == 500


def test_uploads_are_dispatched_only_once_committed(
    creator: Any, db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order (API and auto-publish alike) queues its job after the commit, never for a rolled-back one."""
    import reelforge.youtube.flows as youtube_flows

    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(youtube_flows, "dispatch", lambda _settings, kind, job_id: sent.append((kind, job_id)))
    user, client, _ = creator
    job_id = _upload(client, make_render(db, settings, user.id)).json()["job_id"]
    assert sent == [("upload", job_id)]

    render_id = make_render(db, settings, user.id, script=SCRIPT, status="processing")
    with pytest.raises(RuntimeError), db.session() as s:
        render = s.get(Job, render_id)
        assert render is not None
        render.options = {**render.options, "auto_publish": True}
        assert chain_upload_after_render(s, render, settings) is not None
        raise RuntimeError("the render step failed after chaining")
    assert sent == [("upload", job_id)]  # rolled back: nothing queued, no upload row
    with db.session() as s:
        render = s.get(Job, render_id)
        assert render is not None
        render.options = {**render.options, "auto_publish": True}
        chained = chain_upload_after_render(s, render, settings)
        assert chained is not None
        assert sent == [("upload", job_id)]  # not before the commit
    assert sent == [("upload", job_id), ("upload", chained.id)]


def test_upload_steps_need_no_local_path_from_the_store(
    creator: Any, db: Database, settings: Settings, fake_youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As with an S3 bucket: the steps fetch the render's files into their work folder and remove the copies."""
    from reelforge.jobs.context import workdir_for
    from reelforge.storage import LocalMediaStore

    user, client, _ = creator
    render_id = make_render(db, settings, user.id, script=SCRIPT)
    expected = hashlib.sha256(_video_file(settings, render_id).read_bytes()).hexdigest()
    monkeypatch.setattr(LocalMediaStore, "local_path", lambda self, key: None)
    job_id = _upload(client, render_id, language="ko").json()["job_id"]
    assert run(db, settings, "upload", job_id).status == "completed"
    row = _row(db, job_id)
    assert fake_youtube.videos[row.video_id or ""]["sha256"] == expected
    assert row.thumbnail_done and row.caption_id and not row.warnings
    assert not list(workdir_for(settings, "jobs", job_id).glob("source-*"))
