"""Engine creation with the per-dialect connection set-up, and the unit of work."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from reelforge.db import outbox as _outbox  # noqa: F401 - registers the after-commit listeners

if TYPE_CHECKING:
    from reelforge.config import Settings

log = logging.getLogger(__name__)


_WRITE_GATES: dict[str, threading.Lock] = {}
_GATES_LOCK = threading.Lock()


def _write_gate(path: str) -> threading.Lock:
    """One lock per SQLite file per process: this process's writers queue here, in order,
    instead of all polling the file lock on busy_timeout."""
    with _GATES_LOCK:
        return _WRITE_GATES.setdefault(path, threading.Lock())


def _sqlite_setup(engine: Engine, busy_timeout_ms: int, path: str) -> None:
    """Seed section 10 pragmas on every connection; IMMEDIATE for writers, DEFERRED for readers.

    pysqlite's own transaction handling is switched off so that we emit BEGIN ourselves.
    A write unit of work begins IMMEDIATE, so it never has to upgrade a read snapshot
    (which fails at once under WAL when another writer committed meanwhile), and it first
    takes this process's write gate. A read unit of work begins DEFERRED with
    `query_only` on: it takes no lock, and a write in it is a bug that fails loudly.
    The gate and `query_only` are given back when the connection returns to the pool,
    i.e. after COMMIT or ROLLBACK.
    """
    gate = _write_gate(path)
    gate_timeout = max(busy_timeout_ms / 1000, 0.001)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA cache_size=-64000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode != "IMMEDIATE":
            conn.exec_driver_sql("PRAGMA query_only=1")
            conn.info["rf_query_only"] = True
            conn.exec_driver_sql(f"BEGIN {mode}")
            return
        if not conn.info.get("rf_gate"):
            if not gate.acquire(timeout=gate_timeout):
                raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
            conn.info["rf_gate"] = True
        try:
            if conn.info.pop("rf_query_only", False):
                conn.exec_driver_sql("PRAGMA query_only=0")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            conn.info.pop("rf_gate", None)
            gate.release()
            raise

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, record: Any) -> None:
        if record.info.pop("rf_query_only", False) and dbapi_conn is not None:
            try:
                dbapi_conn.execute("PRAGMA query_only=0")
            except sqlite3.Error:  # a broken connection is discarded by the pool anyway
                log.debug("could not reset query_only", exc_info=True)
        if record.info.pop("rf_gate", False):
            gate.release()


def make_engine(url: str, *, busy_timeout_ms: int = 15000, pool_size: int = 10, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            db_path = Path(parsed.database)
            db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not db_path.exists():
                db_path.touch(mode=0o600)
        memory = parsed.database in (None, "", ":memory:")
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            # SQLite connections are cheap: never make a request wait for one.
            **({"poolclass": NullPool} if memory else {"pool_size": pool_size * 2, "max_overflow": pool_size * 4}),
        )
        _sqlite_setup(engine, busy_timeout_ms, str(Path(parsed.database or "").resolve()) if not memory else ":memory:")
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we ship
    # Requests are admitted at most `pool_size` at a time (web/admission.py); the overflow
    # serves the embedded workers, live-progress polls and probes on top of them.
    return create_engine(parsed, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


class Database:
    """An engine plus a session factory. One instance per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.pool_size = int(engine_kwargs.get("pool_size", 10))
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._read_bind = self.engine.execution_options(sqlite_begin="DEFERRED")
        self.deferred = DeferredWrites(self)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def new_session(self, *, write: bool = True) -> Session:
        """A session not yet connected; `write=False` makes it a read-only unit of work."""
        session = self.sessionmaker(bind=self.engine if write else self._read_bind)
        session.info["database"] = self
        if not write:
            session.info[READ_ONLY] = True
        return session

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commits once at the end (then runs its outbox), rolls back on any error."""
        session = self.new_session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only unit of work: takes no lock on SQLite, and refuses writes."""
        session = self.new_session(write=False)
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.deferred.flush()
        self.engine.dispose()


READ_ONLY = "reelforge.read_only"


@event.listens_for(Session, "before_flush")
def _refuse_writes_in_read_sessions(session: Session, _ctx: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise RuntimeError("a read-only unit of work tried to write; use a write session for this route")


def database_of(session: Session) -> Database:
    """The `Database` a session came from (set by `Database.new_session`)."""
    found = session.info.get("database")
    if not isinstance(found, Database):
        raise RuntimeError("this session was not opened through reelforge.db.engine.Database")
    return found


class DeferredWrites:
    """Small writes that need not happen inside the request that noticed them.

    Last-activity timestamps are the example: a read request notices that a session was
    last seen a minute ago, and the write of the new time is queued here instead of
    turning the read into a write. Writes are coalesced by key (the newest wins) and run
    together in one short write transaction by a background thread, at most every
    `interval` seconds; `flush()` runs them now (shutdown, tests).
    """

    def __init__(self, database: Database, interval: float = 2.0) -> None:
        self._database = database
        self._interval = interval
        self._pending: dict[str, Callable[[Session], None]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, key: str, write: Callable[[Session], None]) -> None:
        with self._lock:
            self._pending[key] = write
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="deferred-writes", daemon=True)
                self._thread.start()

    def flush(self) -> int:
        with self._lock:
            batch, self._pending = self._pending, {}
        if not batch:
            return 0
        try:
            with self._database.session() as db:
                for write in batch.values():
                    write(db)
        except Exception:  # best effort by nature: the next activity queues it again
            log.warning("deferred writes failed (%d dropped)", len(batch), exc_info=True)
            return 0
        return len(batch)

    def _loop(self) -> None:
        while True:
            time.sleep(self._interval)
            self.flush()
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return


def open_database(settings: Settings) -> Database:
    """The process's database, as the settings describe it (data folder created first)."""
    settings.ensure_data_dir()
    return Database(
        settings.resolved_database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
    )
