"""Concurrent authenticated reads against `reelforge serve` (one process, default settings).

Usage:
  .venv/bin/python bench/load.py [--connections 200] [--seconds 8] [--path /api/v1/me]
                                 [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Starts the real server in a subprocess on a fresh data folder (SQLite unless a database URL
is given), creates a user and an API token through the API, then keeps N keep-alive
connections busy with GETs for the given time (a small asyncio HTTP/1.1 client, so the
load generator costs little CPU next to the server on a 2-core machine). Prints completed
requests, req/s, latency percentiles, status counts, and how long `/healthz` takes right
after the burst (the wedge this guards against left it silent for minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def _connection(port: int, request: bytes, deadline: float, out: list[float], statuses: Counter[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            writer.write(request)
            try:
                status = await asyncio.wait_for(_read_response(reader), timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                statuses[0] += 1  # still waiting when the run ended
                return
            out.append(time.perf_counter() - started)
            statuses[status] += 1
    except (ConnectionError, asyncio.IncompleteReadError):
        statuses[-1] += 1
    finally:
        writer.close()


async def burst(port: int, path: str, token: str, connections: int, seconds: float) -> tuple[list[float], Counter[int]]:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nAccept-Language: ko\r\n\r\n"
    ).encode()
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    await asyncio.gather(*(_connection(port, request, deadline, latencies, statuses) for _ in range(connections)))
    return latencies, statuses


def pct(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--path", default="/api/v1/me")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            **os.environ,
            "REELFORGE_DATA_DIR": tmp,
            "REELFORGE_PORT": str(port),
            "REELFORGE_SECRET_KEY": secrets.token_urlsafe(32),
            "REELFORGE_LOG_LEVEL": "WARNING",
            "REELFORGE_WORKERS": "0",
        }
        if args.database_url:
            env["REELFORGE_DATABASE_URL"] = args.database_url
        exe = Path(sys.executable).with_name("reelforge")
        server = subprocess.Popen([str(exe), "serve"], env=env, stdout=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            email = f"load-{secrets.token_hex(4)}@example.com"
            with httpx.Client(base_url=base, timeout=30) as http:
                signup = {
                    "email": email,
                    "password": "load-test-pass-1",
                    "name": "Load",
                    "phone": "010-1234-5678",
                    "address": "-",
                }
                r = http.post("/api/v1/auth/signup", json=signup)
                r.raise_for_status()
                r = http.post("/api/v1/auth/login", json={"email": email, "password": "load-test-pass-1"})
                r.raise_for_status()
                csrf = r.json()["csrf_token"]
                r = http.post("/api/v1/me/tokens", json={"name": "load"}, headers={"X-CSRF-Token": csrf})
                r.raise_for_status()
                token = r.json()["token"]
            started = time.perf_counter()
            latencies, statuses = asyncio.run(burst(port, args.path, token, args.connections, args.seconds))
            elapsed = time.perf_counter() - started
            t = time.perf_counter()
            health = httpx.get(f"{base}/healthz", timeout=300).status_code
            health_ms = (time.perf_counter() - t) * 1000
        finally:
            server.terminate()
            server.wait(10)
    ordered = sorted(latencies)
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"{backend}  GET {args.path}  {args.connections} connections  {args.seconds:.0f} s")
    print(f"  completed {len(ordered)}  ({len(ordered) / elapsed:.0f} req/s)")
    print(f"  latency p50 {pct(ordered, 0.5):.0f} ms  p90 {pct(ordered, 0.9):.0f} ms  p99 {pct(ordered, 0.99):.0f} ms")
    print(f"  statuses {dict(sorted(statuses.items()))}  (0 = unanswered at the end, -1 = connection error)")
    print(f"  /healthz right after: {health} in {health_ms:.0f} ms")


if __name__ == "__main__":
    main()
