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
from reelforge.i18n import N_
from reelforge.web.auth import SESSION_COOKIE

SESSION_COOKIE_MAX_AGE = 400 * 24 * 3600  # the server-side sliding expiry is what counts


def client_ip(request: Request) -> str:
    return (request.client.host if request.client else "-")[:64]


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")[:500]


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


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


# ------------------------------------------------------------------ translated messages
VALIDATION_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_long": N_("This is too long (at most %(max_length)s characters)."),
    "string_too_short": N_("This is too short."),
    "string_type": N_("Enter text."),
    "bool_type": N_("Enter true or false."),
    "bool_parsing": N_("Enter true or false."),
    "int_type": N_("Enter a whole number."),
    "int_parsing": N_("Enter a whole number."),
    "extra_forbidden": N_("This field is not accepted."),
    "json_invalid": N_("The request body is not valid JSON."),
    "model_attributes_type": N_("The request body must be a JSON object."),
    "dict_type": N_("The request body must be a JSON object."),
}


def validation_message(error: dict[str, Any], lang: str) -> str:
    kind = str(error.get("type"))
    msgid = VALIDATION_MESSAGES.get(kind)
    if msgid is None:
        return str(error.get("msg", "invalid"))
    if kind == "string_too_long":
        return i18n.gettext(lang, msgid, max_length=(error.get("ctx") or {}).get("max_length", "?"))
    return i18n.gettext(lang, msgid)


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
