"""The media store as an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, GCS interoperability).

Every object carries its SHA-256 in metadata (`x-amz-meta-sha256`), written on put and
checked on fetch, so a truncated or swapped object is caught on whichever machine reads
it. Large files go up in multipart parts (boto3's transfer manager); the browser gets
short-lived presigned URLs, so video bytes never pass through the API servers.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reelforge.storage.base import (
    CHUNK,
    IntegrityError,
    MediaMissing,
    StoredObject,
    StoreUnavailable,
    check_key,
    sha256_of,
)

_MISSING = {"404", "NoSuchKey", "NotFound"}
MULTIPART_BYTES = 16 * 1024 * 1024


def _quote_filename(filename: str, download: bool) -> str:
    """A Content-Disposition value with an ASCII fallback and the RFC 5987 UTF-8 name."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    kind = "attachment" if download else "inline"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class S3MediaStore:
    backend = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        public_endpoint_url: str | None = None,
        region: str | None = None,
        path_style: bool = False,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 media store needs a bucket (REELFORGE_S3_BUCKET)")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        config = Config(
            s3={"addressing_style": "path" if path_style else "auto"},
            retries={"max_attempts": 4, "mode": "standard"},
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            signature_version="s3v4",
            # Only where the server asks: some S3-compatible servers refuse the newer default checksums.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        session = boto3.session.Session(
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            region_name=region or None,
        )
        self._client: Any = session.client("s3", endpoint_url=endpoint_url or None, config=config)
        # Browsers may reach the bucket under another name than the servers do (e.g. a proxy).
        self._signer: Any = (
            session.client("s3", endpoint_url=public_endpoint_url, config=config)
            if public_endpoint_url
            else self._client
        )
        self._transfer = TransferConfig(multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES)

    # ------------------------------------------------------------------ helpers
    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _call(self, what: str, key: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise MediaMissing(key) from exc
            raise StoreUnavailable(f"media store: {what} {key} failed ({code or exc})") from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(f"media store: {what} {key} failed ({exc})") from exc

    # ------------------------------------------------------------------ writes
    def put(self, key: str, source: Path, *, move: bool = False, content_type: str | None = None) -> StoredObject:
        size = source.stat().st_size
        extra: dict[str, Any] = {"Metadata": {"sha256": sha256_of(source)}}
        if content_type:
            extra["ContentType"] = content_type
        name = self._name(key)
        self._call(
            "put", key, self._client.upload_file, str(source), self.bucket, name, ExtraArgs=extra, Config=self._transfer
        )
        stored = self._call("put", key, self._client.head_object, Bucket=self.bucket, Key=name)
        if int(stored["ContentLength"]) != size:
            raise IntegrityError(f"media store: {key} holds {stored['ContentLength']} bytes, sent {size}")
        if move:
            source.unlink(missing_ok=True)
        return StoredObject(key, size)

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> StoredObject:
        extra: dict[str, Any] = {"Metadata": {"sha256": hashlib.sha256(data).hexdigest()}}
        if content_type:
            extra["ContentType"] = content_type
        self._call("put", key, self._client.put_object, Bucket=self.bucket, Key=self._name(key), Body=data, **extra)
        return StoredObject(key, len(data))

    def delete(self, key: str) -> bool:
        if not self.exists(key):
            return False
        self._call("delete", key, self._client.delete_object, Bucket=self.bucket, Key=self._name(key))
        return True

    def delete_prefix(self, prefix: str) -> int:
        objects = self.list(prefix)
        for start in range(0, len(objects), 1000):  # DeleteObjects takes at most 1,000 keys
            batch = [{"Key": self._name(o.key)} for o in objects[start : start + 1000]]
            self._call(
                "delete",
                prefix,
                self._client.delete_objects,
                Bucket=self.bucket,
                Delete={"Objects": batch, "Quiet": True},
            )
        return len(objects)

    # ------------------------------------------------------------------ reads
    def fetch(self, key: str, dest: Path) -> Path:
        name = self._name(key)
        head = self._call("fetch", key, self._client.head_object, Bucket=self.bucket, Key=name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f"{dest.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            self._call("fetch", key, self._client.download_file, self.bucket, name, str(tmp), Config=self._transfer)
            want = (head.get("Metadata") or {}).get("sha256")
            if tmp.stat().st_size != int(head["ContentLength"]) or (want and sha256_of(tmp) != want):
                raise IntegrityError(f"media store: {key} came back different from what was stored")
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    def read_bytes(self, key: str, *, limit: int = 64 * 1024 * 1024) -> bytes:
        if self.size(key) > limit:
            raise ValueError(f"{key} is larger than {limit} bytes")
        body = self._call("read", key, self._client.get_object, Bucket=self.bucket, Key=self._name(key))["Body"]
        data: bytes = body.read()
        return data

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        wanted = f"bytes={start}-{'' if end is None else end}"
        response = self._call(
            "read", key, self._client.get_object, Bucket=self.bucket, Key=self._name(key), Range=wanted
        )
        body = response["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        return chunks()

    def local_path(self, key: str) -> Path | None:
        return None

    def presigned_url(
        self,
        key: str,
        *,
        expires: int,
        filename: str | None = None,
        content_type: str | None = None,
        download: bool = False,
    ) -> str | None:
        params: dict[str, str] = {"Bucket": self.bucket, "Key": self._name(key)}
        if filename:
            params["ResponseContentDisposition"] = _quote_filename(filename, download)
        if content_type:
            params["ResponseContentType"] = content_type
        url: str = self._signer.generate_presigned_url("get_object", Params=params, ExpiresIn=int(expires))
        return url

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except MediaMissing:
            return False
        return True

    def size(self, key: str) -> int:
        head = self._call("stat", key, self._client.head_object, Bucket=self.bucket, Key=self._name(key))
        return int(head["ContentLength"])

    def list(self, prefix: str) -> list[StoredObject]:
        base = self._name(prefix.rstrip("/")) + "/"
        out: list[StoredObject] = []
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base):
                for item in page.get("Contents", []):
                    out.append(StoredObject(item["Key"][len(self.prefix) :], int(item["Size"])))
        except (ClientError, BotoCoreError) as exc:
            raise StoreUnavailable(f"media store: list {prefix} failed ({exc})") from exc
        return sorted(out, key=lambda o: o.key)

    def check(self) -> str:
        key = f"health-check/{uuid.uuid4().hex}"
        self.put_bytes(key, b"ok")
        try:
            if self.read_bytes(key) != b"ok":
                raise StoreUnavailable("media store: the bucket gave back different bytes")
        finally:
            self.delete(key)
        return f"s3 bucket {self.bucket}" + (f" prefix {self.prefix}" if self.prefix else "")
