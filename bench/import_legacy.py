"""Legacy import speed: a generated legacy folder with many users and a long ledger.

Usage: .venv/bin/python bench/import_legacy.py [--users 10000] [--ledger 1000000] [--db URL]
Writes a folder with the shared generator (../shared/legacy/make_legacy.py), replaces its
credit_history.json with `--ledger` rows (whole balance chains, spread over the users),
then imports it into a fresh SQLite file (or the database at --db, which should be empty and
migrated) and prints the seconds for generation, the import, and rows per second.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reelforge.config import Settings
from reelforge.db import migrate
from reelforge.db.engine import Database
from reelforge.legacy.flows import run_import

# ../shared next to the repository (or next to the folder holding its worktrees)
GENERATOR = next(
    (p / "shared" / "legacy" / "make_legacy.py" for p in Path(__file__).resolve().parents if (p / "shared").is_dir()),
    Path("make_legacy.py"),
)


def long_ledger(folder: Path, rows: int, seed: int) -> None:
    users = json.loads((folder / "users.json").read_text(encoding="utf-8"))
    r = random.Random(seed)
    per_user = max(1, rows // len(users))
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    history = []
    for u in users:
        balance = 0
        t = t0
        for _ in range(per_user):
            amount = 1000 if balance < 150 else -r.choice([100, 150])
            balance += amount
            t += timedelta(minutes=r.randint(1, 300))
            history.append(
                {
                    "id": str(uuid.UUID(int=r.getrandbits(128), version=4)),
                    "userId": u["id"],
                    "type": "charge" if amount > 0 else "use",
                    "amount": amount,
                    "balance": balance,
                    "description": "크레딧 충전 승인" if amount > 0 else "영상 생성",
                    "createdAt": t.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                }
            )
        u["credits"] = balance
    (folder / "users.json").write_text(json.dumps(users, ensure_ascii=False), encoding="utf-8")
    (folder / "credit_history.json").write_text(json.dumps(history, ensure_ascii=False), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--ledger", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--db", default="")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, str(GENERATOR), str(folder), "--seed", str(a.seed), "--users", str(a.users)],
            check=True,
            capture_output=True,
        )
        long_ledger(folder, a.ledger, a.seed)
        print(f"generated {a.users} users, {a.ledger} ledger rows in {time.perf_counter() - t:.1f} s")
        url = a.db or f"sqlite:///{tmp}/bench.db"
        db = Database(url)
        migrate.upgrade(db.engine)
        settings = Settings(
            env="test", data_dir=Path(tmp) / "rf", database_url=url, secret_key="b" * 48, _env_file=None
        )
        t = time.perf_counter()
        report = run_import(db, settings, folder)
        took = time.perf_counter() - t
        counts = report.as_dict()["entities"]
        rows = sum(c["imported"] for c in counts.values())
        print(f"import ({db.dialect}): {took:.1f} s, {rows} rows imported, {rows / took:,.0f} rows/s")
        print(f"  users {counts['users']['imported']}, ledger {counts['credit_history']['imported']}")
        t = time.perf_counter()
        again = run_import(db, settings, folder)
        imported_again = sum(c["imported"] for c in again.as_dict()["entities"].values())
        print(f"second run (no-op): {time.perf_counter() - t:.1f} s, imported {imported_again}")
        db.dispose()


if __name__ == "__main__":
    main()
