"""Login latency: the argon2id cost alone, and whole logins over HTTP against a real server.

Usage: .venv/bin/python bench/bench_login.py [--n 30]
Prints medians and p95 (milliseconds) for: argon2 hash, argon2 verify, a successful
login, a wrong password for a real account and a login for an unknown address (the last
two should match: a failed login must not reveal whether the account exists).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from reelforge.accounts import passwords
from reelforge.accounts.service import create_user
from reelforge.config import Settings
from reelforge.db import migrate
from reelforge.db.engine import Database
from reelforge.web.app import create_app

PASSWORD = "bench-passphrase-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stats(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   (n={len(ordered)})"


def timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30)
    n = min(parser.parse_args().n, 90)  # failures per account+IP stay under the rate limit (100 here)
    h = passwords._hasher
    print(f"argon2id parameters: time_cost={h.time_cost} memory_cost={h.memory_cost} KiB parallelism={h.parallelism}")
    print("argon2 hash            ", stats(timed(lambda: passwords.hash_password(PASSWORD), n)))
    stored = passwords.hash_password(PASSWORD)
    print("argon2 verify          ", stats(timed(lambda: passwords.verify_password(stored, PASSWORD), n)))

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", data_dir=Path(tmp), secret_key="b" * 48, login_max_failures=100, _env_file=None)
        db = Database(settings.resolved_database_url)
        migrate.upgrade(db.engine)
        with db.session() as s:
            create_user(s, "bench@example.com", PASSWORD, email_verified=True)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        url = f"http://127.0.0.1:{port}/api/v1/auth/login"
        with httpx.Client() as http:

            def login(email: str, password: str, status: int) -> None:
                r = http.post(url, json={"email": email, "password": password})
                assert r.status_code == status, r.text
                http.cookies.clear()

            login("bench@example.com", PASSWORD, 200)  # warm-up
            print("HTTP login (ok)        ", stats(timed(lambda: login("bench@example.com", PASSWORD, 200), n)))
            print("HTTP login (wrong pw)  ", stats(timed(lambda: login("bench@example.com", "wrong-pw-123", 401), n)))
            print("HTTP login (no account)", stats(timed(lambda: login("ghost@example.com", "wrong-pw-123", 401), n)))
        server.should_exit = True
        thread.join(timeout=10)
        db.dispose()


if __name__ == "__main__":
    main()
