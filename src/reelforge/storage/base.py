"""What every media store offers, whatever holds the bytes (a local folder or an S3 bucket).

Keys are relative, slash-separated, validated names such as ``videos/<job id>/video.mp4``;
nothing from user input becomes a key without `check_key`. Callers never learn where a
store keeps its bytes: they put files in, fetch them to a scratch folder, stream ranges
out or ask for a short-lived URL. That is what lets a render step run on any machine.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reelforge.errors import TransientError

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
CHUNK = 256 * 1024


def check_key(key: str) -> str:
    """A safe relative key (no '..', no absolute paths, no hidden names, <= 300 chars)."""
    if len(key) > 300 or not _KEY.match(key) or any(part in ("..", ".") for part in key.split("/")):
        raise ValueError(f"invalid media key {key!r}")
    return key


class MediaMissing(LookupError):
    """The store holds no object under this key."""


class StoreUnavailable(TransientError):
    """The store could not be reached or refused a request that may succeed later."""


class IntegrityError(StoreUnavailable):
    """What came back is not what went in (size or SHA-256 differ); retrying may help."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


class MediaStore(Protocol):
    """The operations the product needs; `tests/test_storage_contract.py` runs them on every backend."""

    backend: str  # "local" or "s3", for doctor and /readyz

    def put(self, key: str, source: Path, *, move: bool = False, content_type: str | None = None) -> StoredObject:
        """Store a file under `key`, replacing an earlier one atomically (readers see old or new)."""

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> StoredObject: ...

    def fetch(self, key: str, dest: Path) -> Path:
        """Copy the object to `dest` (atomically, verified); raises MediaMissing."""

    def read_bytes(self, key: str, *, limit: int = 64 * 1024 * 1024) -> bytes:
        """The whole object (small objects only; raises ValueError past `limit`)."""

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes `start..end` inclusive (end None = to the end of the object), in chunks."""

    def local_path(self, key: str) -> Path | None:
        """A file on this machine holding the object, when the store is a local folder; else None."""

    def presigned_url(
        self,
        key: str,
        *,
        expires: int,
        filename: str | None = None,
        content_type: str | None = None,
        download: bool = False,
    ) -> str | None:
        """A short-lived URL a browser can GET directly, or None when the store cannot give one."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """The object's size in bytes; raises MediaMissing."""

    def delete(self, key: str) -> bool: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix/`; returns how many."""

    def list(self, prefix: str) -> list[StoredObject]: ...

    def check(self) -> str:
        """Write, read back and delete a probe object; returns a one-line description or raises."""
