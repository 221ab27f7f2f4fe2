"""Live progress across machines: a worker process publishes through Redis, the SSE stream of an
API server (real HTTP) pushes it long before its database poll would have; without Redis the
poll still delivers; streams are owner-only, bounded, and leave no subscription or pooled
connection behind."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import events, live
from tests.conftest import LiveServer, free_port
from tests.jobs_plugin import job_row, new_job, wait_for

ROOT = Path(__file__).resolve().parents[1]

# "Machine B": claims the job and reports through a RunnerContext of its own (own process,
# own data folder). mode "live": log + progress right after a flush, so nothing is due to be
# written and only Redis can carry them; mode "write": progress then flush (the database path).
WORKER = """
import sys
from pathlib import Path
import tests.jobs_plugin  # registers test_sleep
from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import lease
from reelforge.jobs.context import RunnerContext
from reelforge.jobs.registry import get_kind, table_of

url, broker, ns, data, job_id, mode = sys.argv[1:]
settings = Settings(env="test", data_dir=Path(data), database_url=url, broker_url=broker,
                    broker_namespace=ns, secret_key="t" * 48, _env_file=None)
db = Database(url)
kind = get_kind("test_sleep")
spec = table_of(kind)
assert lease.claim(db, spec, job_id, "machine-b", lease_seconds=60, max_attempts=3, kind=kind.name)
ctx = RunnerContext(db, settings, spec, kind, job_id, "machine-b", attempt=1)
ctx.enter_step("s1", 0.0, 100.0)
print("ready", flush=True)
sys.stdin.readline()
if mode == "live":
    ctx.flush()
    ctx.log("hello from machine B")
    ctx.progress(42.0, "s1")
else:
    ctx.progress(42.0, "s1")
    ctx.flush()
