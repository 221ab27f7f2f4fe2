"""JSON API of the accounts domain: /api/v1/auth, /api/v1/me, /api/v1/admin/users.

Thin over `accounts.flows`, the topic services and `accounts.queries` (the same calls as the
pages); errors are translated into the caller's language (user setting, then `Accept-Language`,
then Korean).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from reelforge import i18n
from reelforge.accounts import admin_users, flows, profile, queries
from reelforge.accounts.admin_users import AdminContext
from reelforge.accounts.http import (
    LocalizedRoute,
    clear_session_cookie,
    client_ip,
    set_session_cookie,
    settings_of,
    user_agent,
)
from reelforge.accounts.login import logout as end_login
from reelforge.accounts.password_reset import reset_password
from reelforge.accounts.schemas import (
    ActivityOut,
    AdminUserOut,
    AdminUserPatch,
    ApiTokenCreated,
    ApiTokenIn,
    ApiTokenOut,
    CountOut,
    EmailIn,
    LoginIn,
    LoginOut,
    MessageOut,
    PasswordChangeIn,
    ProfileIn,
    ResetConfirmIn,
    SessionHistoryOut,
    SessionOut,
    SignUpIn,
    TokenIn,
    UserListOut,
    UserOut,
)
from reelforge.accounts.signup import SignUp, verify_email
from reelforge.errors import Conflict
from reelforge.i18n import N_
from reelforge.web.auth import SESSION_COOKIE, AdminUser, CurrentPrincipal
from reelforge.web.deps import DbSession
from reelforge.web.params import BeforeId

router = APIRouter(route_class=LocalizedRoute)
auth = APIRouter(prefix="/auth", tags=["auth"], route_class=LocalizedRoute)
me = APIRouter(prefix="/me", tags=["me"], route_class=LocalizedRoute)
admin = APIRouter(prefix="/admin/users", tags=["admin: users"], route_class=LocalizedRoute)


def _t(request: Request, message: str) -> str:
    return i18n.gettext(i18n.request_locale(request), message)


# ------------------------------------------------------------------ /auth
@auth.post(
    "/signup",
    response_model=MessageOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Create an account (the answer is the same whether the address has one or not)",
)
def signup(body: SignUpIn, request: Request, db: DbSession) -> MessageOut:
    """Creates the account and e-mails a verification link. The caller is not logged in.

    An address that already has an account gets the same 202 (no account probing); its owner
    is told by mail instead."""
    lang = i18n.request_locale(request)
    email = flows.sign_up(
        db,
        settings_of(request),
        SignUp(
            email=body.email,
            password=body.password,
            name=body.name,
            phone=body.phone,
            address=body.address,
            kakao_id=body.kakao_id,
            locale=i18n.normalize_locale(body.locale) or lang,
        ),
        lang=lang,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    return MessageOut(
        detail=i18n.gettext(lang, N_("We sent a message to %(email)s; open its link to go on."), email=email)
    )


@auth.post("/login", response_model=LoginOut, summary="Log in with e-mail and password (sets the session cookie)")
def login(body: LoginIn, request: Request, response: Response, db: DbSession) -> LoginOut | Response:
    result = flows.log_in(
        db,
        settings_of(request),
        body.email,
        body.password,
        previous_token=request.cookies.get(SESSION_COOKIE, ""),
        ip=client_ip(request),
        user_agent=user_agent(request),
        lang=i18n.request_locale(request),
    )
    user, new = result.outcome.user, result.new_session
    if user is None or new is None:
        # Returned, not raised: the failed attempt must commit to count toward the rate limit.
        from reelforge.web.errors import problem

        return problem(request, 401, _t(request, "Unauthorized"), _t(request, result.refusal))
    set_session_cookie(request, response, new.token)
    return LoginOut(
        user=UserOut.model_validate(user), csrf_token=new.session.csrf_token, expires_at=new.session.expires_at
    )


@auth.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End the current session")
def logout(principal: CurrentPrincipal, request: Request, response: Response, db: DbSession) -> None:
    if principal.session is None:
        raise Conflict("Token-authenticated calls have no session to end; revoke the token instead.")
    end_login(db, principal.session, ip=client_ip(request), user_agent=user_agent(request))
    clear_session_cookie(request, response)


@auth.post("/verify", response_model=UserOut, summary="Verify the e-mail address with the token from the link")
def verify(body: TokenIn, request: Request, db: DbSession) -> UserOut:
    return UserOut.model_validate(verify_email(db, body.token, ip=client_ip(request)))


@auth.post(
    "/verify/resend",
    response_model=MessageOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send the verification e-mail again",
)
def resend_verification(principal: CurrentPrincipal, request: Request, db: DbSession) -> MessageOut:
    flows.resend_verification(
        db,
        settings_of(request),
        principal.user,
        lang=i18n.request_locale(request),
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    return MessageOut(detail=_t(request, N_("We sent you a new verification e-mail.")))


@auth.post(
    "/password-reset",
    response_model=MessageOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="E-mail a password reset link (the answer is the same whether the account exists or not)",
)
def password_reset(body: EmailIn, request: Request, db: DbSession) -> MessageOut:
    lang = i18n.request_locale(request)
    flows.request_password_reset(db, settings_of(request), body.email, lang=lang, ip=client_ip(request))
    return MessageOut(detail=_t(request, N_("If an account uses this address, we sent it a reset link.")))


@auth.post("/password-reset/confirm", response_model=MessageOut, summary="Set a new password with a reset token")
def password_reset_confirm(body: ResetConfirmIn, request: Request, db: DbSession) -> MessageOut:
    reset_password(db, body.token, body.password, ip=client_ip(request))
    return MessageOut(detail=_t(request, N_("Your password was changed. Log in with the new one.")))


# ------------------------------------------------------------------ /me
@me.get("", response_model=UserOut, summary="The calling user")
def get_me(principal: CurrentPrincipal) -> UserOut:
    return UserOut.model_validate(principal.user)


@me.patch("", response_model=UserOut, summary="Edit the profile (absent fields keep their value)")
def patch_me(body: ProfileIn, principal: CurrentPrincipal, request: Request, db: DbSession) -> UserOut:
    user = principal.user
    profile.update_profile(
        db,
        user,
        name=body.name,
        phone=body.phone,
        address=body.address,
        kakao_id=body.kakao_id,
        partial=True,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    if body.locale is not None:
        lang = i18n.normalize_locale(body.locale)
        if lang is None:
            from reelforge.errors import InvalidInput

            raise InvalidInput(
                "Choose one of the allowed values.", field="locale", allowed=list(i18n.SUPPORTED_LOCALES)
            )
        user.locale = lang
    return UserOut.model_validate(user)


@me.post("/password", response_model=CountOut, summary="Change the password; ends every other session")
def change_password(body: PasswordChangeIn, principal: CurrentPrincipal, request: Request, db: DbSession) -> CountOut:
    ended = flows.change_password(
        db,
        principal.user,
        body.current_password,
        body.new_password,
        current_session=principal.session,
        current_token_id=principal.api_token.id if principal.api_token else None,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    return CountOut(ended=ended)


@me.get("/sessions", response_model=list[SessionOut], summary="Live sessions of the calling user")
def my_sessions(principal: CurrentPrincipal, db: DbSession) -> list[SessionOut]:
    current = principal.session.id if principal.session else None
    return [
        SessionOut.model_validate(s).model_copy(update={"current": s.id == current})
        for s in queries.list_live_sessions(db, principal.user.id)
    ]


@me.get("/sessions/history", response_model=list[SessionHistoryOut], summary="Login history")
def my_session_history(
    principal: CurrentPrincipal, db: DbSession, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[SessionHistoryOut]:
    return [
        SessionHistoryOut.model_validate(h) for h in queries.list_session_history(db, principal.user.id, limit=limit)
    ]


@me.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, summary="End one of your sessions")
def end_my_session(session_id: str, principal: CurrentPrincipal, request: Request, db: DbSession) -> None:
    profile.end_own_session(db, principal.user, session_id, ip=client_ip(request), user_agent=user_agent(request))


@me.get("/activity", response_model=list[ActivityOut], summary="Your activity log, newest first")
def my_activity(
    principal: CurrentPrincipal,
    db: DbSession,
    before: BeforeId = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ActivityOut]:
    rows = queries.list_activity(db, principal.user.id, before_id=before, limit=limit, for_owner=True)
    return [ActivityOut.model_validate(r) for r in rows]


@me.get("/tokens", response_model=list[ApiTokenOut], summary="Your API tokens")
def my_tokens(principal: CurrentPrincipal, db: DbSession) -> list[ApiTokenOut]:
    return [ApiTokenOut.model_validate(t) for t in queries.list_tokens(db, principal.user.id)]


@me.post(
    "/tokens",
    response_model=ApiTokenCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API token (its value is shown only in this answer)",
)
def create_token(body: ApiTokenIn, principal: CurrentPrincipal, request: Request, db: DbSession) -> ApiTokenCreated:
    plain, row = profile.create_token(
        db, principal.user, body.name, ip=client_ip(request), user_agent=user_agent(request)
    )
    return ApiTokenCreated.model_validate({**ApiTokenOut.model_validate(row).model_dump(), "token": plain})


@me.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API token")
def revoke_token(token_id: str, principal: CurrentPrincipal, request: Request, db: DbSession) -> None:
    profile.revoke_token(db, principal.user, token_id, ip=client_ip(request), user_agent=user_agent(request))


# ------------------------------------------------------------------ /admin/users
def _ctx(admin_user: AdminUser, request: Request) -> AdminContext:
    return AdminContext(admin_user, ip=client_ip(request), user_agent=user_agent(request))


@admin.get("", response_model=UserListOut, summary="Search users (e-mail, name, phone); keyset pagination")
def list_users(
    admin_user: AdminUser,
    db: DbSession,
    q: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> UserListOut:
    page = queries.search_users(db, q, cursor=cursor, limit=limit)
    return UserListOut(users=[AdminUserOut.model_validate(u) for u in page.users], next_cursor=page.next_cursor)


@admin.get("/{user_id}", response_model=AdminUserOut, summary="One user")
def get_user(user_id: str, admin_user: AdminUser, db: DbSession) -> AdminUserOut:
    return AdminUserOut.model_validate(queries.get_user(db, user_id))


@admin.patch("/{user_id}", response_model=AdminUserOut, summary="Memo, verified, admin and active flags")
def patch_user(
    user_id: str, body: AdminUserPatch, admin_user: AdminUser, request: Request, db: DbSession
) -> AdminUserOut:
    target = queries.get_user(db, user_id)
    ctx = _ctx(admin_user, request)
    if body.admin_memo is not None:
        admin_users.admin_set_memo(db, ctx, target, body.admin_memo)
    if body.email_verified is not None:
        admin_users.admin_set_verified(db, ctx, target, body.email_verified)
    if body.is_admin is not None:
        admin_users.admin_set_admin(db, ctx, target, body.is_admin)
    if body.is_active is not None:
        admin_users.admin_set_active(db, ctx, target, body.is_active)
    return AdminUserOut.model_validate(target)


@admin.get("/{user_id}/sessions", response_model=list[SessionOut], summary="The user's live sessions")
def user_sessions(user_id: str, admin_user: AdminUser, db: DbSession) -> list[SessionOut]:
    target = queries.get_user(db, user_id)
    return [SessionOut.model_validate(s) for s in queries.list_live_sessions(db, target.id)]


@admin.get("/{user_id}/sessions/history", response_model=list[SessionHistoryOut], summary="The user's logins")
def user_session_history(
    user_id: str, admin_user: AdminUser, db: DbSession, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[SessionHistoryOut]:
    target = queries.get_user(db, user_id)
    return [SessionHistoryOut.model_validate(h) for h in queries.list_session_history(db, target.id, limit=limit)]


@admin.delete("/{user_id}/sessions", response_model=CountOut, summary="Force logout: end all the user's sessions")
def force_logout(user_id: str, admin_user: AdminUser, request: Request, db: DbSession) -> CountOut:
    target = queries.get_user(db, user_id)
    return CountOut(ended=admin_users.admin_end_sessions(db, _ctx(admin_user, request), target))


@admin.delete("/{user_id}/sessions/{session_id}", response_model=CountOut, summary="End one session of the user")
def force_logout_one(user_id: str, session_id: str, admin_user: AdminUser, request: Request, db: DbSession) -> CountOut:
    target = queries.get_user(db, user_id)
    return CountOut(ended=admin_users.admin_end_sessions(db, _ctx(admin_user, request), target, session_id))


@admin.get("/{user_id}/activity", response_model=list[ActivityOut], summary="The user's activity log")
def user_activity(
    user_id: str,
    admin_user: AdminUser,
    db: DbSession,
    before: BeforeId = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ActivityOut]:
    target = queries.get_user(db, user_id)
    return [ActivityOut.model_validate(r) for r in queries.list_activity(db, target.id, before_id=before, limit=limit)]


router.include_router(auth)
router.include_router(me)
router.include_router(admin)
