"""The jobs API over HTTP on both databases: listing, 404s, cancel/retry/delete, admin, SSE."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import runner
from reelforge.jobs.pool import WorkerPool
from tests.factories import grant_credits, reload_user
from tests.jobs_plugin import job_row, ledger, new_job, trace, wait_for

PRICE = 10


@pytest.fixture
def payer(make_user, db: Database):  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 100)
    return reload_user(db, user.id)


@pytest.fixture
def pool(db: Database, settings: Settings) -> Iterator[WorkerPool]:
    p = WorkerPool(db, settings, size=1).start()
    yield p
    p.stop()


def token_for(db: Database, user: Any) -> str:
    from reelforge.accounts.sessions import create_api_token

    with db.session() as s:
        plain, _ = create_api_token(s, s.get(type(user), user.id), "sse-test")
    return plain


def read_events(response: httpx.Response, until: str = "end", limit: int = 10_000) -> list[tuple[str, str | None, Any]]:
    """Parse an SSE response into (event, id, data) until an event named `until`."""
    out: list[tuple[str, str | None, Any]] = []
    event, event_id, data = "message", None, []
    for line in response.iter_lines():
        if line == "":
            if data:
                out.append((event, event_id, json.loads("\n".join(data))))
                if event == until or len(out) >= limit:
                    return out
            event, event_id, data = "message", None, []
        elif line.startswith("event: "):
            event = line[7:]
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])
    return out


def test_list_filters_and_keyset_pagination(db: Database, settings: Settings, payer, api_client, make_user) -> None:  # type: ignore[no-untyped-def]
    relaxed = settings.model_copy(update={"job_max_active_per_user": 50})
    ids = [new_job(db, relaxed, payer.id, steps=1) for _ in range(5)]
    other = make_user()
    new_job(db, relaxed, other.id, steps=1)
    runner.run(db, relaxed, "test_sleep", ids[0])
    c = api_client(payer)
    seen: list[str] = []
    cursor = None
    while True:
        r = c.get("/api/v1/jobs", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200
        body = r.json()
        seen += [j["id"] for j in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))  # newest first, each exactly once, none of the other user's
    r = c.get("/api/v1/jobs", params={"status": "completed"})
    assert [j["id"] for j in r.json()["items"]] == [ids[0]]
    assert c.get("/api/v1/jobs", params={"type": "longform"}).json()["items"] == []
    bad = c.get("/api/v1/jobs", params={"status": "done"})
    assert bad.status_code == 422 and "status must be one of" in bad.json()["detail"]
    assert c.get("/api/v1/jobs", params={"cursor": "garbage!!"}).status_code == 422


def test_detail_shows_logs_and_others_jobs_are_404(
    db: Database, settings: Settings, payer, api_client, make_user
) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, settings, payer.id, price=PRICE, steps=2)
    runner.run(db, settings, "test_sleep", job_id)
    mine = api_client(payer).get(f"/api/v1/jobs/{job_id}")
    assert mine.status_code == 200
    body = mine.json()
    assert body["status"] == "completed" and body["progress"] == 100
    assert [line["log_message"] for line in body["logs"]][-1] == "Finished."
    intruder = api_client(make_user())
    for method, path in [
        ("GET", f"/api/v1/jobs/{job_id}"),
        ("GET", f"/api/v1/jobs/{job_id}/logs"),
        ("GET", f"/api/v1/jobs/{job_id}/events"),
        ("POST", f"/api/v1/jobs/{job_id}/cancel"),
        ("POST", f"/api/v1/jobs/{job_id}/retry"),
        ("DELETE", f"/api/v1/jobs/{job_id}"),
        ("GET", "/api/v1/jobs/no-such-id"),
    ]:
        r = intruder.request(method, path)
        assert r.status_code == 404, (method, path, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert job_row(db, job_id).status == "completed"
    assert intruder.get("/api/v1/admin/jobs").status_code == 403


def test_cancel_finished_is_409_and_delete_removes_job_and_files(
    db: Database, settings: Settings, payer, api_client
) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, settings, payer.id, price=PRICE, steps=1)
    runner.run(db, settings, "test_sleep", job_id)
    c = api_client(payer)
    r = c.post(f"/api/v1/jobs/{job_id}/cancel")
    assert r.status_code == 409
    assert r.json()["detail"] == "This job has already finished (completed); there is nothing to cancel."
    assert r.json()["job_status"] == "completed"
    assert r.json()["reason"] == "already_finished"
    folder = settings.data_dir.resolve() / "jobs" / job_id
    assert folder.is_dir()
    pending = new_job(db, settings, payer.id, steps=1)
    assert c.delete(f"/api/v1/jobs/{pending}").status_code == 409  # still active
    assert c.delete(f"/api/v1/jobs/{job_id}").status_code == 204
    assert not folder.exists()
    assert c.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert ledger(db, payer.id)[0] == 90  # deleting a finished job does not touch the ledger


def test_cancel_pending_then_retry_over_http(db: Database, settings: Settings, payer, api_client) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, settings, payer.id, price=PRICE, steps=1)
    c = api_client(payer)
    r = c.post(f"/api/v1/jobs/{job_id}/cancel")
    assert r.status_code == 200 and r.json() == {"id": job_id, "result": "cancelled", "status": "cancelled"}
    assert ledger(db, payer.id)[0] == 100
    r = c.post(f"/api/v1/jobs/{job_id}/retry")
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert ledger(db, payer.id)[0] == 90  # charged again (job_retry_charges defaults to on)
    assert c.post(f"/api/v1/jobs/{job_id}/retry").status_code == 409


def test_admin_sees_all_jobs_queue_depth_and_workers(
    db: Database, settings: Settings, payer, api_client, make_user, pool
) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(admin=True)
    job_id = new_job(db, settings, payer.id, steps=1, sleep=30, ticks=60)
    wait_for(lambda: job_row(db, job_id).status == "processing")
    c = api_client(admin)
    page = c.get("/api/v1/admin/jobs").json()
    assert [j["id"] for j in page["items"]] == [job_id] and page["items"][0]["user_id"] == payer.id
    overview = c.get("/api/v1/admin/jobs/overview").json()
    assert overview["mode"] == "embedded"
    assert {"kind": "test_sleep", "queue": "render", "pending": 0, "processing": 1} in overview["queues"]
    assert [w["id"] for w in overview["workers"]] == [pool.worker_id]
    assert c.get(f"/api/v1/admin/jobs/{job_id}").status_code == 200
    r = c.post(f"/api/v1/admin/jobs/{job_id}/cancel")
    assert r.status_code == 200 and r.json()["result"] == "requested"
    wait_for(lambda: job_row(db, job_id).status == "cancelled", timeout=3)


@pytest.mark.slow
def test_sse_delivers_progress_and_logs_in_order(db: Database, settings: Settings, payer, live_server, pool) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, settings, payer.id, price=PRICE, steps=3, sleep=1.5, ticks=3)
    headers = {"Authorization": f"Bearer {token_for(db, payer)}"}
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=30) as http:
        with http.stream("GET", f"/api/v1/jobs/{job_id}/events") as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            events = read_events(r)
    logs = [d["message"] for e, _, d in events if e == "log"]
    expected_ticks = [f"s{n} tick {i}/3" for n in (1, 2, 3) for i in (1, 2, 3)]
    assert [m for m in logs if "tick" in m] == expected_ticks
    assert logs[0] == "Queued." and logs[-1] == "Finished."
    log_ids = [d["id"] for e, _, d in events if e == "log"]
    assert log_ids == sorted(log_ids) and len(set(log_ids)) == len(log_ids)
    progress = [d["progress"] for e, _, d in events if e == "progress"]
    assert progress == sorted(progress) and progress[-1] == 100
    assert {p for p in progress if 0 < p < 100} - {33, 66}  # progress within a step arrived live
    steps = [d["step"] for e, _, d in events if e == "progress" and d["status"] == "processing"]
    assert {"s1", "s2", "s3"} <= set(steps)
    assert events[-1][0] == "end" and events[-1][2]["status"] == "completed"
    # Reconnect with Last-Event-ID: only the lines after it, then the final state.
    middle = log_ids[len(log_ids) // 2]
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=30) as http:
        with http.stream("GET", f"/api/v1/jobs/{job_id}/events", headers={"Last-Event-ID": str(middle)}) as r:
            again = read_events(r)
    assert [d["id"] for e, _, d in again if e == "log"] == [i for i in log_ids if i > middle]
    assert again[-1][0] == "end"


def test_sse_list_stream_and_cancel_mid_step_within_2s(
    db: Database, settings: Settings, payer, live_server, pool
) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, settings, payer.id, price=PRICE, steps=2, sleep=30, process=True)
    headers = {"Authorization": f"Bearer {token_for(db, payer)}"}
    got: list[tuple[str, str | None, Any]] = []

    def watch() -> None:
        with httpx.Client(base_url=live_server.url, headers=headers, timeout=30) as http:
            with http.stream("GET", "/api/v1/jobs/events") as r:
                got.extend(read_events(r))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    wait_for(lambda: "s1 start" in trace(settings, job_id))
    time.sleep(0.3)
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=30) as http:
        started = time.monotonic()
        r = http.post(f"/api/v1/jobs/{job_id}/cancel")
        assert r.status_code == 200 and r.json()["result"] == "requested"
        wait_for(lambda: job_row(db, job_id).status == "cancelled", timeout=2.0, interval=0.01)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0
    watcher.join(timeout=5)
    assert got and got[-1][0] == "end" and got[-1][2] == {**got[-1][2], "id": job_id, "status": "cancelled"}
    assert any(e == "progress" and d["status"] == "processing" for e, _, d in got)
    assert ledger(db, payer.id) == (100, [("adjust", 100), ("use", -PRICE), ("refund", PRICE)])
    assert "s1 end" not in trace(settings, job_id)


def test_retry_beyond_the_active_limit_is_429(db: Database, settings: Settings, payer, api_client, app) -> None:  # type: ignore[no-untyped-def]
    app.state.settings = settings.model_copy(update={"job_max_active_per_user": 1})
    failed = new_job(db, settings, payer.id, price=PRICE, steps=1, permanent="s1")
    runner.run(db, settings, "test_sleep", failed)
    new_job(db, settings, payer.id, steps=1)  # one waiting job: the limit is reached
    r = api_client(payer).post(f"/api/v1/jobs/{failed}/retry")
    assert r.status_code == 429 and r.headers["retry-after"]
    body = r.json()
    assert body["reason"] == "user_active_limit" and body["limit"] == 1 and body["active"] == 1
    assert "the limit is 1" in body["detail"]
    assert job_row(db, failed).status == "failed" and ledger(db, payer.id)[0] == 100  # nothing charged
