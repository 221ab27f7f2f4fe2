"""Shared FastAPI dependencies: the unit of work per request and app-wide objects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.web.params import clean_text


def get_database(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _unit_of_work(request: Request, *, write: bool) -> Iterator[Session]:
    db: Database = request.app.state.db
    with db.session(write=write) as session:
        yield session


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit once when the handler returns, roll back on error.

    A safe method (GET, HEAD, OPTIONS) gets a read-only unit of work: on SQLite it takes
    no lock, so any number of readers proceed while a writer works. Other methods get a
    write unit of work. Declared with scope="function" so the commit happens before the
    response is sent; a failed commit therefore becomes an error response instead of a
    silently lost write. Work for other processes rides on the session's after-commit
    outbox (`reelforge.db.outbox.after_commit`).
    """
    yield from _unit_of_work(request, write=request.method not in SAFE_METHODS)


def get_write_session(request: Request) -> Iterator[Session]:
    """A write unit of work whatever the method: for the few GET routes that change state
    (an e-mail verification link, the OAuth callback)."""
    yield from _unit_of_work(request, write=True)


async def form_data(request: Request) -> FormData:
    """The parsed form, so handlers that touch the database can stay sync (run in the thread pool).
    Its text fields pass the same `clean_text` as every typed field (files are left alone)."""
    form = await request.form()
    return FormData([(k, clean_text(v) if isinstance(v, str) else v) for k, v in form.multi_items()])


DbSession = Annotated[Session, Depends(get_session, scope="function")]
WriteSession = Annotated[Session, Depends(get_write_session, scope="function")]
FormFields = Annotated[FormData, Depends(form_data)]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]
AppDatabase = Annotated[Database, Depends(get_database)]
