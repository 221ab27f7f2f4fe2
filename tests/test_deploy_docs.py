"""docs/deploy.md and deploy/ agree with the code, and the backup tool it names makes consistent copies."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import check_deploy  # noqa: E402
import sqlite_backup  # noqa: E402

pytestmark = pytest.mark.slow  # runs the guide's commands


def test_the_deployment_guide_names_only_real_commands_settings_and_files() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_deploy.py")], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok:")


def test_the_checker_catches_what_does_not_exist() -> None:
    assert check_deploy.check_command(["no-such-command"]) is not None
    assert check_deploy.check_command(["db", "current"]) is None
    found = check_deploy.commands_in_doc("```sh\nsudo reelforge worker --threads 1  # x\ncd /opt/reelforge && x\n```")
    assert found == [["worker"]]
    assert "REELFORGE_NOT_A_SETTING" not in check_deploy.settings_names()
    assert "REELFORGE_S3_BUCKET" in check_deploy.settings_names()


def test_sqlite_backup_is_consistent_while_a_writer_writes(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    conn = sqlite3.connect(source)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, balance INTEGER NOT NULL)")
    conn.commit()
    stop = threading.Event()

    def write() -> None:
        writer = sqlite3.connect(source, timeout=30)
        balance = 0
        while not stop.is_set():
            balance += 7
            writer.execute("INSERT INTO ledger (amount, balance) VALUES (7, ?)", (balance,))
            writer.commit()
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        for n in range(3):
            target = tmp_path / f"copy-{n}.db"
            assert sqlite_backup.backup(source, target) > 0
            copy = sqlite3.connect(target)
            rows, total, last = copy.execute(
                "SELECT count(*), coalesce(sum(amount), 0), max(balance) FROM ledger"
            ).fetchone()
            copy.close()
            assert total == 7 * rows and (last or 0) == total  # every committed row, none half-written
            assert target.stat().st_mode & 0o777 == 0o600
    finally:
        stop.set()
        thread.join()
        conn.close()
