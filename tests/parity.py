"""Compare what two runs of one flow left in the database, field by field.

A parity test runs a flow once through the JSON API (user A) and once through the HTML
form (user B), then compares `snapshot(db, A)` with `snapshot(db, B)`. Ids differ between
the runs, so every id (and e-mail address) is replaced by a label: the user is "user", rows
are labelled by table and position, other known ids by the names the test gives them.
Timestamps only say whether they are set; their values differ by design.
"""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes
from typing import Any

from sqlalchemy import inspect, select

from reelforge.accounts.models import User
from reelforge.config import Settings
from reelforge.credits.models import ChargeRequest, CreditHistory
from reelforge.db.base import Base
from reelforge.db.engine import Database
from reelforge.jobs.models import Job, JobLog

Labels = dict[str, str]


def _value(value: Any, labels: Labels) -> Any:
    if isinstance(value, datetime):
        return "<set>"
    if isinstance(value, str):
        if value in labels:
            return labels[value]
        for raw, label in labels.items():
            value = value.replace(raw, label)
        return value
    if isinstance(value, dict):
        return {k: _value(v, labels) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v, labels) for v in value]
    return value


def row_dict(row: Base, labels: Labels, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of `row` (ids and e-mails labelled, timestamps as set/None), minus `skip`."""
    columns = inspect(type(row)).columns
    return {c.key: _value(getattr(row, c.key), labels) for c in columns if c.key not in skip}


def snapshot(db: Database, user_id: str, labels: Labels, settings: Settings | None = None) -> dict[str, Any]:
    """The user's balance, jobs (with logs), ledger rows, top-up requests and mails, labelled."""
    labels = dict(labels)
    with db.read_session() as s:
        owner = s.get(User, user_id)
        assert owner is not None, user_id
        labels.update({user_id: "user", owner.email: "user@"})
        jobs = list(s.scalars(select(Job).where(Job.user_id == user_id).order_by(Job.created_at, Job.id)))
        ledger = list(s.scalars(select(CreditHistory).where(CreditHistory.user_id == user_id).order_by("seq")))
        requests = list(
            s.scalars(
                select(ChargeRequest)
                .where(ChargeRequest.user_id == user_id)
                .order_by(ChargeRequest.created_at, ChargeRequest.id)
            )
        )
        for prefix, rows in (("job", jobs), ("entry", ledger), ("request", requests)):
            for i, row in enumerate(rows):
                labels.setdefault(row.id, f"{prefix}#{i}")
        logs = {
            labels[j.id]: [
                (log.level, _value(log.log_message, labels))
                for log in s.scalars(select(JobLog).where(JobLog.job_id == j.id).order_by(JobLog.id))
            ]
            for j in jobs
        }
        found: dict[str, Any] = {
            "credits": owner.credits,
            # worker_id names the process that ran the job (random per runner), not the flow
            "jobs": [row_dict(j, labels, skip=("worker_id",)) for j in jobs],
            "job_logs": logs,
            "ledger": [row_dict(e, labels) for e in ledger],
            "topups": [row_dict(r, labels) for r in requests],
        }
        if settings is not None:
            found["mails"] = mails_to(settings, owner.email, labels)
    return found


def mails_to(settings: Settings, address: str, labels: Labels) -> list[dict[str, str]]:
    """Mails the outbox (the after-commit effect of the mailing flows) holds for `address`."""
    folder = settings.data_dir.resolve() / "outbox"
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.is_dir() else []:
        msg = message_from_bytes(path.read_bytes())
        if msg["To"] != address:
            continue
        body = ""
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                body = payload.decode(part.get_content_charset() or "utf-8")
        found.append({"to": _value(address, labels), "subject": str(msg["Subject"]), "text": _value(body, labels)})
    return found
