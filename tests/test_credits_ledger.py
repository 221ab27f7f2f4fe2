"""The credits service contract: debit, refund, idempotency keys, balance, grant, prices.

Every test runs on SQLite and PostgreSQL (the `db` fixture) and ends with the ledger audit.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from reelforge.accounts.models import User
from reelforge.credits import service as credits
from reelforge.credits.audit import audit_database
from reelforge.credits.models import CreditHistory, SettingChange
from reelforge.db.engine import Database
from reelforge.errors import Conflict, Forbidden, InvalidInput, NotFound, PaymentRequired
from tests.factories import grant_credits


def assert_books_balance(db: Database) -> None:
    report = audit_database(db)
    assert report.ok, report.breaches


@pytest.fixture
def admin(make_user):  # type: ignore[no-untyped-def]
    return make_user(admin=True)


def test_debit_writes_balance_and_ledger_row(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 500, admin_id=admin.id, reason="test funds")
    with db.session() as s:
        row = credits.debit(s, user.id, 150, description="video: hello")
        assert (row.type, row.amount, row.balance_after) == ("use", -150, 350)
        # A User already loaded in the session sees the new balance too.
        assert s.get(User, user.id).credits == 350  # type: ignore[union-attr]
    with db.session() as s:
        assert credits.balance(s, user.id) == 350
        rows = s.scalars(select(CreditHistory).where(CreditHistory.user_id == user.id).order_by("seq")).all()
        assert [(r.seq, r.type, r.amount, r.balance_after) for r in rows] == [
            (1, "adjust", 500, 500),
            (2, "use", -150, 350),
        ]
        assert rows[0].created_by == admin.id
    assert_books_balance(db)


def test_debit_short_balance_is_402_with_balance_and_price(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 99, admin_id=admin.id, reason="test funds")
    with pytest.raises(PaymentRequired) as exc, db.session() as s:
        credits.debit(s, user.id, 100, description="script")
    assert exc.value.extra == {"balance": 99, "price": 100}
    assert exc.value.status == 402
    with db.session() as s:
        assert credits.balance(s, user.id) == 99
        assert s.scalar(select(CreditHistory).where(CreditHistory.type == "use")) is None


def test_debit_unverified_is_forbidden(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user(verified=False)
    grant_credits(db, user.id, 500, admin_id=admin.id, reason="test funds")
    with pytest.raises(Forbidden), db.session() as s:
        credits.debit(s, user.id, 100, description="script")
    with db.session() as s:
        assert credits.balance(s, user.id) == 500


def test_debit_disabled_account_is_forbidden(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 500, admin_id=admin.id, reason="test funds")
    with db.session() as s:
        s.execute(update(User).where(User.id == user.id).values(is_active=False))
    with pytest.raises(Forbidden), db.session() as s:
        credits.debit(s, user.id, 100, description="script")


def test_debit_refuses_bad_amounts(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 500, admin_id=admin.id, reason="test funds")
    for amount in (-1, 10**12, 1.5, "100", True, None):
        with pytest.raises(InvalidInput), db.session() as s:
            credits.debit(s, user.id, amount, description="x")  # type: ignore[arg-type]
    with db.session() as s:
        assert credits.balance(s, user.id) == 500


def test_debit_unknown_user_is_404(db: Database) -> None:
    with pytest.raises(NotFound), db.session() as s:
        credits.debit(s, "00000000-0000-0000-0000-000000000000", 1, description="x")


def test_debit_with_job_row_in_one_transaction(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    """The documented pattern: create the job, debit with its id, link it; a later failure undoes all."""
    from reelforge.jobs.models import Job

    user = make_user()
    grant_credits(db, user.id, 300, admin_id=admin.id, reason="test funds")
    with db.session() as s:
        job = Job(user_id=user.id, type="shortform", title="t")
        s.add(job)
        s.flush()
        d = credits.debit(s, user.id, credits.get_price(s, "video", "shortform"), description="video", job_id=job.id)
        job.debit_id = d.id
    with db.session() as s:
        assert credits.balance(s, user.id) == 150
        assert s.get(Job, job.id).debit_id == d.id  # type: ignore[union-attr]

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.session() as s:
        job2 = Job(user_id=user.id, type="shortform", title="t2")
        s.add(job2)
        s.flush()
        credits.debit(s, user.id, 150, description="video", job_id=job2.id)
        raise Boom
    with db.session() as s:
        assert credits.balance(s, user.id) == 150  # the failed unit of work took nothing
        assert s.get(Job, job2.id) is None
    assert_books_balance(db)


def test_refund_once_and_outer_transaction_survives(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    from reelforge.jobs.models import Job

    user = make_user()
    grant_credits(db, user.id, 200, admin_id=admin.id, reason="test funds")
    with db.session() as s:
        job = Job(user_id=user.id, type="longform", title="t")
        s.add(job)
        s.flush()
        d = credits.debit(s, user.id, 150, description="video", job_id=job.id)
        job.debit_id = d.id
    with db.session() as s:
        r = credits.refund(s, d.id, description="render failed")
        assert r is not None and (r.type, r.amount, r.balance_after, r.refund_of_id) == ("refund", 150, 200, d.id)
        assert r.job_id == job.id
        s.get(Job, job.id).status = "failed"  # type: ignore[union-attr]
    with db.session() as s:
        assert credits.refund(s, d.id, description="again") is None
        s.get(Job, job.id).error = "still recorded"  # type: ignore[union-attr]
    with db.session() as s:
        assert credits.balance(s, user.id) == 200
        assert s.get(Job, job.id).error == "still recorded"  # type: ignore[union-attr]
    assert_books_balance(db)


def test_refund_unique_constraint_is_the_guard(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    """Even code that bypasses the service cannot write a second refund of one debit."""
    user = make_user()
    grant_credits(db, user.id, 200, admin_id=admin.id, reason="test funds")
    with db.session() as s:
        d = credits.debit(s, user.id, 50, description="x")
    with db.session() as s:
        credits.refund(s, d.id, description="one")
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(CreditHistory(user_id=user.id, type="refund", amount=50, balance_after=250, refund_of_id=d.id))
        s.flush()


def test_refund_race_inside_savepoint_returns_none(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    """The IntegrityError path: a refund row appears between the check and the insert."""
    user = make_user()
    grant_credits(db, user.id, 200, admin_id=admin.id, reason="test funds")
    with db.session() as s:
        d = credits.debit(s, user.id, 50, description="x")
    orig = credits.refund_of
    calls = {"n": 0}

    def first_check_misses(session: Any, debit_id: str) -> Any:
        calls["n"] += 1
        return None if calls["n"] == 1 else orig(session, debit_id)

    with db.session() as s:
        assert credits.refund(s, d.id, description="winner") is not None
    credits.refund_of = first_check_misses  # type: ignore[assignment]
    try:
        with db.session() as s:
            assert credits.refund(s, d.id, description="loser") is None
            s.execute(text("SELECT 1"))  # the outer transaction is still usable
    finally:
        credits.refund_of = orig  # type: ignore[assignment]
    with db.session() as s:
        assert credits.balance(s, user.id) == 200
    assert_books_balance(db)


def test_refund_only_debits(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 200, admin_id=admin.id, reason="test funds")
    with db.session() as s:
        adj = s.scalar(select(CreditHistory).where(CreditHistory.user_id == user.id))
        assert adj is not None
        with pytest.raises(InvalidInput):
            credits.refund(s, adj.id, description="x")
        with pytest.raises(NotFound):
            credits.refund(s, "nope", description="x")


def test_idempotency_key(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user, other = make_user(), make_user()
    grant_credits(db, user.id, 500, admin_id=admin.id, reason="test funds")
    grant_credits(db, other.id, 500, admin_id=admin.id, reason="test funds")
    with db.session() as s:
        d = credits.debit(s, user.id, 100, description="x", idempotency_key="k-1")
    with db.session() as s:
        found = credits.find_debit_by_idempotency_key(s, user.id, "k-1")
        assert found is not None and found.id == d.id
        assert credits.find_debit_by_idempotency_key(s, other.id, "k-1") is None
    with pytest.raises(Conflict) as exc, db.session() as s:
        credits.debit(s, user.id, 100, description="x", idempotency_key="k-1")
    assert exc.value.extra["debit_id"] == d.id
    with db.session() as s:  # the same key is independent per user
        credits.debit(s, other.id, 100, description="x", idempotency_key="k-1")
        assert credits.balance(s, user.id) == 400
    with pytest.raises(InvalidInput), db.session() as s:
        credits.debit(s, user.id, 1, description="x", idempotency_key="x" * 500)


def test_grant_and_adjust_rules(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    with db.session() as s:
        credits.grant(s, user.id, 100, reason="welcome", admin_id=admin.id)
        credits.adjust(s, user.id, -40, reason="correction", admin_id=admin.id)
        assert credits.balance(s, user.id) == 60
    with pytest.raises(Conflict) as exc, db.session() as s:
        credits.grant(s, user.id, -61, reason="too much", admin_id=admin.id)
    assert exc.value.extra["balance"] == 60
    for bad in (0, 1.0, "5", 10**12):
        with pytest.raises(InvalidInput), db.session() as s:
            credits.grant(s, user.id, bad, reason="x", admin_id=admin.id)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput), db.session() as s:
        credits.grant(s, user.id, 5, reason="   ", admin_id=admin.id)
    with pytest.raises(Forbidden), db.session() as s:
        credits.grant(s, user.id, 5, reason="self-service", admin_id=user.id)
    with pytest.raises(NotFound), db.session() as s:
        credits.grant(s, "missing", 5, reason="x", admin_id=admin.id)
    assert_books_balance(db)


def test_balance_never_below_zero_in_the_database(db: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    with pytest.raises(IntegrityError), db.session() as s:
        s.execute(update(User).where(User.id == user.id).values(credits=-1))


def test_prices_defaults_overrides_and_log(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    with db.session() as s:
        assert credits.get_price(s, "script") == 100
        assert credits.get_price(s, "video") == 150
        assert credits.get_price(s, "video", "sora2") == 150
        credits.set_prices(s, admin_id=admin.id, video=200, video_types={"sora2": 500})
    with db.session() as s:
        assert credits.get_price(s, "video", "longform") == 200
        assert credits.get_price(s, "video", "sora2") == 500
        assert credits.get_price(s, "script", "sora2") == 100
        credits.set_prices(s, admin_id=admin.id, video_types={"sora2": None})
    with db.session() as s:
        assert credits.get_price(s, "video", "sora2") == 200
        log = s.scalars(select(SettingChange).order_by(SettingChange.id)).all()
        assert [(c.key, c.old_value, c.new_value, c.changed_by) for c in log] == [
            ("price.video", None, 200, admin.id),
            ("price.video.sora2", None, 500, admin.id),
            ("price.video.sora2", 500, None, admin.id),
        ]
        with pytest.raises(InvalidInput):
            credits.get_price(s, "video", "imax")
    for bad in ({"script": -1}, {"video": 1.5}, {"video_types": {"imax": 1}}, {"script": 10**9}):
        with pytest.raises(InvalidInput), db.session() as s:
            credits.set_prices(s, admin_id=admin.id, **bad)  # type: ignore[arg-type]
    with pytest.raises(Forbidden), db.session() as s:
        credits.set_prices(s, admin_id=user.id, script=1)


def test_orm_writes_of_credits_are_refused(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    """users.credits changes only with a ledger row: an ORM write (or a stale merge) fails loudly."""
    from reelforge.credits.models import LedgerBypass

    user = make_user()  # a detached copy holding credits=0
    grant_credits(db, user.id, 300, admin_id=admin.id, reason="test funds")
    with pytest.raises(LedgerBypass), db.session() as s:
        s.get(User, user.id).credits = 10**6  # type: ignore[union-attr]
    with pytest.raises(LedgerBypass), db.session() as s:
        s.merge(user)  # would write the stale 0 back over 300
    with db.session() as s:
        loaded = s.get(User, user.id)
        assert loaded is not None
        loaded.name = "renamed"  # other columns are fine
        credits.debit(s, user.id, 100, description="x")  # and the service keeps the loaded copy in step
        assert loaded.credits == 200
    with db.session() as s:
        assert credits.balance(s, user.id) == 200
    assert_books_balance(db)


def test_long_descriptions_are_clipped_not_refused(db: Database, make_user, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 100, admin_id=admin.id, reason="test funds")
    with db.session() as s:
        d = credits.debit(s, user.id, 10, description="긴 제목 " * 200)
        r = credits.refund(s, d.id, description="x" * 2000)
        assert len(d.description) == credits.MAX_DESCRIPTION and d.description.endswith("…")
        assert r is not None and len(r.description) == credits.MAX_DESCRIPTION
