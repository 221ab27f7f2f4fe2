"""Run at install: compile the committed .po catalogues into .mo files and build the Korean web font."""

from __future__ import annotations

from reelforge.i18n.compile import compile_catalogs


def build_web_font() -> str:
    """Cut the Korean WOFF2 web font from the pip package's .ttc (see web/fonts.py)."""
    from reelforge.web import fonts

    try:
        return str(fonts.ensure_font())
    except OSError as exc:  # a read-only install builds it into the data folder at first use
        return f"not built now ({exc}); it will be built at first use"


if __name__ == "__main__":
    print(f"compiled {compile_catalogs()} translation catalogue(s)")
    print(f"web font: {build_web_font()}")
