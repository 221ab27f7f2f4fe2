"""The media store: the only place media lives (videos, subtitles, thumbnails, scene assets,
music, uploads, backups). A local folder for one machine, an S3-compatible bucket for many;
`REELFORGE_MEDIA_BACKEND` chooses. Both pass `tests/test_storage_contract.py`.
"""

from __future__ import annotations

import functools
from pathlib import Path

from reelforge.config import Settings
from reelforge.storage.base import (
    IntegrityError,
    MediaMissing,
    MediaStore,
    StoredObject,
    StoreUnavailable,
    check_key,
    sha256_of,
)
from reelforge.storage.local import LocalMediaStore

__all__ = [
    "IntegrityError",
    "LocalMediaStore",
    "MediaMissing",
    "MediaStore",
    "StoreUnavailable",
    "StoredObject",
    "check_key",
    "media_store",
    "sha256_of",
]


def media_store(settings: Settings) -> MediaStore:
    """The store these settings describe (one client per configuration, shared by threads)."""
    if settings.media_backend == "s3":
        return _s3_store(
            settings.s3_bucket,
            settings.s3_prefix,
            settings.s3_endpoint_url,
            settings.s3_public_endpoint_url,
            settings.s3_region,
            settings.s3_path_style,
            settings.s3_access_key_id,
            settings.s3_secret_access_key,
            settings.s3_timeout_seconds,
        )
    root = Path(settings.media_root) if settings.media_root else settings.data_dir / "media"
    return LocalMediaStore(root)


@functools.lru_cache(maxsize=8)
def _s3_store(
    bucket: str,
    prefix: str,
    endpoint_url: str,
    public_endpoint_url: str,
    region: str,
    path_style: bool,
    access_key_id: str,
    secret_access_key: str,
    timeout_seconds: float,
) -> MediaStore:
    # Imported here so an installation on a local folder never loads boto3 (about 80 ms, 30 MB).
    from reelforge.storage.s3 import S3MediaStore

    return S3MediaStore(
        bucket=bucket,
        prefix=prefix,
        endpoint_url=endpoint_url or None,
        public_endpoint_url=public_endpoint_url or None,
        region=region or None,
        path_style=path_style,
        access_key_id=access_key_id or None,
        secret_access_key=secret_access_key or None,
        timeout_seconds=timeout_seconds,
    )
