"""Server-rendered pages: the Jinja2 environment, `render()`, flash messages, the error page.

Every domain's `pages.py` renders through `render(request, "domain/page.html", {...})`.
Templates extend `base.html` (blocks `title`, `content`, `scripts`). The context always
holds `user` (or None), `csrf_token`, `locale`, `_`/`gettext`/`ngettext`, `flashes`,
`format_datetime`/`format_date`/`format_number`, `static_url` and `request`.

Strings in templates are written as `{{ _("English text") }}` (or `{% trans %}`) and
translated from the merged catalogues (see `web/i18n.py`); output is autoescaped.

CSRF for forms: a logged-in user's forms carry the session's CSRF token (checked by
`web/auth.py`). Anonymous forms (login, sign-up, reset) use a double-submit cookie
`rf_csrf`, set by `render()` and checked by `check_anonymous_csrf()`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from reelforge import __version__, i18n
from reelforge.errors import Forbidden
from reelforge.i18n import N_, stored

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")
FLASH_COOKIE = "rf_flash"
ANON_CSRF_COOKIE = "rf_csrf"
FLASH_CATEGORIES = frozenset({"info", "success", "warning", "error"})

env = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=True,
)


def static_url(path: str) -> str:
    """URL of a static asset with a cache-busting version."""
    return f"/static/{path.lstrip('/')}?v={__version__}"


# Cards on the /admin page: (href, title msgid, description msgid). Domains append theirs at import.
admin_sections: list[tuple[str, str, str]] = [
    ("/admin/users", N_("Users"), N_("Search accounts, edit memos, verify, disable, end sessions.")),
]


# Human names of activity-log actions (msgids); domains add theirs with `activity_labels[...] = ...`.
activity_labels: dict[str, str] = {
    "signup": N_("Signed up"),
    "login": N_("Logged in"),
    "login_failed": N_("Failed login"),
    "login_refused": N_("Login refused (account disabled)"),
    "login_locked": N_("Login locked after many failed attempts"),
    "signup_existing_email": N_("Someone tried to sign up with this e-mail address"),
    "logout": N_("Logged out"),
    "email_verified": N_("E-mail verified"),
    "verification_sent": N_("Verification e-mail sent"),
    "password_reset_requested": N_("Password reset requested"),
    "password_reset": N_("Password reset"),
    "password_changed": N_("Password changed"),
    "profile_updated": N_("Profile updated"),
    "session_ended": N_("Session ended"),
    "token_created": N_("API token created"),
    "token_revoked": N_("API token revoked"),
    "admin.memo": N_("Admin memo edited"),
    "admin.verify": N_("E-mail verified by an administrator"),
    "admin.unverify": N_("E-mail verification removed by an administrator"),
    "admin.grant_admin": N_("Made an administrator"),
    "admin.revoke_admin": N_("Administrator rights removed"),
    "admin.disable": N_("Account disabled"),
    "admin.enable": N_("Account enabled"),
    "admin.force_logout": N_("Logged out by an administrator"),
    "admin.resend_verification": N_("Verification e-mail resent by an administrator"),
}


def add_admin_section(href: str, title: str, description: str) -> None:
    """Register a card on /admin (use English msgids that your domain's .po translates)."""
    if all(existing[0] != href for existing in admin_sections):
        admin_sections.append((href, title, description))


env.globals["static_url"] = static_url
env.globals["app_version"] = __version__
env.globals["locale_names"] = i18n.LOCALE_NAMES


# ------------------------------------------------------------------ flash messages
def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), b"flash:" + payload, hashlib.sha256).hexdigest()[:32]


def _secret(request: Request) -> str:
    return str(getattr(request.app.state, "secret_key", "") or "reelforge")


def flash(request: Request, message: str, category: str = "info") -> None:
    """Queue a message for the next page this browser renders (after a redirect, usually).

    `message` should already be translated (use `translate(request, ...)`).
    """
    if category not in FLASH_CATEGORIES:
        category = "info"
    queued: list[dict[str, str]] = getattr(request.state, "flash_out", [])
    queued.append({"c": category, "m": message[:500]})
    request.state.flash_out = queued


def _encode_flashes(request: Request, items: list[dict[str, str]]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(items[-5:], ensure_ascii=False).encode()).decode()
    return f"{payload}.{_sign(_secret(request), payload.encode())}"


