"""The many-machine topology as separate processes: `reelforge serve` (no embedded workers) and two
`reelforge worker` processes (Dramatiq on Redis), each with its own data folder, sharing only
PostgreSQL, Redis and an S3 bucket (moto's S3 server on loopback). A render ordered through the
API is killed with SIGKILL mid-compose on whichever worker holds it; the other worker finishes it
from the checkpoints; the API streams it (200 and 206); `doctor --ledger` is clean; deleting it
leaves nothing in the bucket. docs/deploy.md describes this set-up; this test is its proof.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from reelforge.db.engine import Database
from reelforge.jobs.models import Job
from tests import factories
from tests.conftest import _truncate_all, free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


class Machines:
    """Processes of the topology; each gets its own data folder, all are killed at the end."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env = tmp, env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        folder = self.tmp / name
        folder.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "REELFORGE_DATA_DIR": str(folder / "data")}
        log = open(folder / "out.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "reelforge", *args], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT
        )
        self.procs[name] = proc
        return proc

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "REELFORGE_DATA_DIR": str(self.tmp / "cli" / "data")}
        return subprocess.run(
            [sys.executable, "-m", "reelforge", *args], env=env, capture_output=True, text=True, timeout=120
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.parent.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.tmp.glob("*/out.log")
        )

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait(predicate: Any, timeout: float, what: str, machines: Machines) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}\n{machines.logs()}")


def _job(db: Database, job_id: str) -> Job:
    with db.read_session() as s:
        job = s.get(Job, job_id)
        assert job is not None
        s.expunge(job)
        return job


@pytest.fixture
def topology(
    postgres_run_url: str, redis_url: str, s3_endpoint: str, tmp_path: Path
) -> Iterator[tuple[Machines, Database, str, str]]:
    bucket = f"topology-{uuid.uuid4().hex[:10]}"
    s3 = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    s3.create_bucket(Bucket=bucket)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REELFORGE_")},
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "AWS_EC2_METADATA_DISABLED": "true",
        "REELFORGE_ENV": "test",
        "REELFORGE_DATABASE_URL": postgres_run_url,
        "REELFORGE_SECRET_KEY": "t" * 48,
        "REELFORGE_BROKER_URL": redis_url,
        "REELFORGE_BROKER_NAMESPACE": f"topo-{uuid.uuid4().hex[:8]}",
        "REELFORGE_MEDIA_BACKEND": "s3",
        "REELFORGE_S3_BUCKET": bucket,
        "REELFORGE_S3_ENDPOINT_URL": s3_endpoint,
        "REELFORGE_S3_REGION": "us-east-1",
        "REELFORGE_S3_PATH_STYLE": "true",
        "REELFORGE_S3_ACCESS_KEY_ID": "k",
        "REELFORGE_S3_SECRET_ACCESS_KEY": "s",
        "REELFORGE_MEDIA_SERVE": "stream",  # the API answers 200/206 itself (a bucket browsers cannot reach)
        "REELFORGE_JOB_LEASE_SECONDS": "3",
        "REELFORGE_LOG_LEVEL": "WARNING",
        "REELFORGE_PORT": str(port),
        "REELFORGE_WORKERS": "0",
    }
    machines = Machines(tmp_path, env)
    db = Database(postgres_run_url)
    try:
        yield machines, db, f"http://127.0.0.1:{port}", bucket
    finally:
        machines.stop_all()
        db.dispose()
        _truncate_all(postgres_run_url)


def test_api_and_two_workers_share_only_database_broker_and_bucket(topology) -> None:  # type: ignore[no-untyped-def]
    from reelforge.accounts.service import create_user
    from reelforge.accounts.sessions import create_api_token

    machines, db, base, bucket = topology
    machines.start("api", "serve")
    worker_a = machines.start("worker-a", "worker", "--threads", "1")
    worker_b = machines.start("worker-b", "worker", "--threads", "1")
    _wait(lambda: _ready(base), 60, "the API server", machines)

    with db.session() as s:
        user = create_user(s, f"topo-{uuid.uuid4().hex[:6]}@example.com", "a-good-passphrase-1", email_verified=True)
        s.flush()
        token, _ = create_api_token(s, user, "topology")
        user_id = user.id
    factories.grant_credits(db, user_id, 1000)
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    order = api.post(
        "/api/v1/renders", json={"script_id": factories.script(db, user_id), "options": {"quality": "standard"}}
    )
    assert order.status_code == 202, order.text
    job_id = order.json()["id"]

    # Kill -9 whichever worker is composing it.
    _wait(lambda: _job(db, job_id).step == "compose", 240, "the compose step", machines)
    holder_pid = int(str(_job(db, job_id).worker_id).split(":")[1])
    victim = {worker_a.pid: worker_a, worker_b.pid: worker_b}[holder_pid]
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed_at = time.monotonic()
    _wait(lambda: _job(db, job_id).status in ("completed", "failed"), 240, "the other worker to finish", machines)
    resumed_in = time.monotonic() - killed_at
    final = _job(db, job_id)
    assert final.status == "completed", (final.error, machines.logs())
    assert int(str(final.worker_id).split(":")[1]) != holder_pid and final.attempts == 2
    print(f"\ntopology: resumed and finished on the other worker {resumed_in:.1f} s after the kill")

    # Played through the API server, which never held a work folder: 200 and 206.
    got = api.get(f"/api/v1/renders/{job_id}").json()
    url = got["result"]["video_url"]
    whole = api.get(url)
    assert whole.status_code == 200 and whole.content[4:8] == b"ftyp"
    assert len(whole.content) == got["result"]["size_bytes"]
    part = api.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == whole.content[1000:2000]
    assert api.get(got["scene_images"][0]).status_code == 200

    doctor = machines.run("doctor", "--ledger")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr

    assert api.delete(f"/api/v1/jobs/{job_id}").status_code in (200, 204)
    s3 = boto3.client(
        "s3",
        endpoint_url=machines.env["REELFORGE_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
    )

    def _left() -> list[str]:
        listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        return [o["Key"] for o in listed if job_id in o["Key"]]

    _wait(lambda: _left() == [], 30, "the bucket to forget the deleted video", machines)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
