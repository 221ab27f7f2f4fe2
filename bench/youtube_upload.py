"""Resumable upload throughput and client memory against the local fake YouTube (TLS on loopback).

Usage: .venv/bin/python bench/youtube_upload.py [--mib 64] [--chunk-kib 8192] [--drop]
Uploads a file of random bytes through reelforge's client (google-api-python-client,
httplib2, TLS) and prints MiB/s, chunks sent, and the process's peak RSS before/after,
so a chunked upload can be seen not to load the file into memory. `--drop` cuts the
connection once in the middle to time a resume. Numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from google.oauth2.credentials import Credentials

from reelforge.config import Settings
from reelforge.youtube.client import SCOPES, YoutubeApi
from reelforge.youtube.devserver import FakeYouTube, Grant


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--chunk-kib", type=int, default=8192)
    ap.add_argument("--drop", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeYouTube(cert_dir=Path(tmp) / "certs") as fake:
        path = Path(tmp) / "video.mp4"
        with path.open("wb") as fh:
            for _ in range(args.mib):
                fh.write(os.urandom(1024 * 1024))
        env = {k.removeprefix("REELFORGE_").lower(): v for k, v in fake.settings_env().items()}
        settings = Settings(env="test", data_dir=Path(tmp) / "data", secret_key="b" * 48, _env_file=None, **env)
        token = fake.issue_access_token(Grant(fake.client_id, list(SCOPES), None))
        creds = Credentials(token=token, expiry=(datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None))
        api = YoutubeApi(settings, creds)
        if args.drop:
            fake.drop_upload_after = (args.mib * 1024 * 1024) // 2
        rss_before = peak_rss_mib()
        start = time.perf_counter()
        video = api.insert_video(
            path,
            {"snippet": {"title": "bench"}, "status": {"privacyStatus": "private"}},
            notify_subscribers=False,
            chunk_size=args.chunk_kib * 1024,
        )
        elapsed = time.perf_counter() - start
        (session,) = fake.state()["sessions"].values()
        print(f"file {args.mib} MiB, chunk {args.chunk_kib} KiB, drop={args.drop}")
        print(f"upload: {elapsed:.2f} s, {args.mib / elapsed:.1f} MiB/s, video {video['id']}")
        print(
            f"chunks PUT: {len(session['chunk_starts'])}, status queries: {session['status_queries']}, "
            f"drops: {session['drops']}, restarts from 0: {session['chunk_starts'].count(0) - 1}"
        )
        print(
            f"peak RSS: {rss_before:.0f} MiB before the upload, {peak_rss_mib():.0f} MiB after "
            "(client and fake server share this process)"
        )


if __name__ == "__main__":
    main()
