"""The embedded worker pool (`reelforge serve`, `reelforge worker --local`) and worker upkeep.

A pool is N threads in this process. Each waits for a wake-up (`dispatch` in this
process) or `job_poll_seconds`, asks the database for the oldest claimable work of
the kinds it serves, claims one with the runner's conditional UPDATE and runs it. Many
pools (in many processes) can share one database: the UPDATE decides who gets a job.
The heavy lifting of a render happens in ffmpeg child processes, so threads are enough.

`Upkeep` is the thread every worker process (pool or Dramatiq) runs next to its
workers: it records the process in `job_workers` (the "workers seen recently" list),
recovers expired leases (`runner.recover_expired`) and, in distributed mode, re-sends
work that has been pending without a queue message for too long.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, select, update

from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.jobs import runner
from reelforge.jobs.models import JobWorker
from reelforge.jobs.registry import WorkKind, all_kinds, all_tables

log = logging.getLogger(__name__)

_LOCAL_POOLS: list[WorkerPool] = []
_POOLS_LOCK = threading.Lock()
# Distributed mode: re-send pending work this old (its message may be lost: a failed enqueue after
# the commit, a Redis restart): with upkeep every <= 10 s, within a minute. A duplicate message is
# harmless: the runner's claim is a conditional UPDATE.
STALE_PENDING = timedelta(seconds=45)


def wake_local_pools() -> int:
    """Wake every pool of this process (called by `dispatch` in embedded mode)."""
    with _POOLS_LOCK:
        pools = list(_LOCAL_POOLS)
    for pool in pools:
        pool.wake()
    return len(pools)


class Upkeep:
    """Heartbeat row in job_workers + lease recovery, every `interval` seconds, in a thread."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        worker_id: str,
        mode: str,
        queues: list[str],
        threads: int,
        busy: Callable[[], int],
        jobs_done: Callable[[], int],
        on_requeue: Callable[[str, str], None],
        resend_stale: bool = False,
        can_send: Callable[[], bool] | None = None,
    ) -> None:
        self.db, self.settings = db, settings
        self.worker_id, self.mode, self.queues, self.threads = worker_id, mode, queues, threads
        self.busy, self.jobs_done, self.on_requeue = busy, jobs_done, on_requeue
        self.resend_stale = resend_stale
        self.can_send = can_send or (lambda: True)  # False while the broker is down: nothing is sent
        self.interval = max(0.5, min(10.0, settings.job_lease_seconds / 2))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.started_at = utcnow()

    def start(self) -> None:
        self.tick()
        self._thread = threading.Thread(target=self._loop, name="jobs-upkeep", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            with self.db.session() as s:
                s.execute(delete(JobWorker).where(JobWorker.id == self.worker_id))
        except Exception:
            log.warning("could not remove worker row %s", self.worker_id, exc_info=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    def tick(self) -> None:
        try:
            self.beat()
            rec = runner.recover_expired(self.db, self.settings)
            if not self.can_send():
                return  # re-queued rows stay pending; they are re-sent when the broker is back
            for kind, record_id in rec.requeued:
                self.on_requeue(kind, record_id)
            if self.resend_stale:
                self.resend_stale_pending()
        except Exception:
            log.warning("worker upkeep failed", exc_info=True)

    def beat(self) -> None:
        now = utcnow()
        with self.db.session() as s:
            row = s.get(JobWorker, self.worker_id)
            if row is None:
                s.add(
                    JobWorker(
                        id=self.worker_id,
                        hostname=socket.gethostname()[:255],
                        pid=os.getpid(),
                        mode=self.mode,
                        queues=self.queues,
                        threads=self.threads,
                        busy=self.busy(),
                        jobs_done=self.jobs_done(),
                        started_at=self.started_at,
                        seen_at=now,
                    )
                )
            else:
                row.seen_at, row.busy, row.jobs_done = now, self.busy(), self.jobs_done()
            s.execute(delete(JobWorker).where(JobWorker.seen_at < now - timedelta(days=1)))

    def resend_stale_pending(self, older_than: timedelta = STALE_PENDING) -> None:
        """Send a message again for pending work untouched for `older_than` (and mark it touched)."""
        cutoff = utcnow() - older_than
        for spec in all_tables():
            model = spec.model
            cols = [model.id] + ([model.kind] if spec.single_kind is None else [])
            with self.db.session() as s:
                rows = s.execute(
                    select(*cols).where(model.status == "pending", model.updated_at < cutoff).limit(200)
                ).all()
                if rows:
                    s.execute(
                        update(model)
                        .where(model.id.in_([r.id for r in rows]), model.status == "pending")
                        .values(updated_at=utcnow())
                        .execution_options(synchronize_session=False)
                    )
            for r in rows:
                self.on_requeue(spec.kind_of(r), r.id)


class WorkerPool:
    """`size` threads running claimable work of the given queues (default: every queue)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        size: int | None = None,
        queues: list[str] | None = None,
        mode: str = "embedded",
    ) -> None:
        self.db, self.settings = db, settings
        self.size = settings.workers if size is None else size
        self.queues = queues
        self.mode = mode
        self.worker_id = runner.new_worker_id()
        self._wake = threading.Event()
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._done = 0
        self._count_lock = threading.Lock()
        self.upkeep: Upkeep | None = None

    def kinds(self) -> list[WorkKind]:
        return [k for k in all_kinds() if self.queues is None or k.queue in self.queues]

    def start(self) -> WorkerPool:
        kinds = self.kinds()
        self.upkeep = Upkeep(
            self.db,
            self.settings,
            worker_id=self.worker_id,
            mode=self.mode,
            queues=sorted({k.queue for k in kinds}) if self.queues is None else list(self.queues),
            threads=self.size,
            busy=lambda: self._busy,
            jobs_done=lambda: self._done,
            on_requeue=lambda _kind, _id: self.wake(),
        )
        self.upkeep.start()  # recovers expired leases before the threads start claiming
        for n in range(self.size):
            t = threading.Thread(target=self._loop, args=(n,), name=f"jobs-worker-{n}", daemon=True)
            t.start()
            self._threads.append(t)
        with _POOLS_LOCK:
            _LOCAL_POOLS.append(self)
        log.info("job pool %s started: %d worker(s), kinds %s", self.worker_id, self.size, [k.name for k in kinds])
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop claiming; running jobs are handed back to the queue at their next cancellation check."""
        with _POOLS_LOCK:
            if self in _LOCAL_POOLS:
                _LOCAL_POOLS.remove(self)
        self.stopping.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout=timeout)
        if self.upkeep is not None:
            self.upkeep.stop()
        log.info("job pool %s stopped", self.worker_id)

    def _loop(self, n: int) -> None:
        thread_worker_id = f"{self.worker_id}/{n}"
        while not self.stopping.is_set():
            try:
                ran = self.run_one(thread_worker_id)
            except Exception:
                log.warning("job pool loop failed; retrying", exc_info=True)
                ran = False
            if not ran:
                self._wake.wait(self.settings.job_poll_seconds)
                self._wake.clear()

    def run_one(self, worker_id: str) -> bool:
        """Claim and run the oldest claimable work; False when there was none."""
        kinds = self.kinds()
        if not kinds:
            return False
        candidates = runner.pending_candidates(self.db, kinds, max_attempts=self.settings.job_max_attempts)
        for kind, record_id in candidates:
            if self.stopping.is_set():
                return False
            with self._count_lock:
                self._busy += 1
            try:
                result = runner.run(
                    self.db, self.settings, kind, record_id, worker_id=worker_id, stopping=self.stopping
                )
            finally:
                with self._count_lock:
                    self._busy -= 1
            if result.claimed:
                with self._count_lock:
                    self._done += 1
                return True
        return False


def embedded_hooks(settings: Settings, db: Database) -> tuple[Callable[[object], None], Callable[[object], None]]:
    """on_startup/on_shutdown hooks for `create_app`: run a pool inside the web server process."""
    holder: dict[str, WorkerPool] = {}

    def start(_app: object) -> None:
        if settings.broker_url or settings.workers <= 0:
            return
        holder["pool"] = WorkerPool(db, settings, mode="embedded").start()

    def stop(_app: object) -> None:
        pool = holder.pop("pool", None)
        if pool is not None:
            pool.stop()

    return start, stop
