"""Shared FastAPI dependencies: the unit of work per request and app-wide objects."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from reelforge.config import Settings
from reelforge.db.engine import Database


def get_database(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit once when the handler returns, roll back on error.

    Declared with scope="function" so the commit happens before the response is sent; a
    failed commit therefore becomes an error response instead of a silently lost write.
    """
    db: Database = request.app.state.db
    request.state.after_commit = []
    with db.session() as session:
        yield session
    for callback in request.state.after_commit:
        callback()


def run_after_commit(request: Request, callback: Callable[[], object]) -> None:
    """Queue work for other processes (queue messages, e-mails) until the request's commit succeeds."""
    request.state.after_commit.append(callback)


async def form_data(request: Request) -> FormData:
    """The parsed form, so handlers that touch the database can stay sync (run in the thread pool)."""
    return await request.form()


DbSession = Annotated[Session, Depends(get_session, scope="function")]
FormFields = Annotated[FormData, Depends(form_data)]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]
AppDatabase = Annotated[Database, Depends(get_database)]
