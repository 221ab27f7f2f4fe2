"""Hand new work to whatever runs it: the embedded pool of this process, or Dramatiq.

Call `dispatch` only after the transaction that created the record committed
(`after_commit(db, lambda: dispatch(settings, "render", job.id))`): a worker
must find the row when the message arrives. Dispatch never raises: the row is the
system of record, and work whose message was lost is picked up anyway (embedded pools
poll the database; Dramatiq workers re-send work pending for over a minute, and all
waiting work when the broker comes back). Flows that order work call
`jobs.broker.require_broker` first, so an unreachable broker refuses the order (503)
before anything is written or charged.
"""

from __future__ import annotations

import logging

from reelforge.config import Settings
from reelforge.jobs.broker import mark_unreachable
from reelforge.jobs.pool import wake_local_pools
from reelforge.jobs.registry import get_kind

log = logging.getLogger(__name__)


def dispatch(settings: Settings, kind: str, record_id: str) -> None:
    try:
        work_kind = get_kind(kind)
    except LookupError:
        log.error("dispatch of %s: unknown kind %r", record_id, kind)
        return
    if settings.broker_url:
        try:
            from reelforge.jobs.actors import enqueue  # lazily: Dramatiq and Redis only in distributed mode

            enqueue(settings, work_kind, record_id)
        except Exception as exc:  # noqa: BLE001 - the row stays pending: workers re-send it
            log.warning("could not enqueue %s %s on %s: %s", kind, record_id, work_kind.queue, exc)
            mark_unreachable(settings, f"{type(exc).__name__}: {exc}")
        return
    wake_local_pools()  # no pool in this process: a `worker --local` process polls the database
