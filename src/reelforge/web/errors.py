"""Errors: RFC 9457 problem details for the API, a readable page for HTML routes.

Services raise `AppError` subclasses; they never know about HTTP. This module maps them
(and validation errors, and anything unexpected) to responses. A 5xx never carries a
trace: the body has the request id, the log has the trace.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelforge import i18n
from reelforge.errors import AppError
from reelforge.i18n import N_
from reelforge.logs import request_id_var

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path in ("/healthz", "/readyz"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    rid = request_id_var.get()
    if wants_json(request):
        body: dict[str, Any] = {
            "type": type_,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": request.url.path,
            "request_id": rid,
        }
        body.update(extra)
        return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)
    renderer = getattr(request.app.state, "render_error_page", None)
    if renderer is not None:
        return renderer(request, status, title, detail, headers)  # type: ignore[no-any-return]
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        "<body style='font-family:sans-serif;max-width:40rem;margin:4rem auto'>"
        f"<h1>{status} · {html.escape(title)}</h1><p>{html.escape(detail)}</p>"
        f"<p><small>request id {html.escape(rid)}</small></p><p><a href='/'>reelforge</a></p>"
        "</body></html>"
    )
    return HTMLResponse(page, status_code=status, headers=headers)


def internal_error(request: Request) -> Response:
    return problem(
        request, 500, "Internal error", "Something went wrong on our side. Quote the request id when reporting it."
    )


def _format_loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[-1] if loc else "")


def _reader_locale(request: Request) -> str:
    try:
        return i18n.request_locale(request)
    except Exception:  # noqa: BLE001 - the user's row is detached once the failed request's session ended
        return i18n.choose_locale(request)


# Validation messages people read (msgids in the catalogues); other kinds keep pydantic's text.
VALIDATION_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_long": N_("This is too long (at most %(max_length)s characters)."),
    "string_too_short": N_("This is too short."),
    "string_type": N_("Enter text."),
    "bool_type": N_("Enter true or false."),
    "bool_parsing": N_("Enter true or false."),
    "int_type": N_("Enter a whole number."),
    "int_parsing": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "extra_forbidden": N_("This field is not accepted."),
    "json_invalid": N_("The request body is not valid JSON."),
    "model_attributes_type": N_("The request body must be a JSON object."),
    "dict_type": N_("The request body must be a JSON object."),
    "less_than_equal": N_("Enter a value of at most %(le)s."),
    "greater_than_equal": N_("Enter a value of at least %(ge)s."),
    "date_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_type": N_("Enter a date as YYYY-MM-DD."),
}


def validation_message(error: dict[str, Any], lang: str) -> str:
    """One validation error in `lang` (pydantic's English text for kinds without a msgid)."""
    kind = str(error.get("type"))
    msgid = VALIDATION_MESSAGES.get(kind)
    if msgid is None:
        return str(error.get("msg", "invalid"))
    ctx = error.get("ctx") or {}
    if "%(" in msgid:
        key = msgid.split("%(")[1].split(")")[0]
        return i18n.gettext(lang, msgid, **{key: str(ctx.get(key, "?"))})
    return i18n.gettext(lang, msgid)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        title, detail, headers = exc.title, exc.detail, dict(exc.headers)
        if exc.localized and wants_json(request):  # the HTML error page translates on its own
            lang = _reader_locale(request)
            title, detail = i18n.gettext(lang, title), i18n.gettext(lang, detail)
            headers["Content-Language"] = lang
        return problem(
            request,
            exc.status,
            title,
            detail,
            type_=exc.type_,
            headers=headers or None,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        lang = _reader_locale(request)
        errors = [
            {
                "field": _format_loc(e.get("loc", ())),
                "message": validation_message(dict(e), lang),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        detail = summary or i18n.gettext(lang, "The request is not valid.")
        return problem(request, 422, "Invalid request", detail, errors=errors, headers={"Content-Language": lang})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized", 403: "Forbidden"}
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such page or resource."
        return problem(
            request, exc.status_code, titles.get(exc.status_code, "Error"), detail, headers=dict(exc.headers or {})
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        log.warning("integrity error: %s", exc.orig)
        return problem(request, 409, "Conflict", "The change conflicts with existing data.")

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        # The database refused a value the validators let through (PostgreSQL: a NUL character in
        # text, a number out of range). The client sent it, so it is a 422, not our 500.
        log.warning("database refused a value: %s", exc.orig)
        return problem(
            request,
            422,
            "Invalid input",
            "A value was refused: text must not contain NUL characters and numbers must be in range.",
        )

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> Response:
        log.error("database unavailable: %s", exc.orig)
        return problem(
            request,
            503,
            "Service unavailable",
            "The database is busy or unreachable; try again.",
            headers={"Retry-After": "2"},
        )
