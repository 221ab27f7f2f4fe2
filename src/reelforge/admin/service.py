"""Rules of the admin task board. Takes the caller's session and never commits: a change and
its task_logs rows are one unit of work, so a change is never stored without its log.

- content: required, at most MAX_CONTENT characters, no NUL (PostgreSQL refuses it);
- status: todo | ing | done; `completed_at` is set when a task becomes done and cleared
  when it is reopened;
- priority: a whole number from PRIORITY_MIN to PRIORITY_MAX (higher is more urgent);
- position: the card's place in its column, kept dense (0, 1, 2, ...) after every move;
- every change writes one task_logs row per field with who (actor_id) and what (action,
  old and new value, and the seed's readable `log_message`). A deletion removes the logs
  with the task (ON DELETE CASCADE), so it goes to the activity log instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.orm import Session

from reelforge.accounts.service import log_activity
from reelforge.admin import queries
from reelforge.admin.models import Task, TaskLog
from reelforge.admin.queries import STATUSES
from reelforge.errors import InvalidInput

MAX_CONTENT = 2000
PRIORITY_MIN, PRIORITY_MAX = 0, 5
MAX_POSITION = 100_000
LOG_EXCERPT = 80
Direction = Literal["left", "right", "up", "down"]


# ---------------------------------------------------------------- validation
def validate_content(value: str) -> str:
    text = (value or "").strip()
    if not text or len(text) > MAX_CONTENT or "\x00" in text:
        raise InvalidInput("Write the task (1 to %(max_length)s characters).", field="content", max_length=MAX_CONTENT)
    return text


def validate_status(value: str) -> str:
    if value not in STATUSES:
        raise InvalidInput("Choose a status: todo, ing or done.", field="status", allowed=list(STATUSES))
    return value


def validate_priority(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not PRIORITY_MIN <= value <= PRIORITY_MAX:
        raise InvalidInput(
            "The priority is a whole number from %(minimum)s to %(maximum)s.",
            field="priority",
            minimum=PRIORITY_MIN,
            maximum=PRIORITY_MAX,
        )
    return value


def validate_position(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POSITION:
        raise InvalidInput(
            "The position is a whole number from %(minimum)s to %(maximum)s.",
            field="position",
            minimum=0,
            maximum=MAX_POSITION,
        )
    return value


# ---------------------------------------------------------------- the log
def _excerpt(text: str) -> str:
    return text if len(text) <= LOG_EXCERPT else text[: LOG_EXCERPT - 1] + "…"


def _log(db: Session, task: Task, actor_id: str | None, action: str, old: object, new: object) -> TaskLog:
    old_text = None if old is None else str(old)
    new_text = None if new is None else str(new)
    if action == "created":
        message = f"created: {_excerpt(new_text or '')}"
    elif action == "content":
        message = f"content: {_excerpt(new_text or '')}"
    else:
        message = f"{action}: {old_text} → {new_text}"
    row = TaskLog(
        task_id=task.id, actor_id=actor_id, action=action, old_value=old_text, new_value=new_text, log_message=message
    )
    db.add(row)
    return row


# ---------------------------------------------------------------- positions
def _renumber(tasks: list[Task]) -> None:
    for index, task in enumerate(tasks):
        if task.position != index:
            task.position = index


def _place(db: Session, task: Task, status: str, index: int | None) -> None:
    """Put `task` at `index` of the column `status` (None: at the end) and close the gaps."""
    others = queries.column_tasks(db, status, exclude_id=task.id)
    at = len(others) if index is None else max(0, min(index, len(others)))
    others.insert(at, task)
    _renumber(others)


def _index_in_column(db: Session, task: Task) -> int:
    """Where the card is shown (positions may tie on rows older than the board)."""
    ids = [t.id for t in queries.column_tasks(db, task.status)]
    return ids.index(task.id)


def _set_status(task: Task, status: str) -> None:
    if status == "done" and task.status != "done":
        task.completed_at = datetime.now(UTC)
    elif status != "done":
        task.completed_at = None
    task.status = status


# ---------------------------------------------------------------- changes
def create_task(db: Session, *, actor_id: str | None, content: str, status: str = "todo", priority: int = 0) -> Task:
    task = Task(
        content=validate_content(content),
        status="todo",
        priority=validate_priority(priority),
        created_by=actor_id,
        logs="",
    )
    _set_status(task, validate_status(status))
    task.position = queries.last_position(db, task.status) + 1
    db.add(task)
    db.flush()  # the id, for the log row
    _log(db, task, actor_id, "created", None, task.content)
    return task


@dataclass(frozen=True)
class TaskChange:
    """The fields a PATCH sends; None leaves a field as it is."""

    content: str | None = None
    status: str | None = None
    priority: int | None = None
    position: int | None = None


def update_task(db: Session, task_id: str, change: TaskChange, *, actor_id: str | None) -> Task:
    task = queries.get_task(db, task_id)
    content = change.content
    if content is not None:
        # Unchanged text is not re-checked: rows imported from the legacy app may be longer.
        content = None if content.strip() == task.content else validate_content(content)
    status = None if change.status is None else validate_status(change.status)
    priority = None if change.priority is None else validate_priority(change.priority)
    position = None if change.position is None else validate_position(change.position)

    if content is not None and content != task.content:
        _log(db, task, actor_id, "content", task.content, content)
        task.content = content
    if priority is not None and priority != task.priority:
        _log(db, task, actor_id, "priority", task.priority, priority)
        task.priority = priority
    if status is not None and status != task.status:
        old_status = task.status
        _log(db, task, actor_id, "status", old_status, status)
        _set_status(task, status)
        db.flush()
        _place(db, task, status, position)
        _renumber(queries.column_tasks(db, old_status, exclude_id=task.id))
    elif position is not None:
        before = _index_in_column(db, task)
        _place(db, task, task.status, position)
        if task.position != before:
            _log(db, task, actor_id, "position", before, task.position)
    db.flush()
    return task


def move(db: Session, task_id: str, direction: Direction, *, actor_id: str | None) -> Task:
    """The keyboard and no-JS moves: to the neighbouring column (at its end) or one place
    up or down in the same column. A move past the edge changes nothing."""
    task = queries.get_task(db, task_id)
    if direction in ("left", "right"):
        index = STATUSES.index(task.status) + (1 if direction == "right" else -1)
        if not 0 <= index < len(STATUSES):
            return task
        return update_task(db, task_id, TaskChange(status=STATUSES[index]), actor_id=actor_id)
    if direction not in ("up", "down"):
        raise InvalidInput("Move left, right, up or down.", field="direction")
    target = _index_in_column(db, task) + (1 if direction == "down" else -1)
    if target < 0:
        return task
    return update_task(db, task_id, TaskChange(position=target), actor_id=actor_id)


def delete_task(db: Session, task_id: str, *, actor_id: str | None) -> None:
    task = queries.get_task(db, task_id)
    status = task.status
    log_activity(
        db,
        actor_id,
        "admin.task_deleted",
        {"task_id": task.id, "content": _excerpt(task.content), "status": status},
        actor_id=actor_id,
    )
    db.delete(task)
    db.flush()
    _renumber(queries.column_tasks(db, status))
