"""Live progress through Redis pub/sub: workers publish, SSE streams on any API server subscribe.

The database stays the source of truth (every write is still made there); Redis only
makes the news fast. With `broker_url` = redis://..., each record has a channel
`<broker_namespace>:live:<record id>` carrying small JSON messages:

- `{"t": "progress", "id", "progress", "step", "attempt"}` when the context's progress or step changes;
- `{"t": "line", "id", "level", "message", "created_at", "attempt"}` per log line, when it is logged
  (before it is written; its database id comes with the `log` event after the next flush);
- `{"t": "changed", "id"}` after any commit of the record made in this process (a flush, a
  finished step, the final status): subscribers re-read the database at once.

Publishing never slows or breaks a step: `publish` puts the message on a bounded queue
(dropped when full) and one background thread per process sends it; while Redis is
unreachable messages are dropped and the thread retries quietly. Subscribers are
asynchronous (`redis.asyncio`), one connection per SSE stream.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from datetime import datetime
from typing import Any

import anyio
import redis
import redis.asyncio as aredis

from reelforge.config import Settings

log = logging.getLogger(__name__)

QUEUE_SIZE = 2000  # messages waiting for the publisher thread; beyond, new ones are dropped
DOWN_BACKOFF_SECONDS = 1.0  # after a failed publish, drop messages this long before trying again


def enabled(settings: Settings) -> bool:
    return settings.broker_url.startswith(("redis://", "rediss://", "unix://"))


def channel(namespace: str, record_id: str) -> str:
    return f"{namespace}:live:{record_id}"


# --------------------------------------------------------------------------- publishing
class Publisher:
    """A fire-and-forget publisher: `publish` never blocks and never raises."""

    def __init__(self, url: str, namespace: str, *, maxsize: int = QUEUE_SIZE) -> None:
        self.url = url
        self.namespace = namespace
        self.sent = 0
        self.dropped = 0
        self._queue: queue.Queue[tuple[str, str]] = queue.Queue(maxsize=maxsize)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._pid = os.getpid()

    def publish(self, record_id: str, message: dict[str, Any]) -> None:
        try:
            data = json.dumps({**message, "id": record_id}, ensure_ascii=False, default=str)
            self._ensure_thread()
            self._queue.put_nowait((channel(self.namespace, record_id), data))
        except queue.Full:
            self.dropped += 1
        except Exception:  # live progress is a nicety; the step goes on
            self.dropped += 1
            log.debug("live publish failed", exc_info=True)

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="live-publisher", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1.0, socket_timeout=1.0)
        down_until = 0.0
        warned = False
        while True:
            name, data = self._queue.get()
            if time.monotonic() < down_until:
                self.dropped += 1  # stale progress is worth nothing; the database has the truth
                continue
            try:
                client.publish(name, data)
                self.sent += 1
                if warned:
                    log.info("live progress: Redis reachable again")
                    warned = False
            except Exception:  # redis-py reconnects on the next command
                self.dropped += 1
                down_until = time.monotonic() + DOWN_BACKOFF_SECONDS
                if not warned:
                    log.warning("live progress: Redis unreachable; browsers fall back to polling", exc_info=True)
                    warned = True


_publishers: dict[tuple[str, str], Publisher] = {}
_current: Publisher | None = None
_lock = threading.Lock()


def publisher_for(settings: Settings) -> Publisher | None:
    """This process's publisher for `settings` (None without Redis); it also becomes the one
    `publish_changed` uses."""
    global _current
    if not enabled(settings):
        return None
    key = (settings.broker_url, settings.broker_namespace)
    with _lock:
        pub = _publishers.get(key)
        if pub is None or pub._pid != os.getpid():  # a forked child needs its own thread
            pub = _publishers[key] = Publisher(*key)
        _current = pub
    return pub


def publish_changed(record_id: str) -> None:
    """The record changed in the database (just committed): tell the subscribers to re-read it."""
    pub = _current
    if pub is not None and pub._pid == os.getpid():
        pub.publish(record_id, {"t": "changed"})


# --------------------------------------------------------------------------- subscribing
class Subscription:
    """One SSE stream's Redis pub/sub connection, on the channels of the records it watches.

    Any Redis error turns it off (`active` false; the stream keeps polling the database)
    and it tries again at most every `retry_seconds`, when the stream calls `watch`.
    """

    def __init__(self, settings: Settings, *, retry_seconds: float = 10.0) -> None:
        self.settings = settings
        self.retry_seconds = retry_seconds
        self.active = False
        self._ids: set[str] = set()
        self._client: Any = None  # redis.asyncio.Redis (the stubs predate aclose)
        self._pubsub: Any = None
        self._failed_at = -1e9

    @property
    def listening(self) -> bool:
        return self.active and bool(self._ids)

    async def watch(self, ids: set[str]) -> None:
        """Subscribe to exactly these records' channels (opening the connection if needed)."""
        if not self.active:
            if time.monotonic() - self._failed_at < self.retry_seconds:
                return
            try:
                self._client = aredis.Redis.from_url(self.settings.broker_url, socket_connect_timeout=2.0)
                self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
                self._ids = set()
                self.active = True
            except Exception:  # noqa: BLE001 - a bad URL or Redis down: poll instead
                await self._fail()
                return
        ns = self.settings.broker_namespace
        added, gone = ids - self._ids, self._ids - ids
        try:
            if added:
                await self._pubsub.subscribe(*(channel(ns, i) for i in sorted(added)))
            if gone:
                await self._pubsub.unsubscribe(*(channel(ns, i) for i in sorted(gone)))
            self._ids = set(ids)
        except Exception:  # noqa: BLE001 - Redis gone: poll instead
            await self._fail()

    async def next(self, timeout: float) -> dict[str, Any] | None:
        """The next message, or None after `timeout` seconds (or at once when inactive)."""
        if not self.active or not self._ids:
            return None
        try:
            msg = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        except Exception:  # noqa: BLE001 - Redis gone: poll instead
            await self._fail()
            return None
        if not msg or msg.get("type") != "message":
            return None
        try:
            data = json.loads(msg["data"])
        except (ValueError, TypeError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("id"), str) else None

    async def _fail(self) -> None:
        log.debug("live subscription failed; polling the database instead", exc_info=True)
        self._failed_at = time.monotonic()
        await self.close()

    async def close(self) -> None:
        """Unsubscribe and close the connection; safe to call twice, even while being cancelled."""
        self.active = False
        pubsub, client, self._pubsub, self._client = self._pubsub, self._client, None, None
        with anyio.CancelScope(shield=True):  # the client left: the cleanup must still run
            try:
                if pubsub is not None:
                    await pubsub.aclose()
                if client is not None:
                    await client.aclose()
            except Exception:
                log.debug("closing a live subscription failed", exc_info=True)


def parse_time(raw: Any) -> datetime | str | None:
    """A message's `created_at` back as a datetime (so it renders like a database row's)."""
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return raw
