"""API shapes of the jobs domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    type: str
    title: str
    status: str
    progress: int
    step: str
    error: str | None
    attempts: int
    cancel_requested: bool
    steps_done: list[str]
    script_id: str | None
    folder_id: str | None
    parent_job_id: str | None
    video_url: str | None
    thumbnail_path: str | None
    duration_seconds: float | None
    size_bytes: int | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class AdminJobOut(JobOut):
    user_id: str
    worker_id: str | None
    lease_until: datetime | None
    debit_id: str | None


class JobLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    level: str
    log_message: str  # as stored (English for lines the system writes)
    created_at: datetime
    text: str = ""  # the line in the reader's language


class JobDetail(JobOut):
    options: dict[str, Any]
    logs: list[JobLogOut]


class JobPage(BaseModel):
    items: list[JobOut]
    next_cursor: str | None


class AdminJobPage(BaseModel):
    items: list[AdminJobOut]
    next_cursor: str | None


class CancelOut(BaseModel):
    id: str
    result: str  # cancelled (it was waiting) | requested (it is running; stops shortly)
    status: str


class QueueDepth(BaseModel):
    kind: str
    queue: str
    pending: int
    processing: int


class WorkerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    hostname: str
    pid: int
    mode: str
    queues: list[str]
    threads: int
    busy: int
    jobs_done: int
    started_at: datetime
    seen_at: datetime


class AdminOverview(BaseModel):
    queues: list[QueueDepth]
    broker_queues: dict[str, int] | None  # messages waiting in Redis (distributed mode)
    workers: list[WorkerOut]
    mode: str  # embedded | distributed
