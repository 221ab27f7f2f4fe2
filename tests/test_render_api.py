"""Render jobs through the API and the job runner, on SQLite and PostgreSQL (preview-quality renders)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import runner
from reelforge.render.ffmpeg import ffmpeg_path
from reelforge.render.probe import probe
from reelforge.scripts.models import Script
from tests import factories
from tests.factories import SCRIPT_PRICE, VIDEO_PRICE


def _ledger(db: Database, user_id: str) -> list[tuple[str, int, str | None, str | None]]:
    return sorted(((r.type, r.amount, r.job_id, r.script_id) for r in factories.ledger_rows(db, user_id)), key=str)


def _log(db: Database, job_id: str) -> list[str]:
    from reelforge.jobs.models import JobLog

    with db.read_session() as s:
        return list(s.scalars(select(JobLog.log_message).where(JobLog.job_id == job_id).order_by(JobLog.id)))


@pytest.fixture
def payer(make_user, db: Database):  # type: ignore[no-untyped-def]
    user = make_user()
    factories.grant_credits(db, user.id, 1000)
    return user


def _order(client: Any, **body: Any) -> Any:
    options = {"quality": "preview", **body.pop("options", {})}
    return client.post("/api/v1/renders", json={**body, "options": options})


@pytest.mark.slow
def test_render_a_script_end_to_end(api_client, payer, make_user, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    c = api_client(payer)
    sid = factories.script(db, payer.id)
    r = _order(c, script_id=sid, options={"subtitles": "boxed", "music_volume": 0.3})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "pending" and job["type"] == "shortform" and job["options"]["language"] == "ko"
    assert factories.balance(db, payer.id) == 1000 - VIDEO_PRICE

    result = runner.run(db, settings, "render", job["id"])
    assert result.status == "completed", result.error
    assert result.steps_run == ["script", "images", "narration", "subtitles", "compose", "thumbnail", "publish"]

    got = c.get(f"/api/v1/renders/{job['id']}").json()
    assert got["status"] == "completed" and got["progress"] == 100
    assert len(got["scene_images"]) == 2
    res = got["result"]
    assert res["video_url"] == f"/api/v1/renders/{job['id']}/video.mp4"
    assert res["duration_seconds"] > 3 and res["size_bytes"] > 10_000

    # the player can seek: Range requests answer 206 with the asked bytes
    whole = c.get(res["video_url"])
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes" and len(whole.content) == res["size_bytes"]
    part = c.get(res["video_url"], headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == whole.content[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{res['size_bytes']}"
    assert "attachment" in c.get(res["video_url"], params={"download": 1}).headers["content-disposition"]
    srt = c.get(res["subtitles_url"])
    assert srt.status_code == 200 and "-->" in srt.text and "바다는" in srt.text
    thumb = c.get(res["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
    assert c.get(got["scene_images"][0]).headers["content-type"] == "image/png"

    # stored through the media store, and the file is a real video of the promised shape
    stored = settings.data_dir / "media" / "videos" / job["id"] / "video.mp4"
    info = probe(settings, stored)
    assert (info.width, info.height) == (270, 480) and info.audio_codec == "aac"

    # owner only: another user gets 404 for the job, the file and the scene pictures
    other = api_client(make_user())
    for url in (f"/api/v1/renders/{job['id']}", res["video_url"], res["thumbnail_url"], got["scene_images"][0]):
        assert other.get(url).status_code == 404

    # render again with other options: a new paid job of the same script, linked to the first
    again = c.post(f"/api/v1/renders/{job['id']}/again", json={"options": {"subtitles": "none", "type": "square"}})
    assert again.status_code == 202, again.text
    assert again.json()["parent_job_id"] == job["id"] and again.json()["options"]["quality"] == "preview"
    assert again.json()["type"] == "square"
    assert factories.balance(db, payer.id) == 1000 - 2 * VIDEO_PRICE
    # same script and voice: the narration is reused, the pictures (other frame) are painted anew
    assert runner.run(db, settings, "render", again.json()["id"]).status == "completed"
    lines = _log(db, again.json()["id"])
    assert "Reusing the earlier render's audio (same options for them)." in lines
    third = c.post(f"/api/v1/renders/{job['id']}/again", json={"options": {"subtitles": "karaoke-yellow"}})
    assert runner.run(db, settings, "render", third.json()["id"]).status == "completed"
    assert "Reusing the earlier render's images and audio (same options for them)." in _log(db, third.json()["id"])

    # deleting a finished render removes its stored results too; the renders made from it keep theirs
    assert c.delete(f"/api/v1/jobs/{job['id']}").status_code in (200, 204)
    assert not stored.exists() and not stored.parent.exists()
    assert (settings.data_dir / "media" / "videos" / third.json()["id"] / "video.mp4").exists()
    assert c.get(res["video_url"]).status_code == 404


@pytest.mark.slow
def test_render_from_a_topic_charges_script_and_video(api_client, payer, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    c = api_client(payer)
    r = _order(c, topic="고양이가 상자를 좋아하는 이유", options={"music": "none"})
    assert r.status_code == 202, r.text
    job_id, script_id = r.json()["id"], r.json()["script_id"]
    assert factories.balance(db, payer.id) == 1000 - SCRIPT_PRICE - VIDEO_PRICE
    uses = [row for row in _ledger(db, payer.id) if row[0] == "use"]
    assert sorted(uses) == sorted([("use", -SCRIPT_PRICE, None, script_id), ("use", -VIDEO_PRICE, job_id, None)])

    result = runner.run(db, settings, "render", job_id)  # the first step writes the script inline
    assert result.status == "completed", result.error
    with db.read_session() as s:
        script = s.get(Script, script_id)
        assert script is not None and script.status == "completed" and script.content
        n = len(script.content["scenes"])
    assert len(c.get(f"/api/v1/renders/{job_id}").json()["scene_images"]) == n


def test_bad_orders_are_clear_and_cost_nothing(api_client, payer, make_user, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    c = api_client(payer)
    sid = factories.script(db, payer.id)
    cases = [
        ({"script_id": sid, "options": {"type": "portrait"}}, 422, "options.type"),
        ({"script_id": sid, "options": {"speed": 9}}, 422, "options.speed"),
        ({"script_id": sid, "options": {"music": "library"}}, 422, "options"),
        ({"script_id": sid, "options": {"music": "library", "music_file": "nope.mp3"}}, 422, "options.music_file"),
        ({"script_id": sid, "options": {"tts_provider": "azure"}}, 422, "options.tts_provider"),
        ({"script_id": sid, "options": {"voice": "klingon"}}, 422, "options.voice"),
        ({"script_id": sid, "options": {"type": "shortform", "orientation": "portrait"}}, 422, "options"),
        ({"script_id": sid, "options": {"colour": "red"}}, 422, "options.colour"),
        ({"script_id": sid, "options": {"language": "en"}}, 422, "options.language"),
        ({"script_id": sid, "topic": "두 개 다"}, 422, "script_id"),
        ({}, 422, "script_id"),
    ]
    for body, status, field in cases:
        r = _order(c, **body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json().get("field", "").startswith(field), (body, r.json())
    pending = factories.script(db, payer.id, status="pending")
    assert _order(c, script_id=pending).status_code == 409
    assert _order(c, script_id=factories.script(db, make_user().id)).status_code == 404
    assert factories.balance(db, payer.id) == 1000

    poor = make_user()
    r = _order(api_client(poor), script_id=factories.script(db, poor.id))
    assert r.status_code == 402 and r.json()["price"] == VIDEO_PRICE


def test_idempotency_key_replays_the_same_job(api_client, payer, db: Database) -> None:  # type: ignore[no-untyped-def]
    c = api_client(payer)
    sid = factories.script(db, payer.id)
    first = c.post("/api/v1/renders", json={"script_id": sid}, headers={"Idempotency-Key": "render-1"})
    again = c.post("/api/v1/renders", json={"script_id": sid}, headers={"Idempotency-Key": "render-1"})
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"
    assert factories.balance(db, payer.id) == 1000 - VIDEO_PRICE


def test_failed_render_is_refunded_and_music_library(
    api_client, payer, make_user, db: Database, settings: Settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    admin = api_client(make_user(admin=True))
    track = tmp_path / "Calm Piano.wav"
    subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=f=262:d=2", str(track)],
        check=True,
    )
    up = admin.post("/api/v1/admin/music", files={"file": (track.name, track.read_bytes(), "audio/wav")})
    assert up.status_code == 201, up.text
    track_id = up.json()["id"]
    assert track_id.startswith("calm-piano-") and track_id.endswith(".wav")
    bad = admin.post("/api/v1/admin/music", files={"file": ("x.mp3", b"not audio at all", "audio/mpeg")})
    assert bad.status_code == 422
    assert api_client(payer).get("/api/v1/admin/music").status_code == 403
    assert [t["id"] for t in admin.get("/api/v1/admin/music").json()] == [track_id]

    c = api_client(payer)
    assert track_id in c.get("/api/v1/renders/options").json()["music_tracks"]
    r = _order(c, script_id=factories.script(db, payer.id), options={"music": "library", "music_file": track_id})
    assert r.status_code == 202, r.text
    assert admin.delete(f"/api/v1/admin/music/{track_id}").status_code == 204  # removed before the render runs
    result = runner.run(db, settings, "render", r.json()["id"])
    assert result.status == "failed" and "no longer in the library" in (result.error or "")
    assert factories.balance(db, payer.id) == 1000  # refunded exactly once
    refunds = [row for row in _ledger(db, payer.id) if row[0] == "refund"]
    assert refunds == [("refund", VIDEO_PRICE, r.json()["id"], None)]
    assert c.get(f"/api/v1/renders/{r.json()['id']}/video.mp4").status_code == 404


@pytest.mark.slow
def test_cancel_during_compose_kills_ffmpeg_and_refunds(api_client, payer, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    import threading
    import time

    from reelforge.jobs.models import Job
    from reelforge.jobs.service import cancel_job
    from tests.test_render_pipeline import _ffmpeg_processes_writing

    c = api_client(payer)
    r = _order(
        c, script_id=factories.script(db, payer.id), options={"quality": "high"}
    )  # full size, slow enough to catch
    job_id = r.json()["id"]
    results: list[runner.RunResult] = []
    thread = threading.Thread(target=lambda: results.append(runner.run(db, settings, "render", job_id)))
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with db.read_session() as s:
            job = s.get(Job, job_id)
            assert job is not None
            if job.step == "compose" and job.progress > 30:
                break
        time.sleep(0.05)
    with db.session() as s:
        cancel_job(s, job_id, user_id=payer.id)
    thread.join(timeout=60)
    assert results and results[0].status == "cancelled", results
    partial = runner.workdir_for(settings, "jobs", job_id) / "video.part.mp4"
    assert _ffmpeg_processes_writing(partial) == [] and not partial.exists()
    assert factories.balance(db, payer.id) == 1000
    assert c.get(f"/api/v1/renders/{job_id}").json()["status"] == "cancelled"
