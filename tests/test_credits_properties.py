"""Property test: any interleaving of top-ups, debits, refunds and adjustments keeps the books.

Hypothesis generates sequences of operations for two users; each operation is its own unit
of work against the real database. A plain Python model predicts every outcome (success,
402, 409, "already refunded"); after each sequence the balances match the model and the
ledger audit (the `doctor --ledger` check) is clean.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelforge.credits import service as credits
from reelforge.credits.audit import audit_database
from reelforge.db.engine import Database
from reelforge.errors import Conflict, PaymentRequired, TooManyRequests

pytestmark = pytest.mark.slow  # hypothesis interleavings

_people: dict[str, Any] = {}
user_idx = st.integers(0, 1)
operation = st.one_of(
    st.tuples(st.just("topup"), user_idx, st.integers(100, 5000), st.booleans()),  # approve or reject
    st.tuples(st.just("debit"), user_idx, st.integers(0, 3000)),
    st.tuples(st.just("refund"), st.integers(0, 50)),  # index into the debits made so far
    st.tuples(st.just("adjust"), user_idx, st.integers(-3000, 3000).filter(bool)),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_any_interleaving_keeps_the_invariants(db: Database, make_user, ops: list[tuple[Any, ...]]) -> None:  # type: ignore[no-untyped-def]
    # The accounts persist across examples (creating them hashes passwords, which is slow);
    # each example starts from the balances the previous ones left.
    if not _people:
        _people.update(admin=make_user(admin=True), users=[make_user(), make_user()], db=db)
    elif _people["db"] is not db:  # a new database (the other parametrisation)
        _people.clear()
        _people.update(admin=make_user(admin=True), users=[make_user(), make_user()], db=db)
    admin, users = _people["admin"], _people["users"]
    with db.session() as s:
        expected = [credits.balance(s, u.id) for u in users]
    debits: list[tuple[str, int, int]] = []  # (ledger id, user index, amount)
    refunded: set[str] = set()

    for op in ops:
        kind = op[0]
        if kind == "topup":
            _, u, amount, approve = op
            try:
                with db.session() as s:
                    req = credits.request_topup(s, users[u].id, amount, note="property")
            except TooManyRequests:  # never: each request is handled at once
                raise AssertionError("pending limit hit although every request was handled") from None
            with db.session() as s:
                if approve:
                    row = credits.approve_topup(s, req.id, admin_id=admin.id)
                    expected[u] += amount
                    assert row.balance_after == expected[u]
                else:
                    credits.reject_topup(s, req.id, admin_id=admin.id, memo="no transfer")
            try:  # a second decision is always refused
                with db.session() as s:
                    credits.approve_topup(s, req.id, admin_id=admin.id)
                raise AssertionError("a handled request was approved again")
            except Conflict:
                pass
        elif kind == "debit":
            _, u, amount = op
            try:
                with db.session() as s:
                    row = credits.debit(s, users[u].id, amount, description="property")
                assert expected[u] >= amount
                expected[u] -= amount
                assert row.balance_after == expected[u]
                debits.append((row.id, u, amount))
            except PaymentRequired as exc:
                assert expected[u] < amount
                assert exc.extra == {"balance": expected[u], "price": amount}
        elif kind == "refund":
            if not debits:
                continue
            debit_id, u, amount = debits[op[1] % len(debits)]
            with db.session() as s:
                result = credits.refund(s, debit_id, description="property")
            if debit_id in refunded:
                assert result is None
            else:
                assert result is not None and result.amount == amount
                refunded.add(debit_id)
                expected[u] += amount
        else:
            _, u, amount = op
            try:
                with db.session() as s:
                    credits.grant(s, users[u].id, amount, reason="property", admin_id=admin.id)
                assert expected[u] + amount >= 0
                expected[u] += amount
            except Conflict:
                assert expected[u] + amount < 0

    with db.session() as s:
        assert [credits.balance(s, u.id) for u in users] == expected
    report = audit_database(db)
    assert report.ok, report.breaches