print("sent", flush=True)
sys.stdin.readline()
"""


class Worker:
    def __init__(self, settings: Settings, job_id: str, mode: str, data: Path) -> None:
        argv = [sys.executable, "-c", WORKER, settings.resolved_database_url, settings.broker_url]
        argv += [settings.broker_namespace, str(data), job_id, mode]
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.expect("ready")

    def expect(self, word: str) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        assert line == word, f"worker said {line!r}"

    def say(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


class Stream:
    """An SSE client on a thread (plain http.client, so `close` can drop the socket like a
    closed browser tab), collecting (event, data) pairs."""

    def __init__(self, url: str, token: str) -> None:
        self.events: list[tuple[str, Any]] = []
        self.status: int | None = None
        self._stop = threading.Event()
        parts = urlsplit(url)
        self._conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        self._conn.request("GET", parts.path, headers={"Authorization": f"Bearer {token}"})
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            r = self._conn.getresponse()
            self.status = r.status
            event, data = "message", []
            while raw := r.readline():
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if data:
                        self.events.append((event, json.loads("\n".join(data))))
                    event, data = "message", []
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
        except (OSError, ValueError, http.client.HTTPException):
            if not self._stop.is_set():
                raise

    def has(self, name: str, **fields: Any) -> bool:
        return any(e == name and all(d.get(k) == v for k, v in fields.items()) for e, d in list(self.events))

    def close(self) -> None:
        """Leave like a browser tab does: drop the connection."""
        self._stop.set()
        if self._conn.sock is not None:
            self._conn.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=10)
        self._conn.close()
        assert not self._thread.is_alive(), "the SSE client did not stop"


def token_for(db: Database, user: Any) -> str:
    from reelforge.accounts.sessions import create_api_token

    with db.session() as s:
        plain, _ = create_api_token(s, s.get(type(user), user.id), "live-test")
    return plain


@pytest.fixture
def live_settings(settings: Settings, redis_url: str) -> Settings:
    """Redis configured, and a database poll so slow that only pushed events arrive in time."""
    return settings.model_copy(
        update={
            "broker_url": redis_url,
            "broker_namespace": f"rf-live-{uuid.uuid4().hex[:8]}",
            "job_sse_poll_seconds": 30.0,
            "job_sse_live_poll_seconds": 30.0,
        }
    )


def serve(settings: Settings, db: Database) -> LiveServer:
    from reelforge.web.app import create_app

    return LiveServer(create_app(settings, db), free_port()).start()


@pytest.fixture
def live_app(live_settings: Settings, db: Database) -> Iterator[LiveServer]:
    server = serve(live_settings, db)
    yield server
    server.stop()


def subscribers(settings: Settings, job_id: str) -> int:
    import redis

    client = redis.Redis.from_url(settings.broker_url)
    try:
        return int(
            dict(client.pubsub_numsub(live.channel(settings.broker_namespace, job_id)))[
                live.channel(settings.broker_namespace, job_id).encode()
            ]
        )
    finally:
        client.close()


@pytest.mark.slow
def test_progress_from_another_machine_reaches_the_browser_through_redis(
    db: Database, live_settings: Settings, live_app: LiveServer, make_user, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    job_id = new_job(db, live_settings, user.id, steps=1)
    worker = Worker(live_settings, job_id, "live", tmp_path / "machine-b")
    stream = Stream(f"{live_app.url}/api/v1/jobs/{job_id}/events", token_for(db, user))
    try:
        wait_for(lambda: stream.has("progress", status="processing", step="s1"), timeout=10)
        wait_for(lambda: subscribers(live_settings, job_id) == 1, timeout=5)
        assert db.engine.pool.checkedout() == 0  # an open stream holds no pooled connection while it waits
        worker.say()
        worker.expect("sent")
        # The poll is 30 s away: only Redis can have brought these.
        wait_for(lambda: stream.has("progress", progress=42, step="s1"), timeout=10)
        wait_for(lambda: stream.has("line", level="info", message="hello from machine B"), timeout=10)
        assert job_row(db, job_id).progress == 0  # not written yet: the pushed value is the live one
        assert stream.status == 200 and events.open_streams() == 1
    finally:
        stream.close()
        worker.stop()
    # The client left: its subscription and its stream slot are gone.
    wait_for(lambda: subscribers(live_settings, job_id) == 0, timeout=10)
    wait_for(lambda: events.open_streams() == 0, timeout=10)


@pytest.mark.slow
def test_without_redis_the_database_poll_still_delivers(
    db: Database, settings: Settings, live_server: LiveServer, make_user, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    assert not live.enabled(settings)
    user = make_user()
    job_id = new_job(db, settings, user.id, steps=1)
    worker = Worker(settings, job_id, "write", tmp_path / "machine-b")
    stream = Stream(f"{live_server.url}/api/v1/jobs/{job_id}/events", token_for(db, user))
    try:
        wait_for(lambda: stream.has("progress", status="processing", step="s1"), timeout=10)
        worker.say()
        worker.expect("sent")
        wait_for(lambda: stream.has("progress", progress=42, step="s1"), timeout=10)
        assert not stream.has("line")  # instant lines exist only with Redis
    finally:
        stream.close()
        worker.stop()


def test_another_users_job_stream_is_404_and_the_owner_and_admin_get_200(
    db: Database, live_settings: Settings, live_app: LiveServer, make_user
) -> None:  # type: ignore[no-untyped-def]
    owner, other, admin = make_user(), make_user(), make_user(admin=True)
    job_id = new_job(db, live_settings, owner.id, steps=1)
    with httpx.Client(base_url=live_app.url, timeout=10) as http:
        r = http.get(f"/api/v1/jobs/{job_id}/events", headers={"Authorization": f"Bearer {token_for(db, other)}"})
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
        no_admin = http.get(
            f"/api/v1/admin/jobs/{job_id}/events", headers={"Authorization": f"Bearer {token_for(db, other)}"}
        )
        assert no_admin.status_code in (401, 403)
    for who, path in ((owner, f"/api/v1/jobs/{job_id}/events"), (admin, f"/api/v1/admin/jobs/{job_id}/events")):
        stream = Stream(live_app.url + path, token_for(db, who))
        try:
            wait_for(lambda s=stream: s.has("progress", id=job_id, status="pending"), timeout=10)  # type: ignore[misc]
            assert stream.status == 200
        finally:
            stream.close()
    wait_for(lambda: events.open_streams() == 0, timeout=10)  # both slots freed


def test_open_streams_are_bounded_and_a_closed_one_frees_its_place(
    db: Database, live_settings: Settings, make_user
) -> None:  # type: ignore[no-untyped-def]
    bounded = live_settings.model_copy(update={"sse_max_streams": 1})
    server = serve(bounded, db)
    user = make_user()
    job_id = new_job(db, bounded, user.id, steps=1)
    token = token_for(db, user)
    url = f"{server.url}/api/v1/jobs/{job_id}/events"
    try:
        first = Stream(url, token)
        wait_for(lambda: first.has("progress", status="pending"), timeout=10)
        with httpx.Client(timeout=10) as http:
            busy = http.get(url, headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
        assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
        assert busy.json()["detail"] == "Too many requests are waiting right now. Please try again in a moment."
        first.close()
        wait_for(lambda: events.open_streams() == 0, timeout=10)
        again = Stream(url, token)
        wait_for(lambda: again.has("progress", status="pending"), timeout=10)
        again.close()
    finally:
        server.stop()


def test_publishing_never_blocks_or_raises_when_redis_is_unreachable() -> None:
    pub = live.Publisher("redis://127.0.0.1:1/0", "rf-nowhere", maxsize=50)
    for i in range(1000):
        pub.publish("job-1", {"t": "progress", "progress": i % 100})
    assert pub.sent == 0 and pub.dropped >= 1000 - 50 - 1  # the rest waits or was dropped by the thread
