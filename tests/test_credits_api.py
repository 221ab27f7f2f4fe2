"""The credits JSON API over real HTTP handling (TestClient through the whole app), both DBs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from reelforge.config import Settings
from reelforge.credits import service as credits
from reelforge.credits.audit import audit_database
from reelforge.credits.models import CreditHistory
from reelforge.db.engine import Database


@pytest.fixture
def admin(make_user):  # type: ignore[no-untyped-def]
    return make_user(admin=True, name="Admin")


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


def outbox(settings: Settings) -> list[Message]:
    folder = Path(settings.data_dir) / "outbox"
    return [message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def body_text(m: Message) -> str:
    for part in m.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    return ""


def test_balance_and_prices(db: Database, make_user, api_client) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    r = api_client(user).get("/api/v1/credits")
    assert r.status_code == 200
    body = r.json()
    assert body["balance"] == 0
    assert body["prices"]["script"] == 100 and body["prices"]["video"] == 150
    assert body["prices"]["effective"] == {"longform": 150, "shortform": 150, "sora2": 150, "square": 150}
    assert body["topup_max_pending"] == credits.TOPUP_MAX_PENDING


def test_anonymous_is_401(client) -> None:  # type: ignore[no-untyped-def]
    problem(client.get("/api/v1/credits"), 401)
    problem(client.post("/api/v1/credits/topups", json={"amount": 1000}), 401)


def test_topup_bad_amounts_are_422(make_user, api_client) -> None:  # type: ignore[no-untyped-def]
    c = api_client(make_user())
    for amount in (-100, 0, 10**12, 1.5, 1000.0, "1000", True, None, 99, [1000], {"n": 1}):
        body = problem(c.post("/api/v1/credits/topups", json={"amount": amount}), 422)
        assert "amount" in body["detail"], amount
    problem(c.post("/api/v1/credits/topups", json={"amount": 1000, "note": "x" * 1001}), 422)
    problem(c.post("/api/v1/credits/topups", json={"amount": 1000, "extra": 1}), 422)
    problem(c.post("/api/v1/credits/topups", content=b"{not json", headers={"content-type": "application/json"}), 422)
    assert c.get("/api/v1/credits/topups").json() == []


def test_topup_flow_approve_mail_and_status(  # type: ignore[no-untyped-def]
    db: Database, settings: Settings, make_user, api_client, admin
) -> None:
    user = make_user()
    c, a = api_client(user), api_client(admin)
    r = c.post("/api/v1/credits/topups", json={"amount": 5000, "note": "입금자명 홍길동"})
    assert r.status_code == 201, r.text
    req = r.json()
    assert (req["status"], req["amount"], req["note"]) == ("pending", 5000, "입금자명 홍길동")
    assert r.headers["location"] == f"/api/v1/credits/topups/{req['id']}"

    queue = a.get("/api/v1/admin/credits/topups").json()
    assert [q["id"] for q in queue] == [req["id"]]
    assert queue[0]["user_email"] == user.email and queue[0]["user_balance"] == 0

    r = a.post(f"/api/v1/admin/credits/topups/{req['id']}/approve", json={"memo": "입금 확인"})
    assert r.status_code == 200, r.text
    assert r.json()["entry"]["type"] == "charge" and r.json()["entry"]["balance_after"] == 5000
    assert r.json()["request"]["status"] == "approved" and r.json()["request"]["approved_by"] == admin.id
    assert c.get("/api/v1/credits").json()["balance"] == 5000
    assert c.get(f"/api/v1/credits/topups/{req['id']}").json()["status"] == "approved"

    mails = outbox(settings)
    assert len(mails) == 1 and mails[0]["To"] == user.email
    text_body = body_text(mails[0])
    assert "5,000" in text_body and "입금 확인" in text_body and "/credits" in text_body

    # Approving again, or rejecting the approved request: 409, nothing changes, no second mail.
    body = problem(a.post(f"/api/v1/admin/credits/topups/{req['id']}/approve", json={}), 409)
    assert body["request_status"] == "approved" and "approved" in body["detail"]
    problem(a.post(f"/api/v1/admin/credits/topups/{req['id']}/reject", json={}), 409)
    assert c.get("/api/v1/credits").json()["balance"] == 5000
    assert len(outbox(settings)) == 1
    assert audit_database(db).ok


def test_reject_then_approve_is_impossible(settings: Settings, make_user, api_client, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    c, a = api_client(user), api_client(admin)
    rid = c.post("/api/v1/credits/topups", json={"amount": 1000}).json()["id"]
    r = a.post(f"/api/v1/admin/credits/topups/{rid}/reject", json={"memo": "no transfer found"})
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["rejected_by"] == admin.id
    problem(a.post(f"/api/v1/admin/credits/topups/{rid}/approve", json={}), 409)
    assert c.get("/api/v1/credits").json()["balance"] == 0
    mine = c.get(f"/api/v1/credits/topups/{rid}").json()
    assert mine["status"] == "rejected" and mine["memo"] == "no transfer found"
    assert "no transfer found" in body_text(outbox(settings)[0])


def test_topup_limits_unverified_and_cancel(make_user, api_client) -> None:  # type: ignore[no-untyped-def]
    c = api_client(make_user())
    ids = [c.post("/api/v1/credits/topups", json={"amount": 1000 + i}).json()["id"] for i in range(3)]
    body = problem(c.post("/api/v1/credits/topups", json={"amount": 1000}), 429)
    assert body["pending"] == 3
    r = c.post(f"/api/v1/credits/topups/{ids[0]}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    problem(c.post(f"/api/v1/credits/topups/{ids[0]}/cancel"), 409)
    assert c.post("/api/v1/credits/topups", json={"amount": 1000}).status_code == 201

    unverified = api_client(make_user(verified=False))
    body = problem(unverified.post("/api/v1/credits/topups", json={"amount": 1000}), 403)
    assert body["reason"] == "email_unverified"


def test_others_requests_are_404_and_non_admin_is_403(make_user, api_client) -> None:  # type: ignore[no-untyped-def]
    alice, bob = api_client(make_user()), api_client(make_user())
    rid = alice.post("/api/v1/credits/topups", json={"amount": 1000}).json()["id"]
    problem(bob.get(f"/api/v1/credits/topups/{rid}"), 404)
    problem(bob.post(f"/api/v1/credits/topups/{rid}/cancel"), 404)
    problem(bob.get("/api/v1/credits/topups/not-a-real-id"), 404)
    for method, path, payload in [
        ("post", f"/api/v1/admin/credits/topups/{rid}/approve", {}),
        ("post", f"/api/v1/admin/credits/topups/{rid}/reject", {}),
        ("get", "/api/v1/admin/credits/topups", None),
        ("post", "/api/v1/admin/credits/adjustments", {"user_id": "x", "amount": 5, "reason": "r"}),
        ("put", "/api/v1/admin/credits/prices", {"script": 1}),
        ("get", "/api/v1/admin/credits/ledger", None),
    ]:
        r = getattr(alice, method)(path, json=payload) if payload is not None else getattr(alice, method)(path)
        problem(r, 403)
    assert alice.get(f"/api/v1/credits/topups/{rid}").json()["status"] == "pending"


def test_topup_idempotency_key_returns_the_same_request(make_user, api_client) -> None:  # type: ignore[no-untyped-def]
    c = api_client(make_user())
    headers = {"Idempotency-Key": "form-7f3a"}
    first = c.post("/api/v1/credits/topups", json={"amount": 3000}, headers=headers)
    again = c.post("/api/v1/credits/topups", json={"amount": 3000}, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json() == again.json()
    assert len(c.get("/api/v1/credits/topups").json()) == 1
    problem(c.post("/api/v1/credits/topups", json={"amount": 4000}, headers=headers), 409)
    problem(c.post("/api/v1/credits/topups", json={"amount": 4000}, headers={"Idempotency-Key": "x" * 150}), 422)


def test_admin_adjustments(db: Database, make_user, api_client, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    a = api_client(admin)
    url = "/api/v1/admin/credits/adjustments"
    r = a.post(url, json={"user_id": user.id, "amount": 300, "reason": "welcome bonus"})
    assert r.status_code == 201 and r.json()["type"] == "adjust" and r.json()["balance_after"] == 300
    assert r.json()["created_by"] == admin.id
    body = problem(a.post(url, json={"user_id": user.id, "amount": -301, "reason": "too much"}), 409)
    assert body["balance"] == 300
    for bad in (
        {"user_id": user.id, "amount": 5},  # no reason
        {"user_id": user.id, "amount": 5, "reason": "  "},
        {"user_id": user.id, "amount": 0, "reason": "zero"},
        {"user_id": user.id, "amount": 2.5, "reason": "fraction"},
        {"user_id": user.id, "amount": "5", "reason": "string"},
        {"user_id": user.id, "amount": 10**15, "reason": "huge"},
    ):
        problem(a.post(url, json=bad), 422)
    problem(a.post(url, json={"user_id": "nobody", "amount": 5, "reason": "x"}), 404)
    r = a.post(url, json={"user_id": user.id, "amount": -300, "reason": "refunded by bank"})
    assert r.status_code == 201 and r.json()["balance_after"] == 0
    assert audit_database(db).ok


def test_prices_admin_edit_and_log(make_user, api_client, admin) -> None:  # type: ignore[no-untyped-def]
    a, c = api_client(admin), api_client(make_user())
    r = a.put("/api/v1/admin/credits/prices", json={"script": 80, "video_types": {"sora2": 400}})
    assert r.status_code == 200, r.text
    assert r.json()["effective"]["sora2"] == 400 and r.json()["script"] == 80
    assert [(ch["key"], ch["old_value"], ch["new_value"]) for ch in r.json()["changes"]] == [
        ("price.video.sora2", None, 400),
        ("price.script", None, 80),
    ]
    assert c.get("/api/v1/credits/prices").json()["effective"]["sora2"] == 400
    for bad in ({"script": -5}, {"video": "150"}, {"video_types": {"imax": 5}}, {"scrypt": 5}, {"video": 1.5}):
        problem(a.put("/api/v1/admin/credits/prices", json=bad), 422)
    r = a.put("/api/v1/admin/credits/prices", json={"video_types": {"sora2": None}})
    assert r.json()["effective"]["sora2"] == 150


def _ledger(db: Database, admin: Any, user: Any) -> list[str]:
    """10 rows for `user`: +1000, 6 debits of 10..60, a refund, two adjustments; 3 rows dated 40 days ago."""
    with db.session() as s:
        credits.grant(s, user.id, 1000, reason="seed", admin_id=admin.id)
        ids = [credits.debit(s, user.id, 10 * (i + 1), description=f"=cmd|' /C calc'!A{i}").id for i in range(6)]
        credits.refund(s, ids[0], description="failed")
        credits.grant(s, user.id, 5, reason="+bonus", admin_id=admin.id)
        credits.grant(s, user.id, -5, reason="-fix", admin_id=admin.id)
    old = datetime.now(UTC) - timedelta(days=40)
    with db.session() as s:
        for i, rid in enumerate(ids[:3]):
            at = old + timedelta(minutes=i)
            s.execute(update(CreditHistory).where(CreditHistory.id == rid).values(created_at=at))
    return ids


def test_history_filters_and_keyset_pages(db: Database, make_user, api_client, admin) -> None:  # type: ignore[no-untyped-def]
    user, other = make_user(), make_user()
    _ledger(db, admin, user)
    _ledger(db, admin, other)
    c = api_client(user)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = c.get("/api/v1/credits/history", params=params).json()
        seen += [e["id"] for e in page["items"]]
        assert len(page["items"]) <= 3
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 10
    full = c.get("/api/v1/credits/history", params={"limit": 200}).json()["items"]
    assert [e["id"] for e in full] == seen
    stamps = [e["created_at"] for e in full]
    assert stamps == sorted(stamps, reverse=True)

    uses = c.get("/api/v1/credits/history", params={"type": "use"}).json()["items"]
    assert len(uses) == 6 and {e["type"] for e in uses} == {"use"}
    both = c.get("/api/v1/credits/history", params=[("type", "refund"), ("type", "adjust")]).json()["items"]
    assert sorted(e["type"] for e in both) == ["adjust", "adjust", "adjust", "refund"]
    today = datetime.now(UTC).date()
    recent = c.get("/api/v1/credits/history", params={"since": (today - timedelta(days=7)).isoformat()}).json()
    assert len(recent["items"]) == 7
    old = c.get("/api/v1/credits/history", params={"until": (today - timedelta(days=30)).isoformat()}).json()
    assert len(old["items"]) == 3

    problem(c.get("/api/v1/credits/history", params={"type": "steal"}), 422)
    problem(c.get("/api/v1/credits/history", params={"cursor": "bm90IGEgY3Vyc29y"}), 422)
    problem(c.get("/api/v1/credits/history", params={"since": "2026-02-01", "until": "2026-01-01"}), 422)
    problem(c.get("/api/v1/credits/history", params={"since": "yesterday"}), 422)
    problem(c.get("/api/v1/credits/history", params={"limit": 0}), 422)


def test_csv_export(db: Database, make_user, api_client, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    _ledger(db, admin, user)
    r = api_client(user).get("/api/v1/credits/history.csv", params={"type": "use"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["created_at", "seq", "type", "amount", "balance_after"]
    assert len(rows) == 7 and {row[2] for row in rows[1:]} == {"use"}
    assert [int(row[3]) for row in rows[1:]] == [-10, -20, -30, -40, -50, -60]  # oldest first
    assert all(row[5].startswith("'=") for row in rows[1:])  # no spreadsheet formulas
    admin_csv = api_client(admin).get("/api/v1/admin/credits/ledger.csv", params={"user_id": user.id})
    rows = list(csv.reader(io.StringIO(admin_csv.content.decode("utf-8-sig"))))
    assert rows[0][0] == "user_email" and len(rows) == 11 and rows[1][0] == user.email


def test_usage_series_per_day_and_week(db: Database, make_user, api_client, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    _ledger(db, admin, user)
    c = api_client(user)
    today = datetime.now(UTC).date()
    r = c.get("/api/v1/credits/usage", params={"bucket": "day"}).json()
    assert r["bucket"] == "day" and len(r["points"]) == 30 and r["points"][-1]["start"] == today.isoformat()
    last = r["points"][-1]
    # Today: debits 40+50+60 (the older three were moved 40 days back), the refund of 10
    # belongs to a debit made 40 days ago but happened today.
    assert (last["used"], last["refunded"], last["added"]) == (150 - 10, 10, 1005)
    wide = c.get(
        "/api/v1/credits/usage",
        params={"bucket": "week", "since": (today - timedelta(days=60)).isoformat(), "until": today.isoformat()},
    ).json()
    assert sum(p["used"] for p in wide["points"]) == 210 - 10
    assert all(datetime.fromisoformat(p["start"]).weekday() == 0 for p in wide["points"])
    problem(c.get("/api/v1/credits/usage", params={"bucket": "year"}), 422)
    problem(c.get("/api/v1/credits/usage", params={"since": "2020-01-01", "until": "2026-01-01"}), 422)


def test_admin_ledger_all_and_per_user(db: Database, make_user, api_client, admin) -> None:  # type: ignore[no-untyped-def]
    u1, u2 = make_user(), make_user()
    _ledger(db, admin, u1)
    _ledger(db, admin, u2)
    a = api_client(admin)
    everyone = a.get("/api/v1/admin/credits/ledger", params={"limit": 200}).json()["items"]
    assert len(everyone) == 20 and {e["user_email"] for e in everyone} == {u1.email, u2.email}
    one = a.get("/api/v1/admin/credits/ledger", params={"user_id": u1.id, "type": "refund"}).json()["items"]
    assert len(one) == 1 and one[0]["user_id"] == u1.id
    problem(a.get("/api/v1/admin/credits/ledger", params={"user_id": "nobody"}), 404)
    summary = a.get("/api/v1/admin/credits/summary").json()
    assert summary == {"pending_topups": 0, "credits_outstanding": 2 * (1000 - 210 + 10), "ledger_rows": 20}
