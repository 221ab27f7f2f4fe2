"""HTML pages of the user's own settings: profile, password, sessions, activity, API tokens.

Thin over `accounts.flows`, `accounts.profile` and `accounts.queries` (the same calls as the
JSON API /me). Included into `accounts.pages.router`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from reelforge import i18n
from reelforge.accounts import flows, profile, queries
from reelforge.accounts.http import clear_session_cookie, field_errors
from reelforge.accounts.page_forms import LOCALE_COOKIE_MAX_AGE, Secret, Text, meta, page_lang
from reelforge.errors import AppError
from reelforge.web.auth import PageUser
from reelforge.web.deps import DbSession
from reelforge.web.params import BeforeId
from reelforge.web.templating import flash, redirect, render, translate

router = APIRouter(include_in_schema=False)

ACTIVITY_PAGE = 50


def _profile_values(user: Any) -> dict[str, str]:
    return {"name": user.name, "phone": user.phone, "address": user.address, "kakao_id": user.kakao_id or ""}


@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, user: PageUser) -> Response:
    return render(
        request,
        "profile/profile.html",
        {"values": _profile_values(user), "errors": {}, "pw_errors": {}, "section": "profile"},
    )


@router.post("/profile", response_class=HTMLResponse)
def profile_submit(
    request: Request,
    db: DbSession,
    user: PageUser,
    name: Text = "",
    phone: Text = "",
    address: Text = "",
    kakao_id: Text = "",
    locale: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    values = {"name": name, "phone": phone, "address": address, "kakao_id": kakao_id}
    try:
        changed = profile.update_profile(
            db, user, name=name, phone=phone, address=address, kakao_id=kakao_id, **meta(request)
        )
    except AppError as exc:
        return render(
            request,
            "profile/profile.html",
            {"values": values, "errors": field_errors(exc, page_lang(request)), "pw_errors": {}, "section": "profile"},
            status_code=422,
        )
    lang = i18n.normalize_locale(locale)
    if lang and lang != user.locale:
        profile.set_locale(user, lang)
        request.state.locale = lang
        changed.append("locale")
    flash(
        request,
        translate(request, "Your profile was saved.") if changed else translate(request, "Nothing changed."),
        "success" if changed else "info",
    )
    response = redirect(request, "/profile")
    if lang:
        response.set_cookie(i18n.LOCALE_COOKIE, lang, max_age=LOCALE_COOKIE_MAX_AGE, samesite="lax", path="/")
    return response


@router.post("/profile/password", response_class=HTMLResponse)
def password_submit(
    request: Request,
    db: DbSession,
    user: PageUser,
    current_password: Secret = "",
    new_password: Secret = "",
    new_password_confirm: Secret = "",
) -> Response:
    lang = page_lang(request)
    principal = request.state.principal
    errors: dict[str, str] = {}
    if new_password != new_password_confirm:
        errors = {"new_password_confirm": i18n.gettext(lang, "The two passwords differ.")}
    else:
        try:
            ended = flows.change_password(
                db, user, current_password, new_password, current_session=principal.session, **meta(request)
            )
        except AppError as exc:
            errors = field_errors(exc, lang)
        else:
            message = translate(request, "Your password was changed.")
            if ended:
                message += " " + i18n.ngettext(
                    lang, "%(num)d other session was logged out.", "%(num)d other sessions were logged out.", ended
                )
            flash(request, message, "success")
            return redirect(request, "/profile")
    return render(
        request,
        "profile/profile.html",
        {"values": _profile_values(user), "errors": {}, "pw_errors": errors, "section": "profile"},
        status_code=422,
    )


@router.get("/profile/sessions", response_class=HTMLResponse)
def sessions_page(request: Request, db: DbSession, user: PageUser) -> Response:
    principal = request.state.principal
    return render(
        request,
        "profile/sessions.html",
        {
            "live": queries.list_live_sessions(db, user.id),
            "history": queries.list_session_history(db, user.id, limit=30),
            "current_id": principal.session.id if principal.session else None,
            "section": "sessions",
        },
    )


@router.post("/profile/sessions/{session_id}/end")
def session_end(request: Request, db: DbSession, user: PageUser, session_id: str) -> Response:
    principal = request.state.principal
    profile.end_own_session(db, user, session_id, **meta(request))
    if principal.session is not None and principal.session.id == session_id:
        response = redirect(request, "/login")
        clear_session_cookie(request, response)
        return response
    flash(request, translate(request, "The session was ended."), "success")
    return redirect(request, "/profile/sessions")


@router.get("/profile/activity", response_class=HTMLResponse)
def activity_page(request: Request, db: DbSession, user: PageUser, before: BeforeId = None) -> Response:
    rows = queries.list_activity(db, user.id, before_id=before, limit=ACTIVITY_PAGE, for_owner=True)
    return render(
        request,
        "profile/activity.html",
        {"rows": rows, "next_before": rows[-1].id if len(rows) == ACTIVITY_PAGE else None, "section": "activity"},
    )


@router.get("/profile/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, db: DbSession, user: PageUser) -> Response:
    return render(
        request,
        "profile/tokens.html",
        {"tokens": queries.list_tokens(db, user.id), "errors": {}, "values": {}, "section": "tokens"},
    )


@router.post("/profile/tokens", response_class=HTMLResponse)
def token_create(request: Request, db: DbSession, user: PageUser, name: Text = "") -> Response:
    try:
        plain, row = profile.create_token(db, user, name, **meta(request))
    except AppError as exc:
        return render(
            request,
            "profile/tokens.html",
            {
                "tokens": queries.list_tokens(db, user.id),
                "errors": field_errors(exc, page_lang(request)),
                "values": {"name": name},
                "section": "tokens",
            },
            status_code=422,
        )
    return render(
        request,
        "profile/tokens.html",
        {
            "tokens": queries.list_tokens(db, user.id),
            "errors": {},
            "values": {},
            "new_token": plain,
            "new_token_row": row,
            "section": "tokens",
        },
        status_code=201,
    )


@router.post("/profile/tokens/{token_id}/revoke")
def token_revoke(request: Request, db: DbSession, user: PageUser, token_id: str) -> Response:
    row = profile.revoke_token(db, user, token_id, **meta(request))
    flash(request, translate(request, "The token “%(name)s” was revoked.", name=row.name), "success")
    return redirect(request, "/profile/tokens")
