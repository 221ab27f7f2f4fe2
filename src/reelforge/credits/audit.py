"""`reelforge doctor --ledger`: prove the books balance.

For every user: users.credits == sum of ledger amounts; credits >= 0; the rows, in
write order (`seq` 1, 2, 3, ...), chain (each balance_after == previous + amount, the
first from 0) and end at users.credits. For every paid job or script: exactly one debit;
a failed or cancelled one has exactly one refund of exactly that debit; a refund always
reverses a debit of the same user and the same amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from reelforge.accounts.models import User
from reelforge.credits.models import CreditHistory
from reelforge.jobs.models import Job
from reelforge.scripts.models import Script

if TYPE_CHECKING:
    from reelforge.config import Settings
    from reelforge.db.engine import Database
    from reelforge.doctor import Finding

FAILED_STATUSES = ("failed", "cancelled")
MAX_LISTED = 50


@dataclass
class LedgerReport:
    users: int = 0
    rows: int = 0
    breaches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches


def audit_ledger(session: Session) -> LedgerReport:
    report = LedgerReport()
    add = report.breaches.append

    balances = dict(session.execute(select(User.id, User.credits)).all())
    emails = dict(session.execute(select(User.id, User.email)).all())
    report.users = len(balances)

    def who(uid: str) -> str:
        return f"user {emails.get(uid, '?')} ({uid})"

    for uid, credits in balances.items():
        if credits < 0:
            add(f"{who(uid)}: balance {credits} is negative")

    sums = dict(
        session.execute(
            select(CreditHistory.user_id, func.sum(CreditHistory.amount)).group_by(CreditHistory.user_id)
        ).all()
    )
    for uid, credits in balances.items():
        total = int(sums.get(uid) or 0)
        if total != credits:
            add(f"{who(uid)}: balance {credits} but the ledger sums to {total} (difference {credits - total})")
    for uid in sums.keys() - balances.keys():
        add(f"ledger rows for a user that does not exist ({uid})")

    # The chain, streamed in write order.
    q = (
        select(CreditHistory.user_id, CreditHistory.seq, CreditHistory.amount, CreditHistory.balance_after)
        .order_by(CreditHistory.user_id, CreditHistory.seq)
        .execution_options(yield_per=5000)
    )
    current: str | None = None
    prev_balance = 0
    prev_seq = 0
    for uid, seq, amount, after in session.execute(q):
        report.rows += 1
        if uid != current:
            if current is not None and prev_balance != balances.get(current, prev_balance):
                add(f"{who(current)}: the last balance_after is {prev_balance}, the balance {balances[current]}")
            current, prev_balance, prev_seq = uid, 0, 0
        if seq != prev_seq + 1:
            add(f"{who(uid)}: ledger row #{seq} follows #{prev_seq} (a gap or a duplicate)")
        if after != prev_balance + amount:
            add(
                f"{who(uid)}: row #{seq} says balance {after}, but {prev_balance} {amount:+d} = {prev_balance + amount}"
            )
        if after < 0:
            add(f"{who(uid)}: row #{seq} has a negative balance {after}")
        prev_balance, prev_seq = after, seq
    if current is not None and prev_balance != balances.get(current, prev_balance):
        add(f"{who(current)}: the last balance_after is {prev_balance}, the balance {balances[current]}")

    # Refunds reverse a debit of the same user and amount.
    debit = aliased(CreditHistory)
    for rid, d_type, same_user, same_amount in session.execute(
        select(
            CreditHistory.id,
            debit.type,
            CreditHistory.user_id == debit.user_id,
            CreditHistory.amount == -debit.amount,
        )
        .join(debit, debit.id == CreditHistory.refund_of_id)
        .where(CreditHistory.type == "refund")
    ):
        if d_type != "use" or not same_user or not same_amount:
            add(f"refund {rid} does not reverse its debit exactly (type {d_type}, same user {bool(same_user)})")

    # Paid work: one debit each; failed/cancelled work refunded exactly once.
    for label, model, col in (("job", Job, CreditHistory.job_id), ("script", Script, CreditHistory.script_id)):
        for ref, n in session.execute(
            select(col, func.count()).where(CreditHistory.type == "use", col.is_not(None)).group_by(col)
        ):
            if n > 1:
                add(f"{label} {ref} was debited {n} times")
        refunded = aliased(CreditHistory)
        rows = session.execute(
            select(model.id, model.status, CreditHistory.id, func.count(refunded.id))
            .join(CreditHistory, (CreditHistory.type == "use") & (col == model.id))
            .outerjoin(refunded, refunded.refund_of_id == CreditHistory.id)
            .where(model.status.in_(FAILED_STATUSES))
            .group_by(model.id, model.status, CreditHistory.id)
        )
        for ref, status, debit_id, refunds in rows:
            if refunds != 1:
                add(f"{label} {ref} is {status} but its debit {debit_id} has {refunds} refunds (want exactly 1)")
        # Work whose debit_id points at a debit that has no refund although it failed.
        rows2 = session.execute(
            select(model.id, model.status, model.debit_id)
            .outerjoin(refunded, refunded.refund_of_id == model.debit_id)
            .where(model.status.in_(FAILED_STATUSES), model.debit_id.is_not(None), refunded.id.is_(None))
        )
        for ref, status, work_debit in rows2:
            add(f"{label} {ref} is {status} but its debit {work_debit} was never refunded")
    # Deduplicate (a job can appear in both of the last checks) keeping order.
    report.breaches = list(dict.fromkeys(report.breaches))
    return report


def audit_database(db: Database) -> LedgerReport:
    """Audit in one consistent snapshot (REPEATABLE READ on PostgreSQL; a WAL read on SQLite)."""
    with db.read_session() as session:
        if db.dialect == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return audit_ledger(session)


def check_ledger(settings: Settings, db: Database) -> list[Finding]:
    """The doctor check: one line of totals, then one line per breach (the first 50)."""
    from reelforge.doctor import Finding

    report = audit_database(db)
    findings: list[Finding] = [
        Finding(
            "ledger",
            report.ok,
            f"{report.users} users, {report.rows} ledger rows: "
            + ("balances, chains and refunds are consistent" if report.ok else f"{len(report.breaches)} breaches"),
        )
    ]
    for b in report.breaches[:MAX_LISTED]:
        findings.append(Finding("ledger", False, b))
    if len(report.breaches) > MAX_LISTED:
        findings.append(Finding("ledger", False, f"... and {len(report.breaches) - MAX_LISTED} more"))
    return findings
