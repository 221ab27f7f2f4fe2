"""Extraction of the accounts/shell msgids (used by the i18n test and to refresh the .po files).

Run `python -m tests.accounts_i18n_tools` to print the msgids missing from the Korean catalogues.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

ROOT = Path(__file__).resolve().parent.parent / "src" / "reelforge"
TEMPLATES = ROOT / "web" / "templates"

# Our templates (shell + accounts); other domains' templates are their owners' business.
TEMPLATE_FILES = (
    [TEMPLATES / name for name in ("base.html", "error.html", "home.html", "_forms.html")]
    + sorted((TEMPLATES / "auth").glob("*.html"))
    + sorted((TEMPLATES / "profile").glob("*.html"))
    + sorted(
        p for p in (TEMPLATES / "admin").glob("*.html") if p.name in ("index.html", "users.html", "user_detail.html")
    )
)
PY_FILES = [ROOT / "accounts" / n for n in ("service.py", "pages.py", "api.py", "http.py", "mail.py")] + [
    ROOT / "web" / "templating.py",
    ROOT / "web" / "pages.py",
    ROOT / "web" / "auth.py",
    ROOT / "web" / "errors.py",
    ROOT / "errors.py",
]
PY_KEYWORDS = {
    "_": None,
    "N_": None,
    "gettext": (2,),
    "translate": (2,),
    "ngettext": (2, 3),
    "InvalidInput": None,
    "NotFound": None,
    "Conflict": None,
    "Forbidden": None,
    "Unauthorized": None,
    "TooManyRequests": None,
    "_back": (3,),
    "problem": (3, 4),
}


def extract() -> dict[str, str]:
    """msgid -> file it first appears in."""
    found: dict[str, str] = {}
    for path in TEMPLATE_FILES:
        for _line, msg, _c, _ctx in extract_from_file(
            "jinja2",
            path,
            keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"},
        ):
            for m in [msg] if isinstance(msg, str) else [x for x in msg if x]:
                found.setdefault(m, path.name)
    for path in PY_FILES:
        for _line, msg, _c, _ctx in extract_from_file("python", path, keywords=PY_KEYWORDS):
            for m in [msg] if isinstance(msg, str) else [x for x in msg if x]:
                if m:
                    found.setdefault(m, path.name)
    # Class-level titles of the error types and fixed strings of web/errors.py.
    from reelforge import errors

    for cls in (errors.AppError, *errors.AppError.__subclasses__()):
        found.setdefault(cls.title, "errors.py")
    return found


if __name__ == "__main__":
    from reelforge import i18n

    ko = i18n.get_translations("ko")
    for msgid, where in extract().items():
        if ko.gettext(msgid) == msgid:
            print(f"{where}\t{msgid!r}")
