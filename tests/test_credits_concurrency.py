"""Many writers at once: debits, approvals and refunds race and the books still balance.

Real threads (and real processes) against real SQLite files and a real PostgreSQL server,
each with its own connection and unit of work.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from reelforge.credits import service as credits
from reelforge.credits.audit import audit_database
from reelforge.credits.models import CreditHistory
from reelforge.db.engine import Database
from reelforge.errors import Conflict, PaymentRequired
from tests.factories import funded_user

pytestmark = pytest.mark.slow  # many concurrent writers

PRICE = 7
ATTEMPTS = 200
COVERED = 137
REMAINDER = 5  # the balance covers exactly 137 debits of 7, plus 5 left over


def race(n: int, fn: Callable[[int], str], workers: int = 16) -> Counter[str]:
    """Run fn(0..n-1) on `workers` threads released together; count the outcomes."""
    gate = threading.Barrier(min(n, workers))

    def run(i: int) -> str:
        if i < workers:
            gate.wait(timeout=30)
        return fn(i)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return Counter(pool.map(run, range(n)))


@pytest.fixture
def admin(make_user):  # type: ignore[no-untyped-def]
    return make_user(admin=True)


def _debit_once(db: Database, user_id: str, i: int) -> str:
    try:
        with db.session() as s:
            credits.debit(s, user_id, PRICE, description=f"debit {i}")
        return "ok"
    except PaymentRequired:
        return "402"


def test_200_concurrent_debits_exactly_137_succeed(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user = funded_user(db, admin_id=admin.id, reason="test funds", amount=COVERED * PRICE + REMAINDER)
    outcomes = race(ATTEMPTS, lambda i: _debit_once(db, user.id, i))
    assert outcomes == Counter({"ok": COVERED, "402": ATTEMPTS - COVERED})
    with db.session() as s:
        assert credits.balance(s, user.id) == REMAINDER
        uses = s.scalar(select(func.count()).where(CreditHistory.type == "use", CreditHistory.user_id == user.id))
        assert uses == COVERED
    report = audit_database(db)
    assert report.ok, report.breaches
    assert report.rows == COVERED + 1


def _process_worker(url: str, user_id: str, n: int, start: Any, out: Any) -> None:
    db = Database(url)
    start.wait(30)
    results = Counter(_debit_once(db, user_id, i) for i in range(n))
    db.dispose()
    out.put(dict(results))


def test_concurrent_debits_from_processes(db: Database, db_url: str, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    """The same race across 4 OS processes (separate engines, as with several workers)."""
    user = funded_user(db, admin_id=admin.id, reason="test funds", amount=60 * PRICE + 3)
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_process_worker, args=(db_url, user.id, 25, start, out)) for _ in range(4)]
    for p in procs:
        p.start()
    start.set()
    total: Counter[str] = Counter()
    for _ in procs:
        total.update(out.get(timeout=120))
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert total == Counter({"ok": 60, "402": 40})
    with db.session() as s:
        assert credits.balance(s, user.id) == 3
    assert audit_database(db).ok


def test_concurrent_approve_twice(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    admin2 = make_user(admin=True)
    users = [make_user() for _ in range(3)]
    reqs = []
    with db.session() as s:
        for u in users:
            for amount in (100, 250):
                reqs.append(credits.request_topup(s, u.id, amount).id)

    def approve(i: int) -> str:
        # Each request gets two approvers racing (and a third trying to reject it).
        req_id = reqs[i // 3]
        try:
            with db.session() as s:
                if i % 3 == 2:
                    credits.reject_topup(s, req_id, admin_id=admin.id, memo="race")
                else:
                    credits.approve_topup(s, req_id, admin_id=(admin, admin2)[i % 3].id)
            return "won"
        except Conflict:
            return "conflict"

    outcomes = race(len(reqs) * 3, approve, workers=len(reqs) * 3)
    assert outcomes == Counter({"won": len(reqs), "conflict": 2 * len(reqs)})
    with db.session() as s:
        charges = s.scalars(select(CreditHistory).where(CreditHistory.type == "charge")).all()
        approved = {r.id for r in credits.list_requests(s, status="approved")}
        assert {c.charge_request_id for c in charges} == approved
        for u in users:
            want = sum(c.amount for c in charges if c.user_id == u.id)
            assert credits.balance(s, u.id) == want
    assert audit_database(db).ok


def test_concurrent_refund_twice(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    from reelforge.jobs.models import Job

    user = funded_user(db, admin_id=admin.id, reason="test funds", amount=1000)
    debits = []
    with db.session() as s:
        for i in range(8):
            job = Job(user_id=user.id, type="shortform", title=f"j{i}", status="failed")
            s.add(job)
            s.flush()
            d = credits.debit(s, user.id, 50, description="video", job_id=job.id)
            job.debit_id = d.id
            debits.append(d.id)

    def refund(i: int) -> str:
        with db.session() as s:
            # The outer unit of work also records something; it must commit either way.
            s.execute(text("SELECT 1"))
            r = credits.refund(s, debits[i // 3], description="failed")
        return "refunded" if r is not None else "none"

    outcomes = race(len(debits) * 3, refund, workers=len(debits) * 3)
    assert outcomes == Counter({"refunded": len(debits), "none": 2 * len(debits)})
    with db.session() as s:
        assert credits.balance(s, user.id) == 1000
    report = audit_database(db)
    assert report.ok, report.breaches


def test_concurrent_same_idempotency_key_debits_once(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user = funded_user(db, admin_id=admin.id, reason="test funds", amount=1000)

    def attempt(i: int) -> str:
        try:
            with db.session() as s:
                if credits.find_debit_by_idempotency_key(s, user.id, "same-key") is not None:
                    return "replayed"
                credits.debit(s, user.id, 100, description="x", idempotency_key="same-key")
            return "charged"
        except Conflict:
            return "replayed"

    outcomes = race(10, attempt, workers=10)
    assert outcomes == Counter({"charged": 1, "replayed": 9})
    with db.session() as s:
        assert credits.balance(s, user.id) == 900
    assert audit_database(db).ok


# ---------------------------------------------------------------- doctor --ledger finds breaches
def _doctor(db_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELFORGE_")}
    env.update({"REELFORGE_DATA_DIR": str(tmp_path / "data"), "REELFORGE_DATABASE_URL": db_url, "COLUMNS": "250"})
    return subprocess.run(
        [sys.executable, "-m", "reelforge", "doctor", "--ledger"], env=env, capture_output=True, text=True, timeout=120
    )


def test_doctor_ledger_clean_then_each_breach(db: Database, db_url: str, make_user, admin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from reelforge.jobs.models import Job

    user = funded_user(db, admin_id=admin.id, reason="test funds", amount=500)
    with db.session() as s:
        job = Job(user_id=user.id, type="longform", title="j")
        s.add(job)
        s.flush()
        d = credits.debit(s, user.id, 150, description="video", job_id=job.id)
        job.debit_id = d.id
    out = _doctor(db_url, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 ledger rows" in out.stdout and "consistent" in out.stdout

    # 1. The job failed and nobody refunded it.
    with db.session() as s:
        s.get(Job, job.id).status = "failed"  # type: ignore[union-attr]
    report = audit_database(db)
    assert any("never refunded" in b or "0 refunds" in b for b in report.breaches), report.breaches
    out = _doctor(db_url, tmp_path)
    assert out.returncode == 1 and "FAIL" in out.stdout and job.id in out.stdout
    with db.session() as s:
        credits.refund(s, d.id, description="failed")
    assert audit_database(db).ok

    # 2. Someone edits a balance by hand (the CHECK allows it; the audit does not).
    with db.session() as s:
        s.execute(text("UPDATE users SET credits = credits + 5 WHERE id = :id"), {"id": user.id})
    breaches = audit_database(db).breaches
    assert any("ledger sums to 500" in b for b in breaches), breaches
    assert any("last balance_after is 500" in b for b in breaches), breaches
    out = _doctor(db_url, tmp_path)
    assert out.returncode == 1 and "difference 5" in out.stdout
    with db.session() as s:
        s.execute(text("UPDATE users SET credits = credits - 5 WHERE id = :id"), {"id": user.id})

    # 3. A ledger row whose balance_after does not chain.
    with db.session() as s:
        s.execute(text("UPDATE credit_history SET balance_after = 351 WHERE id = :id"), {"id": d.id})
    breaches = audit_database(db).breaches
    assert any("says balance 351, but 500 -150 = 350" in b for b in breaches), breaches


def test_concurrent_topup_requests_respect_the_pending_limit(db: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    from reelforge.errors import TooManyRequests

    user = make_user()

    def ask(i: int) -> str:
        try:
            with db.session() as s:
                credits.request_topup(s, user.id, 1000 + i)
            return "created"
        except TooManyRequests:
            return "429"

    outcomes = race(12, ask, workers=12)
    assert outcomes == Counter({"created": credits.TOPUP_MAX_PENDING, "429": 12 - credits.TOPUP_MAX_PENDING})
    with db.session() as s:
        assert len(credits.list_requests(s, user_id=user.id, status="pending")) == credits.TOPUP_MAX_PENDING


def test_approve_races_withdraw(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    """The admin approves while the user withdraws: exactly one wins, and credits match the outcome."""
    user = make_user()
    with db.session() as s:
        ids = [credits.request_topup(s, user.id, 500).id for _ in range(3)]

    def act(i: int) -> str:
        rid = ids[i // 2]
        try:
            with db.session() as s:
                if i % 2:
                    credits.cancel_topup(s, user.id, rid)
                else:
                    credits.approve_topup(s, rid, admin_id=admin.id)
            return "won"
        except Conflict:
            return "lost"

    assert race(6, act, workers=6) == Counter({"won": 3, "lost": 3})
    with db.session() as s:
        approved = credits.list_requests(s, user_id=user.id, status="approved")
        assert credits.balance(s, user.id) == 500 * len(approved)
    assert audit_database(db).ok
