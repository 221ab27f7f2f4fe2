"""Job kinds for the job-engine tests and bench, loaded by workers via REELFORGE_JOB_PLUGINS=tests.jobs_plugin.

`test_sleep` jobs read their shape from `Job.options`:
  steps: how many steps (s1..sN), sleep: seconds per step, ticks: progress/log writes per step,
  process: run each step's sleep as a child process (to prove cancel kills it),
  transient: a step name that raises TransientError the first `transient_times` runs,
  permanent: a step name that raises PermanentError.
Every step appends "<step> start" / "<step> end" to <workdir>/trace.txt, so a test can see
which steps ran how often (a reclaimed job must not re-run finished steps).
"""

from __future__ import annotations

import sys
from typing import Any

from reelforge.db.engine import Database
from reelforge.errors import PermanentError, TransientError
from reelforge.jobs.context import JobContext
from reelforge.jobs.models import Job
from reelforge.jobs.registry import Step, WorkKind, register


def _trace(ctx: JobContext, line: str) -> None:
    with open(ctx.workdir / "trace.txt", "a") as fh:
        fh.write(line + "\n")
        fh.flush()


def _make_step(name: str, opts: dict[str, Any]) -> Step:
    def run(ctx: JobContext) -> None:
        _trace(ctx, f"{name} start")
        if opts.get("permanent") == name:
            raise PermanentError(f"step {name} cannot work with this input")
        if opts.get("transient") == name:
            count_file = ctx.workdir / f"{name}.transient"
            seen = int(count_file.read_text()) if count_file.exists() else 0
            count_file.write_text(str(seen + 1))
            if seen < int(opts.get("transient_times", 1)):
                raise TransientError(f"provider busy (HTTP 503) on {name}")
        sleep = float(opts.get("sleep", 0.0))
        ticks = max(1, int(opts.get("ticks", 1)))
        if opts.get("process"):
            ctx.log(f"{name}: child process for {sleep}s")
            ctx.run_process([sys.executable, "-c", f"import time; time.sleep({sleep})"])
        else:
            for i in range(ticks):
                ctx.check_cancelled()
                if sleep:
                    ctx.sleep(sleep / ticks)  # type: ignore[attr-defined]
                ctx.step_progress((i + 1) / ticks)  # type: ignore[attr-defined]
                ctx.log(f"{name} tick {i + 1}/{ticks}")
        _trace(ctx, f"{name} end")

    return Step(name, run)


def _steps(db: Database, record_id: str) -> list[Step]:
    with db.read_session() as s:
        job = s.get(Job, record_id)
        assert job is not None
        opts = dict(job.options)
    return [_make_step(f"s{i + 1}", opts) for i in range(int(opts.get("steps", 3)))]


def _empty_steps(db: Database, record_id: str) -> list[Step]:
    return [Step("noop", lambda ctx: None)]


register(WorkKind("test_sleep", table="jobs", queue="render", steps=_steps))
register(WorkKind("test_empty", table="jobs", queue="render", steps=_empty_steps))


# ---------------------------------------------------------------- helpers for the job tests
def new_job(
    db: Database, settings: Any, user_id: str, *, price: int = 0, kind: str = "test_sleep", **options: Any
) -> str:
    from reelforge.jobs.service import create_job

    with db.session() as s:
        job = create_job(
            s, user_id, kind=kind, type="shortform", title="test", options=options, price=price, settings=settings
        )
        return job.id


def job_row(db: Database, job_id: str) -> Job:
    with db.read_session() as s:
        job = s.get(Job, job_id)
        assert job is not None
        s.expunge(job)
        return job


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def ledger(db: Database, user_id: str) -> tuple[int, list[tuple[str, int]]]:
    """(balance, [(type, amount), ...] in order) of a user."""
    from sqlalchemy import select

    from reelforge.accounts.models import User
    from reelforge.credits.models import CreditHistory

    with db.read_session() as s:
        bal = s.scalar(select(User.credits).where(User.id == user_id))
        rows = s.execute(
            select(CreditHistory.type, CreditHistory.amount)
            .where(CreditHistory.user_id == user_id)
            .order_by(CreditHistory.created_at, CreditHistory.id)
        ).all()
    return int(bal or 0), [(r.type, r.amount) for r in rows]


def trace(settings: Any, job_id: str) -> list[str]:
    path = settings.data_dir.resolve() / "jobs" / job_id / "trace.txt"
    return path.read_text().splitlines() if path.exists() else []
