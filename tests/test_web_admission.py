"""The server keeps answering under many concurrent connections (the 200-connection wedge).

Regression: every request's session began with BEGIN IMMEDIATE on SQLite, and a request held
its pooled connection while waiting for a thread-pool thread; a burst of authenticated GETs
answered nothing for minutes. Reads now take no lock and at most `db_pool_size` requests are
admitted at once; the rest wait on the event loop.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from reelforge.accounts.models import User
from reelforge.accounts.sessions import create_api_token
from reelforge.web.admission import AdmissionMiddleware


@pytest.mark.slow
def test_a_burst_of_authenticated_reads_is_all_answered(db, make_user, live_server) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    with db.session() as s:
        token, _ = create_api_token(s, s.get(User, user.id), "burst")
    headers = {"Authorization": f"Bearer {token}"}
    connections, per_connection = 120, 3

    async def run() -> tuple[list[int], float]:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=live_server.url, timeout=60, limits=limits) as http:

            async def worker(i: int) -> list[int]:
                codes = []
                for _ in range(per_connection):
                    path = "/api/v1/me" if i % 2 else "/api/v1/credits"
                    codes.append((await http.get(path, headers=headers)).status_code)
                return codes

            burst = asyncio.gather(*(worker(i) for i in range(connections)))
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            health = await http.get("/healthz")  # probes skip the line
            health_seconds = time.perf_counter() - started
            assert health.status_code == 200
            results = await burst
            return [c for codes in results for c in codes], health_seconds

    codes, health_seconds = asyncio.run(run())
    assert codes == [200] * (connections * per_connection)
    assert health_seconds < 10, f"/healthz took {health_seconds:.1f} s during the burst"


def test_a_request_that_cannot_be_admitted_gets_a_korean_503_problem() -> None:
    gate = threading.Event()
    app = FastAPI()

    @app.get("/slow")
    def slow() -> dict[str, bool]:
        gate.wait(5)
        return {"ok": True}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(AdmissionMiddleware, slots=1, wait_seconds=0.3)
    with TestClient(app) as client:
        first: dict[str, int] = {}
        holder = threading.Thread(target=lambda: first.setdefault("status", client.get("/slow").status_code))
        holder.start()
        time.sleep(0.2)
        refused = client.get("/slow", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
        assert client.get("/healthz").status_code == 200  # exempt from admission
        gate.set()
        holder.join(5)
        english = client.get("/slow", headers={"Accept-Language": "en"})
    assert first["status"] == 200
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["title"] == "서버가 바쁩니다"
    assert english.status_code == 200


def test_read_sessions_refuse_writes(db, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    with pytest.raises(RuntimeError, match="read-only"), db.read_session() as s:
        row = s.get(User, user.id)
        assert row is not None
        row.name = "changed in a read"
        s.flush()
    with db.read_session() as s:
        row = s.get(User, user.id)
        assert row is not None and row.name != "changed in a read"
