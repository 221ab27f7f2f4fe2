"""Prometheus metrics of every reelforge process (prometheus-client), and their exposition.

Callers use the small functions below (`observe_request`, `job_finished`, `step_finished`,
`render_speed`, `provider_error`, `ledger_debit`, `ledger_refund`) and never touch the
metric objects, so the names stay in one place:

    reelforge_http_request_duration_seconds{route,method,status}   histogram (route = template)
    reelforge_jobs_finished_total{kind,status}                     counter
    reelforge_job_step_duration_seconds{kind,step}                 histogram
    reelforge_render_seconds_per_output_second                     histogram
    reelforge_provider_errors_total{provider,kind}                 counter (kind: transient|permanent)
    reelforge_ledger_entries_total{type}                           counter (type: debit|refund)
    reelforge_ledger_credits_total{type}                           counter (credits moved)
    reelforge_queue_depth{kind,status}                             gauge, read from the database at scrape

The queue depth is not kept in memory: whoever serves `/metrics` passes a `QueueDepth`
collector whose function counts pending/processing rows when Prometheus scrapes.

**Several processes** (uvicorn/gunicorn workers, or many `reelforge worker` processes on
one machine behind one scrape port): set `PROMETHEUS_MULTIPROC_DIR` to an empty folder
writable by all of them *before they start* (prometheus-client picks its storage when it
is imported). Every process then writes its samples to files there and `exposition()`
sums them across processes. Empty the folder when the service (re)starts, as the
prometheus-client documentation says. Without the variable each process reports its own.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from reelforge.config import Settings
from reelforge.errors import PermanentError, TransientError

CONTENT_TYPE = CONTENT_TYPE_LATEST
F = TypeVar("F", bound=Callable[..., Any])

REQUEST_SECONDS = Histogram(
    "reelforge_http_request_duration_seconds",
    "Time to answer an HTTP request (to the end of the body), by route template, method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
JOBS_FINISHED = Counter(
    "reelforge_jobs_finished",
    "Runs of durable work that ended, by kind and outcome (completed, failed, cancelled, released, lost).",
    ["kind", "status"],
)
STEP_SECONDS = Histogram(
    "reelforge_job_step_duration_seconds",
    "Wall time of one job step (retries included), by kind and step.",
    ["kind", "step"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
RENDER_RATIO = Histogram(
    "reelforge_render_seconds_per_output_second",
    "Seconds of render wall time per second of finished video.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128),
)
PROVIDER_ERRORS = Counter(
    "reelforge_provider_errors",
    "Failures of a provider call (LLM, image, speech, video), by provider and kind (transient, permanent).",
    ["provider", "kind"],
)
LEDGER_ENTRIES = Counter("reelforge_ledger_entries", "Ledger debits and refunds written.", ["type"])
LEDGER_CREDITS = Counter("reelforge_ledger_credits", "Credits moved by ledger debits and refunds.", ["type"])


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


# --------------------------------------------------------------------------- recording
def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(route, method, status_class(status)).observe(seconds)


def job_finished(kind: str, status: str | None) -> None:
    JOBS_FINISHED.labels(kind, status or "unknown").inc()


def step_finished(kind: str, step: str, seconds: float) -> None:
    STEP_SECONDS.labels(kind, step).observe(seconds)


def render_speed(render_seconds: float, output_seconds: float) -> None:
    if output_seconds > 0 and render_seconds >= 0:
        RENDER_RATIO.observe(render_seconds / output_seconds)


def provider_error(provider: str, exc: BaseException) -> None:
    kind = "transient" if isinstance(exc, TransientError) else "permanent"
    PROVIDER_ERRORS.labels(provider, kind).inc()


def counts_provider_errors(provider: str) -> Callable[[F], F]:
    """Decorate a provider client's call: every TransientError/PermanentError leaving it is counted."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except (TransientError, PermanentError) as exc:
                provider_error(provider, exc)
                raise

        return wrapper  # type: ignore[return-value]

    return decorate


def ledger_debit(amount: int) -> None:
    LEDGER_ENTRIES.labels("debit").inc()
    LEDGER_CREDITS.labels("debit").inc(abs(amount))


def ledger_refund(amount: int) -> None:
    LEDGER_ENTRIES.labels("refund").inc()
    LEDGER_CREDITS.labels("refund").inc(abs(amount))


# --------------------------------------------------------------------------- exposition
def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def may_scrape(settings: Settings, *, authorization: str, client_host: str | None, forwarded: bool) -> bool:
    """`metrics_token` set: only `Authorization: Bearer <token>`. Else, when `metrics_loopback`,
    a request from loopback that no proxy forwarded (a proxy on the same host adds X-Forwarded-For)."""
    token = settings.metrics_token
    if token:
        scheme, _, given = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    return settings.metrics_loopback and not forwarded and is_loopback(client_host)


DepthRows = Iterable[tuple[str, str, int]]  # (kind, status, count)


class QueueDepth(Collector):
    """`reelforge_queue_depth{kind,status}` computed by `rows()` at each scrape (a database count)."""

    def __init__(self, rows: Callable[[], DepthRows]) -> None:
        self.rows = rows

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "reelforge_queue_depth",
            "Work waiting (pending) or running (processing), by kind.",
            labels=["kind", "status"],
        )
        for kind, status, count in self.rows():
            family.add_metric([kind, status], float(count))
        yield family


class _Scrape(Collector):
    def __init__(self, collectors: Sequence[Collector]) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Any]:
        for collector in self.collectors:
            yield from collector.collect()


def exposition(extra: Sequence[Collector] = ()) -> bytes:
    """The text format of this process's metrics (every process's in multiprocess mode), plus `extra`."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        base: Collector = multiprocess.MultiProcessCollector(None)  # type: ignore[no-untyped-call]
    else:
        base = REGISTRY
    return generate_latest(_Scrape([base, *extra]))
