"""One contract, every media store: the local folder and an S3 bucket (moto's S3 server on loopback,
reached through boto3 over real HTTP). Whatever a render step or a page needs from the store
is asserted here on both, so a worker on another machine sees exactly what the API server sees.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reelforge.config import Settings
from reelforge.storage import IntegrityError, MediaMissing, MediaStore, StoreUnavailable, check_key, media_store


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[MediaStore]:
    if request.param == "s3":
        settings = request.getfixturevalue("s3_settings")
    yield media_store(settings)


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_put_fetch_round_trip_keeps_every_byte(store: MediaStore, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    stored = store.put("videos/j1/video.mp4", _file(tmp_path, "in.mp4", data), content_type="video/mp4")
    assert stored.size == len(data)
    assert store.exists("videos/j1/video.mp4")
    assert store.size("videos/j1/video.mp4") == len(data)
    out = store.fetch("videos/j1/video.mp4", tmp_path / "elsewhere" / "copy.mp4")
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert not list((tmp_path / "elsewhere").glob("*.part")), "no partial file is left behind"


def test_put_replaces_and_move_consumes_the_source(store: MediaStore, tmp_path: Path) -> None:
    store.put_bytes("music/t1", b"old")
    source = _file(tmp_path, "new.bin", b"new bytes")
    store.put("music/t1", source, move=True)
    assert not source.exists()
    assert store.read_bytes("music/t1") == b"new bytes"


def test_a_stored_copy_does_not_follow_later_writes_to_the_source(store: MediaStore, tmp_path: Path) -> None:
    source = _file(tmp_path, "work.mp4", b"first render")
    store.put("videos/j2/video.mp4", source)
    with source.open("r+b") as fh:  # what `ffmpeg -y` does to a work file on a resumed step
        fh.truncate(0)
        fh.write(b"x")
    assert store.read_bytes("videos/j2/video.mp4") == b"first render"


def test_ranges_are_inclusive_and_may_run_to_the_end(store: MediaStore) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB, several chunks
    store.put_bytes("videos/j3/video.mp4", data)
    assert b"".join(store.open_range("videos/j3/video.mp4", 10, 19)) == data[10:20]
    assert b"".join(store.open_range("videos/j3/video.mp4", len(data) - 5)) == data[-5:]
    assert b"".join(store.open_range("videos/j3/video.mp4")) == data


def test_missing_objects_say_so_everywhere(store: MediaStore, tmp_path: Path) -> None:
    assert not store.exists("videos/none/video.mp4")
    with pytest.raises(MediaMissing):
        store.size("videos/none/video.mp4")
    with pytest.raises(MediaMissing):
        store.fetch("videos/none/video.mp4", tmp_path / "x")
    with pytest.raises(MediaMissing):
        store.read_bytes("videos/none/video.mp4")
    assert store.delete("videos/none/video.mp4") is False


def test_list_and_delete_prefix_touch_only_that_prefix(store: MediaStore) -> None:
    for key in ("videos/a/video.mp4", "videos/a/subs.ass", "videos/ab/video.mp4", "scenes/a/1.png"):
        store.put_bytes(key, key.encode())
    assert [o.key for o in store.list("videos/a")] == ["videos/a/subs.ass", "videos/a/video.mp4"]
    assert store.delete_prefix("videos/a") == 2
    assert store.list("videos/a") == []
    assert store.exists("videos/ab/video.mp4") and store.exists("scenes/a/1.png")
    assert store.delete("scenes/a/1.png") is True and not store.exists("scenes/a/1.png")


def test_read_bytes_refuses_what_is_too_large(store: MediaStore) -> None:
    store.put_bytes("uploads/u/big.bin", b"x" * 2048)
    with pytest.raises(ValueError):
        store.read_bytes("uploads/u/big.bin", limit=1024)


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs/path", "a/../../b", ".hidden/x", "a//b", "", "a/" + "x" * 300])
def test_keys_from_outside_are_refused(store: MediaStore, key: str) -> None:
    with pytest.raises(ValueError):
        check_key(key)
    with pytest.raises(ValueError):
        store.put_bytes(key, b"x")


def test_check_writes_reads_and_cleans_up(store: MediaStore) -> None:
    assert store.backend in store.check()
    assert store.list("health-check") == []


def test_presigned_urls_serve_the_bytes_with_the_title_as_filename(store: MediaStore) -> None:
    store.put_bytes("videos/j4/video.mp4", b"video bytes", content_type="video/mp4")
    url = store.presigned_url("videos/j4/video.mp4", expires=60, filename="바다 여행-j4.mp4", download=True)
    if store.backend == "local":
        assert url is None  # the API server streams local files itself
        return
    assert url is not None
    response = httpx.get(url)
    assert response.status_code == 200 and response.content == b"video bytes"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%EB%B0%94%EB%8B%A4%20%EC%97%AC%ED%96%89-j4.mp4" in disposition


def test_s3_fetch_catches_an_object_changed_behind_our_back(s3_settings: Settings, tmp_path: Path) -> None:
    import boto3

    store = media_store(s3_settings)
    store.put_bytes("videos/j5/video.mp4", b"the real video")
    raw = boto3.client(
        "s3",
        endpoint_url=s3_settings.s3_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    # Same key, other bytes, but the SHA-256 we wrote on put is kept: what a torn copy looks like.
    raw.put_object(
        Bucket=s3_settings.s3_bucket,
        Key="videos/j5/video.mp4",
        Body=b"a different video",
        Metadata={"sha256": hashlib.sha256(b"the real video").hexdigest()},
    )
    with pytest.raises(IntegrityError):
        store.fetch("videos/j5/video.mp4", tmp_path / "copy.mp4")
    assert not (tmp_path / "copy.mp4").exists()


def test_s3_unreachable_is_transient_not_missing(settings: Settings) -> None:
    from tests.conftest import free_port

    dead = settings.model_copy(
        update={
            "media_backend": "s3",
            "s3_bucket": "nowhere",
            "s3_endpoint_url": f"http://127.0.0.1:{free_port()}",
            "s3_region": "us-east-1",
            "s3_path_style": True,
            "s3_access_key_id": "test",
            "s3_secret_access_key": "test",
            "s3_timeout_seconds": 1.0,
        }
    )
    store = media_store(dead)
    with pytest.raises(StoreUnavailable):
        store.exists("videos/x/video.mp4")
    with pytest.raises(StoreUnavailable):
        store.check()
