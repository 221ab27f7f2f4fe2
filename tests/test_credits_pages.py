"""The credits HTML pages: forms with CSRF, redirects, flash messages, admin-only pages, and
the usage chart drawn by credits.js in a real browser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from reelforge.credits import service as credits
from reelforge.credits.audit import audit_database
from reelforge.credits.models import ChargeRequest
from reelforge.db.engine import Database


@pytest.fixture
def admin(make_user):  # type: ignore[no-untyped-def]
    return make_user(admin=True, name="Admin")


def test_anonymous_goes_to_login(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/credits", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fcredits")


def test_credits_page_and_topup_form(db: Database, make_user, cookie_client, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    with db.session() as s:
        credits.grant(s, user.id, 1234, reason="welcome bonus", admin_id=admin.id)
    c = cookie_client(user)
    c.cookies.set("rf_lang", "en")
    page = c.get("/credits")
    assert page.status_code == 200
    assert "1,234" in page.text and "welcome bonus" in page.text
    assert "data-usage-chart" in page.text and "/static/credits.js" in page.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert key is not None

    form = {"csrf_token": c.csrf, "amount": "5,000", "note": "Hong Gildong", "idempotency_key": key.group(1)}
    r = c.post("/credits/topups", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/credits#topups"
    again = c.post("/credits/topups", data=form, follow_redirects=False)  # a double click
    assert again.status_code == 303
    with db.session() as s:
        reqs = s.scalars(select(ChargeRequest).where(ChargeRequest.user_id == user.id)).all()
        assert [(q.amount, q.note, q.status) for q in reqs] == [(5000, "Hong Gildong", "pending")]
    page = c.get("/credits")
    assert "Pending" in page.text and "Hong Gildong" in page.text

    # Without the CSRF token the form is refused.
    r = c.post("/credits/topups", data={"amount": "1000"}, follow_redirects=False)
    assert r.status_code == 403

    # Bad amounts re-render the form with a message in the visitor's language.
    r = c.post("/credits/topups", data={"csrf_token": c.csrf, "amount": "12.5"})
    assert r.status_code == 422 and "Enter a whole number between 100 and 1,000,000." in r.text
    c.cookies.set("rf_lang", "ko")
    r = c.post("/credits/topups", data={"csrf_token": c.csrf, "amount": "-5"})
    assert r.status_code == 422 and "사이의 정수를 입력하세요" in r.text

    # Withdraw it.
    r = c.post(f"/credits/topups/{reqs[0].id}/cancel", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303
    with db.session() as s:
        assert s.get(ChargeRequest, reqs[0].id).status == "rejected"  # type: ignore[union-attr]


def test_history_page_filters_and_pages(db: Database, make_user, cookie_client, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    with db.session() as s:
        credits.grant(s, user.id, 10_000, reason="seed", admin_id=admin.id)
        for i in range(30):
            credits.debit(s, user.id, 10, description=f"render #{i}")
    c = cookie_client(user)
    first = c.get("/credits/history")
    assert first.status_code == 200 and first.text.count('data-ledger-row="use"') == 25
    nxt = re.search(r'href="/credits/history\?([^"]*cursor=[^"]+)" rel="next"', first.text)
    assert nxt is not None
    second = c.get("/credits/history?" + nxt.group(1).replace("&amp;", "&"))
    assert second.text.count("data-ledger-row=") == 6  # 5 debits + the grant
    only = c.get("/credits/history", params={"type": "adjust"})
    assert only.text.count("data-ledger-row=") == 1 and 'value="adjust" checked' in only.text
    # Nonsense filters are ignored, not a 500.
    assert c.get("/credits/history", params={"type": "x", "since": "soon", "cursor": "%%%"}).status_code == 200


def test_admin_pages_need_admin(make_user, cookie_client) -> None:  # type: ignore[no-untyped-def]
    c = cookie_client(make_user())
    for path in ("/admin/credits", "/admin/credits/prices", "/admin/credits/users/x"):
        assert c.get(path).status_code == 403
    r = c.post("/admin/credits/topups/x/approve", data={"csrf_token": c.csrf})
    assert r.status_code == 403


def test_admin_queue_approve_adjust_prices(  # type: ignore[no-untyped-def]
    db: Database, settings: Any, make_user, cookie_client, admin
) -> None:
    user = make_user(name="Creator Kim")
    with db.session() as s:
        older = credits.request_topup(s, user.id, 1000, note="first")
        newer = credits.request_topup(s, user.id, 2000, note="second")
    a = cookie_client(admin)
    a.cookies.set("rf_lang", "en")
    page = a.get("/admin/credits")
    assert page.status_code == 200
    rows = re.findall(r'data-queue-row="([^"]+)"', page.text)
    assert rows == [older.id, newer.id]  # the queue: oldest pending first
    r = a.post(
        f"/admin/credits/topups/{older.id}/approve", data={"csrf_token": a.csrf, "memo": "ok"}, follow_redirects=False
    )
    assert r.status_code == 303
    r = a.post(f"/admin/credits/topups/{older.id}/approve", data={"csrf_token": a.csrf})
    assert r.status_code == 200 and "already handled" in r.text  # flashed on the page we return to
    r = a.post(f"/admin/credits/topups/{newer.id}/reject", data={"csrf_token": a.csrf, "memo": "no transfer"})
    assert r.status_code == 200
    with db.session() as s:
        assert credits.balance(s, user.id) == 1000
        assert s.get(ChargeRequest, newer.id).status == "rejected"  # type: ignore[union-attr]

    ledger = a.get(f"/admin/credits/users/{user.id}")
    assert ledger.status_code == 200 and "Creator Kim" in ledger.text
    r = a.post(f"/admin/credits/users/{user.id}/adjust", data={"csrf_token": a.csrf, "amount": "-1001", "reason": "x"})
    assert "never goes below zero" in r.text
    r = a.post(f"/admin/credits/users/{user.id}/adjust", data={"csrf_token": a.csrf, "amount": "-1", "reason": ""})
    assert "Give a reason" in r.text
    r = a.post(f"/admin/credits/users/{user.id}/adjust", data={"csrf_token": a.csrf, "amount": "250", "reason": "gift"})
    assert "the balance is now 1,250" in r.text
    assert a.get("/admin/credits/users/nobody").status_code == 404

    prices = a.get("/admin/credits/prices")
    assert prices.status_code == 200 and 'value="100"' in prices.text
    bad = a.post(
        "/admin/credits/prices", data={"csrf_token": a.csrf, "script": "-1", "video": "150", "video_sora2": "abc"}
    )
    assert bad.status_code == 422 and bad.text.count("Enter a whole number") == 2
    ok = a.post(
        "/admin/credits/prices",
        data={"csrf_token": a.csrf, "script": "120", "video": "150", "video_sora2": "600"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    with db.session() as s:
        assert credits.get_price(s, "script") == 120 and credits.get_price(s, "video", "sora2") == 600
    log = a.get("/admin/credits/prices").text
    assert "price.video.sora2" in log and admin.email in log
    assert audit_database(db).ok


@pytest.mark.slow
def test_usage_chart_draws_in_a_browser(db: Database, make_user, app, admin) -> None:  # type: ignore[no-untyped-def]
    """credits.js fetches /api/v1/credits/usage and draws one bar per day as inline SVG."""
    pw = pytest.importorskip("playwright.sync_api")
    from reelforge.accounts.sessions import create_session
    from tests.conftest import LiveServer, free_port

    user = make_user()
    with db.session() as s:
        credits.grant(s, user.id, 1000, reason="seed", admin_id=admin.id)
        credits.debit(s, user.id, 300, description="a video")
        new = create_session(s, s.get(type(user), user.id), ip="127.0.0.1", user_agent="playwright")
    server = LiveServer(app, free_port()).start()
    try:
        with pw.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            ctx = browser.new_context()
            ctx.add_cookies([{"name": "rf_session", "value": new.token, "url": server.url}])
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.url + "/credits")
            page.wait_for_selector("[data-usage-chart][data-loaded=day] svg rect.bar-used", state="attached")
            bars = page.locator("svg rect.bar-used")
            assert bars.count() == 30
            assert bars.nth(29).get_attribute("data-used") == "300"
            assert page.locator("[data-chart-total] strong").inner_text().replace(",", "") == "300"
            page.click("[data-bucket=week]")
            page.wait_for_selector("[data-usage-chart][data-loaded=week]", state="attached")
            assert page.locator("svg rect.bar-used").count() in (12, 13)
            assert errors == []
            browser.close()
    finally:
        server.stop()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ChargeRequest)) == 0
