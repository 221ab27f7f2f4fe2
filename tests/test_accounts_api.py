"""Accounts JSON API (/api/v1/auth, /me, /admin/users) on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from reelforge.accounts.models import User, UserActivityLog
from reelforge.web.auth import SESSION_COOKIE
from tests.accounts_helpers import PASSWORD, last_mail, link_in

SIGNUP = {
    "email": "Api.User@Example.com",
    "password": PASSWORD,
    "name": "API User",
    "phone": "010-2222-3333",
    "address": "Seoul",
}


def test_signup_verify_login_logout(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/signup", json=SIGNUP)
    assert r.status_code == 202, r.text  # issue 13: 202 with a message, the same for a taken address
    body = r.json()
    assert "api.user@example.com" in body["detail"] and set(body) == {"detail"}
    token = link_in(last_mail(settings, "api.user@example.com")).split("token=")[1]
    again = client.post("/api/v1/auth/signup", json={**SIGNUP, "email": "API.USER@example.COM"})
    assert again.status_code == 202 and again.json() == body  # no account probing (was a 409)
    r = client.post("/api/v1/auth/login", json={"email": " API.user@example.com", "password": PASSWORD})
    assert r.status_code == 200
    csrf = r.json()["csrf_token"]
    cookie = r.cookies.get(SESSION_COOKIE)
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "secure" not in set_cookie
    assert client.get("/api/v1/me").json()["email_verified"] is False
    assert client.post("/api/v1/auth/verify", json={"token": token}).json()["email_verified"] is True
    r = client.post("/api/v1/auth/verify", json={"token": token})  # single use
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    # cookie auth + unsafe method: CSRF needed
    assert client.post("/api/v1/auth/logout").status_code == 403
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    replay = TestClient(client.app)
    replay.cookies.set(SESSION_COOKIE, cookie)
    assert replay.get("/api/v1/me").status_code == 401  # the old cookie is dead server-side


def test_login_failures_rate_limit_and_timing_policy(client, db, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("rl@example.com")
    wrong = {"email": "rl@example.com", "password": "nope-nope-nope"}
    unknown = {"email": "ghost@example.com", "password": "nope-nope-nope"}
    a = client.post("/api/v1/auth/login", json=wrong, headers={"Accept-Language": "en"})
    b = client.post("/api/v1/auth/login", json=unknown, headers={"Accept-Language": "en"})
    assert a.status_code == b.status_code == 401
    assert a.json()["detail"] == b.json()["detail"] == "Wrong e-mail address or password."
    for _ in range(4):
        assert client.post("/api/v1/auth/login", json=wrong).status_code == 401
    r = client.post("/api/v1/auth/login", json={"email": "rl@example.com", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and r.json()["retry_after"] >= 1
    assert r.json()["detail"] == "로그인 실패가 너무 많습니다. 1분 뒤에 다시 시도하세요."  # default language: ko
    # the limit is per account + IP: the unknown address has its own counter (4 more allowed)
    assert client.post("/api/v1/auth/login", json=unknown).status_code == 401


def test_validation_messages_in_both_languages(client) -> None:  # type: ignore[no-untyped-def]
    bad = {**SIGNUP, "name": "x" * 101, "surprise": 1}
    del bad["phone"]
    r = client.post("/api/v1/auth/signup", json=bad, headers={"Accept-Language": "ko"})
    assert r.status_code == 422
    by_field = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert by_field == {
        "phone": "필수 항목입니다.",
        "name": "너무 깁니다 (최대 100자).",
        "surprise": "허용되지 않는 항목입니다.",
    }
    r = client.post("/api/v1/auth/signup", json=bad, headers={"Accept-Language": "en-GB"})
    by_field = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert by_field["name"] == "This is too long (at most 100 characters)."
    r = client.post("/api/v1/auth/signup", json={**SIGNUP, "password": "short"}, headers={"Accept-Language": "en"})
    assert r.status_code == 422 and r.json() | {} and r.json()["field"] == "password"
    assert r.json()["detail"] == "Password must be at least 10 characters."
    r = client.post("/api/v1/auth/signup", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    r = client.post("/api/v1/auth/login", data={"email": "a", "password": "b"})  # a form post is not JSON
    assert r.status_code == 422


def test_me_profile_password_sessions_tokens(client, db, make_user, api_client) -> None:  # type: ignore[no-untyped-def]
    user = make_user("me@example.com")
    c = api_client(user)
    c.headers["Accept-Language"] = "en"
    r = c.patch("/api/v1/me", json={"name": "New Name", "phone": "+82-10-5555-6666", "locale": "en"})
    assert r.status_code == 200 and r.json()["name"] == "New Name" and r.json()["locale"] == "en"
    r = c.patch("/api/v1/me", json={"address": ""})
    assert r.status_code == 422 and r.json()["field"] == "address"
    r = c.patch("/api/v1/me", json={"locale": "fr"})
    assert r.status_code == 422
    # a browser session and a second token
    browser = TestClient(client.app)
    r = browser.post("/api/v1/auth/login", json={"email": "me@example.com", "password": PASSWORD})
    assert r.status_code == 200
    sessions = c.get("/api/v1/me/sessions").json()
    assert len(sessions) == 1 and sessions[0]["current"] is False and sessions[0]["ip_address"] == "testclient"
    history = c.get("/api/v1/me/sessions/history").json()
    assert len(history) == 1 and history[0]["is_active"] is True
    # change the password: the browser session ends, and every token but the calling one is revoked
    r = c.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "another-pass-22"})
    assert r.status_code == 200 and r.json() == {"ended": 1}
    assert browser.get("/api/v1/me").status_code == 401
    r = c.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "another-pass-33"})
    assert r.status_code == 422 and r.json()["field"] == "current_password"
    # tokens: create (shown once), list (prefix only), revoke
    r = c.post("/api/v1/me/tokens", json={"name": "ci"})
    assert r.status_code == 201 and r.json()["token"].startswith("rf_")
    new_token, new_id = r.json()["token"], r.json()["id"]
    listed = c.get("/api/v1/me/tokens").json()
    assert {t["name"] for t in listed} == {"tests", "ci"} and all("token" not in t for t in listed)
    other = TestClient(client.app, headers={"Authorization": f"Bearer {new_token}"})
    assert other.get("/api/v1/me").status_code == 200
    assert other.post("/api/v1/me/tokens", json={"name": "no csrf needed"}).status_code == 201
    assert c.delete(f"/api/v1/me/tokens/{new_id}").status_code == 204
    assert other.get("/api/v1/me").status_code == 401
    activity = [a["action"] for a in c.get("/api/v1/me/activity").json()]
    assert activity[:3] == ["token_revoked", "token_created", "token_created"]
    assert "password_changed" in activity and "login" in activity


def test_other_users_ids_answer_404(client, db, make_user, api_client) -> None:  # type: ignore[no-untyped-def]
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    a, b = api_client(alice), api_client(bob)
    browser = TestClient(client.app)
    browser.post("/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD})
    alice_session = a.get("/api/v1/me/sessions").json()[0]["id"]
    alice_token = a.get("/api/v1/me/tokens").json()[0]["id"]
    assert b.delete(f"/api/v1/me/sessions/{alice_session}").status_code == 404
    assert b.delete(f"/api/v1/me/tokens/{alice_token}").status_code == 404
    assert b.delete("/api/v1/me/tokens/" + "x" * 500).status_code == 404
    assert browser.get("/api/v1/me").status_code == 200  # untouched
    assert a.get("/api/v1/me").status_code == 200
    assert a.delete(f"/api/v1/me/sessions/{alice_session}").status_code == 204
    assert browser.get("/api/v1/me").status_code == 401


def test_password_reset_api(client, db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    from tests.accounts_helpers import outbox

    make_user("pr@example.com")
    same = [
        client.post("/api/v1/auth/password-reset", json={"email": e}, headers={"Accept-Language": "en"})
        for e in ("pr@example.com", "nobody@example.com", "not an email", "pr@example.com")
    ]
    assert {r.status_code for r in same} == {202} and len({r.json()["detail"] for r in same}) == 1
    assert len(outbox(settings)) == 1  # one mail: unknown addresses get none, a repeat within a minute neither
    token = link_in(last_mail(settings, "pr@example.com")).split("token=")[1]
    body = {"token": token, "password": "after-reset-pass-1"}
    assert client.post("/api/v1/auth/password-reset/confirm", json=body).status_code == 200
    assert client.post("/api/v1/auth/password-reset/confirm", json=body).status_code == 422  # used
    r = client.post("/api/v1/auth/login", json={"email": "pr@example.com", "password": "after-reset-pass-1"})
    assert r.status_code == 200


def test_resend_verification_api(client, db, settings, make_user, api_client) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from reelforge.accounts import signup
    from reelforge.db.base import utcnow

    user = make_user("rv@example.com", verified=False)
    with db.session() as s:
        old = signup.issue_verification(s, s.get(User, user.id), now=utcnow() - timedelta(minutes=5))
    c = api_client(user)
    r = c.post("/api/v1/auth/verify/resend")
    assert r.status_code == 202
    new = link_in(last_mail(settings, "rv@example.com")).split("token=")[1]
    r = c.post("/api/v1/auth/verify/resend")  # again at once: throttled
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert client.post("/api/v1/auth/verify", json={"token": old}).status_code == 422  # replaced
    assert client.post("/api/v1/auth/verify", json={"token": new}).json()["email_verified"] is True
    assert c.post("/api/v1/auth/verify/resend").status_code == 409  # already verified


def test_secure_cookie_over_https(app, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("tls@example.com")
    with TestClient(app, base_url="https://testserver") as https:
        r = https.post("/api/v1/auth/login", json={"email": "tls@example.com", "password": PASSWORD})
        assert r.status_code == 200 and "secure" in r.headers["set-cookie"].lower()


def test_admin_api(client, db, make_user, api_client) -> None:  # type: ignore[no-untyped-def]
    boss = make_user("boss@example.com", admin=True)
    users = [make_user(f"u{i:02d}@example.com", name=f"Member {i:02d}") for i in range(7)]
    make_user("phone@example.com", name="Phone Person")
    admin = api_client(boss)
    plain = api_client(users[0])
    for method, path in [
        ("get", "/api/v1/admin/users"),
        ("get", f"/api/v1/admin/users/{users[1].id}"),
        ("patch", f"/api/v1/admin/users/{users[1].id}"),
        ("get", f"/api/v1/admin/users/{users[1].id}/sessions"),
        ("delete", f"/api/v1/admin/users/{users[1].id}/sessions"),
        ("get", f"/api/v1/admin/users/{users[1].id}/activity"),
    ]:
        r = getattr(plain, method)(path, **({"json": {}} if method == "patch" else {}))
        assert r.status_code == 403, (method, path)
    # keyset pagination: every user exactly once, newest first
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, "q": "member"} | ({"cursor": cursor} if cursor else {})
        page = admin.get("/api/v1/admin/users", params=params).json()
        seen += [u["email"] for u in page["users"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [u.email for u in reversed(users)]
    assert admin.get("/api/v1/admin/users", params={"cursor": "garbage!"}).status_code == 422
    with db.session() as s:
        s.get(User, users[2].id).phone = "010-9876-5432"  # type: ignore[union-attr]
    found = admin.get("/api/v1/admin/users", params={"q": "01098765432"}).json()["users"]
    assert [u["email"] for u in found] == [users[2].email]
    # edit: memo, verify, admin flag; last-admin protection
    target = users[3]
    r = admin.patch(f"/api/v1/admin/users/{target.id}", json={"admin_memo": "memo", "email_verified": False})
    assert r.status_code == 200 and r.json()["admin_memo"] == "memo" and r.json()["email_verified"] is False
    r = admin.patch(f"/api/v1/admin/users/{target.id}", json={"email_verified": True})
    assert r.json()["email_verified"] is True and r.json()["email_verified_at"]
    r = admin.patch(f"/api/v1/admin/users/{boss.id}", json={"is_admin": False})
    assert r.status_code == 409
    r = admin.patch(f"/api/v1/admin/users/{target.id}", json={"admin_memo": "x" * 5001})
    assert r.status_code == 422
    assert admin.patch(f"/api/v1/admin/users/{target.id}", json={"is_admin": True}).json()["is_admin"] is True
    assert admin.patch(f"/api/v1/admin/users/{boss.id}", json={"is_admin": False}).json()["is_admin"] is False
    assert admin.get("/api/v1/admin/users").status_code == 403  # no longer an admin
    # force logout + disable
    victim = users[4]
    browser = TestClient(client.app)
    browser.post("/api/v1/auth/login", json={"email": victim.email, "password": PASSWORD})
    sessions = api_client(target).get(f"/api/v1/admin/users/{victim.id}/sessions").json()
    assert len(sessions) == 1
    new_admin = api_client(target)
    assert new_admin.delete(f"/api/v1/admin/users/{victim.id}/sessions").json() == {"ended": 1}
    assert browser.get("/api/v1/me").status_code == 401
    assert new_admin.delete(f"/api/v1/admin/users/{victim.id}/sessions/{sessions[0]['id']}").status_code == 404
    victim_token = api_client(victim)
    assert new_admin.patch(f"/api/v1/admin/users/{victim.id}", json={"is_active": False}).status_code == 200
    assert victim_token.get("/api/v1/me").status_code == 401  # disabled: tokens stop working too
    r = client.post("/api/v1/auth/login", json={"email": victim.email, "password": PASSWORD})
    assert r.status_code == 401
    assert new_admin.get("/api/v1/admin/users/no-such-id").status_code == 404
    with db.read_session() as s:
        rows = s.execute(
            select(UserActivityLog.action, UserActivityLog.actor_id).where(UserActivityLog.actor_id.is_not(None))
        ).all()
    actions = {(a, actor) for a, actor in rows}
    assert ("admin.memo", boss.id) in actions and ("admin.verify", boss.id) in actions
    assert ("admin.unverify", boss.id) in actions
    assert ("admin.grant_admin", boss.id) in actions and ("admin.revoke_admin", boss.id) in actions
    assert ("admin.force_logout", target.id) in actions and ("admin.disable", target.id) in actions
    activity = new_admin.get(f"/api/v1/admin/users/{victim.id}/activity").json()
    assert [a["action"] for a in activity][:3] == ["login_refused", "admin.disable", "admin.force_logout"]
