"""The admin task board: the service's rules (content, status, priority, positions,
completed_at), task_logs with who made each change, the JSON API under /api/v1/admin/tasks
(filters, pages, 401/403/404/422 as problem details in the reader's language) and the kanban
page (three columns in Korean and English, forms that work without JS)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from sqlalchemy import select

from reelforge.accounts.models import UserActivityLog
from reelforge.admin import service
from reelforge.admin.models import Task, TaskLog
from reelforge.admin.service import TaskChange
from reelforge.db.engine import Database
from reelforge.errors import InvalidInput, NotFound

ROOT = Path(__file__).resolve().parent.parent / "src" / "reelforge"
API = "/api/v1/admin/tasks"


@pytest.fixture
def admin(make_user):  # type: ignore[no-untyped-def]
    return make_user("boss@example.com", admin=True, name="Boss")


def _logs(db: Database, task_id: str) -> list[tuple[str, str | None, str | None, str | None]]:
    with db.session() as s:
        rows = s.scalars(select(TaskLog).where(TaskLog.task_id == task_id).order_by(TaskLog.id))
        return [(r.action, r.actor_id, r.old_value, r.new_value) for r in rows]


def _column(db: Database, status: str) -> list[tuple[str, int]]:
    with db.session() as s:
        rows = s.scalars(select(Task).where(Task.status == status).order_by(Task.position))
        return [(t.content, t.position) for t in rows]


# ---------------------------------------------------------------- service rules
def test_status_transitions_set_and_clear_completed_at_and_log_who(db: Database, admin) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        task = service.create_task(s, actor_id=admin.id, content="  백업 점검  ", priority=2)
        tid = task.id
        assert (task.content, task.status, task.completed_at) == ("백업 점검", "todo", None)
    with db.session() as s:
        done = service.update_task(s, tid, TaskChange(status="done"), actor_id=admin.id)
        assert done.completed_at is not None
        finished = done.completed_at
    with db.session() as s:  # an unchanged status keeps the first completion time
        again = service.update_task(s, tid, TaskChange(status="done", priority=2), actor_id=admin.id)
        assert again.completed_at == finished
    with db.session() as s:
        reopened = service.update_task(s, tid, TaskChange(status="ing", priority=4), actor_id=admin.id)
        assert (reopened.status, reopened.completed_at, reopened.priority) == ("ing", None, 4)
    with db.session() as s:
        created_done = service.create_task(s, actor_id=admin.id, content="이미 끝남", status="done")
        assert created_done.completed_at is not None
    assert _logs(db, tid) == [
        ("created", admin.id, None, "백업 점검"),
        ("status", admin.id, "todo", "done"),
        ("priority", admin.id, "2", "4"),
        ("status", admin.id, "done", "ing"),
    ]
    with db.session() as s:
        messages = [r.log_message for r in s.scalars(select(TaskLog).where(TaskLog.task_id == tid))]
        assert "status: todo → done" in messages


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (TaskChange(content=""), "content"),
        (TaskChange(content="   "), "content"),
        (TaskChange(content="x" * (service.MAX_CONTENT + 1)), "content"),
        (TaskChange(content="a\x00b"), "content"),
        (TaskChange(status="doing"), "status"),
        (TaskChange(priority=service.PRIORITY_MAX + 1), "priority"),
        (TaskChange(priority=-1), "priority"),
        (TaskChange(position=-3), "position"),
    ],
)
def test_bad_changes_are_refused_and_nothing_is_logged(db: Database, admin, change: TaskChange, field: str) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        tid = service.create_task(s, actor_id=admin.id, content="ok").id
    with db.session() as s, pytest.raises(InvalidInput) as err:
        service.update_task(s, tid, change, actor_id=admin.id)
    assert err.value.extra["field"] == field
    assert [a for a, *_ in _logs(db, tid)] == ["created"]
    with db.session() as s, pytest.raises(NotFound):
        service.update_task(s, "00000000-0000-0000-0000-000000000000", TaskChange(status="done"), actor_id=admin.id)


def test_a_long_imported_task_can_still_be_moved_and_reprioritised(db: Database, admin) -> None:  # type: ignore[no-untyped-def]
    """The legacy import keeps texts up to 20,000 characters; saving one unchanged is no error."""
    long_text = "가" * (service.MAX_CONTENT + 500)
    with db.session() as s:
        tid = service.create_task(s, actor_id=admin.id, content="short").id
        s.get(Task, tid).content = long_text  # type: ignore[union-attr]
    with db.session() as s:
        task = service.update_task(s, tid, TaskChange(content=long_text, priority=3), actor_id=admin.id)
        assert task.priority == 3 and task.content == long_text
    assert [a for a, *_ in _logs(db, tid)] == ["created", "priority"]
    with db.session() as s, pytest.raises(InvalidInput):
        service.update_task(s, tid, TaskChange(content=long_text + "!"), actor_id=admin.id)


def test_positions_stay_dense_across_moves(db: Database, admin) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        ids = [service.create_task(s, actor_id=admin.id, content=c).id for c in "abc"]
    assert _column(db, "todo") == [("a", 0), ("b", 1), ("c", 2)]
    with db.session() as s:
        service.move(s, ids[2], "up", actor_id=admin.id)
    assert _column(db, "todo") == [("a", 0), ("c", 1), ("b", 2)]
    with db.session() as s:
        service.move(s, ids[0], "up", actor_id=admin.id)  # past the top: nothing changes
        service.move(s, ids[0], "left", actor_id=admin.id)  # past the first column: nothing changes
    assert [a for a, *_ in _logs(db, ids[0])] == ["created"]
    with db.session() as s:
        service.move(s, ids[0], "right", actor_id=admin.id)
        service.update_task(s, ids[1], TaskChange(status="ing", position=0), actor_id=admin.id)
    assert _column(db, "todo") == [("c", 0)]
    assert _column(db, "ing") == [("b", 0), ("a", 1)]
    with db.session() as s:
        service.update_task(s, ids[1], TaskChange(position=99), actor_id=admin.id)
    assert _column(db, "ing") == [("a", 0), ("b", 1)]
    assert _logs(db, ids[1])[-1] == ("position", admin.id, "0", "1")
    with db.session() as s:
        service.delete_task(s, ids[0], actor_id=admin.id)
    assert _column(db, "ing") == [("b", 0)]
    with db.session() as s:
        assert s.get(Task, ids[0]) is None
        assert s.scalars(select(TaskLog).where(TaskLog.task_id == ids[0])).all() == []  # cascaded
        entry = s.scalars(select(UserActivityLog).where(UserActivityLog.action == "admin.task_deleted")).one()
        assert entry.actor_id == admin.id and ids[0] in entry.details


# ---------------------------------------------------------------- JSON API
def test_api_crud_filters_and_pages(db: Database, admin, api_client) -> None:  # type: ignore[no-untyped-def]
    c = api_client(admin)
    r = c.post(API, json={"content": "썸네일 폰트 교체", "priority": 3})
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["status"], first["priority"], first["completed_at"]) == ("todo", 3, None)
    assert first["created_by"]["email"] == "boss@example.com"
    assert first["last_log"]["action"] == "created" and first["last_log"]["actor"]["name"] == "Boss"
    for content, prio, status in [("50% off banner", 1, "ing"), ("5_0 typo", 0, "todo"), ("release notes", 5, "done")]:
        assert c.post(API, json={"content": content, "priority": prio, "status": status}).status_code == 201

    got = c.get(f"{API}/{first['id']}").json()
    assert got["content"] == "썸네일 폰트 교체"

    r = c.patch(f"{API}/{first['id']}", json={"status": "done", "content": "썸네일 폰트 교체 완료"})
    assert r.status_code == 200 and r.json()["completed_at"] is not None
    assert r.json()["last_log"]["action"] == "status"
    r = c.patch(f"{API}/{first['id']}", json={"status": "todo"})
    assert r.json()["completed_at"] is None and r.json()["status"] == "todo"
    logs = c.get(f"{API}/{first['id']}/logs").json()
    assert [log["action"] for log in logs] == ["status", "status", "content", "created"]
    assert {log["actor"]["email"] for log in logs} == {"boss@example.com"}

    def contents(**params: object) -> list[str]:
        r = c.get(API, params=params)
        assert r.status_code == 200, r.text
        return [t["content"] for t in r.json()["items"]]

    assert contents(status="done") == ["release notes"]
    assert sorted(contents(status=["todo", "ing"])) == ["50% off banner", "5_0 typo", "썸네일 폰트 교체 완료"]
    assert contents(priority=1) == ["50% off banner"]
    assert sorted(contents(min_priority=3)) == ["release notes", "썸네일 폰트 교체 완료"]
    assert contents(q="50%") == ["50% off banner"]  # % and _ are literal, not wildcards
    assert contents(q="5_") == ["5_0 typo"]
    assert contents(q="폰트") == ["썸네일 폰트 교체 완료"]
    assert contents(q="RELEASE") == ["release notes"]
    page = c.get(API, params={"limit": 2, "offset": 2}).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (4, 2, 2, 2)
    board_order = [t["status"] for t in c.get(API).json()["items"]]
    assert board_order == ["todo", "todo", "ing", "done"]

    assert c.delete(f"{API}/{first['id']}").status_code == 204
    assert c.get(f"{API}/{first['id']}").status_code == 404
    assert c.delete(f"{API}/{first['id']}").status_code == 404


def test_api_refuses_strangers_unknown_ids_and_bad_input(db: Database, admin, make_user, api_client, client) -> None:  # type: ignore[no-untyped-def]
    r = client.get(API)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert client.post(API, json={"content": "x"}).status_code == 401
    other = api_client(make_user())
    routes = [("GET", API), ("POST", API), ("GET", f"{API}/x"), ("PATCH", f"{API}/x"), ("DELETE", f"{API}/x")]
    for method, url in routes:
        r = other.request(method, url, json={"content": "x"} if method in ("POST", "PATCH") else None)
        assert r.status_code == 403, (method, url)
        assert r.json()["status"] == 403
    c = api_client(admin)
    unknown = "00000000-0000-0000-0000-000000000000"
    for method in ("GET", "PATCH", "DELETE"):
        r = c.request(method, f"{API}/{unknown}", json={"status": "done"} if method == "PATCH" else None)
        assert r.status_code == 404 and r.json()["title"] == "Not found"
    assert c.get(f"{API}/{'x' * 300}").status_code == 404

    r = c.post(API, json={"content": "  "}, headers={"Accept-Language": "ko"})
    assert r.status_code == 422 and r.json()["field"] == "content"
    assert r.json()["detail"] == f"작업 내용을 입력하세요(1~{service.MAX_CONTENT}자)."
    r = c.post(API, json={"content": "ok", "priority": 9}, headers={"Accept-Language": "en"})
    assert r.status_code == 422
    assert r.json()["detail"] == f"The priority is a whole number from 0 to {service.PRIORITY_MAX}."
    tid = c.post(API, json={"content": "ok"}).json()["id"]
    for body in [{"status": "doing"}, {"content": "a\u0000b"}, {"position": -1}, {"nope": 1}, {"priority": "high"}]:
        r = c.patch(f"{API}/{tid}", json=body)
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
    for params in [{"status": "x" * 50}, {"limit": 0}, {"limit": 10_000}, {"offset": -1}, {"priority": 99}]:
        assert c.get(API, params=params).status_code == 422, params
    assert [log["action"] for log in c.get(f"{API}/{tid}/logs").json()] == ["created"]


def test_drag_and_drop_patch_with_the_session_cookie_needs_csrf(db: Database, admin, cookie_client) -> None:  # type: ignore[no-untyped-def]
    """What admin_tasks.js sends on a drop: a cookie-authenticated PATCH with X-CSRF-Token."""
    c = cookie_client(admin)
    tid = c.post(API, json={"content": "drag me"}, headers={"x-csrf-token": c.csrf}).json()["id"]
    assert c.patch(f"{API}/{tid}", json={"status": "ing", "position": 0}).status_code == 403
    r = c.patch(f"{API}/{tid}", json={"status": "ing", "position": 0}, headers={"x-csrf-token": c.csrf})
    assert r.status_code == 200 and r.json()["status"] == "ing"


# ---------------------------------------------------------------- the kanban page
@pytest.mark.parametrize(
    ("lang", "columns", "added"),
    [("ko", ["할 일", "진행 중", "완료"], "작업 생성"), ("en", ["To do", "In progress", "Done"], "Created the task")],
)
def test_board_renders_three_columns_with_cards_and_last_log(  # type: ignore[no-untyped-def]
    db: Database, admin, cookie_client, lang: str, columns: list[str], added: str
) -> None:
    with db.session() as s:
        service.create_task(s, actor_id=admin.id, content="자막 <b>검수</b>", priority=5)
        moved = service.create_task(s, actor_id=admin.id, content="배포", priority=1)
        service.update_task(s, moved.id, TaskChange(status="ing"), actor_id=admin.id)
    c = cookie_client(admin)
    c.cookies.set("rf_lang", lang)
    page = c.get("/admin/tasks")
    assert page.status_code == 200
    html = page.text
    assert html.count('data-column="') == 3
    for label in columns:
        assert f"<span>{label}</span>" in html
    assert "자막 &lt;b&gt;검수&lt;/b&gt;" in html  # escaped
    assert added in html and "Boss" in html
    moved_line = "할 일에서 진행 중(으)로 이동" if lang == "ko" else "Moved from To do to In progress"
    assert moved_line in html
    assert html.count('draggable="true"') == 2 and "/static/admin_tasks.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script
    assert html.count(f'name="csrf_token" value="{c.csrf}"') >= 5
    assert "/admin/tasks" in c.get("/admin").text  # the admin navigation links the board

    filtered = c.get("/admin/tasks", params={"status": "ing", "q": "배포"}).text
    assert "배포" in filtered and "검수" not in filtered
    assert "검수" in c.get("/admin/tasks", params={"min_priority": "5", "status": "bogus"}).text
    assert "배포" not in c.get("/admin/tasks", params={"min_priority": "5"}).text


def test_board_forms_work_without_js(db: Database, admin, make_user, cookie_client, client) -> None:  # type: ignore[no-untyped-def]
    c = cookie_client(admin)
    c.cookies.set("rf_lang", "en")
    back = "/admin/tasks?q=mix"
    r = c.post(
        "/admin/tasks",
        data={"csrf_token": c.csrf, "content": "Mix the audio", "priority": "2", "status": "todo", "back": back},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == back
    with db.session() as s:
        tid = s.scalars(select(Task.id)).one()

    move = {"csrf_token": c.csrf, "direction": "right", "back": back}
    assert c.post(f"/admin/tasks/{tid}/move", data={**move, "csrf_token": "forged"}).status_code == 403
    r = c.post(f"/admin/tasks/{tid}/move", data=move, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{back}#task-{tid}"
    r = c.post(f"/admin/tasks/{tid}/move", data={**move, "back": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == f"/admin/tasks#task-{tid}"
    with db.session() as s:
        task = s.get(Task, tid)
        assert task is not None and task.status == "done" and task.completed_at is not None

    edit = {"csrf_token": c.csrf, "content": "Mix the audio (v2)", "priority": "4", "status": "todo"}
    assert c.post(f"/admin/tasks/{tid}/edit", data=edit, follow_redirects=False).status_code == 303
    with db.session() as s:
        task = s.get(Task, tid)
        assert task is not None
        assert (task.content, task.priority, task.status, task.completed_at) == ("Mix the audio (v2)", 4, "todo", None)
    assert [a for a, *_ in _logs(db, tid)] == ["created", "status", "status", "content", "priority", "status"]

    page = c.post(f"/admin/tasks/{tid}/edit", data={**edit, "priority": "77"})
    assert "The priority is a whole number from 0 to 5." in page.text
    r = c.post("/admin/tasks", data={"csrf_token": c.csrf, "content": "", "priority": "1"})
    assert r.status_code == 422 and "Write the task (1 to 2000 characters)." in r.text
    assert c.post(f"/admin/tasks/{'0' * 36}/move", data=move).status_code == 404

    stranger = cookie_client(make_user())
    assert stranger.get("/admin/tasks").status_code == 403
    assert stranger.post(f"/admin/tasks/{tid}/delete", data={"csrf_token": stranger.csrf}).status_code == 403
    r = client.get("/admin/tasks", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")

    r = c.post(f"/admin/tasks/{tid}/delete", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303
    with db.session() as s:
        assert s.get(Task, tid) is None
    page = c.get("/admin/tasks")
    assert "Task deleted." in page.text and page.text.count("No tasks here.") == 3


def test_every_board_string_has_korean_and_english() -> None:
    found: set[str] = set()
    template = ROOT / "web" / "templates" / "admin" / "tasks.html"
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
    for _line, msg, _c, _ctx in extract_from_file("jinja2", template, keywords={"_": None}, options=options):
        found.add(msg)
    keywords = {"_": (2,), "N_": None, "InvalidInput": None, "NotFound": None}
    for name in ("pages.py", "service.py", "queries.py"):
        for _line, msg, _c, _ctx in extract_from_file("python", ROOT / "admin" / name, keywords=keywords):
            found.add(msg)
    assert len(found) > 40
    for lang in ("ko", "en"):
        with (ROOT / "i18n" / "locales" / lang / "LC_MESSAGES" / "admin.po").open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        missing = sorted(m for m in found if not (catalog.get(m) and catalog.get(m).string))  # type: ignore[union-attr]
        assert missing == [], (lang, missing)
