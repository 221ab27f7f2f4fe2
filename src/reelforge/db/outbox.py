"""The after-commit outbox of a unit of work.

Work meant for other processes (a queue message, an e-mail, a file removal) must never
describe a row that was not committed. Whoever decides such work (a service, a flow, a
job step) registers it with `after_commit(db, fn)`; it runs once the session's outermost
transaction commits and is dropped if that transaction (or the savepoint it was
registered in) rolls back. The HTTP layers therefore never dispatch anything by hand.

The list lives in `Session.info`, so it follows the session whichever thread commits it
(a request's session is created, used and committed on different thread-pool threads).
A callback that raises is logged and does not stop the others: the commit already happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_PENDING = "reelforge.outbox"  # list of callbacks waiting for the commit
_MARKS = "reelforge.outbox.marks"  # savepoint -> length of the list when it began


def after_commit(db: Session, fn: Callable[[], object]) -> None:
    """Run `fn` after the current transaction of `db` commits; never on rollback."""
    if not db.in_transaction():
        db.begin()  # so a rollback with no statement in between still drops `fn`
    db.info.setdefault(_PENDING, []).append(fn)


def pending(db: Session) -> int:
    """How many callbacks wait for the commit (for tests and assertions)."""
    return len(db.info.get(_PENDING, ()))


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(db: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        db.info.setdefault(_MARKS, {})[id(transaction)] = len(db.info.get(_PENDING, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(db: Session, previous: SessionTransaction) -> None:
    marks: dict[int, int] = db.info.get(_MARKS, {})
    if previous.nested:
        keep = marks.pop(id(previous), None)
        if keep is not None and _PENDING in db.info:
            del db.info[_PENDING][keep:]
    elif previous.parent is None:
        db.info.pop(_PENDING, None)
        marks.clear()


@event.listens_for(Session, "after_commit")
def _run_callbacks(db: Session) -> None:
    callbacks = db.info.pop(_PENDING, None) or []
    db.info.pop(_MARKS, None)
    for fn in callbacks:
        try:
            fn()
        except Exception:
            log.exception("after-commit work failed: %r", fn)
