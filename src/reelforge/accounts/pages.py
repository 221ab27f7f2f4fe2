"""HTML pages of the accounts domain: sign-up, login, verification, reset, profile, admin users.

Thin over `accounts.service` (the same calls as the JSON API). Forms keep their values
and show per-field errors in the visitor's language.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, TypedDict

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reelforge import i18n
from reelforge.accounts import service
from reelforge.accounts.http import (
    clear_session_cookie,
    client_ip,
    field_errors,
    send_reset_after_commit,
    send_verification_after_commit,
    set_session_cookie,
    settings_of,
    user_agent,
)
from reelforge.accounts.sessions import resolve_session
from reelforge.errors import AppError, Conflict, InvalidInput, TooManyRequests
from reelforge.i18n import N_
from reelforge.web.auth import SESSION_COOKIE, OptionalPageUser, PageAdmin, PageUser
from reelforge.web.deps import DbSession, WriteSession
from reelforge.web.templating import (
    check_anonymous_csrf,
    flash,
    redirect,
    render,
    safe_next,
    translate,
)

router = APIRouter(include_in_schema=False)

# Forms accept generous sizes here; the service refuses oversized values with a field message.
Text = Annotated[str, Form(max_length=20000)]
Secret = Annotated[str, Form(max_length=5000)]
Csrf = Annotated[str, Form(max_length=200)]


def _lang(request: Request) -> str:
    return i18n.request_locale(request)


class _Meta(TypedDict):
    ip: str
    user_agent: str


def _meta(request: Request) -> _Meta:
    return {"ip": client_ip(request), "user_agent": user_agent(request)}


# ================================================================== sign-up
@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, principal: OptionalPageUser) -> Response:
    if principal is not None:
        return redirect(request, "/")
    return render(request, "auth/signup.html", {"values": {}, "errors": {}})


@router.post("/signup", response_class=HTMLResponse)
def signup_submit(
    request: Request,
    db: DbSession,
    email: Text = "",
    password: Secret = "",
    password_confirm: Secret = "",
    name: Text = "",
    phone: Text = "",
    address: Text = "",
    kakao_id: Text = "",
    agree: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_anonymous_csrf(request, csrf_token)
    values = {"email": email, "name": name, "phone": phone, "address": address, "kakao_id": kakao_id}
    lang = _lang(request)
    errors: dict[str, str] = {}
    if password != password_confirm:
        errors["password_confirm"] = i18n.gettext(lang, "The two passwords differ.")
    if not agree:
        errors["agree"] = i18n.gettext(lang, "Accept the terms to create an account.")
    if not errors:
        try:
            user, token = service.sign_up(
                db,
                service.SignUp(email, password, name, phone, address, kakao_id or None, locale=lang),
                **_meta(request),
            )
        except AppError as exc:
            errors = field_errors(exc, lang)
        else:
            send_verification_after_commit(db, request, user, token)
            return render(request, "auth/check_email.html", {"email": user.email})
    return render(request, "auth/signup.html", {"values": values, "errors": errors}, status_code=422)


# ================================================================== login / logout
@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, principal: OptionalPageUser, next: Annotated[str, Query(max_length=500)] = "/"
) -> Response:
    if principal is not None:
        return redirect(request, safe_next(next))
    return render(request, "auth/login.html", {"values": {}, "errors": {}, "next": safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: DbSession,
    email: Text = "",
    password: Secret = "",
    next: Annotated[str, Form(max_length=500)] = "/",
    csrf_token: Csrf = "",
) -> Response:
    check_anonymous_csrf(request, csrf_token)
    settings = settings_of(request)
    lang = _lang(request)
    target = safe_next(next)
    context: dict[str, Any] = {"values": {"email": email}, "next": target}
    try:
        outcome = service.authenticate(
            db,
            email,
            password,
            **_meta(request),
            max_failures=settings.login_max_failures,
            window=timedelta(seconds=settings.login_window_seconds),
        )
    except TooManyRequests as exc:
        context["errors"] = {"_form": i18n.gettext(lang, exc.detail)}
        return render(request, "auth/login.html", context, status_code=429, headers=exc.headers)
    if outcome.user is None:
        message = (
            N_("This account is disabled. Contact the administrator.")
            if outcome.reason == "disabled"
            else N_("Wrong e-mail address or password.")
        )
        context["errors"] = {"_form": i18n.gettext(lang, message)}
        return render(request, "auth/login.html", context, status_code=401)
    old = request.cookies.get(SESSION_COOKIE, "")
    if old:  # no fixation: the browser's previous session, if any, ends here
        previous = resolve_session(db, old)
        if previous is not None and previous.session is not None:
            service.logout(db, previous.session, **_meta(request))
    service.maybe_purge(db, every_minutes=settings.session_purge_minutes)
    new = service.start_session(db, outcome.user, **_meta(request))
    user_lang = i18n.normalize_locale(outcome.user.locale)
    request.state.locale = user_lang or lang
    flash(
        request, translate(request, "Welcome back, %(name)s!", name=outcome.user.name or outcome.user.email), "success"
    )
    response = redirect(request, target)
    set_session_cookie(request, response, new.token)
    if user_lang:
        response.set_cookie(i18n.LOCALE_COOKIE, user_lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


@router.post("/logout")
def logout_submit(request: Request, db: DbSession, principal: OptionalPageUser) -> Response:
    if principal is not None and principal.session is not None:
        service.logout(db, principal.session, **_meta(request))
    request.state.principal = None
    flash(request, translate(request, "You are logged out."), "info")
    response = redirect(request, "/login")
    clear_session_cookie(request, response)
    return response


# ================================================================== e-mail verification
@router.get("/verify", response_class=HTMLResponse)
def verify_page(
    request: Request, db: WriteSession, principal: OptionalPageUser, token: Annotated[str, Query(max_length=500)] = ""
) -> Response:
    try:
        user = service.verify_email(db, token, ip=client_ip(request))
    except InvalidInput:
        if principal is not None and principal.user.email_verified:
            flash(request, translate(request, "Your e-mail address is already verified."), "info")
            return redirect(request, "/")
        return render(request, "auth/verify_failed.html", status_code=400)
    return render(request, "auth/verified.html", {"email": user.email, "hide_verify_banner": True})


@router.post("/verify/resend")
def verify_resend(
    request: Request, db: DbSession, user: PageUser, next: Annotated[str, Form(max_length=500)] = "/"
) -> Response:
    if user.email_verified:
        flash(request, translate(request, "Your e-mail address is already verified."), "info")
    else:
        try:
            token = service.issue_verification(db, user, throttle=True)
        except TooManyRequests as exc:
            flash(request, translate(request, exc.detail), "warning")
            return redirect(request, safe_next(next))
        service.log_activity(db, user.id, "verification_sent", **_meta(request))
        send_verification_after_commit(db, request, user, token)
        flash(
            request, translate(request, "We sent a new verification e-mail to %(email)s.", email=user.email), "success"
        )
    return redirect(request, safe_next(next))


# ================================================================== password reset
@router.get("/forgot", response_class=HTMLResponse)
def forgot_page(request: Request) -> Response:
    return render(request, "auth/forgot.html", {"values": {}, "errors": {}})


@router.post("/forgot", response_class=HTMLResponse)
def forgot_submit(request: Request, db: DbSession, email: Text = "", csrf_token: Csrf = "") -> Response:
    check_anonymous_csrf(request, csrf_token)
    lang = _lang(request)
    try:
        service.normalize_email(email)
    except AppError as exc:
        return render(
            request,
            "auth/forgot.html",
            {"values": {"email": email}, "errors": field_errors(exc, lang)},
            status_code=422,
        )
    found = service.request_password_reset(db, email, ip=client_ip(request))
    if found is not None:
        send_reset_after_commit(db, request, *found)
    return render(request, "auth/forgot_sent.html", {"email": email.strip()})


@router.get("/reset", response_class=HTMLResponse)
def reset_page(request: Request, token: Annotated[str, Query(max_length=500)] = "") -> Response:
    return render(request, "auth/reset.html", {"token": token, "errors": {}})


@router.post("/reset", response_class=HTMLResponse)
def reset_submit(
    request: Request,
    db: DbSession,
    token: Annotated[str, Form(max_length=500)] = "",
    password: Secret = "",
    password_confirm: Secret = "",
    csrf_token: Csrf = "",
) -> Response:
    check_anonymous_csrf(request, csrf_token)
    lang = _lang(request)
    if password != password_confirm:
        errors = {"password_confirm": i18n.gettext(lang, "The two passwords differ.")}
        return render(request, "auth/reset.html", {"token": token, "errors": errors}, status_code=422)
    try:
        service.reset_password(db, token, password, ip=client_ip(request))
    except AppError as exc:
        return render(request, "auth/reset.html", {"token": token, "errors": field_errors(exc, lang)}, status_code=422)
    flash(request, translate(request, "Your password was changed. Log in with the new one."), "success")
    response = redirect(request, "/login")
    clear_session_cookie(request, response)
    return response


# ================================================================== profile
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
        changed = service.update_profile(
            db, user, name=name, phone=phone, address=address, kakao_id=kakao_id, **_meta(request)
        )
    except AppError as exc:
        return render(
            request,
            "profile/profile.html",
            {"values": values, "errors": field_errors(exc, _lang(request)), "pw_errors": {}, "section": "profile"},
            status_code=422,
        )
    lang = i18n.normalize_locale(locale)
    if lang and lang != user.locale:
        user.locale = lang
        request.state.locale = lang
        changed.append("locale")
    flash(
        request,
        translate(request, "Your profile was saved.") if changed else translate(request, "Nothing changed."),
        "success" if changed else "info",
    )
    response = redirect(request, "/profile")
    if lang:
        response.set_cookie(i18n.LOCALE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
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
    lang = _lang(request)
    principal = request.state.principal
    errors: dict[str, str] = {}
    if new_password != new_password_confirm:
        errors = {"new_password_confirm": i18n.gettext(lang, "The two passwords differ.")}
    else:
        try:
            ended = service.change_password(
                db,
                user,
                current_password,
                new_password,
                keep_session_id=principal.session.id if principal.session else None,
                **_meta(request),
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
            "live": service.list_live_sessions(db, user.id),
            "history": service.list_session_history(db, user.id, limit=30),
            "current_id": principal.session.id if principal.session else None,
            "section": "sessions",
        },
    )


@router.post("/profile/sessions/{session_id}/end")
def session_end(request: Request, db: DbSession, user: PageUser, session_id: str) -> Response:
    principal = request.state.principal
    service.end_own_session(db, user, session_id, **_meta(request))
    if principal.session is not None and principal.session.id == session_id:
        response = redirect(request, "/login")
        clear_session_cookie(request, response)
        return response
    flash(request, translate(request, "The session was ended."), "success")
    return redirect(request, "/profile/sessions")


@router.get("/profile/activity", response_class=HTMLResponse)
def activity_page(
    request: Request, db: DbSession, user: PageUser, before: Annotated[int | None, Query(ge=1)] = None
) -> Response:
    rows = service.list_activity(db, user.id, before_id=before, limit=50, for_owner=True)
    return render(
        request,
        "profile/activity.html",
        {"rows": rows, "next_before": rows[-1].id if len(rows) == 50 else None, "section": "activity"},
    )


@router.get("/profile/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, db: DbSession, user: PageUser) -> Response:
    return render(
        request,
        "profile/tokens.html",
        {"tokens": service.list_tokens(db, user.id), "errors": {}, "values": {}, "section": "tokens"},
    )


@router.post("/profile/tokens", response_class=HTMLResponse)
def token_create(request: Request, db: DbSession, user: PageUser, name: Text = "") -> Response:
    try:
        plain, row = service.create_token(db, user, name, **_meta(request))
    except AppError as exc:
        return render(
            request,
            "profile/tokens.html",
            {
                "tokens": service.list_tokens(db, user.id),
                "errors": field_errors(exc, _lang(request)),
                "values": {"name": name},
                "section": "tokens",
            },
            status_code=422,
        )
    return render(
        request,
        "profile/tokens.html",
        {
            "tokens": service.list_tokens(db, user.id),
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
    row = service.revoke_token(db, user, token_id, **_meta(request))
    flash(request, translate(request, "The token “%(name)s” was revoked.", name=row.name), "success")
    return redirect(request, "/profile/tokens")


# ================================================================== admin: users
@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, admin: PageAdmin) -> Response:
    from reelforge.web.templating import admin_sections

    return render(request, "admin/index.html", {"sections": admin_sections})


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(
    request: Request,
    db: DbSession,
    admin: PageAdmin,
    q: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    page = service.search_users(db, q, cursor=cursor or None, limit=25)
    return render(request, "admin/users.html", {"page": page, "q": q, "cursor": cursor})


def _admin_user_context(db: DbSession, user_id: str) -> dict[str, Any]:
    target = service.get_user(db, user_id)
    return {
        "target": target,
        "live": service.list_live_sessions(db, target.id),
        "history": service.list_session_history(db, target.id, limit=20),
        "activity": service.list_activity(db, target.id, limit=30),
        "errors": {},
    }


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def admin_user(request: Request, db: DbSession, admin: PageAdmin, user_id: str) -> Response:
    return render(request, "admin/user_detail.html", _admin_user_context(db, user_id))


def _ctx(request: Request, admin: Any) -> service.AdminContext:
    return service.AdminContext(admin, ip=client_ip(request), user_agent=user_agent(request))


def _back(request: Request, user_id: str, message: str, category: str = "success") -> RedirectResponse:
    flash(request, translate(request, message), category)
    return redirect(request, f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id}/memo", response_class=HTMLResponse)
def admin_memo(request: Request, db: DbSession, admin: PageAdmin, user_id: str, memo: Text = "") -> Response:
    target = service.get_user(db, user_id)
    try:
        service.admin_set_memo(db, _ctx(request, admin), target, memo.replace("\r\n", "\n"))
    except AppError as exc:
        context = _admin_user_context(db, user_id)
        context["errors"] = field_errors(exc, _lang(request))
        context["memo_value"] = memo
        return render(request, "admin/user_detail.html", context, status_code=422)
    return _back(request, user_id, "The memo was saved.")


def _flag(value: str) -> bool:
    if value not in ("0", "1"):
        raise InvalidInput("Choose one of the allowed values.", field="value")
    return value == "1"


FlagForm = Annotated[str, Form(max_length=1)]


@router.post("/admin/users/{user_id}/verified")
def admin_verified(request: Request, db: DbSession, admin: PageAdmin, user_id: str, value: FlagForm = "1") -> Response:
    target = service.get_user(db, user_id)
    service.admin_set_verified(db, _ctx(request, admin), target, _flag(value))
    return _back(request, user_id, "The e-mail verification flag was changed.")


@router.post("/admin/users/{user_id}/admin")
def admin_flag(request: Request, db: DbSession, admin: PageAdmin, user_id: str, value: FlagForm = "") -> Response:
    target = service.get_user(db, user_id)
    try:
        service.admin_set_admin(db, _ctx(request, admin), target, _flag(value))
    except Conflict as exc:
        return _back(request, user_id, exc.detail, "error")
    return _back(request, user_id, "The administrator flag was changed.")


@router.post("/admin/users/{user_id}/active")
def admin_active(request: Request, db: DbSession, admin: PageAdmin, user_id: str, value: FlagForm = "") -> Response:
    target = service.get_user(db, user_id)
    active = _flag(value)
    try:
        service.admin_set_active(db, _ctx(request, admin), target, active)
    except Conflict as exc:
        return _back(request, user_id, exc.detail, "error")
    if active:
        return _back(request, user_id, "The account was enabled.")
    return _back(request, user_id, "The account was disabled.")


@router.post("/admin/users/{user_id}/sessions/end")
def admin_end_all(request: Request, db: DbSession, admin: PageAdmin, user_id: str) -> Response:
    target = service.get_user(db, user_id)
    service.admin_end_sessions(db, _ctx(request, admin), target)
    return _back(request, user_id, "All sessions of this user were ended.")


@router.post("/admin/users/{user_id}/sessions/{session_id}/end")
def admin_end_one(request: Request, db: DbSession, admin: PageAdmin, user_id: str, session_id: str) -> Response:
    target = service.get_user(db, user_id)
    service.admin_end_sessions(db, _ctx(request, admin), target, session_id)
    return _back(request, user_id, "The session was ended.")


@router.post("/admin/users/{user_id}/resend-verification")
def admin_resend(request: Request, db: DbSession, admin: PageAdmin, user_id: str) -> Response:
    target = service.get_user(db, user_id)
    try:
        token = service.admin_resend_verification(db, _ctx(request, admin), target)
    except (Conflict, TooManyRequests) as exc:
        return _back(request, user_id, exc.detail, "error")
    send_verification_after_commit(db, request, target, token)
    return _back(request, user_id, "A new verification e-mail was sent.")
