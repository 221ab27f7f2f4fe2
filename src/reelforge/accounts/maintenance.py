"""Periodic account housekeeping in `reelforge serve`: purge expired sessions on a light timer.

One daemon thread per server process wakes every `REELFORGE_SESSION_PURGE_MINUTES` and runs
`accounts.service.purge` in its own unit of work. Logins also purge opportunistically
(`service.maybe_purge`), and `reelforge sessions purge` does it on demand (e.g. from cron).
Several servers purging the same rows is harmless: the deletes are idempotent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from fastapi import FastAPI

from reelforge.config import Settings
from reelforge.db.engine import Database

log = logging.getLogger(__name__)


class PurgeTimer:
    def __init__(self, db: Database, interval_seconds: float) -> None:
        self.db = db
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        from reelforge.accounts.service import purge

        with self.db.session() as session:
            return purge(session)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                count = self.run_once()
                if count:
                    log.info("purged %d expired session(s)", count)
            except Exception:  # the timer must survive a busy or briefly unreachable database
                log.exception("session purge failed; retrying at the next interval")

    def start(self) -> PurgeTimer:
        self._thread = threading.Thread(target=self._loop, name="reelforge-session-purge", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def purge_hooks(settings: Settings, db: Database) -> tuple[Callable[[FastAPI], None], Callable[[FastAPI], None]]:
    """(start, stop) hooks for `create_app(on_startup=..., on_shutdown=...)`."""
    timer = PurgeTimer(db, settings.session_purge_minutes * 60.0)

    def start(_app: FastAPI) -> None:
        timer.start()

    def stop(_app: FastAPI) -> None:
        timer.stop()

    return start, stop