def _decode_flashes(request: Request) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE, "")
    if not raw or "." not in raw or len(raw) > 4000:
        return []
    payload, _, sig = raw.rpartition(".")
    if not hmac.compare_digest(sig, _sign(_secret(request), payload.encode())):
        return []
    try:
        items = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, json.JSONDecodeError):
        return []
    return [
        {"c": str(i.get("c", "info")), "m": str(i.get("m", ""))}
        for i in items
        if isinstance(i, dict) and i.get("c") in FLASH_CATEGORIES
    ]


def _store_flashes(request: Request, response: Response) -> None:
    queued = getattr(request.state, "flash_out", [])
    if queued:
        response.set_cookie(
            FLASH_COOKIE,
            _encode_flashes(request, queued),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        request.state.flash_out = []


def redirect(request: Request, url: str, status_code: int = 303) -> RedirectResponse:
    """A redirect that carries the queued flash messages."""
    response = RedirectResponse(url, status_code=status_code)
    _store_flashes(request, response)
    return response


def safe_next(value: str | None, default: str = "/") -> str:
    """Only local paths are allowed as a post-login destination (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return default
    if any(ord(ch) < 32 for ch in value):
        return default
    return value


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


# ------------------------------------------------------------------ CSRF for anonymous forms
def anonymous_csrf_token(request: Request) -> str:
    token = getattr(request.state, "anon_csrf", None)
    if isinstance(token, str):
        return token
    existing = request.cookies.get(ANON_CSRF_COOKIE, "")
    token = existing if 20 <= len(existing) <= 100 else secrets.token_urlsafe(24)
    request.state.anon_csrf = token
    return token


def check_anonymous_csrf(request: Request, sent: str | None) -> None:
    """Double-submit check for forms shown to visitors who are not logged in."""
    cookie = request.cookies.get(ANON_CSRF_COOKIE, "")
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise Forbidden("Missing or wrong CSRF token; reload the page and try again.")


# ------------------------------------------------------------------ rendering
_BROWSERS = [
    (re.compile(r"Edg(?:e|A|iOS)?/(\d+)"), "Edge"),
    (re.compile(r"(?:OPR|Opera)/(\d+)"), "Opera"),
    (re.compile(r"SamsungBrowser/(\d+)"), "Samsung Internet"),
    (re.compile(r"KAKAOTALK"), "KakaoTalk"),
    (re.compile(r"Whale/(\d+)"), "Whale"),
    (re.compile(r"Firefox/(\d+)"), "Firefox"),
    (re.compile(r"(?:Chrome|CriOS)/(\d+)"), "Chrome"),
    (re.compile(r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/"), "Safari"),
]
_SYSTEMS = [
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def describe_user_agent(ua: str | None) -> str:
    """'Chrome 140 · Linux' from a User-Agent header (the raw header stays in the title attribute)."""
    if not ua:
        return "—"
    browser = ""
    for pattern, name in _BROWSERS:
        match = pattern.search(ua)
        if match:
            browser = f"{name} {match.group(1)}" if match.groups() else name
            break
    system = next((label for needle, label in _SYSTEMS if needle in ua), "")
    if not browser and not system:
        return ua.split(" ")[0][:60]  # curl/8.0, python-httpx/0.28, ...
    return " · ".join(part for part in (browser, system) if part)


def format_details(details: str | None) -> str:
    """Activity-log details: a JSON object becomes 'key: value · key: a, b'; other text stays."""
    if not details:
        return "—"
    try:
        data = json.loads(details)
    except ValueError:
        return details
    if not isinstance(data, dict):
        return details
    parts = []
    for key, value in data.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key}: {shown}")
    return " · ".join(parts)


env.globals["describe_user_agent"] = describe_user_agent
env.globals["format_details"] = format_details


def translate(request: Request, message: str, **params: Any) -> str:
    return i18n.gettext(i18n.request_locale(request), message, **params)


def _tz(request: Request) -> str:
    settings = getattr(request.app.state, "settings", None)
    return str(getattr(settings, "timezone", "Asia/Seoul") or "Asia/Seoul")


def base_context(request: Request) -> dict[str, Any]:
    principal = getattr(request.state, "principal", None)
    user = principal.user if principal is not None else None
    locale = i18n.request_locale(request)
    request.state.locale = locale
    tz = _tz(request)
    if principal is not None and principal.session is not None:
        csrf = principal.session.csrf_token
    else:
        csrf = anonymous_csrf_token(request)

    def _(message: str, **params: Any) -> str:
        return i18n.gettext(locale, message, **params)

    def _n(singular: str, plural: str, n: int, **params: Any) -> str:
        return i18n.ngettext(locale, singular, plural, n, **params)

    flashes = _decode_flashes(request) + list(getattr(request.state, "flash_out", []))
    request.state.flash_out = []
    return {
        "request": request,
        "principal": principal,
        "user": user,
        "csrf_token": csrf,
        "locale": locale,
        "timezone": tz,
        "_": _,
        "gettext": _,
        "ngettext": _n,
        "flashes": flashes,
        "current_path": request.url.path,
        "stored_text": lambda line: stored.localize(line, locale),  # job log and ledger lines
        "format_datetime": lambda v, fmt="medium": i18n.format_datetime(v, locale, tz, fmt),
        "format_date": lambda v, fmt="medium": i18n.format_date(v, locale, tz, fmt),
        "format_number": lambda v: i18n.format_number(v, locale),
        "iso": lambda v: v.isoformat() if isinstance(v, datetime) else "",
        "activity_label": lambda action: _(activity_labels[action]) if action in activity_labels else action,
    }


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a template (extending base.html) into a response."""
    ctx = base_context(request)
    if context:
        ctx.update(context)
    html = env.get_template(name).render(ctx)
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    response.headers["cache-control"] = "no-store"
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path="/")
    _store_flashes(request, response)
    token = getattr(request.state, "anon_csrf", None)
    if token and request.cookies.get(ANON_CSRF_COOKIE) != token:
        response.set_cookie(
            ANON_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/"
        )
    return response


