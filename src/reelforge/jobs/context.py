"""What a job step sees while it runs: logging, progress, cancellation and killable child processes.

Steps (script writing, rendering, uploading) are written against the `JobContext`
protocol, so the same code runs under the durable job runner (progress and logs go to
the database, cancellation comes from `cancel_requested`) and under the CLI
(`reelforge generate`, progress goes to a Rich bar). `LocalContext` is the in-process
implementation the CLI and unit tests use; `RunnerContext` is the database-backed one
the runner gives a claimed job (its writes go through `jobs.lease`).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.errors import JobCancelled, TransientError
from reelforge.i18n import stored
from reelforge.jobs import lease, live, messages
from reelforge.jobs.registry import TABLES, WorkKind, WorkTable

log = logging.getLogger(__name__)

LOG_LEVELS = ("debug", "info", "warning", "error")
FLUSH_INTERVAL = 0.5  # seconds between progress/log writes (<= 2 writes/s per job)
CANCEL_POLL = 0.5  # seconds between cancel_requested polls
MAX_LOG_LEN = 4000


class JobContext(Protocol):
    job_id: str
    workdir: Path
    settings: Settings

    def log(self, message: str, level: str = "info") -> None: ...

    def progress(self, percent: float, step: str | None = None) -> None:
        """Overall progress 0-100 (throttled by the implementation)."""

    def cancelled(self) -> bool: ...

    def check_cancelled(self) -> None:
        """Raise JobCancelled if cancellation was requested."""

    def run_process(
        self,
        argv: Sequence[str],
        *,
        on_line: Callable[[str], None] | None = None,
        timeout: float | None = None,
        cwd: Path | None = None,
    ) -> int:
        """Run a child process, feeding each stderr/stdout line to `on_line`; killed at once on cancel."""


# The child gets SIGKILL when the thread that started it dies (a kill -9 of the worker or the
# server included), so no ffmpeg outlives its worker and overlaps the resumed attempt. util-linux's
# `setpriv` sets PR_SET_PDEATHSIG and execs the command (the flag survives exec); without it
# (not Linux) the process group kill on cancel/timeout/exception is what remains.
_SETPRIV = shutil.which("setpriv") if sys.platform.startswith("linux") else None
_DIE_WITH_PARENT: tuple[str, ...] = (_SETPRIV, "--pdeathsig", "KILL", "--") if _SETPRIV else ()


def run_killable(
    argv: Sequence[str],
    *,
    is_cancelled: Callable[[], bool],
    on_line: Callable[[str], None] | None = None,
    timeout: float | None = None,
    cwd: Path | None = None,
    poll_interval: float = 0.2,
) -> int:
    """Run `argv` in its own process group; kill the group when cancelled or timed out.

    stdout and stderr are merged and read line by line (ffmpeg writes `-progress` to
    stdout and diagnostics to stderr; both are useful to the caller). Returns the exit
    code; raises JobCancelled or TransientError(timeout).
    """
    proc = subprocess.Popen(
        [*_DIE_WITH_PARENT, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        start_new_session=True,  # its own process group, so a kill reaches its children too
        text=True,
        errors="replace",
        bufsize=1,
    )
    tail: list[str] = []

    def reader() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            tail.append(line)
            del tail[:-50]
            if on_line is not None:
                try:
                    on_line(line)
                except Exception:  # a progress callback must not kill the process
                    log.exception("line callback failed")

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        while True:
            try:
                code = proc.wait(timeout=poll_interval)
                thread.join(timeout=5)
                proc.last_output = tail  # type: ignore[attr-defined]
                return code
            except subprocess.TimeoutExpired:
                pass
            if is_cancelled():
                _kill_group(proc)
                raise JobCancelled("cancelled by the user")
            if timeout is not None and time.monotonic() - started > timeout:
                _kill_group(proc)
                raise TransientError(f"{Path(argv[0]).name} timed out after {timeout:.0f}s")
    except BaseException:
        _kill_group(proc)
        raise


def _kill_group(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


class LocalContext:
    """An in-process JobContext: progress and log lines go to callbacks (CLI, tests)."""

    def __init__(
        self,
        settings: Settings,
        workdir: Path,
        *,
        job_id: str = "local",
        on_log: Callable[[str, str], None] | None = None,
        on_progress: Callable[[float, str | None], None] | None = None,
        cancel_event: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.workdir = workdir
        self.job_id = job_id
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._on_log = on_log
        self._on_progress = on_progress
        self._cancel = cancel_event or threading.Event()
        self.lines: list[tuple[str, str]] = []
        self.last_progress = 0.0

    def log(self, message: str, level: str = "info") -> None:
        self.lines.append((level, message))
        if self._on_log:
            self._on_log(level, message)

    def progress(self, percent: float, step: str | None = None) -> None:
        self.last_progress = max(0.0, min(100.0, percent))
        if self._on_progress:
            self._on_progress(self.last_progress, step)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled("cancelled by the user")

    def cancel(self) -> None:
        self._cancel.set()

    def run_process(
        self,
        argv: Sequence[str],
        *,
        on_line: Callable[[str], None] | None = None,
        timeout: float | None = None,
        cwd: Path | None = None,
    ) -> int:
        return run_killable(argv, is_cancelled=self.cancelled, on_line=on_line, timeout=timeout, cwd=cwd)


# --------------------------------------------------------------------------- the runner's context
def workdir_for(settings: Settings, table: str, record_id: str) -> Path:
    """`<data_dir>/<table's workdir_root>/<id>/` (absolute), e.g. `<data_dir>/jobs/<id>/`."""
    return settings.data_dir.resolve() / TABLES[table].workdir_root / record_id


class LeaseLost(JobCancelled):
    """This worker no longer holds the job (its lease expired and someone else claimed it)."""


class WorkerStopping(JobCancelled):
    """The worker is shutting down: the job is handed back to the queue, not cancelled."""


class RunnerContext:
    """The database-backed `JobContext` the steps of a claimed job see.

    Besides the protocol it offers `db`, `record_id`, `table`, `kind`, `attempt`,
    `step_progress(fraction)` (progress within the current step, mapped onto the overall
    0-100 by the step weights) and `sleep(seconds)` (returns early, raising
    `JobCancelled`, when the job is cancelled).
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        spec: WorkTable,
        kind: WorkKind,
        record_id: str,
        worker_id: str,
        *,
        attempt: int = 1,
        stopping: threading.Event | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.spec = spec
        self.table = spec.name
        self.kind = kind
        self.record_id = record_id
        self.job_id = record_id
        self.worker_id = worker_id
        self.attempt = attempt
        self.workdir = workdir_for(settings, spec.name, record_id)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._cancel = threading.Event()
        self._lost = threading.Event()
        self._stopping = stopping or threading.Event()
        self._lock = threading.Lock()  # guards the buffers
        self._write_lock = threading.Lock()  # one write at a time, so log ids follow log order
        self._logs: list[tuple[str, str, datetime]] = []
        self._progress: float = 0.0
        self._step_label = ""
        self._dirty = False
        self._last_flush = 0.0
        self._step_base = 0.0
        self._step_span = 100.0
        self._done = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._live = live.publisher_for(settings)  # None without Redis
        self._published: tuple[int, str] = (-1, "")  # last (progress, step) sent live

    # -- JobContext protocol
    def log(self, message: str, level: str = "info") -> None:
        level = level.lower()
        if level not in LOG_LEVELS:
            level = "info"
        line = (level, str(message)[:MAX_LOG_LEN], utcnow())
        with self._lock:
            self._logs.append(line)
            due = len(self._logs) >= 200 or time.monotonic() - self._last_flush >= FLUSH_INTERVAL
        self._publish_line(line)
        if due:
            self.flush()

    def progress(self, percent: float, step: str | None = None) -> None:
        """Overall progress 0-100, kept inside the current step's share and never going back."""
        low, high = self._step_base, self._step_base + self._step_span
        value = max(low, min(high, float(percent)))
        with self._lock:
            if value > self._progress:
                self._progress = value
                self._dirty = True
            if step is not None and step[:64] != self._step_label:
                self._step_label = step[:64]
                self._dirty = True
            due = self._dirty and time.monotonic() - self._last_flush >= FLUSH_INTERVAL
        self._publish_progress()
        if due:
            self.flush()

    def step_progress(self, fraction: float, step: str | None = None) -> None:
        """Progress within the current step, 0.0-1.0."""
        fraction = max(0.0, min(1.0, float(fraction)))
        self.progress(self._step_base + fraction * self._step_span, step)

    def cancelled(self) -> bool:
        return self._cancel.is_set() or self._lost.is_set() or self._stopping.is_set()

    def check_cancelled(self) -> None:
        if self._lost.is_set():
            raise LeaseLost("this worker lost the job's lease")
        if self._cancel.is_set():
            raise JobCancelled("cancelled by the user")
        if self._stopping.is_set():
            raise WorkerStopping("the worker is shutting down")

    def run_process(
        self,
        argv: Sequence[str],
        *,
        on_line: Callable[[str], None] | None = None,
        timeout: float | None = None,
        cwd: Path | None = None,
    ) -> int:
        try:
            return run_killable(argv, is_cancelled=self.cancelled, on_line=on_line, timeout=timeout, cwd=cwd)
        except JobCancelled:
            self.check_cancelled()  # re-raise as the precise reason (lost lease, shutdown)
            raise

    # -- extras
    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            self.check_cancelled()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._cancel.wait(min(left, 0.1))

    def request_cancel(self) -> None:
        """Called in-process (same-process cancel, tests); the heartbeat does the same from the DB."""
        self._cancel.set()

    # -- runner internals
    def keep_progress_above(self, percent: float) -> None:
        """What the user already saw: progress stays there until the resumed work passes it."""
        with self._lock:
            self._progress = max(self._progress, min(100.0, float(percent)))

    def enter_step(self, name: str, base: float, span: float) -> None:
        with self._lock:
            self._step_base, self._step_span = base, span
            self._progress = max(self._progress, base)
            self._step_label = name[:64]
            self._dirty = True
        self._publish_progress()
        self.log(stored.text(messages.STEP_STARTED, step=name))
        self.flush()

    def flush(self) -> None:
        """Write buffered log lines and the latest progress in one short transaction."""
        with self._write_lock:
            with self._lock:
                lines, self._logs = self._logs, []
                dirty, self._dirty = self._dirty, False
                progress, label = int(self._progress), self._step_label
                self._last_flush = time.monotonic()
            if not lines and not dirty:
                return
            written = lease.write_progress(
                self.db,
                self.spec,
                self.record_id,
                self.worker_id,
                progress=progress if dirty else None,
                step=label,
                lines=lines,
            )
            if not written:
                self._lost.set()

    def mark_step_done(self, name: str, done: list[str], progress: float) -> None:
        with self._write_lock:
            with self._lock:
                self._progress = max(self._progress, progress)
                progress = self._progress
                lines, self._logs = self._logs, []
                self._dirty = False
                self._last_flush = time.monotonic()
            lines.append(("info", stored.text(messages.STEP_FINISHED, step=name), utcnow()))
            self._publish_line(lines[-1])
            self._publish_progress()
            if not lease.write_step_done(
                self.db, self.spec, self.record_id, self.worker_id, steps_done=done, progress=int(progress), lines=lines
            ):
                self._lost.set()
                raise LeaseLost("this worker lost the job's lease")

    # -- live progress (Redis pub/sub): at once, never blocking; the database writes stay the truth
    def _publish_progress(self) -> None:
        if self._live is None:
            return
        with self._lock:
            now = (int(self._progress), self._step_label)
            if now == self._published:
                return
            self._published = now
        self._live.publish(
            self.record_id, {"t": "progress", "progress": now[0], "step": now[1], "attempt": self.attempt}
        )

    def _publish_line(self, line: tuple[str, str, datetime]) -> None:
        if self._live is not None:
            level, message, at = line
            self._live.publish(
                self.record_id,
                {
                    "t": "line",
                    "level": level,
                    "message": message,
                    "created_at": at.isoformat(),
                    "attempt": self.attempt,
                },
            )

    def start_heartbeat(self) -> None:
        self._heartbeat = threading.Thread(target=self._beat, name=f"lease-{self.record_id[:8]}", daemon=True)
        _RUNNING[self.record_id] = self
        self._heartbeat.start()

    def stop_heartbeat(self) -> None:
        self._done.set()
        _RUNNING.pop(self.record_id, None)
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)

    def _beat(self) -> None:
        lease_seconds = self.settings.job_lease_seconds
        renew_every = max(0.2, lease_seconds / 3)
        last_renew = time.monotonic()
        last_poll = 0.0
        while not self._done.wait(min(FLUSH_INTERVAL / 2, renew_every)):
            try:
                if (self._dirty or self._logs) and time.monotonic() - self._last_flush >= FLUSH_INTERVAL:
                    self.flush()
                if time.monotonic() - last_poll < CANCEL_POLL:
                    continue
                last_poll = time.monotonic()
                row = lease.poll(self.db, self.spec, self.record_id)
                if row is None or row.worker_id != self.worker_id or row.status != "processing":
                    self._lost.set()
                    return
                if row.cancel_requested:
                    self._cancel.set()
                if time.monotonic() - last_renew >= renew_every:
                    if not lease.renew(self.db, self.spec, self.record_id, self.worker_id, lease_seconds):
                        self._lost.set()
                        return
                    last_renew = time.monotonic()
            except Exception:
                log.warning("heartbeat of %s failed", self.record_id, exc_info=True)


# Contexts running in this process, so a same-process cancel can reach them at once.
_RUNNING: dict[str, RunnerContext] = {}


def signal_cancel(record_id: str) -> bool:
    """Tell a job running in this process that it was cancelled (the DB flag is the source of truth)."""
    ctx = _RUNNING.get(record_id)
    if ctx is None:
        return False
    ctx.request_cancel()
    return True
