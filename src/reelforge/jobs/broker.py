"""Is the Redis broker reachable? A real PING: cached briefly for the API, watched by workers.

The API asks `require_broker` before it orders work in distributed mode: when the broker
cannot take a message, the order is refused with a 503 *before* anything is written or
charged (a message lost after the commit is re-sent by the workers' stale-pending resend).

A `reelforge worker` runs a `BrokerWatch`: it PINGs every second, logs ONE warning when
the broker goes away and one line when it is back (Dramatiq's own per-retry lines are
dropped, see `ConnectionNoise`), pauses the consumers meanwhile, and tells the worker to
re-send waiting work once the broker answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from reelforge.config import Settings
from reelforge.errors import ServiceUnavailable

log = logging.getLogger(__name__)

CACHE_SECONDS = 2.0
PING_TIMEOUT = 1.0
_cache: dict[str, tuple[float, str | None]] = {}  # url -> (monotonic time of the check, error or None)
_cache_lock = threading.Lock()


def ping(url: str, timeout: float = PING_TIMEOUT) -> str | None:
    """None when Redis at `url` answers PING, else a short reason."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "cannot enqueue"
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


def probe(settings: Settings, timeout: float = 2.0) -> tuple[bool, str]:
    """`doctor`: PING, then write, read back and delete a key under the namespace. (ok, detail)."""
    import secrets

    import redis

    where = settings.broker_url.split("@")[-1]
    started = time.perf_counter()
    try:
        client = redis.Redis.from_url(settings.broker_url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
            key, value = f"{settings.broker_namespace}:doctor-probe:{secrets.token_hex(4)}", secrets.token_hex(8)
            client.set(key, value, ex=60)
            read = client.get(key)
            client.delete(key)
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001
        return False, f"{where} unreachable ({type(exc).__name__}: {exc}): jobs cannot be queued"
    if read is None or read.decode() != value:
        return False, f"{where} answered PING but did not keep a written key"
    return True, f"{where} answered PING and a write/read in {1000 * (time.perf_counter() - started):.0f} ms"


def broker_error(settings: Settings, *, max_age: float = CACHE_SECONDS) -> str | None:
    """The cached PING result of the configured broker (None: reachable, or no broker configured)."""
    url = settings.broker_url
    if not url:
        return None
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(url)
    if cached is not None and now - cached[0] < max_age:
        return cached[1]
    error = ping(url)
    with _cache_lock:
        _cache[url] = (time.monotonic(), error)
    return error


def mark_unreachable(settings: Settings, error: str) -> None:
    """An enqueue just failed: refuse the next orders at once instead of after the cache expires."""
    if settings.broker_url:
        with _cache_lock:
            _cache[settings.broker_url] = (time.monotonic(), error)


def require_broker(settings: Settings) -> None:
    """Raise ServiceUnavailable (503) when work cannot be queued now; call it before writing an order."""
    error = broker_error(settings)
    if error is not None:
        log.warning("refusing an order: the broker is unreachable (%s)", error)
        raise ServiceUnavailable(
            "Work cannot be queued right now because the job queue is unreachable. "
            "Nothing was charged; please try again in a minute.",
            headers={"Retry-After": "10"},
            reason="broker_unreachable",
        )


class BrokerWatch:
    """PINGs the broker every `interval` seconds in a thread; `up` says whether it answered last time."""

    def __init__(
        self,
        url: str,
        *,
        interval: float = 1.0,
        on_down: Callable[[], object] | None = None,
        on_up: Callable[[], object] | None = None,
    ) -> None:
        self.url, self.interval = url, interval
        self.on_down, self.on_up = on_down, on_up
        self.up = threading.Event()
        self.up.set()
        self.error: str | None = None
        self.down_since = 0.0
        self._poke = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> BrokerWatch:
        self.check()
        self._thread = threading.Thread(target=self._loop, name="broker-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._poke.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def poke(self) -> None:
        """Check now (something else saw a connection error)."""
        self._poke.set()

    def wait_up(self, stopping: threading.Event, step: float = 0.2) -> bool:
        """Block while the broker is down; False if `stopping` was set first."""
        while not self.up.is_set():
            if stopping.wait(step):
                return False
        return not stopping.is_set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._poke.wait(self.interval)
            self._poke.clear()
            if not self._stop.is_set():
                self.check()

    def check(self) -> bool:
        error = ping(self.url)
        if error is None and not self.up.is_set():
            log.warning("broker reachable again after %.0f s: claiming work", time.monotonic() - self.down_since)
            self.error = None
            self.up.set()
            self._call(self.on_up)
        elif error is not None and self.up.is_set():
            # One line per outage: the watch keeps checking quietly until the broker answers.
            log.warning("broker unreachable (%s): not claiming work until it answers", error)
            self.error, self.down_since = error, time.monotonic()
            self.up.clear()
            self._call(self.on_down)
        return error is None

    @staticmethod
    def _call(fn: Callable[[], object] | None) -> None:
        if fn is None:
            return
        try:
            fn()
        except Exception:
            log.warning("broker watch callback failed", exc_info=True)


# Dramatiq logs these once per retry (CRITICAL every few seconds per queue while Redis is down).
NOISY_PREFIXES = (
    "Consumer encountered a connection error",
    "Restarting consumer in",
    "Failed to post_process_message",
)


class ConnectionNoise(logging.Filter):
    """Drops Dramatiq's per-retry connection lines and pokes the watch, which logs once per outage."""

    def __init__(self, watch: BrokerWatch) -> None:
        super().__init__()
        self.watch = watch

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(NOISY_PREFIXES):
            self.watch.poke()
            return False
        return True
