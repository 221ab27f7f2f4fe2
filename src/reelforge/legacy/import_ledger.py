"""Credit history with its balance_after kept, balances from the ledger, top-up requests.

Nothing is "fixed": a balance_after that does not follow from the row before is kept and
reported (`chain_break`), so `reelforge doctor --ledger` names the same rows; a user whose
old cached balance differs from the ledger is reported (`balance_mismatch`) and gets the
ledger's sum. Rows the schema cannot hold as they are (a `use` that adds credits, a refund
without the debit it reverses) are kept as `adjust` rows, reported.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update

from reelforge.accounts.models import User
from reelforge.credits.ledger import MAX_BALANCE
from reelforge.credits.models import ChargeRequest, CreditHistory
from reelforge.legacy.context import ImportContext
from reelforge.legacy.merge import Row
from reelforge.legacy.values import new_id
from reelforge.scripts.models import Script

E = "credit_history"


def _kind(ctx: ImportContext, r: Row, kind: str, amount: int) -> str:
    valid = (kind == "charge" and amount > 0) or (kind == "use" and amount <= 0) or (kind == "refund" and amount >= 0)
    if valid:
        return kind
    ctx.report.problem(E, "type_changed", r.file, r.key, f"type {kind!r} with amount {amount}: kept as 'adjust'")
    return "adjust"


def _chain(ctx: ImportContext, uid: str, rows: list[tuple[datetime, int, Row]]) -> tuple[list[dict[str, Any]], int]:
    """The user's rows in order (seq 1, 2, ...) and how many of them are refunds added here."""
    c = ctx.clean
    out: list[dict[str, Any]] = []
    open_debits: list[dict[str, Any]] = []  # unrefunded `use` rows, newest last
    balance = 0
    for when, _index, r in rows:
        d, f, k = r.data, r.file, r.key
        amount = c.whole(E, f, k, "amount", d.get("amount"), default=None)
        if amount is None or amount == 0 or abs(amount) > MAX_BALANCE:
            ctx.report.problem(E, "bad_amount", f, k, f"amount {d.get('amount')!r}; row skipped")
            ctx.report.skipped(E)
            continue
        after = c.whole(E, f, k, "balance_after", d.get("balance_after"), default=None)
        if after is None:
            after = balance + amount
            ctx.report.problem(E, "missing_balance", f, k, f"no balance_after; {after} computed from the chain")
        if after < 0:
            ctx.report.problem(E, "negative_balance", f, k, f"balance_after {after} < 0; row skipped")
            ctx.report.skipped(E)
            continue
        if after != balance + amount:
            ctx.report.problem(
                E, "chain_break", f, k, f"balance_after {after}, but {balance} {amount:+d} = {balance + amount}; kept"
            )
        kind = _kind(ctx, r, str(d.get("type") or "").strip().lower(), amount)
        refund_of = None
        if kind == "refund":
            match = next((x for x in reversed(open_debits) if x["amount"] == -amount), None)
            if match is None:
                ctx.report.problem(E, "refund_unlinked", f, k, f"no earlier debit of {amount}; kept as 'adjust'")
                kind = "adjust"
            else:
                open_debits.remove(match)
                refund_of = match["id"]
        row = {
            "id": new_id("credit", d.get("id") or f"{f}:{k}"),
            "user_id": uid,
            "seq": len(out) + 1,
            "type": kind,
            "amount": amount,
            "balance_after": after,
            "description": c.text(E, f, k, "description", d.get("description"), 500),
            "job_id": None,
            "script_id": None,
            "charge_request_id": None,
            "refund_of_id": refund_of,
            "idempotency_key": None,
            "created_by": None,
            "created_at": when,
        }
        out.append(row)
        if kind == "use" and amount < 0:
            open_debits.append(row)
        balance = after
    legacy_rows = len(out)
    _refund_interrupted(ctx, uid, out, open_debits)
    return out, len(out) - legacy_rows


def _refund_interrupted(
    ctx: ImportContext, uid: str, out: list[dict[str, Any]], open_debits: list[dict[str, Any]]
) -> None:
    """Scripts the legacy process left pending/processing are failed here; their debit (the
    latest unrefunded script-price debit before the script) is refunded once, as reelforge does."""
    price = ctx.script_price
    for sid, created in sorted(ctx.interrupted_scripts.get(uid, {}).items(), key=lambda kv: kv[1]):
        match = next((x for x in reversed(open_debits) if x["amount"] == -price and x["created_at"] <= created), None)
        if match is None:
            ctx.report.problem(
                "scripts", "refund_unmatched", "database.sqlite:scripts", sid, f"no {price} debit; no refund"
            )
            continue
        open_debits.remove(match)
        match["script_id"] = sid
        balance = out[-1]["balance_after"] if out else 0
        out.append(
            {
                **match,
                "id": new_id("refund", sid),
                "seq": len(out) + 1,
                "type": "refund",
                "amount": price,
                "balance_after": balance + price,
                "description": "Refund: script interrupted by the move to reelforge",
                "refund_of_id": match["id"],
                "created_at": ctx.now,
            }
        )
        ctx.report.problem("scripts", "refunded", "database.sqlite:scripts", sid, f"failed and refunded {price}")
        ctx.script_debits.append({"sid": sid, "debit": match["id"]})


