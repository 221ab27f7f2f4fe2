"""Use cases of the credits domain shared by the JSON API and the HTML pages.

A top-up request is sent once per Idempotency-Key (a retry gets the first request back and
is told so); an admin's decision e-mails the user through the outbox, so the mail goes out
only if the decision commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from reelforge.accounts.models import User
from reelforge.config import Settings
from reelforge.credits import notify, queries, topups
from reelforge.credits.ledger import validate_idempotency_key
from reelforge.credits.models import ChargeRequest, CreditHistory
from reelforge.db.outbox import after_commit


@dataclass(frozen=True)
class TopupSent:
    request: ChargeRequest
    replayed: bool  # the Idempotency-Key was used before: this is the first request, nothing new


@dataclass(frozen=True)
class TopupDecision:
    request: ChargeRequest
    owner: User  # who asked, with the balance after the decision


@dataclass(frozen=True)
class TopupApproval(TopupDecision):
    entry: CreditHistory  # the `charge` row that added the credits


def request_topup(
    db: Session, user_id: str, amount: int, *, note: str = "", idempotency_key: str | None = None
) -> TopupSent:
    """The user asks for `amount` credits; sending the same key again returns the first request."""
    key = validate_idempotency_key(idempotency_key)
    replayed = key is not None and queries.topup_by_idempotency_key(db, user_id, key) is not None
    req = topups.request_topup(db, user_id, amount, note=note, idempotency_key=key)
    return TopupSent(request=req, replayed=replayed)


def approve_topup(db: Session, settings: Settings, request_id: str, *, admin_id: str, memo: str = "") -> TopupApproval:
    """Approve a pending request, add its credits and e-mail the user once that commits."""
    entry = topups.approve_topup(db, request_id, admin_id=admin_id, memo=memo)
    req = queries.get_request(db, request_id)
    owner = _mail_decision(db, settings, req, approved=True)
    return TopupApproval(request=req, owner=owner, entry=entry)


def reject_topup(db: Session, settings: Settings, request_id: str, *, admin_id: str, memo: str = "") -> TopupDecision:
    """Reject a pending request and e-mail the user (with the memo) once that commits."""
    req = topups.reject_topup(db, request_id, admin_id=admin_id, memo=memo)
    owner = _mail_decision(db, settings, req, approved=False)
    return TopupDecision(request=req, owner=owner)


def _mail_decision(db: Session, settings: Settings, req: ChargeRequest, *, approved: bool) -> User:
    """Compose the decision mail now (the balance as decided) and send it after the commit."""
    owner = queries.get_user(db, req.user_id)
    db.refresh(owner)
    message = notify.TopupMail(
        to=owner.email,
        locale=owner.locale or "ko",
        amount=req.amount,
        approved=approved,
        memo=req.memo,
        balance=owner.credits,
    )
    after_commit(db, lambda: notify.send_topup_decision(settings, message))
    return owner
