"""Authentication dependencies for the API and the pages.

The JSON API accepts a session cookie or `Authorization: Bearer <api token>`.
Cookie-authenticated unsafe requests (POST/PUT/PATCH/DELETE) must carry the session's
CSRF token in the `X-CSRF-Token` header (or a `csrf_token` form field for HTML forms);
token-authenticated ones need none, since a browser never sends a bearer token on its own.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Response

from reelforge.accounts.models import User
from reelforge.accounts.sessions import (
    ACTIVITY_WRITE_INTERVAL,
    SESSION_LIFETIME,
    Principal,
    resolve_api_token,
    resolve_session,
)
from reelforge.db.base import utcnow
from reelforge.errors import Forbidden, Unauthorized
from reelforge.web.deps import DbSession

SESSION_COOKIE = "rf_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The cookie lives exactly as long as the server-side session: both slide on activity.
SESSION_COOKIE_MAX_AGE = int(SESSION_LIFETIME.total_seconds())


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


async def _form_csrf(request: Request) -> str:
    content_type = request.headers.get("content-type", "")
    if "form" not in content_type:
        return ""
    form = await request.form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else ""


async def sent_csrf_token(request: Request) -> str:
    """The CSRF token an unsafe request carries (header or form field).

    Async only because reading a form needs `await`; the database work happens in the sync
    `optional_principal`, which FastAPI runs in the thread pool. A dependency that queried the
    database on the event loop would block every other request while SQLite waits for its lock.
    """
    if request.method in SAFE_METHODS:
        return ""
    return request.headers.get(CSRF_HEADER) or await _form_csrf(request)


def optional_principal(
    request: Request, response: Response, db: DbSession, sent_csrf: Annotated[str, Depends(sent_csrf_token)]
) -> Principal | None:
    """Who is calling, or None. Raises 403 for a cookie-authenticated unsafe request without CSRF."""
    if hasattr(request.state, "principal"):  # resolved already in this request
        cached: Principal | None = request.state.principal
        return cached
    principal: Principal | None = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        principal = resolve_api_token(db, auth[7:].strip())
        if principal is None:
            raise Unauthorized("The API token is invalid or revoked.", headers={"WWW-Authenticate": "Bearer"})
    else:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        if cookie:
            principal = resolve_session(db, cookie)
            if principal is not None and request.method in SAFE_METHODS:
                assert principal.session is not None
                if utcnow() - principal.session.last_seen_at >= ACTIVITY_WRITE_INTERVAL:
                    # The server slid the session's expiry; the cookie's Max-Age slides with it.
                    # Only on reads: an unsafe request may rotate the session and set its own cookie.
                    set_session_cookie(request, response, cookie)
        if principal is not None and request.method not in SAFE_METHODS:
            assert principal.session is not None
            if not sent_csrf or not hmac.compare_digest(sent_csrf, principal.session.csrf_token):
                raise Forbidden("Missing or wrong CSRF token; reload the page and try again.")
    request.state.principal = principal
    # Error handlers run after the unit of work has closed: they read the language from here.
    request.state.user_locale = principal.user.locale if principal is not None else None
    return principal


async def require_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized("Log in or send an API token.", headers={"WWW-Authenticate": "Bearer"})
    return principal


async def require_user(principal: Annotated[Principal, Depends(require_principal)]) -> User:
    return principal.user


async def require_admin(user: Annotated[User, Depends(require_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("This needs an administrator account.")
    return user


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
CurrentUser = Annotated[User, Depends(require_user)]
AdminUser = Annotated[User, Depends(require_admin)]


# ---------------------------------------------------------------- HTML pages
class LoginRequired(Exception):
    """Raised by page dependencies for anonymous visitors; answered with a redirect to /login."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


async def require_page_user(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> User:
    """The logged-in user of a page; anonymous visitors go to /login?next=<this page>."""
    if principal is None:
        from reelforge.web.templating import login_url

        raise LoginRequired(login_url(request))
    return principal.user


async def require_page_admin(user: Annotated[User, Depends(require_page_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("This needs an administrator account.")
    return user


PageUser = Annotated[User, Depends(require_page_user)]
PageAdmin = Annotated[User, Depends(require_page_admin)]
OptionalPageUser = Annotated[Principal | None, Depends(optional_principal)]  # the Principal or None (visitors)
