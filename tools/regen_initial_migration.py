"""Regenerate migration 0001 from the models (only until the first release ships).

Usage: .venv/bin/python tools/regen_initial_migration.py
After the first release, add new revisions with `make migration m="what changed"` instead.
"""

import tempfile
from pathlib import Path

from alembic import command

from reelforge.db.engine import make_engine
from reelforge.db.migrate import MIGRATIONS_DIR, alembic_config

for old in (MIGRATIONS_DIR / "versions").glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{Path(tmp) / 'gen.db'}"
    engine = make_engine(url)
    command.revision(alembic_config(url, engine), message="initial schema", autogenerate=True, rev_id="0001")
    engine.dispose()
