"""Worker processes: kill -9 mid-job and resume (embedded/local mode), and Dramatiq on Redis.

The workers are real `python -m reelforge worker` processes against the test database;
they load the test job kinds from `tests/jobs_plugin.py` through REELFORGE_JOB_PLUGINS.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs.models import Job, JobLog, JobWorker
from tests.factories import grant_credits
from tests.jobs_plugin import job_row, ledger, new_job, trace, wait_for

pytestmark = pytest.mark.slow  # kills worker processes

ROOT = Path(__file__).resolve().parents[1]
PRICE = 10


class Workers:
    """Starts `reelforge worker` processes with the test's settings; kills them all at the end."""

    def __init__(self, settings: Settings, tmp: Path, **extra: str) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.tmp = tmp
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("REELFORGE_")},
            "PYTHONPATH": str(ROOT),
            "REELFORGE_ENV": "test",
            "REELFORGE_DATABASE_URL": settings.resolved_database_url,
            "REELFORGE_DATA_DIR": str(settings.data_dir.resolve()),
            "REELFORGE_SECRET_KEY": "t" * 48,
            "REELFORGE_JOB_PLUGINS": "tests.jobs_plugin",
            "REELFORGE_JOB_LEASE_SECONDS": "1.0",
            "REELFORGE_JOB_POLL_SECONDS": "0.1",
            "REELFORGE_LOG_LEVEL": "WARNING",
            **extra,
        }

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"worker-{len(self.procs)}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "reelforge", "worker", *args],
            env=self.env,
            cwd=self.tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def logs(self) -> str:
        return "\n".join(f.read_text(errors="replace") for f in sorted(self.tmp.glob("worker-*.log")))


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    w = Workers(settings, tmp_path)
    yield w
    w.stop_all()


