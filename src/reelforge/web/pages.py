"""Shell pages: home and the language switch. Account pages live in accounts/pages.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from reelforge import i18n
from reelforge.db.base import utcnow
from reelforge.web.auth import OptionalPageUser
from reelforge.web.deps import DbSession
from reelforge.web.templating import check_anonymous_csrf, redirect, render, safe_next

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: OptionalPageUser) -> HTMLResponse:
    return render(request, "home.html", {"now": utcnow()})


@router.post("/locale")
def switch_locale(
    request: Request,
    db: DbSession,
    principal: OptionalPageUser,
    locale: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    """Choose the UI language: stored on the account when logged in, and in a cookie."""
    if principal is None:
        check_anonymous_csrf(request, csrf_token)
    lang = i18n.normalize_locale(locale) or i18n.DEFAULT_LOCALE
    if principal is not None:
        principal.user.locale = lang
    response = redirect(request, safe_next(next))
    response.set_cookie(
        i18n.LOCALE_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response
