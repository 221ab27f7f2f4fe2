"""Health an orchestrator can use: the worker's /healthz + /metrics listener, a worker that stops
claiming while Redis is away (one log line per outage) and resumes after, `doctor`'s broker
check, and an API that refuses (503, nothing charged) work it cannot queue.

"Unreachable" is always real: a port nothing listens on, or a TCP proxy in front of the test
Redis that the test closes and opens again (what a Redis restart looks like to a worker).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs.health import HealthServer
from tests.conftest import free_port
from tests.factories import grant_credits
from tests.jobs_plugin import job_row, ledger, new_job, wait_for
from tests.test_jobs_crash import ROOT, Workers


def dead_redis() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # a real port with nothing listening


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class TcpProxy:
    """Forwards a loopback port to the test Redis; `stop()` closes it (refused connections), `start()` reopens."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass


@pytest.fixture
def namespace(redis_url: str) -> Iterator[str]:
    import redis

    ns = f"rf-test-{uuid.uuid4().hex[:10]}"
    yield ns
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{ns}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def clean_actors() -> Iterator[None]:
    yield
    from reelforge.jobs import actors

    for broker in list(actors._brokers.values()):
        broker.close()
    actors._brokers.clear()
    actors._actors.clear()


# ---------------------------------------------------------------- the listener, in this process
def test_health_listener_names_what_failed(settings: Settings, db: Database, redis_url: str) -> None:
    healthy = HealthServer(settings.model_copy(update={"broker_url": redis_url}), db, host="127.0.0.1", port=0).start()
    no_broker = HealthServer(
        settings.model_copy(update={"broker_url": dead_redis()}), db, host="127.0.0.1", port=0
    ).start()
    dead_db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=2")
    no_database = HealthServer(settings, dead_db, host="127.0.0.1", port=0).start()
    try:
        status, body = get(f"http://127.0.0.1:{healthy.port}/healthz")
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "ok", "broker": "ok", "failed": []}

        status, body = get(f"http://127.0.0.1:{no_broker.port}/healthz")
        report = json.loads(body)
        assert status == 503 and report["failed"] == ["broker"] and report["database"] == "ok"
        assert report["broker"].startswith("unreachable")

        status, body = get(f"http://127.0.0.1:{no_database.port}/healthz")
        report = json.loads(body)
        assert status == 503 and report["failed"] == ["database"] and "broker" not in report

        status, body = get(f"http://127.0.0.1:{healthy.port}/metrics")
        assert status == 200 and b"reelforge_jobs_finished" in body
        assert get(f"http://127.0.0.1:{healthy.port}/other")[0] == 404
    finally:
        for server in (healthy, no_broker, no_database):
            server.stop()
        dead_db.dispose()


def test_worker_metrics_need_the_token_when_one_is_set(settings: Settings, db: Database) -> None:
    token = "worker-scrape-token-123"
    server = HealthServer(settings.model_copy(update={"metrics_token": token}), db, host="127.0.0.1", port=0).start()
    try:
        url = f"http://127.0.0.1:{server.port}/metrics"
        assert get(url)[0] == 404
        assert get(url, {"Authorization": "Bearer nope"})[0] == 404
        status, body = get(url, {"Authorization": f"Bearer {token}"})
        assert status == 200 and b"reelforge_ledger_entries" in body
        assert get(f"http://127.0.0.1:{server.port}/healthz")[0] == 200  # probes need no token
    finally:
        server.stop()


# ---------------------------------------------------------------- a real worker through an outage
@pytest.mark.slow
def test_worker_stops_claiming_while_the_broker_is_down_and_resumes(  # type: ignore[no-untyped-def]
    db: Database, settings: Settings, make_user, tmp_path: Path, redis_url: str, namespace: str, clean_actors
) -> None:
    from reelforge.jobs.dispatch import dispatch

    target = urlsplit(redis_url)
    proxy = TcpProxy((target.hostname or "127.0.0.1", target.port or 6379)).start()
    direct = settings.model_copy(update={"broker_url": redis_url, "broker_namespace": namespace})
    user = make_user()
    grant_credits(db, user.id, 100)
    port = free_port()
    workers = Workers(
        settings,
        tmp_path,
        PYTHONPATH=f"{ROOT / 'src'}:{ROOT}",  # this checkout's code, whatever the venv has installed
        REELFORGE_BROKER_URL=proxy.url,
        REELFORGE_BROKER_NAMESPACE=namespace,
    )
    health = f"http://127.0.0.1:{port}/healthz"
    try:
        workers.start("--threads", "1", "--health-port", str(port))
        wait_for(lambda: get(health)[0] == 200 if _listening(port) else False, timeout=30)
        first = new_job(db, direct, user.id, steps=1)
        dispatch(direct, "test_sleep", first)
        wait_for(lambda: job_row(db, first).status == "completed", timeout=30)

        proxy.stop()  # Redis "goes away" for the worker
        wait_for(lambda: get(health)[0] == 503, timeout=10)
        status, body = get(health)
        assert json.loads(body)["failed"] == ["broker"]
        queued = new_job(db, direct, user.id, steps=1)
        dispatch(direct, "test_sleep", queued)  # its message waits in Redis
        lost = new_job(db, direct, user.id, steps=1)  # no message at all (an enqueue that failed)
        time.sleep(7)  # Dramatiq alone would log CRITICAL every 3 s per consumer by now
        assert job_row(db, queued).status == "pending" and job_row(db, lost).status == "pending"

        proxy.start()  # back on the same port
        try:
            wait_for(lambda: job_row(db, queued).status == "completed", timeout=30)
            wait_for(lambda: job_row(db, lost).status == "completed", timeout=30)  # re-sent after the outage
        except AssertionError:
            pytest.fail(f"not resumed\n{workers.logs()[-4000:]}")
        assert get(health)[0] == 200
        status, text = get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and b'reelforge_jobs_finished_total{kind="test_sleep",status="completed"} 3.0' in text
    finally:
        workers.stop_all()
        proxy.stop()
    log = workers.logs()
    assert log.count("broker unreachable") == 1, log[-4000:]
    assert log.count("broker reachable again") == 1, log[-4000:]
    assert "CRITICAL" not in log and "Consumer encountered a connection error" not in log, log[-4000:]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_doctor_checks_the_broker_with_a_real_round_trip(
    settings: Settings, db: Database, redis_url: str, namespace: str
) -> None:
    from reelforge.jobs.checks import check_jobs

    def broker_finding(url: str) -> Any:
        found = check_jobs(settings.model_copy(update={"broker_url": url, "broker_namespace": namespace}), db)
        return next(f for f in found if f.check == "broker")

    ok = broker_finding(redis_url)
    assert ok.ok and "PING" in ok.detail and "write/read" in ok.detail
    down = broker_finding(dead_redis())
    assert not down.ok and "unreachable" in down.detail
    assert all(f.check != "broker" for f in check_jobs(settings, db))  # no broker configured: no check


