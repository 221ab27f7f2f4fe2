"""The JSON API and the HTML forms run the same flows: each flow leaves the same rows either way.

Each test runs a flow for user A through the API and for user B through the form (same
starting state), then compares the two users' database snapshots field by field (see
tests/parity.py): balances, jobs and their logs, ledger rows, top-up requests and the
mails sent after the commit. The render order with a folder and auto-publish has its
parity test in tests/test_render_form_folder_publish.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import runner
from tests import factories
from tests.jobs_plugin import new_job
from tests.parity import snapshot

PRICE = 10


@pytest.fixture
def admin(make_user: Any) -> Any:
    return make_user(admin=True)


def _same(db: Database, a: str, b: str, labels: dict[str, str], settings: Settings | None = None) -> dict[str, Any]:
    via_api = snapshot(db, a, labels, settings)
    via_form = snapshot(db, b, labels, settings)
    assert via_form == via_api
    return via_api


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_topup_request_and_decision(
    decision: str, db: Database, settings: Settings, make_user: Any, admin: Any, api_client: Any, cookie_client: Any
) -> None:
    a, b = make_user(), make_user()

    r = api_client(a).post("/api/v1/credits/topups", json={"amount": 5000, "note": "입금자명 홍길동"})
    assert r.status_code == 201, r.text
    r = api_client(admin).post(f"/api/v1/admin/credits/topups/{r.json()['id']}/{decision}", json={"memo": "확인"})
    assert r.status_code == 200, r.text

    c = cookie_client(b)
    r = c.post(
        "/credits/topups",
        data={"csrf_token": c.csrf, "amount": "5,000", "note": "입금자명 홍길동"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    (pending,) = _requests(db, b.id)
    assert pending.status == "pending" and pending.amount == 5000
    admin_page = cookie_client(admin)
    r = admin_page.post(
        f"/admin/credits/topups/{pending.id}/{decision}",
        data={"csrf_token": admin_page.csrf, "memo": "확인"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text

    found = _same(db, a.id, b.id, {admin.id: "admin"}, settings)
    (req,) = found["topups"]
    assert req["status"] == ("approved" if decision == "approve" else "rejected") and req["memo"] == "확인"
    assert found["credits"] == (5000 if decision == "approve" else 0)
    assert [e["type"] for e in found["ledger"]] == (["charge"] if decision == "approve" else [])
    assert len(found["mails"]) == 1 and "확인" in found["mails"][0]["text"]


def _requests(db: Database, user_id: str) -> list[Any]:
    from sqlalchemy import select

    from reelforge.credits.models import ChargeRequest

    with db.read_session() as s:
        rows = list(s.scalars(select(ChargeRequest).where(ChargeRequest.user_id == user_id)))
        for row in rows:
            s.expunge(row)
        return rows


def _funded(db: Database, admin: Any, make_user: Any) -> tuple[Any, Any]:
    a, b = make_user(), make_user()
    for user in (a, b):
        factories.grant_credits(db, user.id, 100, admin_id=admin.id)
    return a, b


def test_cancel_a_waiting_job_refunds_the_same_way(
    db: Database, settings: Settings, make_user: Any, admin: Any, api_client: Any, cookie_client: Any
) -> None:
    a, b = _funded(db, admin, make_user)
    job_a = new_job(db, settings, a.id, price=PRICE, steps=1)
    job_b = new_job(db, settings, b.id, price=PRICE, steps=1)

    r = api_client(a).post(f"/api/v1/jobs/{job_a}/cancel")
    assert r.status_code == 200 and r.json()["result"] == "cancelled", r.text
    c = cookie_client(b)
    r = c.post(f"/jobs/{job_b}/cancel", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text

    found = _same(db, a.id, b.id, {admin.id: "admin"})
    (job,) = found["jobs"]
    assert job["status"] == "cancelled" and found["credits"] == 100
    assert [(e["type"], e["amount"]) for e in found["ledger"]] == [("adjust", 100), ("use", -PRICE), ("refund", PRICE)]
    assert found["ledger"][2]["refund_of_id"] == "entry#1" and found["ledger"][2]["job_id"] == "job#0"


def test_retry_a_failed_job_charges_and_runs_the_same_way(
    db: Database, settings: Settings, make_user: Any, admin: Any, api_client: Any, cookie_client: Any
) -> None:
    a, b = _funded(db, admin, make_user)
    job_a = new_job(db, settings, a.id, price=PRICE, steps=1, permanent="s1")
    job_b = new_job(db, settings, b.id, price=PRICE, steps=1, permanent="s1")
    for job_id in (job_a, job_b):
        assert runner.run(db, settings, "test_sleep", job_id).status == "failed"

    r = api_client(a).post(f"/api/v1/jobs/{job_a}/retry")
    assert r.status_code == 200 and r.json()["status"] == "pending", r.text
    c = cookie_client(b)
    r = c.post(f"/jobs/{job_b}/retry", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text

    queued = _same(db, a.id, b.id, {admin.id: "admin"})
    (job,) = queued["jobs"]
    assert job["status"] == "pending" and job["error"] is None
    # failed once (refunded), retried: charged again
    assert [(e["type"], e["amount"]) for e in queued["ledger"]] == [
        ("adjust", 100),
        ("use", -PRICE),
        ("refund", PRICE),
        ("use", -PRICE),
    ]

    # what the dispatched work does next is the same too: the step fails again and is refunded
    for job_id in (job_a, job_b):
        assert runner.run(db, settings, "test_sleep", job_id).status == "failed"
    done = _same(db, a.id, b.id, {admin.id: "admin"})
    assert done["jobs"][0]["status"] == "failed" and done["credits"] == 100
