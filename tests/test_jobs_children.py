"""A job's child processes (ffmpeg) die with the worker that started them, even on kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

WORKER = textwrap.dedent(
    """
    import sys, threading, time
    from reelforge.jobs.context import run_killable

    def step():  # what a render step does: run a long child and wait for it
        run_killable([sys.executable, "-c", "import time; time.sleep(120)"], is_cancelled=lambda: False)

    threading.Thread(target=step, daemon=True).start()
    print("started", flush=True)
    time.sleep(120)
    """
)


def _children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_kill_9_of_the_worker_takes_its_ffmpeg_with_it() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    worker = subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE, text=True)
    children: list[int] = []
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 20
        while not children and time.monotonic() < deadline:
            children = _children_of(worker.pid)
            time.sleep(0.05)
        assert children, "the step's child process did not start"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(c) for c in children), "the child outlived its killed worker"
    finally:
        if worker.poll() is None:
            worker.kill()
        for c in children:  # never leave one behind, whatever failed
            if _alive(c):
                os.kill(c, signal.SIGKILL)
