"""The CLI as a user runs it: real subprocesses against a real data folder."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

RF = [sys.executable, "-m", "reelforge"]


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELFORGE_")}
    env.update({"REELFORGE_DATA_DIR": str(data), "COLUMNS": "200", **extra})
    return env


@pytest.mark.slow
def test_db_commands_and_doctor(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    out = subprocess.run([*RF, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([*RF, "db", "current"], env=env, capture_output=True, text=True, timeout=60)
    from reelforge.db import migrate

    head = migrate.head_revision()  # whatever the newest migration is, not a fixed name
    assert out.returncode == 0 and f"current: {head}" in out.stdout and f"head: {head}" in out.stdout
    out = subprocess.run([*RF, "doctor"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ffmpeg" in out.stdout
    conn = sqlite3.connect(tmp_path / "data" / "reelforge.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    out = subprocess.run([*RF, "db", "downgrade", "base"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    out = subprocess.run([*RF, "db", "current"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1  # behind head
    out = subprocess.run([*RF, "doctor"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "db upgrade" in out.stdout


@pytest.mark.slow
def test_admin_create_from_stdin(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    out = subprocess.run(
        [*RF, "admin", "create", "Boss@Example.com", "--password-stdin"],
        input="correct horse battery\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    conn = sqlite3.connect(tmp_path / "data" / "reelforge.db")
    email, is_admin, pw = conn.execute("SELECT email, is_admin, password_hash FROM users").fetchone()
    assert (email, is_admin) == ("boss@example.com", 1) and pw.startswith("$argon2id$")
    out = subprocess.run(
        [*RF, "admin", "create", "boss@example.com", "--password-stdin"],
        input="another good passphrase\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1 and "already exists" in out.stderr
    out = subprocess.run(
        [*RF, "admin", "create", "x@example.com", "--password-stdin"],
        input="short\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1 and "at least 10" in out.stderr


@pytest.mark.slow
def test_serve_first_start_prints_admin_once(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path / "data", REELFORGE_PORT=str(port))
    proc = subprocess.Popen([*RF, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("server did not come up")
        assert httpx.get(f"http://127.0.0.1:{port}/api/docs").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=30)[0]
    assert "admin@example.com" in output and "password:" in output
    conn = sqlite3.connect(tmp_path / "data" / "reelforge.db")
    stored = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    credits = conn.execute("SELECT credits FROM users").fetchone()[0]
    ledger = conn.execute("SELECT type, amount, balance_after FROM credit_history").fetchall()
    assert credits == 10000 and ledger == [("adjust", 10000, 10000)]
    conn.close()
    printed = output.split("password:")[1].split()[0]
    assert printed not in stored and stored.startswith("$argon2id$")
    assert (tmp_path / "data" / "secret.key").stat().st_mode & 0o077 == 0
