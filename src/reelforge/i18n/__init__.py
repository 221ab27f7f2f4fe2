"""Translations (Babel/gettext), locale choice and locale-aware formatting.

Every helper owns one catalogue per domain at `i18n/locales/<lang>/LC_MESSAGES/<domain>.po`;
all of a language's catalogues are merged into one `Translations` at load. Compiled
`.mo` files (from `python -m reelforge.web.i18n_compile`, run at install) are used when
they are at least as new as their `.po`; otherwise the `.po` is read directly, so a
checkout works (and tests run) without a compile step.

Locale choice for a request: the logged-in user's setting, then the `rf_lang` cookie,
then `Accept-Language`, then Korean.
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.support import Translations

LOCALES_DIR = Path(__file__).with_name("locales")
SUPPORTED_LOCALES: tuple[str, ...] = ("ko", "en")
DEFAULT_LOCALE = "ko"
LOCALE_COOKIE = "rf_lang"
LOCALE_NAMES = {"ko": "한국어", "en": "English"}


class Request(Protocol):
    """What locale choice reads from an HTTP request (kept structural: i18n imports no web framework)."""

    @property
    def cookies(self) -> Any: ...

    @property
    def headers(self) -> Any: ...

    @property
    def state(self) -> Any: ...


_lock = threading.Lock()
_cache: dict[str, tuple[tuple[tuple[str, float, float], ...], Translations]] = {}  # key -> (file stamps, merged)


def _catalog_files(lang: str, locales_dir: Path) -> list[Path]:
    folder = locales_dir / lang / "LC_MESSAGES"
    return sorted(folder.glob("*.po")) if folder.is_dir() else []


def _load_one(po_path: Path) -> Translations:
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as fh:
            return Translations(fp=fh, domain="messages")
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=po_path.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain="messages")


def _mo_mtime(po_path: Path) -> float:
    mo = po_path.with_suffix(".mo")
    return mo.stat().st_mtime if mo.exists() else 0.0


def get_translations(lang: str, locales_dir: Path = LOCALES_DIR) -> Translations:
    """All catalogues of `lang`, merged; reloaded when a file changes (cheap stat check)."""
    if lang not in SUPPORTED_LOCALES:
        lang = DEFAULT_LOCALE
    files = _catalog_files(lang, locales_dir)
    stamp = tuple((str(p), p.stat().st_mtime, _mo_mtime(p)) for p in files)
    key = f"{locales_dir}:{lang}"
    cached = _cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        merged = Translations()
        merged._catalog = {}  # NullTranslations-based: start empty and merge every domain
        merged.plural = (lambda n: 0) if lang == "ko" else (lambda n: int(n != 1))
        for po in files:
            merged.merge(_load_one(po))
        _cache[key] = (stamp, merged)
        return merged


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here (translated where it is shown)."""
    return message


def gettext(lang: str, message: str, **params: Any) -> str:
    """Translate `message` into `lang`; `%(name)s` placeholders are filled from `params`."""
    text = get_translations(lang).gettext(message)
    return text % params if params else text


def ngettext(lang: str, singular: str, plural: str, n: int, **params: Any) -> str:
    text = get_translations(lang).ngettext(singular, plural, n)
    if "%(num)" in text:
        params.setdefault("num", n)
    return text % params if params else text  # unformatted: `{% trans count=... %}` formats it itself


def normalize_locale(value: str | None) -> str | None:
    """'ko-KR' -> 'ko', 'en_US' -> 'en'; None for unsupported values."""
    if not value:
        return None
    base = value.strip().replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED_LOCALES else None


def parse_accept_language(header: str) -> str | None:
    """The best supported language from an Accept-Language header (q-values honoured)."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = normalize_locale(tag)
        if lang and q > 0:
            choices.append((-q, index, lang))
    return sorted(choices)[0][2] if choices else None


def choose_locale(request: Request, user_locale: str | None = None) -> str:
    """User setting → cookie → Accept-Language → Korean."""
    return (
        normalize_locale(user_locale)
        or normalize_locale(request.cookies.get(LOCALE_COOKIE))
        or parse_accept_language(request.headers.get("accept-language", ""))
        or DEFAULT_LOCALE
    )


def request_locale(request: Request) -> str:
    """The locale of this request, using the resolved principal when there is one."""
    cached = getattr(request.state, "locale", None)
    if isinstance(cached, str):
        return cached
    if hasattr(request.state, "user_locale"):  # noted when the caller was identified (the row may be gone)
        return choose_locale(request, request.state.user_locale)
    principal = getattr(request.state, "principal", None)
    user_locale = principal.user.locale if principal is not None else None
    return choose_locale(request, user_locale)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# Explicit patterns where CLDR's defaults read poorly (ko "short" shows "PM" and a two-digit year).
_DATETIME_PATTERNS = {
    ("ko", "short"): "yyyy. M. d. HH:mm",
    ("ko", "medium"): "yyyy. M. d. HH:mm:ss",
    ("en", "short"): "MMM d, yyyy, h:mm a",
}


def format_datetime(value: datetime | None, lang: str, tz: str = "Asia/Seoul", fmt: str = "medium") -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    pattern = _DATETIME_PATTERNS.get((lang, fmt), fmt)
    return babel_dates.format_datetime(value, format=pattern, tzinfo=_zone(tz), locale=Locale.parse(lang))


def format_date(value: datetime | None, lang: str, tz: str = "Asia/Seoul", fmt: str = "medium") -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return babel_dates.format_date(value.astimezone(_zone(tz)), format=fmt, locale=Locale.parse(lang))


def format_number(value: float | int | None, lang: str) -> str:
    if value is None:
        return "—"
    return babel_numbers.format_decimal(value, locale=Locale.parse(lang))
