"""What a job step sees while it runs: logging, progress, cancellation and killable child processes.

Steps (script writing, rendering, uploading) are written against the `JobContext`
protocol, so the same code runs under the durable job runner (progress and logs go to
the database, cancellation comes from `cancel_requested`) and under the CLI
(`reelforge generate`, progress goes to a Rich bar). `LocalContext` is the in-process
implementation the CLI and unit tests use; the runner provides a database-backed one.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from reelforge.config import Settings
from reelforge.errors import JobCancelled, TransientError

log = logging.getLogger(__name__)


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
        list(argv),
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
