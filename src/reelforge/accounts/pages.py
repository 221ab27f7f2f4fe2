"""HTML pages of the accounts domain: sign-up, login, e-mail verification, password reset.

Thin over `accounts.flows` and the services (the same calls as the JSON API). Forms keep their
values and show per-field errors in the visitor's language. The profile and admin pages live in
`settings_pages` and `admin_pages`; their routes are included into `router` here, so the app
mounts the domain's pages with one router.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from reelforge import i18n
from reelforge.accounts import admin_pages, flows, settings_pages
from reelforge.accounts.http import clear_session_cookie, client_ip, field_errors, set_session_cookie, settings_of
from reelforge.accounts.login import logout
from reelforge.accounts.page_forms import LOCALE_COOKIE_MAX_AGE, Csrf, Secret, Text, meta, page_lang
from reelforge.accounts.password_reset import reset_password
from reelforge.accounts.service import normalize_email
from reelforge.accounts.signup import SignUp, verify_email
from reelforge.errors import AppError, InvalidInput, TooManyRequests
from reelforge.web.auth import SESSION_COOKIE, OptionalPageUser, PageUser
from reelforge.web.deps import DbSession, WriteSession
from reelforge.web.templating import check_anonymous_csrf, flash, redirect, render, safe_next, translate

router = APIRouter(include_in_schema=False)


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
    lang = page_lang(request)
    errors: dict[str, str] = {}
    if password != password_confirm:
        errors["password_confirm"] = i18n.gettext(lang, "The two passwords differ.")
    if not agree:
        errors["agree"] = i18n.gettext(lang, "Accept the terms to create an account.")
    if not errors:
        try:
            email_sent_to = flows.sign_up(
                db,
                settings_of(request),
                SignUp(email, password, name, phone, address, kakao_id or None, locale=lang),
                lang=lang,
                **meta(request),
            )
        except AppError as exc:
            errors = field_errors(exc, lang)
        else:
            # The same page whether or not the address had an account (no account probing).
            return render(request, "auth/check_email.html", {"email": email_sent_to})
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
    lang = page_lang(request)
    target = safe_next(next)
    context: dict[str, Any] = {"values": {"email": email}, "next": target}
    try:
        result = flows.log_in(
            db,
            settings_of(request),
            email,
            password,
            previous_token=request.cookies.get(SESSION_COOKIE, ""),
            lang=lang,
            **meta(request),
        )
    except TooManyRequests as exc:
        context["errors"] = {"_form": i18n.gettext(lang, exc.detail)}
        return render(request, "auth/login.html", context, status_code=429, headers=exc.headers)
    user, new = result.outcome.user, result.new_session
    if user is None or new is None:
        context["errors"] = {"_form": i18n.gettext(lang, result.refusal)}
        return render(request, "auth/login.html", context, status_code=401)
    user_lang = i18n.normalize_locale(user.locale)
    request.state.locale = user_lang or lang
    flash(request, translate(request, "Welcome back, %(name)s!", name=user.name or user.email), "success")
    response = redirect(request, target)
    set_session_cookie(request, response, new.token)
    if user_lang:
        response.set_cookie(i18n.LOCALE_COOKIE, user_lang, max_age=LOCALE_COOKIE_MAX_AGE, samesite="lax", path="/")
    return response


@router.post("/logout")
def logout_submit(request: Request, db: DbSession, principal: OptionalPageUser) -> Response:
    if principal is not None and principal.session is not None:
        logout(db, principal.session, **meta(request))
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
        user = verify_email(db, token, ip=client_ip(request))
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
            flows.resend_verification(db, settings_of(request), user, lang=page_lang(request), **meta(request))
        except TooManyRequests as exc:
            flash(request, translate(request, exc.detail), "warning")
            return redirect(request, safe_next(next))
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
    lang = page_lang(request)
    try:
        normalize_email(email)
    except AppError as exc:
        return render(
            request,
            "auth/forgot.html",
            {"values": {"email": email}, "errors": field_errors(exc, lang)},
            status_code=422,
        )
    flows.request_password_reset(db, settings_of(request), email, lang=lang, ip=client_ip(request))
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
    lang = page_lang(request)
    if password != password_confirm:
        errors = {"password_confirm": i18n.gettext(lang, "The two passwords differ.")}
        return render(request, "auth/reset.html", {"token": token, "errors": errors}, status_code=422)
    try:
        reset_password(db, token, password, ip=client_ip(request))
    except AppError as exc:
        return render(request, "auth/reset.html", {"token": token, "errors": field_errors(exc, lang)}, status_code=422)
    flash(request, translate(request, "Your password was changed. Log in with the new one."), "success")
    response = redirect(request, "/login")
    clear_session_cookie(request, response)
    return response


# The profile and admin pages, after the auth pages (the order the routes were always matched in).
router.include_router(settings_pages.router)
router.include_router(admin_pages.router)
