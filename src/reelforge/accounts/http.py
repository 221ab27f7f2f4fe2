"""HTTP glue shared by the accounts API and pages: client facts, cookies, translated errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from reelforge import i18n
from reelforge.config import Settings
from reelforge.errors import AppError
from reelforge.web.auth import SESSION_COOKIE
from reelforge.web.auth import set_session_cookie as set_session_cookie  # web.auth slides it on activity
from reelforge.web.errors import validation_message


def client_ip(request: Request) -> str:
    return (request.client.host if request.client else "-")[:64]


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")[:500]


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


# ------------------------------------------------------------------ translated messages
def translate_error(exc: AppError, lang: str) -> AppError:
    exc.detail = i18n.gettext(lang, exc.detail)
    exc.args = (exc.detail,)
    return exc


class LocalizedRoute(APIRoute):
    """API route whose errors (service errors and body validation) speak the caller's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except AppError as exc:
                raise translate_error(exc, i18n.request_locale(request)) from None
            except RequestValidationError as exc:
                lang = i18n.request_locale(request)
                errors = [{**e, "msg": validation_message(dict(e), lang)} for e in exc.errors()]
                raise RequestValidationError(errors, body=exc.body) from None

        return handler


def field_errors(exc: AppError, lang: str) -> dict[str, str]:
    """A service error as {field: translated message} for re-rendering a form."""
    field = str(exc.extra.get("field") or "_form")
    return {field: i18n.gettext(lang, exc.detail)}
