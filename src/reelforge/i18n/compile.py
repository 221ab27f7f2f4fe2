"""Compile the committed .po catalogues into .mo files (run at install; a checkout also works without)."""

from __future__ import annotations

from pathlib import Path

from reelforge.i18n import LOCALES_DIR


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


if __name__ == "__main__":
    print(f"compiled {compile_catalogs()} translation catalogue(s)")
