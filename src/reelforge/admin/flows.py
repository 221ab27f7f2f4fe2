"""Use cases of the admin task board shared by the JSON API and the kanban page: the changes
(through the service, so every one is logged with who made it) and the views both show (a
task with its newest log line and the people named on it).

Errors carry an English msgid with `%(name)s` placeholders filled from their extras;
`localize` turns one into the reader's language (the API's problem detail, the page's flash).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from reelforge import i18n
from reelforge.accounts.models import User
from reelforge.admin import queries, service
from reelforge.admin.models import Task, TaskLog
from reelforge.admin.queries import TaskFilter
from reelforge.admin.service import Direction, TaskChange
from reelforge.errors import AppError


def localize(lang: str, exc: AppError) -> str:
    params = {k: v for k, v in exc.extra.items() if isinstance(v, str | int)}
    try:
        return i18n.gettext(lang, exc.detail, **params)
    except (KeyError, ValueError, TypeError):  # a detail that is not one of our msgids
        return i18n.gettext(lang, exc.detail)


@dataclass(frozen=True)
class TaskView:
    task: Task
    last_log: TaskLog | None
    people: dict[str, User]  # users named by the task (creator) and its log line, by id


@dataclass(frozen=True)
class BoardView:
    columns: dict[str, list[TaskView]]
    counts: dict[str, int]  # cards per column matching the filter (a column shows at most `per_column`)


def _views(db: Session, tasks: Sequence[Task]) -> list[TaskView]:
    logs = queries.last_logs(db, [t.id for t in tasks])
    people = queries.users_by_id(db, [t.created_by for t in tasks] + [log.actor_id for log in logs.values()])
    return [TaskView(t, logs.get(t.id), people) for t in tasks]


def view(db: Session, task: Task) -> TaskView:
    return _views(db, [task])[0]


def list_page(db: Session, f: TaskFilter, *, limit: int, offset: int) -> tuple[list[TaskView], int]:
    rows, total = queries.list_tasks(db, f, limit=limit, offset=offset)
    return _views(db, rows), total


def board(db: Session, f: TaskFilter, *, per_column: int = 100) -> BoardView:
    columns = queries.board(db, f, per_column=per_column)
    views = _views(db, [t for tasks in columns.values() for t in tasks])
    by_id = {v.task.id: v for v in views}
    return BoardView(
        columns={s: [by_id[t.id] for t in tasks] for s, tasks in columns.items()},
        counts=queries.column_counts(db, f),
    )


def history(db: Session, task_id: str, *, limit: int = 50) -> tuple[list[TaskLog], dict[str, User]]:
    queries.get_task(db, task_id)
    logs = queries.task_logs(db, task_id, limit=limit)
    return logs, queries.users_by_id(db, queries.actor_ids(logs))


def create(db: Session, admin: User, *, content: str, status: str = "todo", priority: int = 0) -> TaskView:
    task = service.create_task(db, actor_id=admin.id, content=content, status=status, priority=priority)
    return view(db, task)


def change(db: Session, admin: User, task_id: str, patch: TaskChange) -> TaskView:
    return view(db, service.update_task(db, task_id, patch, actor_id=admin.id))


def move(db: Session, admin: User, task_id: str, direction: Direction) -> TaskView:
    return view(db, service.move(db, task_id, direction, actor_id=admin.id))


def delete(db: Session, admin: User, task_id: str) -> None:
    service.delete_task(db, task_id, actor_id=admin.id)
