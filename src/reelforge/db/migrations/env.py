"""Alembic environment: runs against the engine handed in by reelforge.db.migrate."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Engine

from reelforge.db.engine import make_engine
from reelforge.db.registry import metadata
from reelforge.db.types import UTCDateTime

config = context.config


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Write plain SQLAlchemy types into migrations; the TypeDecorator is a Python-side concern.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    owns_engine = engine is None
    if engine is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            render_item=render_item,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    if owns_engine:
        engine.dispose()


run_migrations_online()
