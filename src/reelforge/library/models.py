"""Tables of the library domain: folders that organise a creator's scripts and videos."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.db.base import Base, Timestamps, UUIDPk


class Folder(UUIDPk, Timestamps, Base):
    """Seed folders."""

    __tablename__ = "folders"
    __table_args__ = (Index("idx_folders_user_id", "user_id"), UniqueConstraint("user_id", "name"))

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    color: Mapped[str] = mapped_column(String(7), default="#8B5CF6", nullable=False)
