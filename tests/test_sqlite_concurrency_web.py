"""Concurrent logged-in requests on SQLite must queue on the write lock, not stall the event loop.

Regression: the auth dependency used to query the database on the event loop; with SQLite's
BEGIN IMMEDIATE a second request then blocked the loop while the first one, holding the lock,
waited for the loop to commit - every request timed out with 503 after busy_timeout.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from reelforge.accounts.sessions import create_api_token, create_session
from reelforge.web.auth import SESSION_COOKIE

pytestmark = pytest.mark.slow  # concurrent writers


def test_parallel_authenticated_requests(db, make_user, live_server) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    with db.session() as s:
        token, _ = create_api_token(s, s.get(type(user), user.id), "t")
        new = create_session(s, s.get(type(user), user.id))

    def call(i: int) -> int:
        if i % 2:
            headers = {"Authorization": f"Bearer {token}"}
            cookies = {}
        else:
            headers, cookies = {}, {SESSION_COOKIE: new.token}
        with httpx.Client(base_url=live_server.url, timeout=10, cookies=cookies) as c:
            path = "/api/v1/credits" if i % 3 else "/api/v1/jobs"
            return c.get(path, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(call, range(36)))
    assert codes == [200] * 36


def test_parallel_form_posts_with_csrf(db, make_user, live_server) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    with db.session() as s:
        new = create_session(s, s.get(type(user), user.id))

    def post(i: int) -> int:
        with httpx.Client(base_url=live_server.url, timeout=10, cookies={SESSION_COOKIE: new.token}) as c:
            r = c.post(
                "/profile",
                data={
                    "csrf_token": new.session.csrf_token,
                    "name": f"Creator {i}",
                    "phone": "010-1234-5678",
                    "address": "Seoul",
                },
            )
            return r.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(post, range(12)))
    assert all(code in (200, 303) for code in codes), codes
