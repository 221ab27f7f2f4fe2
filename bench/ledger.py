"""Ledger benchmark: debits per second with N concurrent writers, on SQLite and PostgreSQL.

Each writer is its own OS process with its own engine (like separate API/worker
processes) and does one unit of work per debit: the conditional UPDATE of users.credits,
the ledger row, the commit. Two shapes are measured:

  hot   all writers debit the same user (one row lock / one balance: the worst case)
  spread each writer debits its own user

After each run the ledger audit (`reelforge doctor --ledger`) must be clean and every
balance must be exactly start - debits * price, or the run fails.

Usage:
  .venv/bin/python bench/ledger.py                              # SQLite only
  .venv/bin/python bench/ledger.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
  REELFORGE_BENCH_POSTGRES_URL=... .venv/bin/python bench/ledger.py --writers 8 --debits 500

For PostgreSQL a scratch database is created on that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reelforge.accounts.service import create_user
from reelforge.credits import service as credits
from reelforge.credits.audit import audit_database
from reelforge.db import migrate
from reelforge.db.engine import Database

PRICE = 7


def _writer(url: str, user_id: str, n: int, ready: Any, go: Any, out: Any) -> None:
    db = Database(url, pool_size=1)
    with db.session() as s:  # warm the connection before the clock starts
        credits.balance(s, user_id)
    ready.put(1)
    go.wait(60)
    ok = short = 0
    t0 = time.perf_counter()
    for i in range(n):
        try:
            with db.session() as s:
                credits.debit(s, user_id, PRICE, description=f"bench {i}")
            ok += 1
        except credits.PaymentRequired:
            short += 1
    out.put((ok, short, time.perf_counter() - t0))
    db.dispose()


def run(url: str, label: str, writers: int, per_writer: int, shape: str) -> dict[str, Any]:
    db = Database(url)
    with db.session() as s:
        admin = create_user(s, f"admin-{uuid.uuid4().hex[:8]}@example.com", "bench-passphrase-1", is_admin=True)
        n_users = 1 if shape == "hot" else writers
        users = [
            create_user(s, f"u{i}-{uuid.uuid4().hex[:8]}@example.com", "bench-passphrase-1", email_verified=True)
            for i in range(n_users)
        ]
    start_balance = PRICE * per_writer * writers + 3
    with db.session() as s:
        for u in users:
            credits.grant(s, u.id, start_balance, reason="bench funds", admin_id=admin.id)

    ctx = mp.get_context("fork")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=_writer, args=(url, users[i % n_users].id, per_writer, ready, go, out))
        for i in range(writers)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    t0 = time.perf_counter()
    go.set()
    results = [out.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join(30)
    ok = sum(r[0] for r in results)
    short = sum(r[1] for r in results)

    report = audit_database(db)
    with db.session() as s:
        balances = [credits.balance(s, u.id) for u in users]
    per_user = writers // n_users
    expected = [start_balance - PRICE * per_writer * per_user] * n_users
    db.dispose()
    good = report.ok and balances == expected and short == 0 and ok == writers * per_writer
    return {
        "db": label,
        "shape": shape,
        "writers": writers,
        "debits": ok,
        "seconds": wall,
        "rate": ok / wall,
        "invariants": "ok" if good else f"BROKEN: audit={report.breaches[:3]} balances={balances} want={expected}",
    }


def _pg_scratch(server_url: str) -> tuple[str, Any]:
    admin_url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"reelforge_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return url, drop


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--debits", type=int, default=500, help="debits per writer")
    ap.add_argument(
        "--pg",
        default=os.environ.get("REELFORGE_BENCH_POSTGRES_URL") or os.environ.get("REELFORGE_TEST_POSTGRES_URL", ""),
        help="PostgreSQL server URL (a scratch database is created there)",
    )
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--shapes", default="hot,spread")
    args = ap.parse_args()

    rows = []
    shapes = [s for s in args.shapes.split(",") if s]
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            for shape in shapes:
                url = f"sqlite:///{Path(tmp) / f'bench-{shape}.db'}"
                migrate.upgrade(Database(url).engine)
                rows.append(run(url, "sqlite", args.writers, args.debits, shape))
    if args.pg:
        for shape in shapes:
            url, drop = _pg_scratch(args.pg)
            try:
                migrate.upgrade(Database(url).engine)
                rows.append(run(url, "postgresql", args.writers, args.debits, shape))
            finally:
                drop()
    else:
        print("PostgreSQL skipped: pass --pg URL or set REELFORGE_BENCH_POSTGRES_URL", file=sys.stderr)

    print(f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.2f} price={PRICE}")
    print(f"{'db':<11}{'shape':<8}{'writers':>8}{'debits':>8}{'seconds':>9}{'debits/s':>10}  invariants")
    for r in rows:
        print(
            f"{r['db']:<11}{r['shape']:<8}{r['writers']:>8}{r['debits']:>8}{r['seconds']:>9.2f}{r['rate']:>10.0f}  "
            f"{r['invariants']}"
        )
    return 0 if all(r["invariants"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
