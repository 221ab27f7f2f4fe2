"""The runner on both databases: claim, steps, retries, failures, refunds, recovery, limits."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.errors import Conflict, TooManyRequests
from reelforge.jobs import runner, service
from reelforge.jobs.models import Job, JobLog
from reelforge.jobs.pool import WorkerPool
from reelforge.jobs.registry import Step, WorkKind, get_kind, register, unregister
from reelforge.jobs.runner import TABLES
from tests.factories import grant_credits
from tests.jobs_plugin import job_row, ledger, new_job, trace, wait_for

PRICE = 10


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"job_retry_backoff_seconds": 0.01, "job_lease_seconds": 5.0, "job_poll_seconds": 0.05}
    )


@pytest.fixture
def payer(make_user, db: Database):  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 100)
    return user


def logs_of(db: Database, job_id: str) -> list[tuple[str, str]]:
    with db.read_session() as s:
        rows = s.execute(select(JobLog.level, JobLog.log_message).where(JobLog.job_id == job_id).order_by(JobLog.id))
        return [(r.level, r.log_message) for r in rows]


def test_runs_steps_in_order_with_progress_and_logs(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, fast, payer.id, price=PRICE, steps=3, ticks=2)
    result = runner.run(db, fast, "test_sleep", job_id)
    assert result.claimed and result.status == "completed" and result.steps_run == ["s1", "s2", "s3"]
    job = job_row(db, job_id)
    assert (job.status, job.progress, job.steps_done, job.attempts) == ("completed", 100, ["s1", "s2", "s3"], 1)
    assert job.started_at is not None and job.finished_at is not None and job.lease_until is None
    messages = [m for _, m in logs_of(db, job_id)]
    import os
    import socket

    assert messages == [
        "Queued.",
        f"Running on {socket.gethostname()[:80]} (process {os.getpid()}).",  # which machine ran the steps
        *[
            line
            for n in (1, 2, 3)
            for line in (f"Step s{n} started.", f"s{n} tick 1/2", f"s{n} tick 2/2", f"Step s{n} finished.")
        ],
        "Finished.",
    ]
    assert trace(fast, job_id) == ["s1 start", "s1 end", "s2 start", "s2 end", "s3 start", "s3 end"]
    assert ledger(db, payer.id) == (90, [("adjust", 100), ("use", -PRICE)])


def test_a_second_claim_is_a_no_op(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, fast, payer.id, steps=1)
    spec = TABLES["jobs"]
    assert runner.claim(db, spec, job_id, "w1", lease_seconds=30, max_attempts=3)
    assert not runner.claim(db, spec, job_id, "w2", lease_seconds=30, max_attempts=3)
    assert runner.run(db, fast, "test_sleep", job_id, worker_id="w3").claimed is False  # a redelivered message
    assert job_row(db, job_id).worker_id == "w1"


def test_concurrent_claims_have_exactly_one_winner(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, fast, payer.id, steps=1)
    spec = TABLES["jobs"]
    wins: list[str] = []
    barrier = threading.Barrier(6)

    def contender(n: int) -> None:
        barrier.wait()
        if runner.claim(db, spec, job_id, f"w{n}", lease_seconds=30, max_attempts=3):
            wins.append(f"w{n}")

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert job_row(db, job_id).worker_id == wins[0] and job_row(db, job_id).attempts == 1


def test_transient_error_retries_then_succeeds(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, fast, payer.id, price=PRICE, steps=2, transient="s2", transient_times=2)
    result = runner.run(db, fast, "test_sleep", job_id)
    assert result.status == "completed"
    warnings = [m for lv, m in logs_of(db, job_id) if lv == "warning"]
    assert len(warnings) == 2 and all("HTTP 503" in w for w in warnings)
    assert trace(fast, job_id).count("s2 start") == 3 and trace(fast, job_id).count("s1 start") == 1
    assert ledger(db, payer.id)[0] == 90


def test_transient_error_beyond_the_limit_fails_and_refunds_once(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, fast, payer.id, price=PRICE, steps=2, transient="s1", transient_times=99)
    result = runner.run(db, fast, "test_sleep", job_id)
    assert result.status == "failed"
    job = job_row(db, job_id)
    assert job.status == "failed" and job.error is not None and "gave up after 3 retries" in job.error
    assert trace(fast, job_id).count("s1 start") == 4  # first try + 3 retries
    assert ledger(db, payer.id) == (100, [("adjust", 100), ("use", -PRICE), ("refund", PRICE)])


def test_permanent_error_fails_at_once_and_refunds(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, fast, payer.id, price=PRICE, steps=3, permanent="s2")
    result = runner.run(db, fast, "test_sleep", job_id)
    assert result.status == "failed" and result.steps_run == ["s1"]
    job = job_row(db, job_id)
    assert job.error == "step s2 cannot work with this input" and job.steps_done == ["s1"]
    assert trace(fast, job_id).count("s2 start") == 1
    assert ledger(db, payer.id)[0] == 100
    # finishing again (a confused second worker) changes nothing and never refunds twice
    assert not runner.finish(db, TABLES["jobs"], job_id, "failed", error="again")
    assert ledger(db, payer.id) == (100, [("adjust", 100), ("use", -PRICE), ("refund", PRICE)])


def test_a_bug_in_a_step_fails_the_job_with_its_message(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    def boom(ctx) -> None:  # type: ignore[no-untyped-def]
        raise KeyError("scene_3")

    register(WorkKind("test_buggy", table="jobs", queue="render", steps=lambda db, rid: [Step("boom", boom)]))
    try:
        job_id = new_job(db, fast, payer.id, price=PRICE, kind="test_buggy")
        assert runner.run(db, fast, "test_buggy", job_id).status == "failed"
        assert job_row(db, job_id).error == "internal error: KeyError: 'scene_3'"
        assert ledger(db, payer.id)[0] == 100
    finally:
        unregister("test_buggy")


def test_resumes_after_finished_steps(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    """A job whose worker died after s1 (lease expired) resumes at s2 when reclaimed."""
    job_id = new_job(db, fast, payer.id, price=PRICE, steps=3)
    with db.session() as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status="processing",
                worker_id="dead",
                attempts=1,
                steps_done=["s1"],
                lease_until=utcnow() - timedelta(seconds=1),
            )
        )
    result = runner.run(db, fast, "test_sleep", job_id)
    assert result.status == "completed" and result.steps_run == ["s2", "s3"]
    assert job_row(db, job_id).attempts == 2
    assert any("Attempt 2: resuming after s1" in m for _, m in logs_of(db, job_id))


def test_recovery_requeues_then_fails_after_max_attempts_with_one_refund(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, fast, payer.id, price=PRICE, steps=2)
    past = utcnow() - timedelta(seconds=1)
    with db.session() as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status="processing", worker_id="dead", attempts=1, lease_until=past)
        )
    rec = runner.recover_expired(db, fast)
    assert rec.requeued == [("test_sleep", job_id)]
    assert job_row(db, job_id).status == "pending"
    with db.session() as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status="processing", worker_id="dead", attempts=3, lease_until=past)
        )
    assert not runner.claim(db, TABLES["jobs"], job_id, "w", lease_seconds=5, max_attempts=3)
    rec = runner.recover_expired(db, fast)
    assert rec.failed == [job_id]
    assert runner.recover_expired(db, fast).failed == []  # a second sweep finds nothing
    job = job_row(db, job_id)
    assert job.status == "failed" and "stopped responding 3 times" in (job.error or "")
    assert ledger(db, payer.id) == (100, [("adjust", 100), ("use", -PRICE), ("refund", PRICE)])


def test_recovery_of_a_cancelled_dead_job_cancels_and_refunds(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, fast, payer.id, price=PRICE, steps=2)
    with db.session() as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status="processing",
                worker_id="dead",
                attempts=1,
                cancel_requested=True,
                lease_until=utcnow() - timedelta(seconds=1),
            )
        )
    assert runner.recover_expired(db, fast).cancelled == [job_id]
    assert job_row(db, job_id).status == "cancelled"
    assert ledger(db, payer.id)[0] == 100


def test_cancel_pending_refunds_and_finished_is_409(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, fast, payer.id, price=PRICE, steps=1)
    with db.session() as s:
        assert service.cancel_job(s, job_id, user_id=payer.id) == "cancelled"
    assert ledger(db, payer.id) == (100, [("adjust", 100), ("use", -PRICE), ("refund", PRICE)])
    with db.session() as s, pytest.raises(Conflict, match=r"already finished \(cancelled\)"):
        service.cancel_job(s, job_id, user_id=payer.id)
    assert runner.run(db, fast, "test_sleep", job_id).claimed is False


def test_cancel_running_job_kills_its_child_process_and_refunds_once(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, fast, payer.id, price=PRICE, steps=2, sleep=30, process=True)
    out: list[runner.RunResult] = []
    t = threading.Thread(target=lambda: out.append(runner.run(db, fast, "test_sleep", job_id)))
    t.start()
    wait_for(lambda: "s1 start" in trace(fast, job_id))
    time.sleep(0.3)
    started = time.monotonic()
    with db.session() as s:
        assert service.cancel_job(s, job_id, user_id=payer.id) == "requested"
    t.join(timeout=5)
    elapsed = time.monotonic() - started
    assert not t.is_alive() and out[0].status == "cancelled"
    assert elapsed < 2.0, f"cancel took {elapsed:.2f}s"
    assert "s1 end" not in trace(fast, job_id)
    assert ledger(db, payer.id) == (100, [("adjust", 100), ("use", -PRICE), ("refund", PRICE)])


def test_user_limit_and_queue_cap(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    limited = fast.model_copy(update={"job_max_active_per_user": 2, "job_queue_cap": 3})
    new_job(db, limited, payer.id)
    new_job(db, limited, payer.id)
    with pytest.raises(TooManyRequests, match="limit is 2") as exc:
        new_job(db, limited, payer.id)
    assert exc.value.extra["reason"] == "user_active_limit" and exc.value.headers["Retry-After"]
    assert ledger(db, payer.id)[0] == 100  # a refused job is never charged
    other = give_other(db)
    new_job(db, limited, other)
    with pytest.raises(TooManyRequests, match="queue is full"):
        new_job(db, limited, other)


def give_other(db: Database) -> str:
    from reelforge.accounts.service import create_user

    with db.session() as s:
        return create_user(s, "other@example.com", "a-good-passphrase-1", email_verified=True).id


def test_retry_failed_job_charges_again_and_resumes(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, fast, payer.id, price=PRICE, steps=3, transient="s2", transient_times=4)
    assert runner.run(db, fast, "test_sleep", job_id).status == "failed"
    assert ledger(db, payer.id)[0] == 100
    with db.session() as s:
        service.retry_job(s, job_id, user_id=payer.id, settings=fast)
    assert ledger(db, payer.id)[0] == 90
    result = runner.run(db, fast, "test_sleep", job_id)
    assert result.status == "completed" and result.steps_run == ["s2", "s3"]
    assert ledger(db, payer.id) == (90, [("adjust", 100), ("use", -10), ("refund", 10), ("use", -10)])
    free = fast.model_copy(update={"job_retry_charges": False})
    job2 = new_job(db, free, payer.id, price=PRICE, steps=1, permanent="s1")
    runner.run(db, free, "test_sleep", job2)
    with db.session() as s:
        service.retry_job(s, job2, user_id=payer.id, settings=free)
    assert ledger(db, payer.id)[0] == 90 and job_row(db, job2).debit_id is None
    with db.session() as s, pytest.raises(Conflict, match="Only a failed or cancelled job"):
        service.retry_job(s, job_id, user_id=payer.id, settings=fast)


def test_pool_runs_dispatched_jobs_and_releases_on_stop(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    from reelforge.jobs.dispatch import dispatch

    pool = WorkerPool(db, fast, size=2).start()
    try:
        ids = [new_job(db, fast, payer.id, price=PRICE, steps=2) for _ in range(2)]
        for i in ids:
            dispatch(fast, "test_sleep", i)
        wait_for(lambda: all(job_row(db, i).status == "completed" for i in ids), timeout=15)
        slow = new_job(db, fast, payer.id, steps=2, sleep=20, ticks=40)
        dispatch(fast, "test_sleep", slow)
        wait_for(lambda: "s1 start" in trace(fast, slow))
    finally:
        pool.stop()
    job = job_row(db, slow)
    assert job.status == "pending" and job.attempts == 0 and job.worker_id is None  # handed back, not counted
    assert get_kind("test_sleep").queue == "render"


def test_doctor_reports_stuck_jobs_missing_refunds_and_idle_queue(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    from reelforge.doctor import check_jobs

    def by_name() -> dict[str, tuple[bool, str]]:
        return {f.check: (f.ok, f.detail) for f in check_jobs(fast, db)}

    assert all(ok for ok, _ in by_name().values())
    stuck = new_job(db, fast, payer.id, price=PRICE, steps=1)
    unpaid_back = new_job(db, fast, payer.id, price=PRICE, steps=1)
    with db.session() as s:
        s.execute(
            update(Job)
            .where(Job.id == stuck)
            .values(status="processing", worker_id="dead", attempts=1, lease_until=utcnow() - timedelta(minutes=10))
        )
        s.execute(update(Job).where(Job.id == unpaid_back).values(status="failed"))  # failed without the runner
    found = by_name()
    assert not found["stuck jobs"][0] and stuck in found["stuck jobs"][1]
    assert not found["job refunds"][0] and unpaid_back in found["job refunds"][1]
    waiting = new_job(db, fast, payer.id, steps=1)
    assert not by_name()["job workers"][0]
    pool = WorkerPool(db, fast, size=1).start()  # recovers the stuck job and runs the waiting ones
    try:
        wait_for(lambda: job_row(db, stuck).status == "completed" and job_row(db, waiting).status == "completed")
        found = by_name()
        assert found["stuck jobs"][0] and found["job workers"][0]
    finally:
        pool.stop()


def test_ledger_audit_stays_clean_through_fail_refund_and_charged_retry(db: Database, fast: Settings, payer) -> None:  # type: ignore[no-untyped-def]
    from reelforge.doctor import check_ledger

    job_id = new_job(db, fast, payer.id, price=PRICE, steps=2, transient="s2", transient_times=8)
    runner.run(db, fast, "test_sleep", job_id)  # fails: 4 tries of s2, refunded
    with db.session() as s:
        service.retry_job(s, job_id, user_id=payer.id, settings=fast)  # charged again
    runner.run(db, fast, "test_sleep", job_id)  # fails again (4 more tries): refunded again
    with db.session() as s:
        service.retry_job(s, job_id, user_id=payer.id, settings=fast)
    assert runner.run(db, fast, "test_sleep", job_id).status == "completed"  # 9th try of s2 succeeds
    assert ledger(db, payer.id)[0] == 90
    findings = check_ledger(fast, db)
    assert all(f.ok for f in findings), [f for f in findings if not f.ok]
