"""Three "machines" that share only the database and an S3 bucket (moto on loopback): an API
server and two workers, each with its own data folder. A render stopped on the first worker
mid-job resumes on the second without redoing the finished steps, and the API server - which
never saw either work folder - plays the video, its subtitles, thumbnail and scene pictures,
with the music an admin uploaded through the API. This is what the deployment guide promises.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import runner
from reelforge.jobs.models import Job, JobLog
from reelforge.render.ffmpeg import ffmpeg_path
from reelforge.storage import media_store
from tests import factories

pytestmark = pytest.mark.slow


def _machine(base: Settings, tmp_path: Path, name: str, **extra: Any) -> Settings:
    return base.model_copy(update={"data_dir": tmp_path / name, **extra})


@pytest.fixture
def api_settings(s3_settings: Settings, tmp_path: Path) -> Settings:
    return _machine(s3_settings, tmp_path, "api-server")


@pytest.fixture
def app(api_settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    from reelforge.web.app import create_app

    return create_app(api_settings, db)


def _steps_done(db: Database, job_id: str) -> list[str]:
    with db.read_session() as s:
        job = s.get(Job, job_id)
        assert job is not None
        return list(job.steps_done or [])


def _music(tmp_path: Path) -> Path:
    track = tmp_path / "Calm Piano.wav"
    subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=f=262:d=3", str(track)],
        check=True,
    )
    return track


def test_a_render_moves_between_workers_and_plays_from_the_api_server(  # type: ignore[no-untyped-def]
    api_client, make_user, db: Database, s3_settings: Settings, api_settings: Settings, tmp_path: Path
) -> None:
    admin = api_client(make_user(admin=True))
    track = _music(tmp_path)
    up = admin.post("/api/v1/admin/music", files={"file": (track.name, track.read_bytes(), "audio/wav")})
    assert up.status_code == 201, up.text
    assert not (api_settings.data_dir / "media").exists(), "the API server keeps no media on its disk"

    creator = make_user()
    factories.grant_credits(db, creator.id, 1000)
    c = api_client(creator)
    order = c.post(
        "/api/v1/renders",
        json={
            "script_id": factories.script(db, creator.id),
            "options": {"quality": "preview", "music": "library", "music_file": up.json()["id"]},
        },
    )
    assert order.status_code == 202, order.text
    job_id = order.json()["id"]

    # Worker 1 runs until the pictures are made, then shuts down (a rolling restart).
    worker1 = _machine(s3_settings, tmp_path, "worker-1")
    stopping = threading.Event()
    results: list[runner.RunResult] = []
    thread = threading.Thread(
        target=lambda: results.append(runner.run(db, worker1, "render", job_id, stopping=stopping))
    )
    thread.start()
    deadline = time.monotonic() + 120
    while "images" not in _steps_done(db, job_id) and time.monotonic() < deadline:
        time.sleep(0.02)
    stopping.set()
    thread.join(timeout=120)
    assert results and results[0].status == "released", results
    assert "images" in results[0].steps_run
    # While the job waits, the API server already shows the pictures worker 1 made.
    during = c.get(f"/api/v1/renders/{job_id}").json()
    assert len(during["scene_images"]) == 2
    assert c.get(during["scene_images"][0], follow_redirects=False).status_code == 307
    shutil.rmtree(worker1.data_dir)  # that machine is gone for good

    # Worker 2 has never seen this job: it restores the finished steps and goes on from there.
    worker2 = _machine(s3_settings, tmp_path, "worker-2")
    second = runner.run(db, worker2, "render", job_id)
    assert second.status == "completed", second.error
    assert "script" not in second.steps_run and "images" not in second.steps_run
    assert second.steps_run[-1] == "publish"
    with db.read_session() as s:
        lines = list(s.scalars(select(JobLog.log_message).where(JobLog.job_id == job_id)))
    assert any(line.startswith("Restored ") for line in lines), lines

    # The API server plays everything from the bucket: a redirect to a short-lived URL.
    got = c.get(f"/api/v1/renders/{job_id}").json()
    assert got["status"] == "completed" and len(got["scene_images"]) == 2
    res = got["result"]
    redirect = c.get(res["video_url"], follow_redirects=False)
    assert redirect.status_code == 307
    video = httpx.get(redirect.headers["location"])
    assert video.status_code == 200 and len(video.content) == res["size_bytes"]
    assert video.content[4:8] == b"ftyp"
    for url in (res["subtitles_url"], res["thumbnail_url"], got["scene_images"][0]):
        assert httpx.get(c.get(url, follow_redirects=False).headers["location"]).status_code == 200
    download = c.get(res["video_url"], params={"download": 1}, follow_redirects=False)
    assert "response-content-disposition=attachment" in download.headers["location"]
    # The checkpoint is gone once the job is done; the results stay.
    store = media_store(api_settings)
    assert store.list(f"work/jobs/{job_id}") == []
    assert {o.key.rsplit("/", 1)[1] for o in store.list(f"videos/{job_id}")} >= {"video.mp4", "subtitles.srt"}

    # Another user learns nothing, not even a redirect.
    other = api_client(make_user())
    assert other.get(res["video_url"], follow_redirects=False).status_code == 404

    # Deleting the video removes its media from the bucket.
    assert c.delete(f"/api/v1/jobs/{job_id}").status_code in (200, 204)
    deadline = time.monotonic() + 10
    while store.list(f"videos/{job_id}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.list(f"videos/{job_id}") == []


def test_streaming_mode_serves_ranges_from_the_bucket(  # type: ignore[no-untyped-def]
    db: Database, s3_settings: Settings, tmp_path: Path, make_user
) -> None:
    from fastapi.testclient import TestClient

    from reelforge.accounts.sessions import create_api_token
    from reelforge.web.app import create_app

    streaming = _machine(s3_settings, tmp_path, "stream-api", media_serve="stream")
    creator = make_user()
    factories.grant_credits(db, creator.id, 1000)
    with db.session() as s:
        token, _ = create_api_token(s, s.get(type(creator), creator.id), "tests")
    with TestClient(create_app(streaming, db), raise_server_exceptions=False) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        order = c.post(
            "/api/v1/renders", json={"script_id": factories.script(db, creator.id), "options": {"quality": "preview"}}
        )
        job_id = order.json()["id"]
        assert runner.run(db, _machine(s3_settings, tmp_path, "w"), "render", job_id).status == "completed"
        url = c.get(f"/api/v1/renders/{job_id}").json()["result"]["video_url"]
        whole = c.get(url)
        assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
        part = c.get(url, headers={"Range": "bytes=100-1099"})
        assert part.status_code == 206 and part.content == whole.content[100:1100]
        assert part.headers["content-range"] == f"bytes 100-1099/{len(whole.content)}"
        tail = c.get(url, headers={"Range": "bytes=-10"})
        assert tail.status_code == 206 and tail.content == whole.content[-10:]
        beyond = c.get(url, headers={"Range": f"bytes={len(whole.content)}-"})
        assert beyond.status_code == 416


def test_without_checkpoints_a_fresh_worker_makes_the_finished_steps_again(  # type: ignore[no-untyped-def]
    api_client, make_user, db: Database, s3_settings: Settings, tmp_path: Path
) -> None:
    creator = make_user()
    factories.grant_credits(db, creator.id, 1000)
    c = api_client(creator)
    order = c.post(
        "/api/v1/renders", json={"script_id": factories.script(db, creator.id), "options": {"quality": "preview"}}
    )
    job_id = order.json()["id"]
    no_checkpoints = s3_settings.model_copy(update={"job_checkpoints": "off"})
    worker1 = _machine(no_checkpoints, tmp_path, "worker-1")
    stopping = threading.Event()
    results: list[runner.RunResult] = []
    thread = threading.Thread(
        target=lambda: results.append(runner.run(db, worker1, "render", job_id, stopping=stopping))
    )
    thread.start()
    deadline = time.monotonic() + 120
    while "narration" not in _steps_done(db, job_id) and time.monotonic() < deadline:
        time.sleep(0.02)
    stopping.set()
    thread.join(timeout=120)
    assert results and results[0].status == "released", results

    def progress() -> int:
        with db.read_session() as s:
            job = s.get(Job, job_id)
            assert job is not None
            return int(job.progress)

    seen = [progress()]
    watching = threading.Event()

    def watch() -> None:
        while not watching.is_set():
            seen.append(progress())
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        second = runner.run(db, _machine(no_checkpoints, tmp_path, "worker-2"), "render", job_id)
    finally:
        watching.set()
        watcher.join()
    seen.append(progress())
    assert second.status == "completed", second.error
    assert second.steps_run[:2] == ["script", "images"]  # made again here, not skipped into a failure
    with db.read_session() as s:
        lines = list(s.scalars(select(JobLog.log_message).where(JobLog.job_id == job_id)))
    assert any("are not on this machine: making them again" in line for line in lines), lines
    assert seen == sorted(seen) and seen[-1] == 100, "the progress bar never goes back"
