"""JSON API of the admin task board (/api/v1/admin/tasks): a thin skin over admin.flows, the
same calls as the kanban page. Admins only (anonymous 401, others 403); an unknown task is
404; bad input is a 422 problem whose detail is in the reader's language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from reelforge import i18n
from reelforge.accounts.models import User
from reelforge.admin import flows, queries, service
from reelforge.admin.flows import TaskView
from reelforge.admin.models import TaskLog
from reelforge.admin.service import TaskChange
from reelforge.errors import AppError
from reelforge.web.auth import AdminUser
from reelforge.web.deps import DbSession

router = APIRouter(prefix="/admin/tasks", tags=["admin: tasks"])


# ---------------------------------------------------------------- schemas
class Person(BaseModel):
    id: str
    email: str
    name: str


class LogOut(BaseModel):
    id: int
    action: str = Field(description="created | content | status | priority | position")
    old_value: str | None
    new_value: str | None
    message: str = Field(description="The seed's readable log line (English).")
    actor: Person | None = Field(description="Who made the change (null once that account is gone).")
    created_at: datetime


class TaskOut(BaseModel):
    id: str
    content: str
    status: str = Field(description="todo | ing | done")
    priority: int
    position: int = Field(description="Place in its column, 0 first.")
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    created_by: Person | None
    last_log: LogOut | None


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int
    limit: int
    offset: int


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str = Field(max_length=20_000, description=f"1 to {service.MAX_CONTENT} characters.")
    status: str = Field("todo", max_length=20, description="todo | ing | done")
    priority: int = Field(0, description=f"{service.PRIORITY_MIN} to {service.PRIORITY_MAX}, higher is more urgent.")


class TaskPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str | None = Field(None, max_length=20_000)
    status: str | None = Field(None, max_length=20, description="Moving to done sets completed_at; leaving clears it.")
    priority: int | None = None
    position: int | None = Field(None, description="Place in the (new) column, 0 first; the end if omitted.")


def _person(people: dict[str, User], user_id: str | None) -> Person | None:
    user = people.get(user_id) if user_id else None
    return Person(id=user.id, email=user.email, name=user.name or "") if user else None


def _log_out(log: TaskLog, people: dict[str, User]) -> LogOut:
    return LogOut(
        id=log.id,
        action=log.action,
        old_value=log.old_value,
        new_value=log.new_value,
        message=log.log_message,
        actor=_person(people, log.actor_id),
        created_at=log.created_at,
    )


def _task_out(v: TaskView) -> TaskOut:
    t = v.task
    return TaskOut(
        id=t.id,
        content=t.content,
        status=t.status,
        priority=t.priority,
        position=t.position,
        completed_at=t.completed_at,
        created_at=t.created_at,
        updated_at=t.updated_at,
        created_by=_person(v.people, t.created_by),
        last_log=_log_out(v.last_log, v.people) if v.last_log else None,
    )


@contextmanager
def _localized(request: Request) -> Iterator[None]:
    """Domain errors leave with their detail in the reader's language."""
    try:
        yield
    except AppError as exc:
        exc.detail = flows.localize(i18n.request_locale(request), exc)
        raise


# ---------------------------------------------------------------- routes
@router.get("", response_model=TaskPage, summary="Tasks in board order, filtered (offset pages)")
def list_tasks(
    request: Request,
    admin: AdminUser,
    db: DbSession,
    status: Annotated[list[str] | None, Query(max_length=3, description="todo | ing | done (repeatable).")] = None,
    priority: Annotated[int | None, Query(ge=service.PRIORITY_MIN, le=service.PRIORITY_MAX)] = None,
    min_priority: Annotated[int | None, Query(ge=service.PRIORITY_MIN, le=service.PRIORITY_MAX)] = None,
    q: Annotated[str, Query(max_length=queries.MAX_SEARCH, description="Part of the content.")] = "",
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=queries.MAX_OFFSET)] = 0,
) -> TaskPage:
    with _localized(request):
        statuses = tuple(dict.fromkeys(service.validate_status(s) for s in status or []))
        f = queries.TaskFilter(statuses=statuses, priority=priority, min_priority=min_priority, text=q)
        views, total = flows.list_page(db, f, limit=limit, offset=offset)
    return TaskPage(items=[_task_out(v) for v in views], total=total, limit=limit, offset=offset)


@router.post("", response_model=TaskOut, status_code=201, summary="Add a task (logged as created)")
def create_task(request: Request, body: TaskIn, admin: AdminUser, db: DbSession) -> TaskOut:
    with _localized(request):
        v = flows.create(db, admin, content=body.content, status=body.status, priority=body.priority)
    return _task_out(v)


@router.get("/{task_id}", response_model=TaskOut, summary="One task with its newest log line")
def get_task(request: Request, task_id: str, admin: AdminUser, db: DbSession) -> TaskOut:
    with _localized(request):
        return _task_out(flows.view(db, queries.get_task(db, task_id)))


@router.get("/{task_id}/logs", response_model=list[LogOut], summary="A task's changes, newest first")
def task_logs(
    request: Request,
    task_id: str,
    admin: AdminUser,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
) -> list[LogOut]:
    with _localized(request):
        logs, people = flows.history(db, task_id, limit=limit)
    return [_log_out(log, people) for log in logs]


@router.patch("/{task_id}", response_model=TaskOut, summary="Change content, status, priority or position")
def patch_task(request: Request, task_id: str, body: TaskPatch, admin: AdminUser, db: DbSession) -> TaskOut:
    change = TaskChange(content=body.content, status=body.status, priority=body.priority, position=body.position)
    with _localized(request):
        return _task_out(flows.change(db, admin, task_id, change))


@router.delete("/{task_id}", status_code=204, summary="Delete a task (and its logs; noted in the activity log)")
def delete_task(request: Request, task_id: str, admin: AdminUser, db: DbSession) -> Response:
    with _localized(request):
        flows.delete(db, admin, task_id)
    return Response(status_code=204)
