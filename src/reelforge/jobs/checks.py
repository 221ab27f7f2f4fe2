"""`reelforge doctor` checks of the job engine: stuck work, idle queues, missing refunds, the broker."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from reelforge.config import Settings
from reelforge.credits.models import CreditHistory  # the doctor audits refunds across domains
from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.doctor import Finding
from reelforge.jobs.models import JobWorker
from reelforge.jobs.registry import all_tables

MAX_LISTED = 10


def check_jobs(settings: Settings, db: Database) -> list[Finding]:
    now = utcnow()
    grace = timedelta(seconds=max(60.0, 2 * settings.job_lease_seconds))
    findings: list[Finding] = []
    stuck: list[str] = []
    unrefunded: list[str] = []
    pending = 0
    with db.read_session() as s:
        for table in all_tables():
            label, model = table.noun, table.model
            stuck += [
                f"{label} {i}"
                for i in s.scalars(
                    select(model.id).where(model.status == "processing", model.lease_until < now - grace).limit(50)
                )
            ]
            refund = aliased(CreditHistory)
            unrefunded += [
                f"{label} {i}"
                for i in s.scalars(
                    select(model.id)
                    .outerjoin(refund, refund.refund_of_id == model.debit_id)
                    .where(model.status.in_(("failed", "cancelled")), model.debit_id.is_not(None), refund.id.is_(None))
                    .limit(50)
                )
            ]
            pending += int(s.scalar(select(func.count()).where(model.status == "pending")) or 0)
        workers = int(s.scalar(select(func.count()).where(JobWorker.seen_at >= now - timedelta(minutes=2))) or 0)
    findings.append(
        Finding(
            "stuck jobs",
            not stuck,
            "none (no processing job with an expired lease)"
            if not stuck
            else f"{len(stuck)} processing with a lease expired over {int(grace.total_seconds())}s ago: "
            + ", ".join(stuck[:MAX_LISTED])
            + " - start a worker (`reelforge serve` or `reelforge worker`); it re-queues or fails+refunds them",
        )
    )
    findings.append(
        Finding(
            "job refunds",
            not unrefunded,
            "every failed/cancelled paid job was refunded"
            if not unrefunded
            else f"{len(unrefunded)} failed/cancelled paid without a refund: " + ", ".join(unrefunded[:MAX_LISTED]),
        )
    )
    findings.append(
        Finding(
            "job workers",
            pending == 0 or workers > 0,
            f"{workers} worker process(es) seen in the last 2 minutes, {pending} job(s) waiting"
            + (
                "" if pending == 0 or workers > 0 else " - nothing is running them: start `reelforge serve` or a worker"
            ),
        )
    )
    if settings.broker_url:
        from reelforge.jobs.broker import probe

        findings.append(Finding("broker", *probe(settings)))
    return findings