def test_kill_9_mid_job_resumes_from_the_unfinished_step(  # type: ignore[no-untyped-def]
    db: Database, settings: Settings, make_user, workers: Workers
) -> None:
    """10 rounds: kill -9 the worker process holding a job at a random moment; another one resumes it.

    Two worker processes run at all times (the killed one is replaced at once), so a
    replacement's start-up is not on the critical path and the loop stays fast.
    """
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    user = make_user()
    grant_credits(db, user.id, 1000)
    relaxed = settings.model_copy(update={"job_max_active_per_user": 100})
    alive = {p.pid: p for p in (workers.start("--local"), workers.start("--local"))}
    killed_mid_job = 0
    for round_no in range(10):
        job_id = new_job(db, relaxed, user.id, price=PRICE, steps=3, sleep=0.3, ticks=2)
        wait_for(lambda: job_row(db, job_id).worker_id is not None, timeout=30)  # noqa: B023
        holder_pid = int(str(job_row(db, job_id).worker_id).split(":")[1])
        time.sleep(rng.uniform(0.0, 1.0))
        victim = alive.pop(holder_pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        at_kill = job_row(db, job_id)
        done_at_kill = list(at_kill.steps_done)
        replacement = workers.start("--local")
        alive[replacement.pid] = replacement
        try:
            wait_for(lambda: job_row(db, job_id).status == "completed", timeout=30)  # noqa: B023
        except AssertionError:
            pytest.fail(f"round {round_no} (seed {seed}): job not completed\n{workers.logs()[-4000:]}")
        lines = trace(settings, job_id)
        for step in done_at_kill:
            assert lines.count(f"{step} start") == 1, (seed, round_no, step, lines)
        for step in ("s1", "s2", "s3"):
            assert f"{step} end" in lines, (seed, round_no, lines)
        final = job_row(db, job_id)
        assert final.steps_done == ["s1", "s2", "s3"] and final.progress == 100
        if at_kill.status == "processing":
            killed_mid_job += 1
            assert final.attempts == 2, (seed, round_no, final.attempts)
            assert int(str(final.worker_id).split(":")[1]) != holder_pid
            if done_at_kill:
                with db.read_session() as s:
                    messages = list(s.scalars(select(JobLog.log_message).where(JobLog.job_id == job_id)))
                assert f"Attempt 2: resuming after {', '.join(done_at_kill)}." in messages
    assert killed_mid_job >= 5, f"seed {seed}: only {killed_mid_job} kills landed mid-job"
    balance, rows = ledger(db, user.id)
    assert balance == 1000 - 10 * PRICE
    assert rows == [("adjust", 1000)] + [("use", -PRICE)] * 10  # no refund, no double charge


def test_worker_dying_every_attempt_fails_the_job_with_one_refund(  # type: ignore[no-untyped-def]
    db: Database, settings: Settings, make_user, workers: Workers
) -> None:
    user = make_user()
    grant_credits(db, user.id, 100)
    job_id = new_job(db, settings, user.id, price=PRICE, steps=1, sleep=30, ticks=30)
    for attempt in (1, 2, 3):
        worker = workers.start("--local")
        wait_for(lambda: job_row(db, job_id).attempts == attempt, timeout=20)  # noqa: B023
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    workers.start("--local")  # recovers the expired lease at start: no attempts left -> failed + refund
    wait_for(lambda: job_row(db, job_id).status == "failed", timeout=20)
    assert "stopped responding 3 times" in (job_row(db, job_id).error or "")
    assert ledger(db, user.id) == (100, [("adjust", 100), ("use", -PRICE), ("refund", PRICE)])


@pytest.fixture
def broker_env(redis_url: str) -> Iterator[dict[str, str]]:
    import redis

    namespace = f"rf-test-{uuid.uuid4().hex[:10]}"
    yield {"REELFORGE_BROKER_URL": redis_url, "REELFORGE_BROKER_NAMESPACE": namespace}
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{namespace}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_distributed_two_workers_complete_each_job_exactly_once(  # type: ignore[no-untyped-def]
    db: Database, settings: Settings, make_user, tmp_path: Path, broker_env: dict[str, str]
) -> None:
    from reelforge.jobs import actors
    from reelforge.jobs.dispatch import dispatch

    broker_settings = settings.model_copy(
        update={
            "broker_url": broker_env["REELFORGE_BROKER_URL"],
            "broker_namespace": broker_env["REELFORGE_BROKER_NAMESPACE"],
            "job_max_active_per_user": 100,
        }
    )
    user = make_user()
    grant_credits(db, user.id, 1000)
    workers = Workers(settings, tmp_path, **broker_env, REELFORGE_JOB_LEASE_SECONDS="5")
    try:
        for _ in range(2):
            workers.start("--threads", "2")
        ids = [new_job(db, broker_settings, user.id, price=PRICE, steps=2, sleep=0.05) for _ in range(20)]
        for job_id in ids:
            dispatch(broker_settings, "test_sleep", job_id)
        for job_id in ids:  # every message delivered twice: the second must be a no-op
            dispatch(broker_settings, "test_sleep", job_id)
        try:
            wait_for(lambda: all(job_row(db, i).status == "completed" for i in ids), timeout=60)
        except AssertionError:
            pytest.fail(f"not all jobs completed\n{workers.logs()[-4000:]}")
        wait_for(lambda: sum(actors.queue_lengths(broker_settings).values()) == 0, timeout=30)
        with db.read_session() as s:
            seen_workers = s.scalar(select(func.count()).select_from(JobWorker).where(JobWorker.mode == "dramatiq"))
            holders = set(s.scalars(select(Job.worker_id).where(Job.id.in_(ids))))
            finished = s.execute(
                select(JobLog.job_id, func.count())
                .where(JobLog.job_id.in_(ids), JobLog.log_message == "Finished.")
                .group_by(JobLog.job_id)
            ).all()
        assert seen_workers == 2
        assert len({h.rsplit("/", 1)[0] for h in holders if h}) >= 1
        assert sorted(n for _, n in finished) == [1] * 20
        for job_id in ids:
            row = job_row(db, job_id)
            assert row.attempts == 1, job_id
            assert trace(settings, job_id) == ["s1 start", "s1 end", "s2 start", "s2 end"], job_id
        balance, rows = ledger(db, user.id)
        assert balance == 1000 - 20 * PRICE and ("refund", PRICE) not in rows
    finally:
        workers.stop_all()
        for broker in list(actors._brokers.values()):
            broker.close()
        actors._brokers.clear()
        actors._actors.clear()


def test_distributed_worker_killed_mid_job_is_recovered_by_another(  # type: ignore[no-untyped-def]
    db: Database, settings: Settings, make_user, tmp_path: Path, broker_env: dict[str, str]
) -> None:
    from reelforge.jobs import actors
    from reelforge.jobs.dispatch import dispatch

    broker_settings = settings.model_copy(
        update={
            "broker_url": broker_env["REELFORGE_BROKER_URL"],
            "broker_namespace": broker_env["REELFORGE_BROKER_NAMESPACE"],
        }
    )
    user = make_user()
    grant_credits(db, user.id, 100)
    workers = Workers(settings, tmp_path, **broker_env)  # lease 1 s
    try:
        first = workers.start("--threads", "1")
        job_id = new_job(db, broker_settings, user.id, price=PRICE, steps=3, sleep=0.6, ticks=3)
        dispatch(broker_settings, "test_sleep", job_id)
        wait_for(lambda: job_row(db, job_id).steps_done == ["s1"], timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait()
        workers.start("--threads", "1")  # its upkeep re-queues the expired lease and re-sends the message
        try:
            wait_for(lambda: job_row(db, job_id).status == "completed", timeout=30)
        except AssertionError:
            pytest.fail(f"not recovered\n{workers.logs()[-4000:]}")
        lines = trace(settings, job_id)
        assert lines.count("s1 start") == 1 and lines.count("s3 end") == 1
        assert job_row(db, job_id).attempts == 2
        assert ledger(db, user.id) == (90, [("adjust", 100), ("use", -PRICE)])
    finally:
        workers.stop_all()
        for broker in list(actors._brokers.values()):
            broker.close()
        actors._brokers.clear()
        actors._actors.clear()
