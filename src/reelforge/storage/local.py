"""The media store as one local folder (default `<data_dir>/media`): one machine, or a shared mount."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from reelforge.storage.base import CHUNK, MediaMissing, StoredObject, check_key


class LocalMediaStore:
    """Files under one folder, created 0700/0600; writes go through a `.part` file and a rename."""

    backend = "local"

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"invalid media key {key!r}")
        return path

    def _existing(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise MediaMissing(key)
        return path

    def put(self, key: str, source: Path, *, move: bool = False, content_type: str | None = None) -> StoredObject:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = target.with_name(f"{target.name}.{uuid.uuid4().hex[:8]}.part")
        if move:
            shutil.move(str(source), tmp)
        else:
            # A copy, not a hard link: a later `ffmpeg -y` over the work file would truncate
            # the shared inode and with it the stored video someone may be watching.
            shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
        return StoredObject(key, target.stat().st_size)

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> StoredObject:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = target.with_name(f"{target.name}.{uuid.uuid4().hex[:8]}.part")
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
        return StoredObject(key, len(data))

    def fetch(self, key: str, dest: Path) -> Path:
        source = self._existing(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f"{dest.name}.{uuid.uuid4().hex[:8]}.part")
        shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
        return dest

    def read_bytes(self, key: str, *, limit: int = 64 * 1024 * 1024) -> bytes:
        path = self._existing(key)
        if path.stat().st_size > limit:
            raise ValueError(f"{key} is larger than {limit} bytes")
        return path.read_bytes()

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        path = self._existing(key)
        size = path.stat().st_size
        last = size - 1 if end is None else min(end, size - 1)

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as fh:
                fh.seek(start)
                left = last - start + 1
                while left > 0:
                    block = fh.read(min(CHUNK, left))
                    if not block:
                        return
                    left -= len(block)
                    yield block

        return chunks()

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def presigned_url(
        self,
        key: str,
        *,
        expires: int,
        filename: str | None = None,
        content_type: str | None = None,
        download: bool = False,
    ) -> str | None:
        return None  # the web streams local files itself (with Range)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._existing(key).stat().st_size

    def delete(self, key: str) -> bool:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

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

    def check(self) -> str:
        key = f"health-check/{uuid.uuid4().hex}"
        self.put_bytes(key, b"ok")
        try:
            if self.read_bytes(key) != b"ok":
                raise OSError("the media folder gave back different bytes")
        finally:
            self.delete(key)
        return f"local folder {self.root}"
