"""The media store: where finished videos, subtitles, thumbnails and library music live.

A small interface (`MediaStore`) so an S3-compatible bucket can replace the local folder
later without touching the pipeline or the API. Keys are relative, slash-separated,
validated paths such as ``videos/<job id>/video.mp4``; nothing from user input becomes a
path without `check_key`.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reelforge.config import Settings

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


def check_key(key: str) -> str:
    """A safe relative key (no '..', no absolute paths, no hidden names, <= 300 chars)."""
    if len(key) > 300 or not _KEY.match(key) or any(part in ("..", ".") for part in key.split("/")):
        raise ValueError(f"invalid media key {key!r}")
    return key


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


class MediaStore(Protocol):
    def put(self, key: str, source: Path, *, move: bool = False) -> StoredObject:
        """Store a file under `key` (atomically replacing an earlier one)."""

    def local_path(self, key: str) -> Path | None:
        """A local file for the key (for streaming with Range), or None if it does not exist."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix/`; returns how many."""

    def list(self, prefix: str) -> list[StoredObject]: ...


class LocalMediaStore:
    """Files under one folder (default `<data_dir>/media`), created 0700/0600."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"invalid media key {key!r}")
        return path

    def put(self, key: str, source: Path, *, move: bool = False) -> StoredObject:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = target.with_name(target.name + ".part")
        if move:
            shutil.move(str(source), tmp)
        else:
            try:  # same file system: a hard link costs nothing, even for a 1 GB video
                tmp.unlink(missing_ok=True)
                os.link(source, tmp)
            except OSError:
                shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
        return StoredObject(key, target.stat().st_size)

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def delete_prefix(self, prefix: str) -> int:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder)
        return count

    def list(self, prefix: str) -> list[StoredObject]:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return []
        out = []
        for p in sorted(folder.rglob("*")):
            if p.is_file() and not p.name.endswith(".part"):
                out.append(StoredObject(p.relative_to(self.root).as_posix(), p.stat().st_size))
        return out


def media_store(settings: Settings) -> MediaStore:
    root = Path(settings.media_root) if settings.media_root else settings.data_dir / "media"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return LocalMediaStore(root)
