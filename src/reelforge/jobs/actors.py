"""Distributed mode: Dramatiq on Redis. Messages carry only (kind, record id).

`REELFORGE_BROKER_URL=redis://...` switches it on. API processes only send
(`enqueue`, called by `dispatch` after the request's commit); `reelforge worker`
processes consume (`run_worker`). There is one actor per queue (`reelforge_scripts`,
`reelforge_render`, `reelforge_uploads`, ...), all calling the same runner as the
embedded pool. Dramatiq acks a message after the actor returns; its own retries and
time limit are switched off (the runner retries steps itself, and a render may take
longer than any fixed limit). A redelivered message for work someone else holds is a
no-op, because the runner's claim is a conditional UPDATE.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Callbacks, ShutdownNotifications

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import runner
from reelforge.jobs.broker import BrokerWatch, ConnectionNoise
from reelforge.jobs.health import HealthServer
from reelforge.jobs.pool import Upkeep
from reelforge.jobs.registry import WorkKind, all_kinds, get_kind

log = logging.getLogger(__name__)

DEFAULT_QUEUES = ("scripts", "render", "uploads")
RESEND_AFTER_OUTAGE = timedelta(seconds=5)  # not rows another worker re-sent a moment ago

_lock = threading.Lock()
_brokers: dict[tuple[str, str], RedisBroker] = {}
_actors: dict[tuple[str, str, str], dramatiq.Actor[Any, Any]] = {}


class _WorkerState:
    db: Database | None = None
    settings: Settings | None = None
    worker_id: str = ""
    watch: BrokerWatch | None = None  # set in a `reelforge worker` process
    stopping = threading.Event()
    busy = 0
    done = 0
    lock = threading.Lock()


STATE = _WorkerState()


def broker_for(settings: Settings) -> RedisBroker:
    key = (settings.broker_url, settings.broker_namespace)
    with _lock:
        broker = _brokers.get(key)
        if broker is None:
            broker = RedisBroker(  # type: ignore[no-untyped-call]
                url=settings.broker_url,
                namespace=settings.broker_namespace,
                middleware=[ShutdownNotifications(), Callbacks()],
            )
            _brokers[key] = broker
        return broker


def _run_message(kind: str, record_id: str) -> None:
    db, settings = STATE.db, STATE.settings
    if db is None or settings is None:
        raise RuntimeError("this process is not a reelforge worker (run `reelforge worker`)")
    if STATE.watch is not None and not STATE.watch.wait_up(STATE.stopping):
        return  # stopping during an outage: the row stays pending and is re-sent later
    with STATE.lock:
        STATE.busy += 1
    try:
        thread_id = f"{STATE.worker_id}/{threading.get_ident() % 100000}"
        result = runner.run(db, settings, kind, record_id, worker_id=thread_id, stopping=STATE.stopping)
    finally:
        with STATE.lock:
            STATE.busy -= 1
    if result.claimed:
        with STATE.lock:
            STATE.done += 1
    if result.status == "released":  # shutting down: give the work to another worker now
        enqueue(settings, get_kind(kind), record_id)


def actor_for(settings: Settings, queue: str) -> dramatiq.Actor[Any, Any]:
    broker = broker_for(settings)
    key = (settings.broker_url, settings.broker_namespace, queue)
    with _lock:
        actor = _actors.get(key)
        if actor is None:
            actor = dramatiq.Actor(
                _run_message,
                broker=broker,
                actor_name=f"reelforge_{queue}",
                queue_name=queue,
                priority=0,
                options={},
            )
            _actors[key] = actor
        return actor


def enqueue(settings: Settings, kind: WorkKind, record_id: str) -> None:
    actor_for(settings, kind.queue).send(kind.name, record_id)


def queue_lengths(settings: Settings) -> dict[str, int]:
    """Messages waiting in Redis per queue (not counting ones a worker holds)."""
    broker = broker_for(settings)
    client = broker.client
    out: dict[str, int] = {}
    for queue in sorted({*DEFAULT_QUEUES, *(k.queue for k in all_kinds())}):
        out[queue] = int(client.llen(f"{settings.broker_namespace}:{queue}"))
    return out


def run_worker(
    settings: Settings,
    db: Database,
    *,
    threads: int = 1,
    queues: list[str] | None = None,
    health_port: int | None = None,
) -> None:
    """Consume the queues until SIGINT/SIGTERM (the `reelforge worker` command).

    A `BrokerWatch` pauses the consumers (and holds back messages already fetched) while
    Redis does not answer, logging once per outage; when it answers again every waiting
    row is re-sent. `health_port` (default REELFORGE_WORKER_HEALTH_PORT; 0 = off) starts
    the /healthz + /metrics listener."""
    STATE.db, STATE.settings = db, settings
    STATE.worker_id = runner.new_worker_id()
    wanted = sorted(set(queues or {k.queue for k in all_kinds()} or DEFAULT_QUEUES))
    broker = broker_for(settings)
    for q in wanted:
        actor_for(settings, q)
    worker = dramatiq.Worker(broker, queues=set(wanted), worker_threads=threads, worker_timeout=200)
    upkeep = Upkeep(
        db,
        settings,
        worker_id=STATE.worker_id,
        mode="dramatiq",
        queues=wanted,
        threads=threads,
        busy=lambda: STATE.busy,
        jobs_done=lambda: STATE.done,
        on_requeue=lambda kind, rid: enqueue(settings, get_kind(kind), rid),
        resend_stale=True,
        can_send=lambda: watch.up.is_set(),
    )

    def on_down() -> None:
        for consumer in list(worker.consumers.values()):
            consumer.pause()

    def on_up() -> None:
        for consumer in list(worker.consumers.values()):
            consumer.resume()
        upkeep.resend_stale_pending(older_than=RESEND_AFTER_OUTAGE)  # messages may have died with Redis

    watch = BrokerWatch(settings.broker_url, on_down=on_down, on_up=on_up)
    STATE.watch = watch
    noise = ConnectionNoise(watch)
    for name in [*(f"ConsumerThread({q})" for q in wanted), *(f"ConsumerThread({q}.DQ)" for q in wanted)]:
        logging.getLogger(f"dramatiq.worker.{name}").addFilter(noise)
    logging.getLogger("dramatiq.worker.WorkerThread").addFilter(noise)
    port = settings.worker_health_port if health_port is None else health_port
    listener = HealthServer(settings, db, port=port).start() if port else None
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    watch.start()  # first PING now, so the upkeep sends nothing into a dead broker
    upkeep.start()
    worker.start()
    if not watch.up.is_set():
        on_down()  # the consumers exist only now
    log.info("dramatiq worker %s consuming %s with %d thread(s)", STATE.worker_id, wanted, threads)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        STATE.stopping.set()  # running jobs hand themselves back at their next check
        watch.stop()
        worker.stop(timeout=15000)
        upkeep.stop()
        broker.close()
        if listener is not None:
            listener.stop()
