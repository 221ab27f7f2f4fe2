"""Job engine benchmark: throughput with empty steps, SSE latency, and a long kill -9 loop.

    .venv/bin/python bench/jobs.py                       # SQLite in a temp folder
    .venv/bin/python bench/jobs.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/jobs.py --crash-rounds 50     # also the crash/resume loop (slow)

Prints:
- jobs/s claimed and finished (one claim UPDATE, one step, steps_done, finish) by the
  runner in one thread, and by an embedded pool of 1 and 2 threads;
- SSE latency from a progress write to an HTTP client (real uvicorn, httpx) receiving
  the event: when the write happens in the server's process (embedded pool: wakes the
  stream at once) and when it comes from another process (the stream polls every
  `job_sse_poll_seconds`, 0.5 s by default);
- with --crash-rounds N: N kill -9 points in a `reelforge worker --local` process and
  the time each job took to resume and complete.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reelforge.accounts.service import create_user  # noqa: E402
from reelforge.config import Settings  # noqa: E402
from reelforge.db import migrate  # noqa: E402
from reelforge.db.base import utcnow  # noqa: E402
from reelforge.db.engine import Database  # noqa: E402
from reelforge.jobs import events, runner  # noqa: E402
from reelforge.jobs.models import Job  # noqa: E402
from reelforge.jobs.pool import WorkerPool  # noqa: E402
from reelforge.jobs.registry import Step, WorkKind, register  # noqa: E402


def make_db(url: str | None, tmp: Path) -> tuple[Settings, Database, str | None]:
    """A fresh database: SQLite in tmp, or a new PostgreSQL database on the given server."""
    created = None
    if url:
        admin_url = make_url(url).set(drivername="postgresql+psycopg")
        created = f"reelforge_bench_{os.getpid()}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{created}"'))
            conn.execute(text(f'CREATE DATABASE "{created}"'))
        admin.dispose()
        db_url = admin_url.set(database=created).render_as_string(hide_password=False)
    else:
        db_url = f"sqlite:///{tmp / 'bench.db'}"
    settings = Settings(
        env="test",
        data_dir=tmp / "data",
        database_url=db_url,
        secret_key="b" * 48,
        _env_file=None,
        job_poll_seconds=0.05,
    )
    db = Database(db_url)
    migrate.upgrade(db.engine)
    return settings, db, created


def drop_db(url: str, name: str) -> None:
    admin = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def add_jobs(db: Database, user_id: str, n: int, kind: str = "bench_empty") -> list[str]:
    with db.session() as s:
        jobs = [Job(user_id=user_id, kind=kind, type="shortform", title="bench", options={}) for _ in range(n)]
        s.add_all(jobs)
        s.flush()
        return [j.id for j in jobs]


def bench_throughput(settings: Settings, db: Database, user_id: str, n: int) -> None:
    ids = add_jobs(db, user_id, n)
    started = time.perf_counter()
    for job_id in ids:
        assert runner.run(db, settings, "bench_empty", job_id).status == "completed"
    elapsed = time.perf_counter() - started
    print(f"  runner, 1 thread, sequential: {n} jobs in {elapsed:.2f}s = {n / elapsed:.1f} jobs/s")
    for size in (1, 2):
        ids = add_jobs(db, user_id, n)
        started = time.perf_counter()
        pool = WorkerPool(db, settings, size=size).start()
        pool.wake()
        while True:
            with db.read_session() as s:
                left = s.scalar(text("SELECT count(*) FROM jobs WHERE status != 'completed'"))
            if not left:
                break
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        pool.stop()
        print(f"  embedded pool, {size} thread(s): {n} jobs in {elapsed:.2f}s = {n / elapsed:.1f} jobs/s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_sse(settings: Settings, db: Database, user, samples: int) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from reelforge.accounts.sessions import create_api_token
    from reelforge.web.app import create_app

    app = create_app(settings, db)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    with db.session() as s:
        token, _ = create_api_token(s, s.get(type(user), user.id), "bench")
    for label, notify in (
        ("write in the server's process (embedded pool)", True),
        ("write from another process", False),
    ):
        (job_id,) = add_jobs(db, user.id, 1, kind="bench_empty")
        assert runner.claim(db, runner.TABLES["jobs"], job_id, "bench", lease_seconds=600, max_attempts=3)
        latencies: list[float] = []
        sent: dict[int, float] = {}
        ready = threading.Event()

        def reader(
            job_id: str = job_id,
            sent: dict[int, float] = sent,
            latencies: list[float] = latencies,
            ready: threading.Event = ready,
        ) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as http:
                with http.stream("GET", f"/api/v1/jobs/{job_id}/events") as r:
                    event = ""
                    for line in r.iter_lines():
                        if line.startswith("event: "):
                            event = line[7:]
                        elif line.startswith("data: ") and event == "progress":
                            import json

                            p = json.loads(line[6:])["progress"]
                            if p == 0:
                                ready.set()
                            elif p in sent:
                                latencies.append(time.perf_counter() - sent.pop(p))
                                if p >= samples:
                                    return

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        ready.wait(10)
        time.sleep(0.3)
        for p in range(1, samples + 1):
            # Writes further apart than the poll interval, so every one is observed on its own.
            time.sleep(random.uniform(0.05, 0.3) if notify else random.uniform(0.6, 1.0))
            sent[p] = time.perf_counter()  # before the commit: the figure includes the write itself
            with db.session() as s:
                s.execute(update(Job).where(Job.id == job_id).values(progress=p, updated_at=utcnow()))
            if notify:
                events.notify(job_id)
        t.join(timeout=30)
        if latencies:
            ms = sorted(x * 1000 for x in latencies)
            print(
                f"  SSE latency, {label}: n={len(ms)} median {statistics.median(ms):.1f} ms, "
                f"p95 {ms[int(len(ms) * 0.95) - 1]:.1f} ms, max {ms[-1]:.1f} ms "
                f"(poll interval {settings.job_sse_poll_seconds}s)"
            )
    server.should_exit = True
    thread.join(timeout=10)


def bench_crash(settings: Settings, db: Database, user_id: str, rounds: int) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REELFORGE_")},
        "PYTHONPATH": str(ROOT),
        "REELFORGE_DATABASE_URL": settings.resolved_database_url,
        "REELFORGE_DATA_DIR": str(settings.data_dir.resolve()),
        "REELFORGE_SECRET_KEY": "b" * 48,
        "REELFORGE_JOB_PLUGINS": "tests.jobs_plugin",
        "REELFORGE_JOB_LEASE_SECONDS": "1.0",
        "REELFORGE_JOB_POLL_SECONDS": "0.1",
        "REELFORGE_LOG_LEVEL": "WARNING",
    }

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "reelforge", "worker", "--local"],
            env=env,
            cwd=settings.data_dir.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    rng = random.Random()
    worker = start()
    resumed: list[float] = []
    mid = 0
    try:
        for _ in range(rounds):
            with db.session() as s:
                job = Job(
                    user_id=user_id, kind="test_sleep", type="shortform", options={"steps": 3, "sleep": 0.3, "ticks": 2}
                )
                s.add(job)
                s.flush()
                job_id = job.id
            while runner_status(db, job_id) == "pending":
                time.sleep(0.02)
            time.sleep(rng.uniform(0, 1.0))
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            killed_at = time.perf_counter()
            mid += runner_status(db, job_id) == "processing"
            worker = start()
            while runner_status(db, job_id) != "completed":
                time.sleep(0.02)
            resumed.append(time.perf_counter() - killed_at)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    print(
        f"  crash loop: {rounds} kill -9 points ({mid} mid-job), all completed; time from kill to completion "
        f"median {statistics.median(resumed):.2f}s, max {max(resumed):.2f}s (lease 1s, includes worker start-up)"
    )


def runner_status(db: Database, job_id: str) -> str:
    with db.read_session() as s:
        return str(s.scalar(text("SELECT status FROM jobs WHERE id = :i"), {"i": job_id}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("REELFORGE_BENCH_POSTGRES_URL", ""))
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--sse-samples", type=int, default=40)
    parser.add_argument("--crash-rounds", type=int, default=0)
    args = parser.parse_args()
    register(
        WorkKind("bench_empty", table="jobs", queue="render", steps=lambda db, rid: [Step("noop", lambda c: None)])
    )
    with tempfile.TemporaryDirectory() as tmp:
        settings, db, created = make_db(args.database_url or None, Path(tmp))
        print(f"database: {db.dialect}; cores: {os.cpu_count()} (shared machine: numbers are indicative)")
        with db.session() as s:
            user = create_user(s, "bench@example.com", "a-good-passphrase-1", email_verified=True)
        try:
            bench_throughput(settings, db, user.id, args.jobs)
            bench_sse(settings, db, user, args.sse_samples)
            if args.crash_rounds:
                bench_crash(settings, db, user.id, args.crash_rounds)
        finally:
            db.dispose()
            if created:
                drop_db(args.database_url, created)


if __name__ == "__main__":
    main()
