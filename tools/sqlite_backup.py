"""Copy a SQLite database with SQLite's online backup API: consistent while the server writes.

    python tools/sqlite_backup.py SOURCE.db TARGET.db

Writes TARGET through a temporary file and a rename, mode 0600, and checks it (integrity_check).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path


def backup(source: Path, target: Path) -> int:
    """Copy `source` to `target`; returns the number of pages copied."""
    if not source.is_file():
        raise SystemExit(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst, pages=1024)  # in steps, so a busy writer is not blocked for long
        pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise SystemExit("the copy failed its integrity check")
    finally:
        dst.close()
        src.close()
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    return pages


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    copied = backup(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"copied {copied} pages to {sys.argv[2]}")
