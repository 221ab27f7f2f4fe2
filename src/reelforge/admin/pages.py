"""HTML page of the admin task board (/admin/tasks): a kanban of three columns over the same
flows as the JSON API. Every change is a form posting back with the session's CSRF token and
a redirect to the board with the filters it came from, so the board works without JS and from
the keyboard; admin_tasks.js adds drag and drop between columns (through the JSON API)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from reelforge import i18n
from reelforge.admin import flows, queries, service
from reelforge.admin.models import TaskLog
from reelforge.admin.service import TaskChange
from reelforge.errors import InvalidInput, NotFound
from reelforge.i18n import N_
from reelforge.web.auth import PageAdmin
from reelforge.web.deps import DbSession
from reelforge.web.templating import activity_labels, add_admin_section, flash, redirect, render

router = APIRouter(include_in_schema=False)

add_admin_section(
    "/admin/tasks",
    N_("Task board"),
    N_("The admins' to-do board: to do, in progress, done, with who changed what."),
)
activity_labels["admin.task_deleted"] = N_("Task deleted from the board")

STATUS_LABELS = {"todo": N_("To do"), "ing": N_("In progress"), "done": N_("Done")}
BOARD = "/admin/tasks"
Text = Annotated[str, Form(max_length=20_000)]
Short = Annotated[str, Form(max_length=200)]


def _(request: Request, message: str, **params: Any) -> str:
    return i18n.gettext(i18n.request_locale(request), message, **params)


def _int(value: str) -> int | None:
    text = value.strip()
    return int(text) if text.lstrip("-").isdigit() and len(text) <= 9 else None


def _board_filter(status: str, min_priority: str, q: str) -> tuple[queries.TaskFilter, dict[str, str]]:
    """The query-string filters; values the board does not know are ignored, not a 500."""
    statuses = (status,) if status in queries.STATUSES else ()
    floor = _int(min_priority)
    if floor is not None and not service.PRIORITY_MIN <= floor <= service.PRIORITY_MAX:
        floor = None
    text = q.strip()[: queries.MAX_SEARCH]
    query = {"status": statuses[0] if statuses else "", "min_priority": "" if floor is None else str(floor), "q": text}
    return queries.TaskFilter(statuses=statuses, min_priority=floor, text=text), query


def _back(back: str) -> str:
    """Where a form returns: the board with the filters it was posted from (never elsewhere)."""
    if back.startswith(BOARD + "?") and "//" not in back and "\\" not in back and len(back) <= 500:
        return back
    return BOARD


def log_line(request: Request, log: TaskLog | None) -> str:
    """What a card says about its newest change, in the reader's language."""
    if log is None:
        return ""
    if log.action == "status":
        old = _(request, STATUS_LABELS.get(log.old_value or "", log.old_value or ""))
        new = _(request, STATUS_LABELS.get(log.new_value or "", log.new_value or ""))
        return _(request, "Moved from %(old)s to %(new)s", old=old, new=new)
    if log.action == "priority":
        return _(request, "Priority %(old)s → %(new)s", old=log.old_value, new=log.new_value)
    if log.action == "position":
        return _(request, "Reordered in its column")
    if log.action == "content":
        return _(request, "Edited the text")
    if log.action == "created":
        return _(request, "Created the task")
    return log.log_message


def _context(
    request: Request, db: DbSession, f: queries.TaskFilter, query: dict[str, str], **extra: Any
) -> dict[str, Any]:
    qs = urlencode({k: v for k, v in query.items() if v})
    return {
        "board": flows.board(db, f),
        "statuses": queries.STATUSES,
        "status_labels": {k: _(request, v) for k, v in STATUS_LABELS.items()},
        "priorities": list(range(service.PRIORITY_MIN, service.PRIORITY_MAX + 1)),
        "max_content": service.MAX_CONTENT,
        "query": query,
        "back": BOARD + ("?" + qs if qs else ""),
        "log_line": lambda log: log_line(request, log),
        "values": {},
        "errors": {},
        **extra,
    }


@router.get("/admin/tasks", response_class=HTMLResponse)
def task_board(
    request: Request,
    admin: PageAdmin,
    db: DbSession,
    status: Annotated[str, Query(max_length=20)] = "",
    min_priority: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=queries.MAX_SEARCH)] = "",
) -> Response:
    f, query = _board_filter(status, min_priority, q)
    return render(request, "admin/tasks.html", _context(request, db, f, query))


@router.post("/admin/tasks", response_class=HTMLResponse)
def task_create(
    request: Request,
    admin: PageAdmin,
    db: DbSession,
    content: Text = "",
    priority: Short = "0",
    status: Short = "todo",
    back: Short = "",
    csrf_token: Short = "",
) -> Response:
    try:
        value = _int(priority)
        flows.create(db, admin, content=content, status=status, priority=-1 if value is None else value)
    except InvalidInput as exc:
        f, query = _board_filter("", "", "")
        errors = {str(exc.extra.get("field", "content")): flows.localize(i18n.request_locale(request), exc)}
        values = {"content": content, "priority": priority, "status": status}
        context = _context(request, db, f, query, values=values, errors=errors)
        return render(request, "admin/tasks.html", context, status_code=422)
    flash(request, _(request, "Task added."), "success")
    return redirect(request, _back(back))


@router.post("/admin/tasks/{task_id}/edit", response_class=HTMLResponse)
def task_edit(
    request: Request,
    task_id: str,
    admin: PageAdmin,
    db: DbSession,
    content: Annotated[str | None, Form(max_length=20_000)] = None,
    priority: Annotated[str | None, Form(max_length=200)] = None,
    status: Annotated[str | None, Form(max_length=200)] = None,
    back: Short = "",
    csrf_token: Short = "",
) -> Response:
    """Saves the fields the form sent (the edit form sends all three; a field left out stays)."""
    value = None if priority is None else _int(priority)
    change = TaskChange(
        content=content, status=status or None, priority=-1 if priority is not None and value is None else value
    )
    try:
        flows.change(db, admin, task_id, change)
        flash(request, _(request, "Task saved."), "success")
    except InvalidInput as exc:
        flash(request, flows.localize(i18n.request_locale(request), exc), "error")
    return redirect(request, _back(back) + f"#task-{task_id}")


@router.post("/admin/tasks/{task_id}/move", response_class=HTMLResponse)
def task_move(
    request: Request,
    task_id: str,
    admin: PageAdmin,
    db: DbSession,
    direction: Short = "",
    back: Short = "",
    csrf_token: Short = "",
) -> Response:
    if direction not in ("left", "right", "up", "down"):
        flash(request, _(request, "Move left, right, up or down."), "error")
        return redirect(request, _back(back))
    v = flows.move(db, admin, task_id, direction)  # type: ignore[arg-type]  # checked just above
    label = _(request, STATUS_LABELS[v.task.status])
    flash(request, _(request, "The task is in “%(column)s”.", column=label), "success")
    return redirect(request, _back(back) + f"#task-{v.task.id}")


@router.post("/admin/tasks/{task_id}/delete", response_class=HTMLResponse)
def task_delete(
    request: Request, task_id: str, admin: PageAdmin, db: DbSession, back: Short = "", csrf_token: Short = ""
) -> Response:
    try:
        flows.delete(db, admin, task_id)
    except NotFound:
        flash(request, _(request, "That task was already deleted."), "info")
        return redirect(request, _back(back))
    flash(request, _(request, "Task deleted."), "success")
    return redirect(request, _back(back))
