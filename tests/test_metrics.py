"""Prometheus metrics: /metrics after a request and real jobs, who may scrape it, provider errors,
and the multiprocess mode (several processes, one exposition)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from reelforge import metrics
from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.errors import TransientError
from reelforge.jobs import runner
from tests.conftest import free_port
from tests.factories import grant_credits
from tests.jobs_plugin import ledger, new_job

ROOT = Path(__file__).resolve().parents[1]
PRICE = 7


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(snapshot: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return snapshot.get((name, tuple(sorted(labels.items()))), 0.0)


def loopback_client(app: Any, **kwargs: Any) -> TestClient:
    return TestClient(app, client=("127.0.0.1", 40000), raise_server_exceptions=False, **kwargs)


def scrape(client: TestClient, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def test_metrics_after_a_request_and_jobs(app, db: Database, settings: Settings, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 100)
    with loopback_client(app) as client:
        before = scrape(client)
        assert client.get("/api/v1/meta").status_code == 200
        assert client.get("/api/v1/jobs/no-such-job").status_code in (401, 404)
        done = new_job(db, settings, user.id, price=PRICE, steps=2)
        assert runner.run(db, settings, "test_sleep", done).status == "completed"
        failed = new_job(db, settings, user.id, price=PRICE, steps=2, permanent="s2")
        assert runner.run(db, settings, "test_sleep", failed).status == "failed"
        waiting = new_job(db, settings, user.id, steps=1)
        after = scrape(client)

    count = "reelforge_http_request_duration_seconds_count"
    assert value(after, count, route="/api/v1/meta", method="GET", status="2xx") == (
        value(before, count, route="/api/v1/meta", method="GET", status="2xx") + 1
    )
    # the route template, never the raw path with the id in it
    assert value(after, count, route="/api/v1/jobs/{job_id}", method="GET", status="4xx") >= 1
    assert not any("no-such-job" in str(labels) for _, labels in after)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("reelforge_jobs_finished_total", kind="test_sleep", status="completed") == 1
    assert delta("reelforge_jobs_finished_total", kind="test_sleep", status="failed") == 1
    assert delta("reelforge_job_step_duration_seconds_count", kind="test_sleep", step="s1") == 2
    assert delta("reelforge_job_step_duration_seconds_count", kind="test_sleep", step="s2") == 2
    assert delta("reelforge_ledger_entries_total", type="debit") == 2
    assert delta("reelforge_ledger_credits_total", type="debit") == 2 * PRICE
    assert delta("reelforge_ledger_entries_total", type="refund") == 1
    assert delta("reelforge_ledger_credits_total", type="refund") == PRICE
    assert value(after, "reelforge_queue_depth", kind="test_sleep", status="pending") == 1
    assert value(after, "reelforge_queue_depth", kind="test_sleep", status="processing") == 0
    assert waiting  # the pending job counted above
    assert ledger(db, user.id)[0] == 100 - PRICE  # the metrics count what the ledger holds


def test_a_rolled_back_debit_is_not_counted(db: Database, settings: Settings, make_user) -> None:  # type: ignore[no-untyped-def]
    from reelforge.jobs.service import create_job

    user = make_user()
    grant_credits(db, user.id, 100)
    before = samples(metrics.exposition().decode())
    with pytest.raises(RuntimeError), db.session() as s:
        create_job(s, user.id, kind="test_sleep", type="shortform", price=PRICE, settings=settings)
        raise RuntimeError("the request fails after the debit")
    after = samples(metrics.exposition().decode())
    assert value(after, "reelforge_ledger_entries_total", type="debit") == value(
        before, "reelforge_ledger_entries_total", type="debit"
    )
    assert ledger(db, user.id)[0] == 100


def test_who_may_scrape(settings: Settings, db: Database) -> None:
    from reelforge.web.app import create_app

    open_app = create_app(settings, db)  # no token: loopback only
    with loopback_client(open_app) as local:
        assert local.get("/metrics").status_code == 200
        assert local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404  # via a proxy
    with TestClient(open_app, client=("203.0.113.9", 5000)) as remote:
        assert remote.get("/metrics").status_code == 404

    closed = create_app(settings.model_copy(update={"metrics_loopback": False}), db)
    with loopback_client(closed) as local:
        assert local.get("/metrics").status_code == 404

    token = "a-long-scrape-token-for-tests"
    guarded = create_app(settings.model_copy(update={"metrics_token": token}), db)
    with TestClient(guarded, client=("203.0.113.9", 5000)) as remote, loopback_client(guarded) as local:
        assert remote.get("/metrics").status_code == 404
        assert local.get("/metrics").status_code == 404  # with a token, loopback is not enough
        assert remote.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        assert remote.get("/metrics", headers={"Authorization": f"Basic {token}"}).status_code == 404
        ok = remote.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and "reelforge_jobs_finished" in ok.text


def test_provider_errors_are_counted_by_provider_and_kind() -> None:
    from reelforge.providers.tts import AzureSpeech

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    speech = AzureSpeech(region="", key="k", endpoint=dead, timeout=2, retries=0)
    before = samples(metrics.exposition().decode())
    with pytest.raises(TransientError):
        speech.synthesize("안녕하세요", Path("/nonexistent/out.wav"), language="ko")
    after = samples(metrics.exposition().decode())
    name = "reelforge_provider_errors_total"
    assert value(after, name, provider="azure-speech", kind="transient") == (
        value(before, name, provider="azure-speech", kind="transient") + 1
    )
    assert value(after, name, provider="azure-speech", kind="permanent") == value(
        before, name, provider="azure-speech", kind="permanent"
    )


def test_render_speed_histogram() -> None:
    before = samples(metrics.exposition().decode())
    metrics.render_speed(30.0, 60.0)  # rendered in half the video's length
    metrics.render_speed(5.0, 0.0)  # no output length: not a ratio, not recorded
    after = samples(metrics.exposition().decode())
    name = "reelforge_render_seconds_per_output_second"
    assert value(after, f"{name}_count") == value(before, f"{name}_count") + 1
    assert value(after, f"{name}_bucket", le="0.5") == value(before, f"{name}_bucket", le="0.5") + 1


def test_multiprocess_mode_sums_every_process(tmp_path: Path) -> None:
    folder = tmp_path / "prom"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    record = "from reelforge import metrics; metrics.job_finished('render', 'completed'); metrics.ledger_debit(5)"
    for _ in range(2):  # two worker processes, each with its own counters
        subprocess.run([sys.executable, "-c", record], env=env, check=True, cwd=ROOT, timeout=60)
    show = "import sys; from reelforge import metrics; sys.stdout.write(metrics.exposition().decode())"
    shown = subprocess.run(
        [sys.executable, "-c", show],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    got = samples(shown)
    assert value(got, "reelforge_jobs_finished_total", kind="render", status="completed") == 2
    assert value(got, "reelforge_ledger_credits_total", type="debit") == 10
