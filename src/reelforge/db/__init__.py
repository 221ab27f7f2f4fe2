"""Database: engine and unit of work, declarative base, Alembic migrations."""

from reelforge.db.base import Base, utcnow
from reelforge.db.engine import Database

__all__ = ["Base", "Database", "utcnow"]
