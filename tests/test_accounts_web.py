"""Accounts through the HTML pages (real app, real database: SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelforge.accounts.models import Session, User, UserActivityLog, UserSession
from reelforge.web.auth import SESSION_COOKIE
from tests.accounts_helpers import (
    PASSWORD,
    csrf_of,
    field_errors,
    form_alert,
    last_mail,
    link_in,
    login,
    outbox,
    page_post,
    path_of,
    signup_form,
)


def _actions(db, user_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with db.read_session() as s:
        return list(
            s.scalars(
                select(UserActivityLog.action).where(UserActivityLog.user_id == user_id).order_by(UserActivityLog.id)
            )
        )


def test_signup_verify_login_profile_logout(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("rf_lang", "en")
    r = page_post(client, "/signup", "/signup", signup_form(email="  Creator@Example.COM "))
    assert r.status_code == 200 and "Check your e-mail" in r.text and "creator@example.com" in r.text
    with db.read_session() as s:
        user = s.scalar(select(User).where(User.email == "creator@example.com"))
        assert user is not None and not user.email_verified and user.name == "김민수"
        assert user.verification_token is not None and len(user.verification_token) == 64  # stored hashed
        assert user.kakao_id == "minsu_kim" and user.phone == "010-1234-5678"
        user_id, stored_hash = user.id, user.verification_token
    # the verification mail is in the outbox; its token is not what the database holds
    mail = last_mail(settings, "creator@example.com")
    link = link_in(mail)
    token = link.split("token=")[1]
    assert stored_hash != token
    # unverified users can log in
    r = login(client, "creator@example.com")
    assert r.status_code == 303 and r.headers["location"] == "/"
    home = client.get("/")
    assert "Please verify your e-mail address" in home.text
    # open the link: verified, single use
    r = client.get(path_of(link))
    assert r.status_code == 200 and "E-mail verified" in r.text
    with db.read_session() as s:
        row = s.get(User, user_id)
        assert row is not None and row.email_verified and row.verification_token is None
    r = client.get(path_of(link))  # second use: logged in + already verified -> friendly redirect
    assert r.status_code == 200 and "already verified" in r.text
    anon = TestClient(client.app)
    assert anon.get(path_of(link)).status_code == 400  # anonymous second use: the link is dead
    # edit the profile
    r = page_post(
        client,
        "/profile",
        "/profile",
        {"name": "Kim Minsu", "phone": "+82 10 9999 0000", "address": "Busan", "kakao_id": "", "locale": "en"},
    )
    assert r.status_code == 200 and "Your profile was saved." in r.text
    assert 'value="Kim Minsu"' in r.text and 'value="Busan"' in r.text
    with db.read_session() as s:
        row = s.get(User, user_id)
        assert row is not None and row.kakao_id is None and row.locale == "en"
    # log out: session row gone, history closed, activity written
    r = page_post(client, "/profile", "/logout", {}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/profile", follow_redirects=False).status_code == 303
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Session).where(Session.user_id == user_id)) == 0
        hist = s.scalars(select(UserSession).where(UserSession.user_id == user_id)).all()
        assert len(hist) == 1 and hist[0].is_active is False and hist[0].logout_at is not None
        assert hist[0].ip_address == "testclient"
    assert _actions(db, user_id) == ["signup", "login", "email_verified", "profile_updated", "logout"]


def test_signup_validation_keeps_values_and_speaks_korean(client, db, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("taken@example.com")
    client.headers["Accept-Language"] = "ko-KR,ko;q=0.9,en;q=0.5"
    # issue 13: a taken address gets the same "check your e-mail" page as a new one (was a 422)
    r = page_post(client, "/signup", "/signup", signup_form(email="TAKEN@example.com"))
    assert r.status_code == 200 and "taken@example.com" in r.text and field_errors(r.text) == []
    r = page_post(client, "/signup", "/signup", signup_form(email="x@example.com", password_confirm="other-pass-123"))
    assert 'value="김민수"' in r.text and 'value="x@example.com"' in r.text
    assert PASSWORD not in r.text  # passwords are never echoed back
    bad = signup_form(email="x@example.com", password="1234567890", password_confirm="1234567890")
    r = page_post(client, "/signup", "/signup", bad)
    assert field_errors(r.text) == ["너무 흔한 비밀번호입니다. 다른 비밀번호를 고르세요."]
    r = page_post(client, "/signup", "/signup", signup_form(email="x@example.com", password_confirm="other-pass-123"))
    assert field_errors(r.text) == ["두 비밀번호가 서로 다릅니다."]
    r = page_post(client, "/signup", "/signup", signup_form(email="not-an-email"))
    assert field_errors(r.text) == ["올바른 이메일 주소가 아닙니다."]
    r = page_post(client, "/signup", "/signup", signup_form(email="y@example.com", name="x" * 101))
    assert field_errors(r.text) == ["너무 깁니다."]
    r = page_post(client, "/signup", "/signup", signup_form(email="y@example.com", phone="call me"))
    assert "전화번호" in field_errors(r.text)[0]
    client.headers["Accept-Language"] = "en"
    same = signup_form(email="yy@example.com", password="YY@example.com", password_confirm="YY@example.com")
    r = page_post(client, "/signup", "/signup", same)
    assert r.status_code == 422 and field_errors(r.text) == ["Password must not be your e-mail address."]
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1


def test_html_is_escaped(client, db, make_user, cookie_client) -> None:  # type: ignore[no-untyped-def]
    evil = "<script>alert(1)</script>"
    r = page_post(client, "/signup", "/signup", signup_form(email="evil@example.com", name=evil, address=evil))
    assert r.status_code == 200
    admin = make_user("boss@example.com", admin=True)
    c = cookie_client(admin)
    page = c.get("/admin/users?q=evil")
    assert evil not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_login_rotates_session_and_never_reveals_accounts(client, db, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("rot@example.com")
    client.cookies.set("rf_lang", "en")
    r = login(client, "rot@example.com")
    first = r.cookies.get(SESSION_COOKIE)
    assert first
    # log in again while the browser still holds that session (e.g. a planted cookie): a new id
    csrf = client.cookies["rf_csrf"]  # the double-submit cookie of the login form
    form = {"email": "rot@example.com", "password": PASSWORD, "csrf_token": csrf}
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 303
    second = r.cookies.get(SESSION_COOKIE)
    assert second and second != first
    with db.read_session() as s:
        live = s.scalars(select(Session).where(Session.user_id == user.id)).all()
        assert len(live) == 1  # the previous session ended (no fixation)
    fresh = TestClient(client.app)
    fresh.cookies.set("rf_lang", "en")
    wrong = login(fresh, "rot@example.com", "wrong-password-1")
    unknown = login(fresh, "nobody@example.com", "wrong-password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert form_alert(wrong.text) == form_alert(unknown.text) == "Wrong e-mail address or password."
    assert 'value="nobody@example.com"' in unknown.text  # the form keeps the e-mail


def test_login_rate_limit(client, db, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("limit@example.com")
    client.cookies.set("rf_lang", "en")
    for _ in range(5):
        assert login(client, "limit@example.com", "not-the-password").status_code == 401
    r = login(client, "limit@example.com")  # even the right password waits now
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 61
    assert "Too many failed logins" in form_alert(r.text)
    # another account from the same IP is not affected
    make_user("other@example.com")
    assert login(client, "other@example.com").status_code == 303


def test_csrf_is_required(client, db, make_user, cookie_client) -> None:  # type: ignore[no-untyped-def]
    # anonymous forms: double-submit cookie
    r = client.post("/login", data={"email": "a@example.com", "password": "x", "csrf_token": "forged"})
    assert r.status_code == 403
    r = client.post("/signup", data=signup_form())
    assert r.status_code == 403
    # logged-in forms: the session's token
    user = make_user("csrf@example.com")
    c = cookie_client(user)
    r = c.post("/profile", data={"name": "Changed", "phone": "010-1111-2222", "address": "x"})
    assert (r.status_code == 403 and "CSRF" in r.text) or "CSRF" in r.text
    with db.read_session() as s:
        row = s.get(User, user.id)
        assert row is not None and row.name == "Test User"
    r = c.post("/logout", data={"csrf_token": "nope"})
    assert r.status_code == 403


def test_change_password_ends_other_sessions(client, db, make_user, cookie_client) -> None:  # type: ignore[no-untyped-def]
    user = make_user("pw@example.com")
    other = cookie_client(user)
    assert other.get("/profile").status_code == 200
    client.cookies.set("rf_lang", "en")
    login(client, "pw@example.com")
    form = {
        "current_password": "wrong-one-123",
        "new_password": "brand-new-pass-9",
        "new_password_confirm": "brand-new-pass-9",
    }
    r = page_post(client, "/profile", "/profile/password", form)
    assert r.status_code == 422 and field_errors(r.text) == ["The current password is wrong."]
    form["current_password"] = PASSWORD
    r = page_post(client, "/profile", "/profile/password", form)
    assert r.status_code == 200 and "1 other session was logged out." in r.text
    assert other.get("/profile", follow_redirects=False).status_code == 303  # ended
    assert client.get("/profile").status_code == 200  # this one kept
    fresh = TestClient(client.app)
    assert login(fresh, "pw@example.com", "brand-new-pass-9").status_code == 303


def test_own_sessions_and_404_for_others(client, db, make_user, cookie_client) -> None:  # type: ignore[no-untyped-def]
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    a1, a2 = cookie_client(alice), cookie_client(alice)
    b = cookie_client(bob)
    with db.read_session() as s:
        a_ids = [x.id for x in s.scalars(select(Session).where(Session.user_id == alice.id))]
        b_id = s.scalar(select(Session.id).where(Session.user_id == bob.id))
    page = a1.get("/profile/sessions")
    assert page.status_code == 200 and page.text.count("/end") >= 2
    # bob guessing alice's session id: 404, and her session lives on
    r = b.post(f"/profile/sessions/{a_ids[0]}/end", data={"csrf_token": b.csrf})
    assert r.status_code == 404
    assert a1.get("/profile").status_code == 200 and a2.get("/profile").status_code == 200
    # alice ends her other session
    with db.read_session() as s:
        mine = s.scalar(select(Session.id).where(Session.user_id == alice.id, Session.id != a_ids[0]))
    target = a_ids[0] if mine is None else mine
    r = a1.post(f"/profile/sessions/{target}/end", data={"csrf_token": a1.csrf}, follow_redirects=False)
    assert r.status_code == 303
    alive = [c.get("/profile", follow_redirects=False).status_code for c in (a1, a2)]
    assert sorted(alive) == [200, 303]
    assert b.get("/profile").status_code == 200 and b_id


def test_api_tokens_page(client, db, make_user, cookie_client) -> None:  # type: ignore[no-untyped-def]
    user = make_user("tok@example.com")
    c = cookie_client(user)
    r = c.post("/profile/tokens", data={"name": "my uploader", "csrf_token": c.csrf})
    assert r.status_code == 201
    token = r.text.split("data-new-token>")[1].split("<")[0]
    assert token.startswith("rf_")
    api = TestClient(client.app)
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["email"] == "tok@example.com"
    again = c.get("/profile/tokens")
    assert token not in again.text and token[:8] in again.text  # shown once; the prefix stays
    from reelforge.accounts.models import ApiToken

    with db.read_session() as s:
        tid = s.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    other = cookie_client(make_user("thief@example.com"))
    assert other.post(f"/profile/tokens/{tid}/revoke", data={"csrf_token": other.csrf}).status_code == 404
    assert c.post(f"/profile/tokens/{tid}/revoke", data={"csrf_token": c.csrf}).status_code == 200
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    r = c.post("/profile/tokens", data={"name": " ", "csrf_token": c.csrf})
    assert r.status_code == 422 and field_errors(r.text)


def test_password_reset_flow(client, db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("reset@example.com", verified=False)
    client.cookies.set("rf_lang", "en")
    before = len(outbox(settings))
    r = page_post(client, "/forgot", "/forgot", {"email": "nobody@example.com"})
    assert r.status_code == 200 and "If an account uses this address" in r.text
    assert len(outbox(settings)) == before  # nothing sent, nothing revealed
    r = page_post(client, "/forgot", "/forgot", {"email": "RESET@example.com"})
    assert r.status_code == 200 and "If an account uses this address" in r.text
    link = link_in(last_mail(settings, "reset@example.com"))
    page = client.get(path_of(link))
    token = link.split("token=")[1]
    assert page.status_code == 200 and token in page.text
    form = {"token": token, "password": "short", "password_confirm": "short", "csrf_token": csrf_of(page.text)}
    r = client.post("/reset", data=form)
    assert r.status_code == 422 and field_errors(r.text) == ["Password must be at least 10 characters."]
    form.update(password="reset-new-pass-1", password_confirm="reset-new-pass-1")
    r = client.post("/reset", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = client.post("/reset", data=form)  # single use
    assert r.status_code == 422 and "invalid, used or expired" in r.text
    assert login(client, "reset@example.com", "reset-new-pass-1").status_code == 303
    with db.read_session() as s:
        row = s.get(User, user.id)
        assert row is not None and row.email_verified  # the mailbox was proven
    assert "password_reset" in _actions(db, user.id)


def test_pages_need_login_and_admin(client, db, make_user, cookie_client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/profile/sessions?x=1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fprofile%2Fsessions%3Fx%3D1"
    user = make_user("plain@example.com")
    c = cookie_client(user)
    target = make_user("victim@example.com")
    for path in ("/admin", "/admin/users", f"/admin/users/{target.id}"):
        r = c.get(path)
        assert r.status_code == 403 and "<html" in r.text and "nav" in r.text  # the shell's error page
    r = c.post(f"/admin/users/{target.id}/memo", data={"memo": "x", "csrf_token": c.csrf})
    assert r.status_code == 403
    r = c.post(f"/admin/users/{target.id}/sessions/end", data={"csrf_token": c.csrf})
    assert r.status_code == 403
    # the login page sends logged-in users on, and refuses open redirects
    login(client, "plain@example.com")
    assert client.get("/login?next=//evil.example/x", follow_redirects=False).headers["location"] == "/"
    assert client.get("/login?next=/jobs", follow_redirects=False).headers["location"] == "/jobs"


def test_admin_user_management(client, db, make_user, cookie_client) -> None:  # type: ignore[no-untyped-def]
    boss = make_user("boss@example.com", admin=True, name="Boss")
    target = make_user("target@example.com", verified=False, name="Target Person")
    victim_browser = cookie_client(target)
    c = cookie_client(boss)
    c.cookies.set("rf_lang", "en")
    r = c.get("/admin/users?q=TARGET")
    assert r.status_code == 200 and 'data-user-link="target@example.com"' in r.text
    assert 'data-user-link="boss@example.com"' not in r.text
    r = c.get(f"/admin/users/{target.id}")
    assert r.status_code == 200 and "Target Person" in r.text
    r = c.post(f"/admin/users/{target.id}/memo", data={"memo": "VIP 고객 — 전화 선호", "csrf_token": c.csrf})
    assert r.status_code == 200 and "The memo was saved." in r.text and "VIP 고객 — 전화 선호" in r.text
    r = c.post(f"/admin/users/{target.id}/verified", data={"value": "1", "csrf_token": c.csrf})
    assert r.status_code == 200
    r = c.post(f"/admin/users/{target.id}/sessions/end", data={"csrf_token": c.csrf})
    assert "All sessions of this user were ended." in r.text
    assert victim_browser.get("/profile", follow_redirects=False).status_code == 303
    r = c.post(f"/admin/users/{target.id}/active", data={"value": "0", "csrf_token": c.csrf})
    assert "The account was disabled." in r.text
    fresh = TestClient(client.app)
    fresh.cookies.set("rf_lang", "en")
    r = login(fresh, "target@example.com")
    assert r.status_code == 401 and "disabled" in form_alert(r.text)
    # last-admin protection
    r = c.post(f"/admin/users/{boss.id}/admin", data={"value": "0", "csrf_token": c.csrf})
    assert "last active administrator" in r.text
    r = c.post(f"/admin/users/{boss.id}/active", data={"value": "0", "csrf_token": c.csrf})
    assert "cannot disable your own account" in r.text
    r = c.post(f"/admin/users/{target.id}/admin", data={"value": "maybe", "csrf_token": c.csrf})
    assert r.status_code == 422
    assert c.get("/admin/users/00000000-0000-0000-0000-000000000000").status_code == 404
    with db.read_session() as s:
        row = s.get(User, target.id)
        assert row is not None and row.admin_memo == "VIP 고객 — 전화 선호" and row.email_verified and not row.is_active
        logged = s.execute(
            select(UserActivityLog.action, UserActivityLog.actor_id).where(UserActivityLog.user_id == target.id)
        ).all()
    assert {a for a, actor in logged if actor == boss.id} == {
        "admin.memo",
        "admin.verify",
        "admin.force_logout",
        "admin.disable",
    }
    # the user never sees the memo in their own activity
    r = c.get(f"/admin/users/{target.id}")
    assert "Admin memo edited" in r.text


def test_locale_choice_and_formatting(client, db, make_user, cookie_client) -> None:  # type: ignore[no-untyped-def]
    assert 'lang="ko"' in client.get("/").text  # default Korean
    assert 'lang="en"' in client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert 'lang="ko"' in client.get("/", headers={"Accept-Language": "fr, ko;q=0.5, en;q=0.1"}).text
    r = page_post(client, "/", "/locale", {"locale": "en", "next": "/login"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login" and r.cookies.get("rf_lang") == "en"
    page = client.get("/login", headers={"Accept-Language": "ko"})
    assert 'lang="en"' in page.text and "Log in to reelforge" in page.text  # cookie beats header
    user = make_user("ko@example.com")
    c = cookie_client(user)
    c.cookies.set("rf_lang", "en")
    r = c.post("/locale", data={"locale": "ko", "next": "/profile", "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303
    with db.read_session() as s:
        row = s.get(User, user.id)
        assert row is not None and row.locale == "ko"
    c.cookies.set("rf_lang", "en")  # the user's setting beats the cookie
    page = c.get("/profile/sessions")
    assert 'lang="ko"' in page.text and "활성 세션" in page.text
    assert re.search(r"\d{4}\. \d{1,2}\. \d{1,2}\. \d{2}:\d{2}", page.text)  # Korean date and time
    c.post("/locale", data={"locale": "en", "next": "/", "csrf_token": c.csrf})
    page = c.get("/profile/sessions")
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M", page.text)  # English date and time