# ---------------------------------------------------------------- the API when it cannot enqueue
def _client(app: Any, db: Database, user: Any, **headers: str) -> TestClient:
    from reelforge.accounts.sessions import create_api_token

    with db.session() as s:
        plain, _ = create_api_token(s, s.get(type(user), user.id), "tests")
    client = TestClient(app, raise_server_exceptions=False)
    client.headers.update({"Authorization": f"Bearer {plain}", **headers})
    return client


def _work_rows(db: Database) -> int:
    from reelforge.jobs.models import Job
    from reelforge.scripts.models import Script

    with db.read_session() as s:
        return int(s.scalar(select(func.count()).select_from(Job)) or 0) + int(
            s.scalar(select(func.count()).select_from(Script)) or 0
        )


def test_api_refuses_work_it_cannot_queue_and_charges_nothing(  # type: ignore[no-untyped-def]
    settings: Settings, db: Database, make_user
) -> None:
    from reelforge.jobs import broker
    from reelforge.web.app import create_app

    down = settings.model_copy(update={"broker_url": dead_redis()})
    app = create_app(down, db)
    user = make_user()
    grant_credits(db, user.id, 1000)
    before = ledger(db, user.id)
    with _client(app, db, user) as ko, _client(app, db, user, **{"Accept-Language": "en"}) as en:
        started = time.perf_counter()
        script = ko.post("/api/v1/scripts", json={"topic": "고양이가 상자를 좋아하는 이유", "type": "shortform"})
        assert script.status_code == 503, script.text
        problem = script.json()
        assert script.headers["content-type"].startswith("application/problem+json")
        assert problem["reason"] == "broker_unreachable" and problem["status"] == 503
        assert "크레딧은 차감되지 않았습니다" in problem["detail"] and script.headers["retry-after"]
        render = en.post("/api/v1/renders", json={"topic": "Why cats love boxes"})
        assert render.status_code == 503
        assert render.json()["title"] == "Service unavailable"
        assert "Nothing was charged" in render.json()["detail"]
        assert time.perf_counter() - started < 5  # refused at once, not after a long wait
    assert ledger(db, user.id) == before  # nothing charged
    assert _work_rows(db) == 0  # nothing written

    # A failed job's retry is refused the same way: it stays failed and is not charged again.
    from reelforge.jobs import runner

    job_id = new_job(db, settings, user.id, price=5, steps=1, permanent="s1")
    assert runner.run(db, settings, "test_sleep", job_id).status == "failed"
    charged = ledger(db, user.id)
    with _client(app, db, user, **{"Accept-Language": "en"}) as en:
        retry = en.post(f"/api/v1/jobs/{job_id}/retry")
    assert retry.status_code == 503, retry.text
    assert job_row(db, job_id).status == "failed" and ledger(db, user.id) == charged
    assert broker.broker_error(down) is not None


def test_api_orders_normally_with_a_live_broker(  # type: ignore[no-untyped-def]
    settings: Settings, db: Database, make_user, redis_url: str, namespace: str, clean_actors
) -> None:
    from reelforge.jobs.actors import queue_lengths
    from reelforge.web.app import create_app

    live = settings.model_copy(update={"broker_url": redis_url, "broker_namespace": namespace})
    app = create_app(live, db)
    user = make_user()
    grant_credits(db, user.id, 1000)
    with _client(app, db, user) as client:
        response = client.post("/api/v1/scripts", json={"topic": "고양이가 상자를 좋아하는 이유", "type": "shortform"})
    assert response.status_code in (201, 202), response.text
    assert queue_lengths(live)["scripts"] == 1  # the message reached Redis after the commit
