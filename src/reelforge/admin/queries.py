"""Reads of the admin task board: filtered task lists (the API's pages, the board's columns),
one task, its change log and the last change of many tasks at once. None of these write.

The board is shared by every administrator, so there is no per-user scope: the callers
(api, pages) let only admins in.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from reelforge.accounts.models import User
from reelforge.admin.models import Task, TaskLog
from reelforge.errors import NotFound

# The values of tasks.status (the model's CHECK constraint), in board order.
STATUSES = ("todo", "ing", "done")
MAX_PAGE = 200
MAX_OFFSET = 100_000
MAX_SEARCH = 200
Q = TypeVar("Q", bound=Select)  # type: ignore[type-arg]  # any select over tasks


@dataclass(frozen=True)
class TaskFilter:
    """What the list and the board show: no field set means everything."""

    statuses: tuple[str, ...] = ()
    priority: int | None = None  # exactly this priority
    min_priority: int | None = None  # this priority or higher
    text: str = ""  # a case-insensitive part of the content

    def apply(self, q: Q) -> Q:
        if self.statuses:
            q = q.where(Task.status.in_(self.statuses))
        if self.priority is not None:
            q = q.where(Task.priority == self.priority)
        if self.min_priority is not None:
            q = q.where(Task.priority >= self.min_priority)
        needle = self.text.strip().lower()[:MAX_SEARCH]
        if needle:
            q = q.where(func.lower(Task.content).contains(needle, autoescape=True))
        return q


def _board_order() -> tuple[Any, ...]:
    column = case({s: i for i, s in enumerate(STATUSES)}, value=Task.status)
    return (column, Task.position, Task.priority.desc(), Task.created_at, Task.id)


def get_task(db: Session, task_id: str) -> Task:
    task = db.get(Task, task_id) if len(task_id) <= 36 else None
    if task is None:
        raise NotFound("No such task.", task_id=task_id[:36])
    return task


def list_tasks(db: Session, f: TaskFilter, *, limit: int = 50, offset: int = 0) -> tuple[list[Task], int]:
    """One page of tasks in board order (column, then position) and how many match in all."""
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, min(offset, MAX_OFFSET))
    rows = list(db.scalars(f.apply(select(Task)).order_by(*_board_order()).limit(limit).offset(offset)))
    total = db.scalar(f.apply(select(func.count()).select_from(Task))) or 0
    return rows, int(total)


def board(db: Session, f: TaskFilter, *, per_column: int = MAX_PAGE) -> dict[str, list[Task]]:
    """The three columns (only those the filter keeps hold cards), each capped at `per_column`."""
    columns: dict[str, list[Task]] = {s: [] for s in STATUSES}
    for status in f.statuses or STATUSES:
        q = f.apply(select(Task)).where(Task.status == status).order_by(*_board_order()).limit(per_column)
        columns[status] = list(db.scalars(q))
    return columns


def column_counts(db: Session, f: TaskFilter) -> dict[str, int]:
    q = f.apply(select(Task.status, func.count()).group_by(Task.status))
    counts = {s: 0 for s in STATUSES}
    counts.update({status: int(n) for status, n in db.execute(q)})
    return counts


def column_tasks(db: Session, status: str, *, exclude_id: str | None = None) -> list[Task]:
    """Every task of one column in its order (the service renumbers positions from this)."""
    q = select(Task).where(Task.status == status).order_by(*_board_order()).with_for_update()
    if exclude_id is not None:
        q = q.where(Task.id != exclude_id)
    return list(db.scalars(q))


def last_position(db: Session, status: str) -> int:
    """The position after the last card of a column (-1 + 1 = 0 for an empty one)."""
    top = db.scalar(select(func.max(Task.position)).where(Task.status == status))
    return -1 if top is None else int(top)


def task_logs(db: Session, task_id: str, *, limit: int = 50) -> list[TaskLog]:
    """A task's changes, newest first."""
    q = select(TaskLog).where(TaskLog.task_id == task_id).order_by(TaskLog.id.desc()).limit(limit)
    return list(db.scalars(q))


def last_logs(db: Session, task_ids: Collection[str]) -> dict[str, TaskLog]:
    """The newest change of each of the given tasks (one query, for the board's cards)."""
    if not task_ids:
        return {}
    newest = (
        select(func.max(TaskLog.id)).where(TaskLog.task_id.in_(set(task_ids))).group_by(TaskLog.task_id)
    ).scalar_subquery()
    return {log.task_id: log for log in db.scalars(select(TaskLog).where(TaskLog.id.in_(newest)))}


def users_by_id(db: Session, ids: Collection[str | None]) -> dict[str, User]:
    wanted = {i for i in ids if i}
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}


def actor_ids(logs: Sequence[TaskLog]) -> set[str]:
    return {log.actor_id for log in logs if log.actor_id}
