"""Tables of the admin domain: the internal task board."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.db.base import Base, CreatedAt, Timestamps, UUIDPk
from reelforge.db.types import UTCDateTime


class Task(UUIDPk, Timestamps, Base):
    """Seed tasks: the admins' to-do board."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("status IN ('todo','ing','done')", name="status_valid"),
        Index("idx_tasks_status", "status"),
        Index("idx_tasks_priority", "priority"),
        Index("idx_tasks_created_at", "created_at"),
        Index("idx_tasks_status_position", "status", "position"),
    )

    content: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(8), default="todo", nullable=False)
    priority: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Order of the card inside its column (0 first); kept dense by the service.
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    logs: Mapped[str] = mapped_column(Text, default="", nullable=False)  # seed free-text notes
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TaskLog(CreatedAt, Base):
    """Seed task_logs, plus who made the change and what it was (so the board can show it
    in either language; `log_message` keeps the seed's readable English line)."""

    __tablename__ = "task_logs"
    __table_args__ = (Index("idx_task_logs_task_id", "task_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    log_message: Mapped[str] = mapped_column(Text, nullable=False)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16), default="note", server_default="note", nullable=False)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
