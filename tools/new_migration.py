"""Autogenerate a new Alembic revision: `make migration m="add column x"`."""

import sys
import tempfile
from pathlib import Path

from alembic import command

from reelforge.db import migrate
from reelforge.db.engine import make_engine

message = " ".join(sys.argv[1:]).strip() or "schema change"
with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{Path(tmp) / 'gen.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    command.revision(migrate.alembic_config(url, engine), message=message, autogenerate=True)
    engine.dispose()
