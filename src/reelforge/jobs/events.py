"""Live progress as Server-Sent Events, for every registered table of work (`jobs`, `scripts`).

The database is the source of truth, so a stream works whichever process (embedded
pool, `reelforge worker --local`, a Dramatiq worker on another machine) runs the job:
each stream polls its row and the new log lines every `job_sse_poll_seconds`. Writes
made in this process (the embedded pool, the cancel endpoint) also bump an in-memory
version counter, which wakes the streams at once instead of at the next poll.

With Redis (`broker_url`), workers publish progress and log lines as they happen and a
"changed" note after each commit (`jobs/live.py`); each stream subscribes to its
records' channels, pushes live progress at once, re-reads the database on "changed", and
otherwise polls only every `max(job_sse_poll_seconds, job_sse_live_poll_seconds)`. The
database stays the truth: a dropped message costs latency, never an event.

Events of one record's stream (`record_stream`):

- `progress` — `{"id", "status", "progress", "step", "error", "attempts"}` whenever one of them changes
  (the first event is always the current state, so a page never starts blank);
- `log` — `{"id", "level", "message", "text", "created_at"}` per log line, in order (`text`: the
  line in the reader's language, see `i18n.stored`);
- `line` — `{"level", "message", "created_at"}` (Redis only): a log line the moment it is logged,
  before it has an id; the same line follows as a `log` event once written (pages use `log`);
- `end` — the final state, sent once the status is completed/failed/cancelled (or
  `{"status": "deleted"}`); the server then closes the stream, clients should too.

Every event carries `id: <last log line id>`, so a reconnecting `EventSource` (which
sends `Last-Event-ID`) gets only the log lines it missed, then the current state.

`list_stream` multiplexes `progress`/`end` events (with the record id in the data) for
many records of one user (or all users, for admins) on one connection.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from reelforge import i18n
from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.errors import AppError
from reelforge.i18n import stored
from reelforge.jobs import live
from reelforge.jobs.registry import TABLES

FINAL_STATUSES = ("completed", "failed", "cancelled")
KEEPALIVE_SECONDS = 15.0
MAX_STREAM_SECONDS = 600.0  # then the server closes the stream; EventSource reconnects (Last-Event-ID)
MAX_LOGS_PER_POLL = 500

_lock = threading.Lock()
_version = 0


def notify(record_id: str | None = None) -> None:
    """Something changed in this process: wake the streams now rather than at their next poll.

    Called after each commit of a record's state; with Redis it is also published, so the
    streams of every API server re-read the record at once."""
    global _version
    with _lock:
        _version += 1
    if record_id is not None:
        live.publish_changed(record_id)


def version() -> int:
    return _version


async def wait_change(since: int, timeout: float) -> None:
    """Sleep until `notify` is called in this process or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while _version == since:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        await asyncio.sleep(min(0.02, left))


def sse(event: str, data: Any, *, event_id: int | str | None = None) -> str:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {event}")
    payload = json.dumps(data, ensure_ascii=False, default=str)
    lines.extend(f"data: {part}" for part in payload.split("\n"))
    return "\n".join(lines) + "\n\n"


def parse_last_event_id(raw: str | None) -> int:
    try:
        return max(0, min(int(raw or 0), 2**31 - 1))  # log ids are INTEGER columns (32 bits on PostgreSQL)
    except ValueError:
        return 0


def state_of(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "progress": int(row.progress),
        "step": row.step,
        "error": row.error,
        "attempts": int(row.attempts),
    }


def _load_record(db: Database, table: str, record_id: str, after_log: int) -> tuple[Any | None, list[Any]]:
    spec = TABLES[table]
    m, lm = spec.model, spec.log_model
    with db.read_session() as s:
        row = s.execute(
            select(m.id, m.status, m.progress, m.step, m.error, m.attempts).where(m.id == record_id)
        ).first()
        if row is None:
            return None, []
        fk = getattr(lm, spec.log_fk)
        logs = s.execute(
            select(lm.id, lm.level, lm.log_message, lm.created_at)
            .where(fk == record_id, lm.id > after_log)
            .order_by(lm.id)
            .limit(MAX_LOGS_PER_POLL)
        ).all()
    return row, list(logs)


