"""The jobs pages: server-rendered list/detail/admin, form actions, and live updates in a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import runner
from reelforge.jobs.pool import WorkerPool
from tests.factories import grant_credits, reload_user
from tests.jobs_plugin import job_row, ledger, new_job, wait_for

PRICE = 10


@pytest.fixture
def payer(make_user, db: Database) -> Any:  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 100)
    return reload_user(db, user.id)


@pytest.fixture
def pool(db: Database, settings: Settings) -> Iterator[WorkerPool]:
    p = WorkerPool(db, settings, size=1).start()
    yield p
    p.stop()


def test_list_and_detail_pages_render_in_korean_and_english(
    db: Database, settings: Settings, payer, cookie_client, make_user
) -> None:  # type: ignore[no-untyped-def]
    done = new_job(db, settings, payer.id, price=PRICE, steps=1, permanent="s1")
    runner.run(db, settings, "test_sleep", done)
    waiting = new_job(db, settings, payer.id, steps=1)
    c = cookie_client(payer)
    page = c.get("/jobs", headers={"Accept-Language": "ko"})
    assert page.status_code == 200
    assert "실패" in page.text and "대기 중" in page.text  # Failed, Waiting
    assert f'data-job-row="{done}"' in page.text and f'data-job-row="{waiting}"' in page.text
    assert c.get("/jobs?status=failed").text.count("data-job-row=") == 1
    assert c.get("/jobs?status=bogus&cursor=bad").status_code == 200  # bad filters are ignored, not a 500
    detail = c.get(f"/jobs/{done}", headers={"Accept-Language": "en"})
    assert detail.status_code == 200
    assert "step s1 cannot work with this input" in detail.text and "Retry" in detail.text
    assert c.get(f"/jobs/{done}").status_code == 200
    other = cookie_client(make_user())
    assert other.get(f"/jobs/{done}").status_code == 404
    assert other.get("/admin/jobs").status_code == 403


def test_form_actions_cancel_retry_delete(db: Database, settings: Settings, payer, cookie_client) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, settings, payer.id, price=PRICE, steps=1)
    c = cookie_client(payer)
    assert c.post(f"/jobs/{job_id}/cancel", data={}).status_code == 403  # no CSRF token
    r = c.post(f"/jobs/{job_id}/cancel", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/jobs/{job_id}"
    assert job_row(db, job_id).status == "cancelled" and ledger(db, payer.id)[0] == 100
    again = c.post(f"/jobs/{job_id}/cancel", data={"csrf_token": c.csrf})  # follows the redirect
    assert again.status_code == 200 and "이미 끝났습니다" in again.text  # "already finished", in Korean
    c.post(f"/jobs/{job_id}/retry", data={"csrf_token": c.csrf})
    assert job_row(db, job_id).status == "pending" and ledger(db, payer.id)[0] == 90
    c.post(f"/jobs/{job_id}/cancel", data={"csrf_token": c.csrf})
    r = c.post(f"/jobs/{job_id}/delete", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/jobs"
    assert c.get(f"/jobs/{job_id}").status_code == 404


def test_admin_page_shows_queues_and_workers(
    db: Database, settings: Settings, payer, cookie_client, make_user, pool
) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(db, settings, payer.id, steps=1, sleep=30, ticks=60)
    wait_for(lambda: job_row(db, job_id).status == "processing")
    admin = cookie_client(make_user(admin=True))
    page = admin.get("/admin/jobs", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Workers seen recently" in page.text and str(pool.upkeep.started_at.year) in page.text
    assert payer.email in page.text and "test_sleep" in page.text
    r = admin.post(f"/admin/jobs/{job_id}/cancel", data={"csrf_token": admin.csrf}, follow_redirects=False)
    assert r.status_code == 303
    wait_for(lambda: job_row(db, job_id).status == "cancelled", timeout=3)
    assert admin.get(f"/admin/jobs/{job_id}").status_code == 200


@pytest.mark.slow
def test_pages_update_live_in_a_browser(db: Database, settings: Settings, payer, live_server, pool) -> None:  # type: ignore[no-untyped-def]
    """Chromium opens /jobs and /jobs/{id}; progress and log lines appear without a reload."""
    playwright = pytest.importorskip("playwright.sync_api")
    from reelforge.accounts.sessions import create_session
    from reelforge.web.auth import SESSION_COOKIE

    with db.session() as s:
        session = create_session(s, s.get(type(payer), payer.id), ip="127.0.0.1", user_agent="playwright")
    job_id = new_job(db, settings, payer.id, price=PRICE, steps=3, sleep=1.2, ticks=3)
    with playwright.sync_playwright() as p:
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
        try:
            context = browser.new_context()
            context.add_cookies([{"name": SESSION_COOKIE, "value": session.token, "url": live_server.url}])
            page = context.new_page()
            page.goto(f"{live_server.url}/jobs")
            row = page.locator(f'[data-job-row="{job_id}"]')
            page.wait_for_function(
                'id => { const r = document.querySelector(`[data-job-row="${id}"]`);'
                " return r && parseInt(r.querySelector('[data-job-progress]').getAttribute('aria-valuenow')) > 0; }",
                arg=job_id,
                timeout=10_000,
            )
            assert row.get_attribute("data-status") == "processing"
            detail = context.new_page()
            detail.goto(f"{live_server.url}/jobs/{job_id}")
            detail.wait_for_function(
                "() => Array.from(document.querySelectorAll('[data-job-log] li'))"
                ".some(li => li.textContent.includes('s3 tick 1/3'))",
                timeout=15_000,
            )
            page.wait_for_function(
                "id => document.querySelector(`[data-job-row=\"${id}\"]`).getAttribute('data-status') === 'completed'",
                arg=job_id,
                timeout=15_000,
            )
            assert row.locator("[data-job-pct]").inner_text() == "100%"
        finally:
            browser.close()
    assert job_row(db, job_id).status == "completed"