def import_ledger(ctx: ImportContext) -> None:
    rows = ctx.data.of(E)
    ctx.report.read(E, len(rows))
    by_user: dict[str, list[tuple[datetime, int, Row]]] = defaultdict(list)
    for index, r in enumerate(rows):
        uid = ctx.user_of(E, r.file, r.key, r.data.get("user_id"))
        if uid is None:
            ctx.report.skipped(E)
            continue
        if uid not in ctx.new_users:  # a user's ledger arrives with the user (the chain is one piece)
            ctx.report.skipped(E)
            continue
        when = ctx.clean.when(E, r.file, r.key, "created_at", r.data.get("created_at"), required=True)
        assert when is not None
        by_user[uid].append((when, index, r))
    balances: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    for uid in ctx.new_users:
        chain, refunds = _chain(ctx, uid, sorted(by_user.get(uid, []), key=lambda t: (t[0], t[1])))
        total = sum(x["amount"] for x in chain)
        legacy_total = total - ctx.script_price * refunds  # the old balance knew nothing of our refunds
        legacy = ctx.legacy_credits.get(uid)
        if legacy is not None and str(legacy) != str(legacy_total):
            ctx.report.problem(
                "users", "balance_mismatch", "users", uid, f"old balance {legacy!r}, its ledger sums to {legacy_total}"
            )
        if total < 0:
            ctx.report.problem("users", "negative_balance", "users", uid, f"ledger sums to {total}; balance set to 0")
        balances.append({"uid": uid, "c": max(0, total)})
        batch.extend(chain)
        ctx.report.imported(E, len(chain) - refunds)
        if len(batch) >= 20000:
            ctx.insert(CreditHistory.__table__, batch)
            batch = []
    ctx.insert(CreditHistory.__table__, batch)
    if ctx.script_debits:
        scripts: Any = Script.__table__
        link = update(scripts).where(scripts.c.id == bindparam("sid")).values(debit_id=bindparam("debit"))
        ctx.session.connection().execute(link, ctx.script_debits)
    if balances:
        users: Any = User.__table__  # Core executemany: the ORM guard (LedgerBypass) sees no dirty objects
        stmt = update(users).where(users.c.id == bindparam("uid")).values(credits=bindparam("c"))
        ctx.session.connection().execute(stmt, balances)


def import_charge_requests(ctx: ImportContext) -> None:
    e = "charge_requests"
    rows = ctx.data.of(e)
    ctx.report.read(e, len(rows))
    table = ChargeRequest.__table__
    ids = {r.key: new_id("charge", r.data.get("id") or r.key) for r in rows}
    existing = ctx.existing(table, ids.values())
    by_email = {v: k for k, v in ctx.emails.items()}
    out: list[dict[str, Any]] = []
    c = ctx.clean
    for r in rows:
        d, f, k = r.data, r.file, r.key
        if ids[k] in existing:
            ctx.report.skipped(e)
            continue
        uid = ctx.user_of(e, f, k, d.get("user_id"))
        amount = c.whole(e, f, k, "amount", d.get("amount"), default=None)
        if uid is None or amount is None or amount <= 0:
            if uid is not None:
                ctx.report.problem(e, "bad_amount", f, k, f"amount {d.get('amount')!r}; skipped")
            ctx.report.skipped(e)
            continue
        status = str(d.get("status") or "pending").strip().lower()
        if status not in ("pending", "approved", "rejected"):
            ctx.report.problem(e, "bad_status", f, k, f"status {status!r}; kept as 'rejected'")
            status = "rejected"
        approved = c.when(e, f, k, "approved_at", d.get("approved_at"), required=False)
        rejected = c.when(e, f, k, "rejected_at", d.get("rejected_at"), required=False)
        processed = c.when(e, f, k, "processed_at", d.get("processed_at"), required=False)
        out.append(
            {
                "id": ids[k],
                "user_id": uid,
                "amount": amount,
                "status": status,
                "note": "",
                "memo": c.text(e, f, k, "memo", d.get("memo"), 2000),
                "processed_at": processed or approved or rejected,
                "approved_at": approved,
                "approved_by": by_email.get(str(d.get("approved_by") or "").strip().lower()),
                "rejected_at": rejected,
                "rejected_by": by_email.get(str(d.get("rejected_by") or "").strip().lower()),
                "idempotency_key": None,
                "created_at": c.when(e, f, k, "created_at", d.get("created_at"), required=True),
            }
        )
    ctx.insert(table, out)
    ctx.report.imported(e, len(out))
