"""Live progress as Server-Sent Events, for every registered table of work (`jobs`, `scripts`).

The database is the source of truth, so a stream works whichever process (embedded
pool, `reelforge worker --local`, a Dramatiq worker on another machine) runs the job:
each stream polls its row and the new log lines every `job_sse_poll_seconds`. Writes
made in this process (the embedded pool, the cancel endpoint) also bump an in-memory
version counter, which wakes the streams at once instead of at the next poll.

Events of one record's stream (`record_stream`):

- `progress` — `{"id", "status", "progress", "step", "error", "attempts"}` whenever one of them changes
  (the first event is always the current state, so a page never starts blank);
- `log` — `{"id", "level", "message", "created_at"}` per log line, in order;
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
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool

from reelforge.db.base import utcnow
from reelforge.db.engine import Database
from reelforge.jobs.registry import TABLES

FINAL_STATUSES = ("completed", "failed", "cancelled")
KEEPALIVE_SECONDS = 15.0
MAX_STREAM_SECONDS = 600.0  # then the server closes the stream; EventSource reconnects (Last-Event-ID)
MAX_LOGS_PER_POLL = 500

_lock = threading.Lock()
_version = 0


def notify(record_id: str | None = None) -> None:
    """Something changed in this process: wake the streams now rather than at their next poll."""
    global _version
    with _lock:
        _version += 1


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
        return max(0, int(raw or 0))
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


async def record_stream(
    db: Database,
    table: str,
    record_id: str,
    *,
    last_event_id: int = 0,
    poll_seconds: float = 0.5,
) -> AsyncIterator[str]:
    """The SSE stream of one job or script (see the module docstring). Ends after `end`."""
    last_log = last_event_id
    last_state: dict[str, Any] | None = None
    last_sent = opened = time.monotonic()
    yield "retry: 2000\n\n"
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
                {"id": line.id, "level": line.level, "message": line.log_message, "created_at": line.created_at},
                event_id=last_log,
            )
            last_sent = time.monotonic()
        if len(logs) == MAX_LOGS_PER_POLL:
            continue  # more lines waiting: send them before sleeping
        state = state_of(row)
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
        await wait_change(seen, poll_seconds)


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
) -> AsyncIterator[str]:
    """`progress` events for every watched record that changes, and `end` once per finished one.

    Watches `ids` when given (at most 200), else the user's active records and any that
    changed since the stream opened (so newly created jobs appear too). Closed by the
    server after MAX_STREAM_SECONDS (the browser reconnects by itself).
    """
    states: dict[str, dict[str, Any]] = {}
    opened = utcnow() - timedelta(seconds=2)
    last_sent = started = time.monotonic()
    yield "retry: 2000\n\n"
    while time.monotonic() - started < MAX_STREAM_SECONDS:
        seen = version()
        rows = await run_in_threadpool(_load_many, db, table, user_id, list(ids)[:200], opened)
        for row in rows:
            state = state_of(row)
            if states.get(row.id) != state:
                was_final = states.get(row.id, {}).get("status") in FINAL_STATUSES
                states[row.id] = state
                yield sse("progress", state)
                if row.status in FINAL_STATUSES and not was_final:
                    yield sse("end", state)
                last_sent = time.monotonic()
        if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
            yield ": keepalive\n\n"
            last_sent = time.monotonic()
        await wait_change(seen, poll_seconds)