class _Live:
    """What a stream learns from Redis between database reads (see `jobs/live.py`)."""

    def __init__(self, settings: Settings | None, poll_seconds: float) -> None:
        on = settings is not None and live.enabled(settings)
        self.sub = live.Subscription(settings) if settings is not None and on else None
        # With Redis the database read is the fallback and the check that nothing was missed.
        self.poll = (
            max(poll_seconds, settings.job_sse_live_poll_seconds) if settings is not None and on else poll_seconds
        )
        self.overlays: dict[str, dict[str, Any]] = {}  # record id -> latest live progress message

    def merged(self, state: dict[str, Any]) -> dict[str, Any]:
        """The database state, with live progress on top while it is ahead of the row."""
        msg = self.overlays.get(state["id"])
        if msg is None or state["status"] != "processing" or msg.get("attempt") != state["attempts"]:
            return state
        progress = msg.get("progress")
        if not isinstance(progress, int) or not state["progress"] <= progress <= 100:
            return state
        return {**state, "progress": progress, "step": str(msg.get("step") or state["step"] or "")[:64]}

    async def next(self, seen: int, deadline: float) -> dict[str, Any] | None:
        """The next live message, or None when the database should be read (deadline, local change)."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or version() != seen:
                return None
            if self.sub is not None and self.sub.listening:
                msg = await self.sub.next(min(left, 0.05))
                if msg is not None:
                    return msg
            else:
                await asyncio.sleep(min(0.02, left))

    async def close(self) -> None:
        if self.sub is not None:
            await self.sub.close()


def _line_event(msg: dict[str, Any], lang: str) -> str | None:
    level, message = msg.get("level"), msg.get("message")
    if not isinstance(level, str) or not isinstance(message, str):
        return None
    created = live.parse_time(msg.get("created_at"))
    text = stored.localize(message, lang)
    return sse("line", {"level": level, "message": message, "text": text, "created_at": created})


async def record_stream(
    db: Database,
    table: str,
    record_id: str,
    *,
    last_event_id: int = 0,
    poll_seconds: float = 0.5,
    settings: Settings | None = None,
    lang: str = "en",
) -> AsyncIterator[str]:
    """The SSE stream of one job or script (see the module docstring). Ends after `end`.
    Log lines carry `text`, the line in `lang` (the reader's language).

    With Redis configured (`settings.broker_url`), live progress is pushed as it is
    published and a `changed` message triggers a database read at once.
    """
    feed = _Live(settings, poll_seconds)
    last_log = last_event_id
    db_state: dict[str, Any] | None = None
    last_state: dict[str, Any] | None = None
    last_sent = opened = time.monotonic()
    yield "retry: 2000\n\n"
    try:
        if feed.sub is not None:
            await feed.sub.watch({record_id})
        while time.monotonic() - opened < MAX_STREAM_SECONDS:
            seen = version()
            row, logs = await run_in_threadpool(_load_record, db, table, record_id, last_log)
            if row is None:
                yield sse("end", {"id": record_id, "status": "deleted"}, event_id=last_log)
                return
            for line in logs:
                last_log = line.id
                yield sse(
                    "log",
                    {
                        "id": line.id,
                        "level": line.level,
                        "message": line.log_message,
                        "text": stored.localize(line.log_message, lang),
                        "created_at": line.created_at,
                    },
                    event_id=last_log,
                )
                last_sent = time.monotonic()
            if len(logs) == MAX_LOGS_PER_POLL:
                continue  # more lines waiting: send them before sleeping
            db_state = state_of(row)
            state = feed.merged(db_state)
            if state != last_state:
                yield sse("progress", state, event_id=last_log)
                last_state = state
                last_sent = time.monotonic()
            if row.status in FINAL_STATUSES:
                yield sse("end", state, event_id=last_log)
                return
            if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
                yield ": keepalive\n\n"
                last_sent = time.monotonic()
            deadline = time.monotonic() + feed.poll
            while (msg := await feed.next(seen, deadline)) is not None and msg.get("t") != "changed":
                if msg.get("t") == "progress":
                    feed.overlays[record_id] = msg
                    state = feed.merged(db_state)
                    if state != last_state:
                        yield sse("progress", state, event_id=last_log)
                        last_state, last_sent = state, time.monotonic()
                elif msg.get("t") == "line" and (event := _line_event(msg, lang)) is not None:
                    yield event
                    last_sent = time.monotonic()
            if feed.sub is not None and not feed.sub.active:
                await feed.sub.watch({record_id})  # Redis came back? (rate-limited inside)
    finally:
        await feed.close()


def _load_many(db: Database, table: str, user_id: str | None, ids: Sequence[str], since: datetime) -> list[Any]:
    m = TABLES[table].model
    stmt = select(m.id, m.status, m.progress, m.step, m.error, m.attempts)
    if user_id is not None:
        stmt = stmt.where(m.user_id == user_id)
    if ids:
        stmt = stmt.where(m.id.in_(list(ids)))
    else:
        stmt = stmt.where(or_(m.status.in_(("pending", "processing")), m.updated_at >= since))
    with db.read_session() as s:
        return list(s.execute(stmt.limit(200)).all())


async def list_stream(
    db: Database,
    table: str,
    *,
    user_id: str | None,
    ids: Sequence[str] = (),
    poll_seconds: float = 0.5,
    settings: Settings | None = None,
) -> AsyncIterator[str]:
    """`progress` events for every watched record that changes, and `end` once per finished one.

    Watches `ids` when given (at most 200), else the user's active records and any that
    changed since the stream opened (so newly created jobs appear too). Closed by the
    server after MAX_STREAM_SECONDS (the browser reconnects by itself). With Redis, the
    active records' channels are subscribed, so their progress arrives as it is published.
    """
    feed = _Live(settings, poll_seconds)
    db_states: dict[str, dict[str, Any]] = {}
    states: dict[str, dict[str, Any]] = {}
    opened = utcnow() - timedelta(seconds=2)
    last_sent = started = time.monotonic()

    def changed(state: dict[str, Any]) -> list[str]:
        old = states.get(state["id"])
        if old == state:
            return []
        states[state["id"]] = state
        was_final = (old or {}).get("status") in FINAL_STATUSES
        out = [sse("progress", state)]
        if state["status"] in FINAL_STATUSES and not was_final:
            out.append(sse("end", state))
        return out

    yield "retry: 2000\n\n"
    try:
        while time.monotonic() - started < MAX_STREAM_SECONDS:
            seen = version()
            rows = await run_in_threadpool(_load_many, db, table, user_id, list(ids)[:200], opened)
            for row in rows:
                db_states[row.id] = state_of(row)
                for event in changed(feed.merged(db_states[row.id])):
                    yield event
                    last_sent = time.monotonic()
            if feed.sub is not None:
                active = {i for i, st in db_states.items() if st["status"] not in FINAL_STATUSES}
                await feed.sub.watch(set(sorted(active)[:200]))
            if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
                yield ": keepalive\n\n"
                last_sent = time.monotonic()
            deadline = time.monotonic() + feed.poll
            while (msg := await feed.next(seen, deadline)) is not None and msg.get("t") != "changed":
                record = db_states.get(msg["id"])
                if msg.get("t") == "progress" and record is not None:
                    feed.overlays[msg["id"]] = msg
                    for event in changed(feed.merged(record)):
                        yield event
                        last_sent = time.monotonic()
    finally:
        await feed.close()


# --------------------------------------------------------------------------- bounded stream responses
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_streams = 0
_streams_lock = threading.Lock()


class TooManyStreams(AppError):
    status = 503
    title = "Server busy"


class _BoundedStream(StreamingResponse):
    """Frees its stream slot when the response ends, however it ends (client gone, error)."""

    def __init__(self, stream: AsyncIterator[str], release: Callable[[], None]) -> None:
        super().__init__(stream, media_type="text/event-stream", headers=SSE_HEADERS)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def open_streams() -> int:
    return _streams


def sse_response(request: Request, settings: Settings, stream: AsyncIterator[str]) -> StreamingResponse:
    """`stream` as an SSE response, at most `sse_max_streams` at once in this process (else 503)."""
    global _streams
    with _streams_lock:
        if _streams >= settings.sse_max_streams:
            lang = i18n.choose_locale(request)
            raise TooManyStreams(
                i18n.gettext(lang, "Too many requests are waiting right now. Please try again in a moment."),
                headers={"Retry-After": "5"},
            )
        _streams += 1
    released = False

    def release() -> None:
        global _streams
        nonlocal released
        with _streams_lock:
            if not released:
                released = True
                _streams -= 1

    return _BoundedStream(stream, release)
