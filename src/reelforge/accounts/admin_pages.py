"""HTML pages of user administration: /admin, the user list and one user's detail and actions.

Thin over `accounts.admin_users`, `accounts.flows` and `accounts.queries` (the same calls as
the JSON API /admin/users). Included into `accounts.pages.router`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reelforge.accounts import admin_users, flows, queries
from reelforge.accounts.admin_users import AdminContext
from reelforge.accounts.http import client_ip, field_errors, settings_of, user_agent
from reelforge.accounts.page_forms import Text, page_lang
from reelforge.errors import AppError, Conflict, InvalidInput, TooManyRequests
from reelforge.web.auth import PageAdmin
from reelforge.web.deps import DbSession
from reelforge.web.templating import flash, redirect, render, translate

router = APIRouter(include_in_schema=False)

FlagForm = Annotated[str, Form(max_length=1)]


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, admin: PageAdmin) -> Response:
    from reelforge.web.templating import admin_sections

    return render(request, "admin/index.html", {"sections": admin_sections})


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users_page(
    request: Request,
    db: DbSession,
    admin: PageAdmin,
    q: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    page = queries.search_users(db, q, cursor=cursor or None, limit=25)
    return render(request, "admin/users.html", {"page": page, "q": q, "cursor": cursor})


def _admin_user_context(db: DbSession, user_id: str) -> dict[str, Any]:
    target = queries.get_user(db, user_id)
    return {
        "target": target,
        "live": queries.list_live_sessions(db, target.id),
        "history": queries.list_session_history(db, target.id, limit=20),
        "activity": queries.list_activity(db, target.id, limit=30),
        "errors": {},
    }


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def admin_user(request: Request, db: DbSession, admin: PageAdmin, user_id: str) -> Response:
    return render(request, "admin/user_detail.html", _admin_user_context(db, user_id))


def _ctx(request: Request, admin: Any) -> AdminContext:
    return AdminContext(admin, ip=client_ip(request), user_agent=user_agent(request))


def _back(request: Request, user_id: str, message: str, category: str = "success") -> RedirectResponse:
    flash(request, translate(request, message), category)
    return redirect(request, f"/admin/users/{user_id}")


def _flag(value: str) -> bool:
    if value not in ("0", "1"):
        raise InvalidInput("Choose one of the allowed values.", field="value")
    return value == "1"


@router.post("/admin/users/{user_id}/memo", response_class=HTMLResponse)
def admin_memo(request: Request, db: DbSession, admin: PageAdmin, user_id: str, memo: Text = "") -> Response:
    target = queries.get_user(db, user_id)
    try:
        admin_users.admin_set_memo(db, _ctx(request, admin), target, memo.replace("\r\n", "\n"))
    except AppError as exc:
        context = _admin_user_context(db, user_id)
        context["errors"] = field_errors(exc, page_lang(request))
        context["memo_value"] = memo
        return render(request, "admin/user_detail.html", context, status_code=422)
    return _back(request, user_id, "The memo was saved.")


@router.post("/admin/users/{user_id}/verified")
def admin_verified(request: Request, db: DbSession, admin: PageAdmin, user_id: str, value: FlagForm = "1") -> Response:
    target = queries.get_user(db, user_id)
    admin_users.admin_set_verified(db, _ctx(request, admin), target, _flag(value))
    return _back(request, user_id, "The e-mail verification flag was changed.")


@router.post("/admin/users/{user_id}/admin")
def admin_flag(request: Request, db: DbSession, admin: PageAdmin, user_id: str, value: FlagForm = "") -> Response:
    target = queries.get_user(db, user_id)
    try:
        admin_users.admin_set_admin(db, _ctx(request, admin), target, _flag(value))
    except Conflict as exc:
        return _back(request, user_id, exc.detail, "error")
    return _back(request, user_id, "The administrator flag was changed.")


@router.post("/admin/users/{user_id}/active")
def admin_active(request: Request, db: DbSession, admin: PageAdmin, user_id: str, value: FlagForm = "") -> Response:
    target = queries.get_user(db, user_id)
    active = _flag(value)
    try:
        admin_users.admin_set_active(db, _ctx(request, admin), target, active)
    except Conflict as exc:
        return _back(request, user_id, exc.detail, "error")
    if active:
        return _back(request, user_id, "The account was enabled.")
    return _back(request, user_id, "The account was disabled.")


@router.post("/admin/users/{user_id}/sessions/end")
def admin_end_all(request: Request, db: DbSession, admin: PageAdmin, user_id: str) -> Response:
    target = queries.get_user(db, user_id)
    admin_users.admin_end_sessions(db, _ctx(request, admin), target)
    return _back(request, user_id, "All sessions of this user were ended.")


@router.post("/admin/users/{user_id}/sessions/{session_id}/end")
def admin_end_one(request: Request, db: DbSession, admin: PageAdmin, user_id: str, session_id: str) -> Response:
    target = queries.get_user(db, user_id)
    admin_users.admin_end_sessions(db, _ctx(request, admin), target, session_id)
    return _back(request, user_id, "The session was ended.")


@router.post("/admin/users/{user_id}/resend-verification")
def admin_resend(request: Request, db: DbSession, admin: PageAdmin, user_id: str) -> Response:
    target = queries.get_user(db, user_id)
    try:
        flows.admin_resend(db, settings_of(request), _ctx(request, admin), target, lang=page_lang(request))
    except (Conflict, TooManyRequests) as exc:
        return _back(request, user_id, exc.detail, "error")
    return _back(request, user_id, "A new verification e-mail was sent.")
