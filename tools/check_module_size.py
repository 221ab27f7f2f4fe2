"""Fail when a source module grows past 600 lines: split it by what it does instead.

Usage: python tools/check_module_size.py [--max 600] [ROOT ...]   (default root: src/reelforge)
Migrations are generated and append-only, so they are excepted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXCEPTED_PARTS = {"migrations"}


def oversized(roots: list[Path], limit: int) -> list[tuple[Path, int]]:
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if EXCEPTED_PARTS & set(path.parts):
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > limit:
                found.append((path, lines))
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=600)
    parser.add_argument("roots", nargs="*", type=Path, default=[Path("src/reelforge")])
    args = parser.parse_args()
    found = oversized(args.roots, args.max)
    for path, lines in found:
        print(f"{path}: {lines} lines (more than {args.max}); split it by what it does")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