# ------------------------------------------------------------------ error page
def render_error_page(
    request: Request, status: int, title: str, detail: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The HTML error page (registered as app.state.render_error_page, used by web/errors.py)."""
    try:
        _lookup_visitor(request)
    except Exception:  # e.g. the database is down (a 503): show the page without the user's menu
        log.warning("error page: could not look up the visitor", exc_info=True)
        request.state.principal = None
    try:
        return _render_error(request, status, title, detail, headers)
    except Exception:  # an error page must never fail; fall back to plain text
        log.exception("error page failed to render")
        from markupsafe import escape

        body = f"<!doctype html><title>{status}</title><h1>{status} {escape(title)}</h1><p>{escape(detail)}</p>"
        return HTMLResponse(body, status_code=status, headers=dict(headers or {}))


def _lookup_visitor(request: Request) -> None:
    """The request's unit of work has rolled back (its ORM rows are expired): look the visitor up
    again in a short read-only session so the error page shows their navigation."""
    from reelforge.accounts.sessions import resolve_session
    from reelforge.web.auth import SESSION_COOKIE

    request.state.principal = None
    cookie = request.cookies.get(SESSION_COOKIE, "")
    db = getattr(request.app.state, "db", None)
    if not cookie or db is None:
        return
    with db.read_session() as session:  # read-only: the sliding expiry is not written here
        principal = resolve_session(session, cookie, touch=False)
        session.expunge_all()  # keep the loaded rows usable after this session ends
    request.state.principal = principal


def _render_error(
    request: Request, status: int, title: str, detail: str, headers: Mapping[str, str] | None
) -> Response:
    from reelforge.logs import request_id_var

    return render(
        request,
        "error.html",
        {
            "status": status,
            "title": translate(request, title),
            "detail": translate(request, detail),
            "request_id": request_id_var.get(),
        },
        status_code=status,
        headers=headers,
    )


# ------------------------------------------------------------------ installation
def install(app: FastAPI) -> None:
    """Static files, the web font, the login redirect and the HTML error page."""
    from reelforge.web import fonts
    from reelforge.web.auth import LoginRequired

    app.state.render_error_page = render_error_page

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.get(f"/static/fonts/{fonts.FONT_NAME}", include_in_schema=False)
    def web_font(request: Request) -> FileResponse:
        path = fonts.ensure_font(request.app.state.settings.data_dir)
        return FileResponse(
            path,
            media_type="font/woff2",
            headers={"cache-control": "public, max-age=31536000, immutable"},
        )

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
