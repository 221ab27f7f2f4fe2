"""Tables of the jobs domain: video jobs (seed `jobs`) and their logs, and the lease columns
shared by every durable unit of work (video jobs and script jobs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.db.base import Base, CreatedAt, Timestamps, UUIDPk
from reelforge.db.types import UTCDateTime

JOB_STATUSES = ("pending", "processing", "completed", "failed", "cancelled")
ACTIVE_STATUSES = ("pending", "processing")


class DurableWork:
    """Columns a worker needs to claim, lease, resume, cancel and refund a unit of work."""

    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    progress: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    step: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    worker_id: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Names of the steps already finished, so a reclaimed job resumes after them.
    steps_done: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)

    # The ledger row this work was paid with. Not a foreign key: credit_history already points
    # here (job_id/script_id), and a key both ways would be a cycle the migrations cannot create.
    debit_id: Mapped[str | None] = mapped_column(String(36))


class Job(UUIDPk, Timestamps, DurableWork, Base):
    """Seed `jobs`: one video render (longform, shortform, sora2, square) or a follow-up such as an upload."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('pending','processing','completed','failed','cancelled')", name="status_valid"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        Index("idx_jobs_user_id", "user_id"),
        Index("idx_jobs_status", "status"),
        Index("idx_jobs_created_at", "created_at"),
        Index("idx_jobs_user_id_created_at", "user_id", "created_at"),
        Index("idx_jobs_status_lease_until", "status", "lease_until"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), default="render", nullable=False)  # render|upload
    type: Mapped[str] = mapped_column(String(16), nullable=False)  # longform|shortform|sora2|square|upload
    title: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    script_id: Mapped[str | None] = mapped_column(ForeignKey("scripts.id", ondelete="SET NULL"), index=True)
    folder_id: Mapped[str | None] = mapped_column(ForeignKey("folders.id", ondelete="SET NULL"), index=True)
    parent_job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    video_url: Mapped[str | None] = mapped_column(String(500))
    thumbnail_path: Mapped[str | None] = mapped_column(String(500))
    subtitles_path: Mapped[str | None] = mapped_column(String(500))
    duration_seconds: Mapped[float | None] = mapped_column()
    size_bytes: Mapped[int | None] = mapped_column(Integer)


class JobLog(CreatedAt, Base):
    """Seed job_logs: timestamped lines written by the runner."""

    __tablename__ = "job_logs"
    __table_args__ = (Index("idx_job_logs_job_id", "job_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False)
    level: Mapped[str] = mapped_column(String(10), default="info", nullable=False)
    log_message: Mapped[str] = mapped_column(Text, nullable=False)


class JobWorker(Base):
    """A worker process seen recently: written by its heartbeat, read by the admin page and doctor.

    Kept in the database (not Redis) so embedded mode, which has no broker, shows its
    workers too. Rows of workers not seen for a day are pruned by the heartbeat.
    """

    __tablename__ = "job_workers"
    __table_args__ = (Index("idx_job_workers_seen_at", "seen_at"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True)  # host:pid:random
    hostname: Mapped[str] = mapped_column(String(255), default="", nullable=False)
    pid: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    mode: Mapped[str] = mapped_column(String(16), default="embedded", nullable=False)  # embedded|local|dramatiq
    queues: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    threads: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    busy: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # jobs running at the last beat
    jobs_done: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
