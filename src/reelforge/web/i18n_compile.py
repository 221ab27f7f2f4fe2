"""Run at install: compile the committed .po catalogues into .mo files and build the Korean web font."""

from __future__ import annotations

from pathlib import Path

LOCALES_DIR = Path(__file__).with_name("locales")


def compile_catalogs(locales_dir: Path = LOCALES_DIR) -> int:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    count = 0
    for po_path in sorted(locales_dir.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        with po_path.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)
        count += 1
    return count


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
