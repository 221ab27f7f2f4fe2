"""Live progress across machines: worker write -> SSE client receive, with Redis and by DB polling.

    .venv/bin/python bench/live_progress.py                        # SQLite in a temp folder
    .venv/bin/python bench/live_progress.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/live_progress.py --redis-url redis://127.0.0.1:6379/0 --samples 200

A "worker machine" (its own process and data folder) claims a job and reports progress
through a real `RunnerContext` (progress, then flush: the database write the runner makes);
an API server (uvicorn on loopback, in this process) streams the job's SSE to an HTTP
client. Each update carries its own step label, so every one is matched to the event that
brought it. The latency is from just before `ctx.progress()` in the worker to the moment
the client has parsed the event (same machine, so one wall clock). Printed per mode:
received/sent, median, p95 and max in ms.

- "redis": `broker_url` set; the context publishes at once, the stream pushes it.
- "db poll": no broker; the stream finds the write at its next poll (`job_sse_poll_seconds`).
  Updates are spaced wider than the poll interval so each one is seen on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from jobs import free_port, make_db  # noqa: E402  (bench/jobs.py: a fresh SQLite/PostgreSQL database)

from reelforge.accounts.service import create_user  # noqa: E402
from reelforge.config import Settings  # noqa: E402
from reelforge.db.engine import Database  # noqa: E402
from reelforge.jobs.models import Job  # noqa: E402

WORKER = """
import random, sys, time
from pathlib import Path
from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import lease
from reelforge.jobs.context import RunnerContext
from reelforge.jobs.registry import Step, WorkKind, get_kind, register, table_of

url, broker, ns, data, job_id, n, lo, hi = sys.argv[1:]
register(WorkKind("bench_live", table="jobs", queue="render", steps=lambda db, rid: [Step("s1", lambda c: None)]))
settings = Settings(env="test", data_dir=Path(data), database_url=url, broker_url=broker,
                    broker_namespace=ns, secret_key="b" * 48, _env_file=None)
db = Database(url)
kind = get_kind("bench_live")
spec = table_of(kind)
assert lease.claim(db, spec, job_id, "machine-b", lease_seconds=600, max_attempts=3, kind=kind.name)
ctx = RunnerContext(db, settings, spec, kind, job_id, "machine-b", attempt=1)
ctx.enter_step("s1", 0.0, 100.0)
print("ready", flush=True)
sys.stdin.readline()
n, lo, hi = int(n), float(lo), float(hi)
for i in range(1, n + 1):
    time.sleep(random.uniform(lo, hi))
    t = time.time()
    ctx.progress(i * 99 / n, f"u{i}")
    ctx.flush()
    print(f"{i} {t}", flush=True)
print("done", flush=True)
"""


def measure(settings: Settings, db: Database, user_id: str, samples: int, gap: tuple[float, float], tmp: Path) -> None:
    import uvicorn

    from reelforge.accounts.sessions import create_api_token
    from reelforge.web.app import create_app

    config = uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.config.port
    with db.session() as s:
        job = Job(user_id=user_id, kind="bench_live", type="shortform", title="bench", options={})
        s.add(job)
        s.flush()
        job_id = job.id
        token, _ = create_api_token(s, s.get(type_user(), user_id), "bench")
    argv = [sys.executable, "-c", WORKER, settings.resolved_database_url, settings.broker_url]
    argv += [settings.broker_namespace, str(tmp / f"machine-b-{job_id[:6]}"), job_id, str(samples), *map(str, gap)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    worker = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None and worker.stdin is not None
    assert worker.stdout.readline().strip() == "ready"

    received: dict[str, float] = {}
    opened = threading.Event()

    def read() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as http:
            with http.stream("GET", f"/api/v1/jobs/{job_id}/events") as r:
                event = ""
                for line in r.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "progress":
                        step = json.loads(line[6:])["step"]
                        opened.set()
                        received.setdefault(step, time.time())
                        if step == f"u{samples}":
                            return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    opened.wait(10)
    worker.stdin.write("go\n")
    worker.stdin.flush()
    sent: dict[str, float] = {}
    for line in worker.stdout:
        if line.strip() == "done":
            break
        i, t = line.split()
        sent[f"u{i}"] = float(t)
    reader.join(timeout=max(10.0, 3 * settings.job_sse_poll_seconds))
    worker.wait(timeout=10)
    server.should_exit = True
    thread.join(timeout=10)
    ms = sorted((received[k] - t) * 1000 for k, t in sent.items() if k in received)
    mode = "redis  " if settings.broker_url else "db poll"
    if not ms:
        print(f"  {mode}: nothing received")
        return
    print(
        f"  {mode}: received {len(ms)}/{len(sent)}, median {statistics.median(ms):.1f} ms, "
        f"p95 {ms[max(0, int(len(ms) * 0.95) - 1)]:.1f} ms, max {ms[-1]:.1f} ms "
        + (" (pushed)" if settings.broker_url else f" (poll every {settings.job_sse_poll_seconds}s)")
    )


def type_user() -> type:
    from reelforge.accounts.models import User

    return User


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("REELFORGE_BENCH_POSTGRES_URL", ""))
    parser.add_argument("--redis-url", default=os.environ.get("REELFORGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--samples", type=int, default=200, help="progress updates with Redis")
    parser.add_argument("--poll-samples", type=int, default=100, help="progress updates by DB polling")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings, db, created = make_db(args.database_url or None, Path(tmp))
        print(f"database: {db.dialect}; cores: {os.cpu_count()} (shared machine: numbers are indicative)")
        with db.session() as s:
            user = create_user(s, "bench@example.com", "a-good-passphrase-1", email_verified=True)
            user_id = user.id
        try:
            redis_settings = settings.model_copy(
                update={"broker_url": args.redis_url, "broker_namespace": f"bench-{uuid.uuid4().hex[:8]}"}
            )
            measure(redis_settings, db, user_id, args.samples, (0.02, 0.1), Path(tmp))
            poll = settings.job_sse_poll_seconds
            measure(settings, db, user_id, args.poll_samples, (poll * 1.2, poll * 2), Path(tmp))
        finally:
            db.dispose()
            if created:
                from jobs import drop_db

                drop_db(args.database_url, created)


if __name__ == "__main__":
    main()
