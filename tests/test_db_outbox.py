"""The unit of work's after-commit outbox: work for other processes runs only after a commit."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from reelforge.db.outbox import after_commit, pending


def test_runs_after_commit_in_order(db) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []
    with db.session() as s:
        s.execute(text("SELECT 1"))
        after_commit(s, lambda: ran.append("first"))
        after_commit(s, lambda: ran.append("second"))
        assert pending(s) == 2
        assert ran == []  # nothing before the commit
    assert ran == ["first", "second"]


def test_dropped_on_rollback(db) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []
    with pytest.raises(ValueError), db.session() as s:
        after_commit(s, lambda: ran.append("never"))
        raise ValueError("the unit of work fails")
    assert ran == []


def test_a_rolled_back_savepoint_drops_only_its_own_work(db) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []
    with db.session() as s:
        after_commit(s, lambda: ran.append("outer"))
        try:
            with s.begin_nested():
                after_commit(s, lambda: ran.append("inner"))
                raise RuntimeError("inner step fails")
        except RuntimeError:
            pass
        with s.begin_nested():
            after_commit(s, lambda: ran.append("kept savepoint"))
    assert ran == ["outer", "kept savepoint"]


def test_a_failing_callback_is_logged_and_the_rest_still_run(db, caplog) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []

    def broken() -> None:
        raise OSError("mail server down")

    with caplog.at_level(logging.ERROR, logger="reelforge.db.outbox"), db.session() as s:
        after_commit(s, broken)
        after_commit(s, lambda: ran.append("after the broken one"))
    assert ran == ["after the broken one"]
    assert "after-commit work failed" in caplog.text


def test_a_second_transaction_on_the_same_session_has_its_own_list(db) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []
    s = db.new_session()
    try:
        after_commit(s, lambda: ran.append("one"))
        s.commit()
        after_commit(s, lambda: ran.append("two"))
        s.rollback()
        s.commit()
    finally:
        s.close()
    assert ran == ["one"]
