"""Issue 13, hardening of inputs and accounts: values the database or calendar cannot hold
answer a 422 problem in the reader's language (never a 500); control characters are stripped
the same way in every text field; forwarded headers count only from configured proxies; a
per-account login limit with a notice e-mail; password changes revoke API tokens; sign-up
does not reveal which addresses are registered; cache, cookie and CSP headers."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from email.message import Message
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reelforge.accounts.models import ApiToken, User, UserActivityLog
from reelforge.accounts.models import Session as LoginSession
from reelforge.web.app import create_app
from reelforge.web.auth import SESSION_COOKIE
from reelforge.web.params import INT32_MAX, INT64_MAX, clean_text
from reelforge.web.proxies import forwarded_client, parse_networks
from tests.accounts_helpers import PASSWORD, outbox, parse_mail, text_of
from tests.conftest import free_port
from tests.factories import grant_credits as fund
from tests.jobs_plugin import new_job
from tests.test_accounts_mail import smtp_server  # noqa: F401 - the real SMTP server on loopback

BIG = str(2**63)  # one past what SQLite and PostgreSQL's bigint hold
MESSAGES = {"ko": ("이하의 값을 입력하세요", "이상의 값을 입력하세요"), "en": ("Enter a value of at most", "at least")}


# ---------------------------------------------------------------- 1. bounded integers and dates
@pytest.fixture
def ids(db, settings, make_user, api_client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A creator with a job and a script, and an admin: the routes reach real rows."""
    user, admin = make_user(), make_user(admin=True)
    fund(db, user.id, 1000)
    creator = api_client(user)
    script = creator.post("/api/v1/scripts", json={"topic": "서울의 밤 산책", "type": "shortform"})
    assert script.status_code in (201, 202), script.text
    return {
        "creator": creator,
        "admin": api_client(admin),
        "user_id": user.id,
        "job_id": new_job(db, settings, user.id),
        "script_id": script.json()["id"],
    }


EXTREMES: list[tuple[str, str, str, str, Any]] = [
    # (who, method, path template, field, json body)
    ("creator", "GET", f"/api/v1/youtube/uploads?offset={BIG}", "offset", None),
    ("creator", "GET", f"/api/v1/me/activity?before={BIG}", "before", None),
    ("creator", "GET", f"/api/v1/jobs/{{job_id}}/logs?after={BIG}", "after", None),
    ("creator", "GET", f"/api/v1/scripts/{{script_id}}/logs?after={BIG}", "after", None),
    ("creator", "GET", "/api/v1/credits/history?until=9999-12-31", "until", None),
    ("creator", "GET", "/api/v1/credits/history.csv?until=9999-12-31", "until", None),
    ("creator", "GET", "/api/v1/credits/usage?since=9999-12-01&until=9999-12-31", "since", None),
    ("admin", "GET", f"/api/v1/admin/youtube/uploads?offset={BIG}", "offset", None),
    ("admin", "GET", f"/api/v1/admin/users/{{user_id}}/activity?before={BIG}", "before", None),
    ("admin", "GET", "/api/v1/admin/credits/ledger?until=9999-12-31", "until", None),
    ("admin", "GET", "/api/v1/admin/credits/ledger.csv?since=9999-12-31", "since", None),
    ("admin", "GET", "/api/v1/admin/credits/usage?since=9999-12-01&until=9999-12-31", "since", None),
    ("admin", "POST", "/api/v1/admin/prompts/shortform-default-ko/revert", "version", {"version": 2**63}),
]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_extreme_integers_and_dates_answer_422_in_the_readers_language(ids, lang: str) -> None:  # type: ignore[no-untyped-def]
    for who, method, template, field, body in EXTREMES:
        url = template.format(**ids)
        r = ids[who].request(method, url, json=body, headers={"Accept-Language": lang})
        assert r.status_code == 422, (url, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("application/problem+json"), url
        problem = r.json()
        assert problem["status"] == 422 and r.headers["content-language"] == lang
        messages = {e["field"]: e["message"] for e in problem["errors"]}
        assert MESSAGES[lang][0] in messages[field], (url, messages)
        assert MESSAGES[lang][0] in problem["detail"]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_below_the_range_and_at_its_edge(ids, lang: str) -> None:  # type: ignore[no-untyped-def]
    c = ids["creator"]
    r = c.get("/api/v1/youtube/uploads?offset=-1", headers={"Accept-Language": lang})
    assert r.status_code == 422 and MESSAGES[lang][1] in r.json()["errors"][0]["message"]
    r = c.get("/api/v1/credits/history?since=0001-01-01", headers={"Accept-Language": lang})
    assert r.status_code == 422 and MESSAGES[lang][1] in r.json()["errors"][0]["message"]
    # the largest accepted values are answered normally (the database compares them)
    assert c.get(f"/api/v1/youtube/uploads?offset={INT64_MAX}").json() == []
    assert c.get(f"/api/v1/jobs/{ids['job_id']}/logs?after={INT32_MAX}").json() == []
    assert c.get(f"/api/v1/scripts/{ids['script_id']}/logs?after={INT32_MAX}").json() == []
    assert c.get(f"/api/v1/me/activity?before={INT32_MAX}").status_code == 200
    r = c.get(f"/api/v1/jobs/{ids['job_id']}/logs?after={INT32_MAX + 1}", headers={"Accept-Language": lang})
    assert r.status_code == 422 and MESSAGES[lang][0] in r.json()["detail"]  # ids are 32-bit on PostgreSQL
    r = ids["admin"].post("/api/v1/admin/prompts/shortform-default-ko/revert", json={"version": INT32_MAX})
    assert r.status_code == 404  # no such version: an answer, not a database error
    assert c.get("/api/v1/credits/history?since=9000-12-31&until=9000-12-31").json()["items"] == []
    usage = c.get("/api/v1/credits/usage?since=9000-12-01&until=9000-12-31")
    assert usage.status_code == 200 and len(usage.json()["points"]) == 31
    assert c.get("/api/v1/credits/history.csv?until=9000-12-31").text.startswith("\ufeffcreated_at")


def test_html_history_ignores_dates_past_the_calendar_like_other_bad_values(  # type: ignore[no-untyped-def]
    db, make_user, cookie_client
) -> None:
    user = make_user()
    fund(db, user.id, 10)
    c = cookie_client(user)
    for query in ("until=9999-12-31", "since=9999-12-01&until=9999-12-31", "since=0001-01-01"):
        r = c.get(f"/credits/history?{query}")
        assert r.status_code == 200 and 'value="9999-12-' not in r.text  # the filter is dropped, not a 500
    admin = cookie_client(make_user(admin=True))
    assert admin.get("/admin/credits?until=9999-12-31").status_code == 200
    assert admin.get(f"/admin/credits/users/{user.id}?since=9999-12-31").status_code == 200
    assert admin.get(f"/profile/activity?before={BIG}").status_code == 422


def test_a_last_event_id_past_int64_is_clamped() -> None:
    from reelforge.jobs import events

    assert events.parse_last_event_id(str(2**70)) == INT32_MAX
    assert events.parse_last_event_id("-5") == 0 and events.parse_last_event_id("x") == 0


# ---------------------------------------------------------------- 7. control characters
def test_clean_text_strips_controls_and_lone_surrogates_only() -> None:
    assert clean_text("a\x00b\x07c\x1b\x7f\x85d") == "abcd"
    assert clean_text("줄\n바꿈\t탭\r") == "줄\n바꿈\t탭\r"
    assert clean_text("x\ud800y") == "xy"
    assert clean_text("평범한 글 🎬") == "평범한 글 🎬" and clean_text(5) == 5


def test_nul_and_controls_are_stripped_in_every_kind_of_field(db, make_user, api_client, cookie_client) -> None:  # type: ignore[no-untyped-def]
    user, admin_user = make_user("ctl@example.com"), make_user(admin=True)
    c, admin = api_client(user), api_client(admin_user)
    # JSON bodies: a token name, a profile field, a top-up note (nested JSON too: a prompt name)
    raw = b'{"name": "c\\u0000i\\u0007 \\ud800bot"}'  # JSON escapes: a NUL, a bell, a lone surrogate
    r = c.post("/api/v1/me/tokens", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 201 and r.json()["name"] == "ci bot"
    assert c.patch("/api/v1/me", json={"name": "김\x00민수\x1b"}).json()["name"] == "김민수"
    r = c.post("/api/v1/credits/topups", json={"amount": 1000, "note": "입금\x00자: 홍길동\x08"})
    assert r.status_code == 201 and r.json()["note"] == "입금자: 홍길동"
    r = admin.put("/api/v1/admin/prompts/shortform-default-ko", json={"name": "쇼츠\x00 기본"})
    assert r.status_code == 200 and r.json()["name"] == "쇼츠 기본"
    r = admin.patch(f"/api/v1/admin/users/{user.id}", json={"admin_memo": "메모\x00\n둘째 줄"})
    assert r.status_code == 200 and r.json()["admin_memo"] == "메모\n둘째 줄"
    # HTML forms: the same rule
    page = cookie_client(user)
    r = page.post("/profile/tokens", data={"name": "form\x00 token\x07", "csrf_token": page.csrf})
    assert r.status_code < 500
    with db.read_session() as s:
        names = set(s.scalars(select(ApiToken.name).where(ApiToken.user_id == user.id)))
        stored = s.get(User, user.id)
        assert stored is not None and stored.name == "김민수"
    assert "form token" in names and all("\x00" not in n for n in names)


# ---------------------------------------------------------------- 5. forwarded headers and lockout
def test_forwarded_client_rules() -> None:
    nets = parse_networks("10.0.0.0/8, 127.0.0.1")
    assert forwarded_client("127.0.0.1", "203.0.113.9", []) == "127.0.0.1"  # nothing trusted by default
    assert forwarded_client("198.51.100.1", "203.0.113.9", nets) == "198.51.100.1"  # peer not a proxy
    assert forwarded_client("127.0.0.1", "203.0.113.9", nets) == "203.0.113.9"
    # the right-most address that is not a trusted proxy: a client cannot prepend its own
    assert forwarded_client("127.0.0.1", "1.2.3.4, 203.0.113.9, 10.1.1.1", nets) == "203.0.113.9"
    assert forwarded_client("127.0.0.1", "not-an-ip", nets) == "127.0.0.1"
    with pytest.raises(ValueError, match="REELFORGE_TRUSTED_PROXIES"):
        parse_networks("10.0.0.0/8, nonsense")


def _wrong(email: str) -> dict[str, str]:
    return {"email": email, "password": "wrong-password-123"}


def test_serve_ignores_forwarded_for_from_loopback_so_the_limit_bites(settings, db, make_user) -> None:  # type: ignore[no-untyped-def]
    """Through uvicorn configured exactly as `reelforge serve` runs it."""
    import uvicorn

    from reelforge.cli import uvicorn_config

    make_user("fwd@example.com")
    served = settings.model_copy(update={"port": free_port(), "host": "127.0.0.1"})
    server = uvicorn.Server(uvicorn_config(create_app(served, db), served))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    try:
        codes = []
        for i in range(10):
            r = httpx.post(
                f"http://127.0.0.1:{served.port}/api/v1/auth/login",
                json=_wrong("fwd@example.com"),
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            )
            codes.append(r.status_code)
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
        with db.read_session() as s:
            seen = set(s.scalars(select(UserActivityLog.ip_address).where(UserActivityLog.action == "login_failed")))
        assert seen == {"127.0.0.1"}  # the peer, never the forwarded address
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _mails_to(settings, to: str) -> list[Message]:  # type: ignore[no-untyped-def]
    found = [parse_mail(p.read_bytes()) for p in outbox(settings)]
    return [m for m in found if m["To"] == to]


def test_trusted_proxy_and_per_account_lockout_with_a_notice_mail(settings, db, make_user, smtp_server) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    inbox, port, cert = smtp_server
    config = settings.model_copy(
        update={
            "trusted_proxies": "127.0.0.1",
            "login_account_max_failures": 4,
            "login_account_window_seconds": 600,
            "smtp_url": f"smtp://mailer:p%40ss@127.0.0.1:{port}",
            "smtp_ca_file": str(cert),
        }
    )
    make_user("owner@example.com")
    app = create_app(config, db)
    proxy = TestClient(app, client=("127.0.0.1", 40000))  # a request arriving through the proxy
    direct = TestClient(app, client=("198.51.100.7", 40000))  # not a proxy: its header is ignored

    def login(client: TestClient, ip: str, body: dict[str, str], lang: str = "ko") -> httpx.Response:
        return client.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": ip, "Accept-Language": lang})

    # the proxy's word is taken: each failure is recorded under the forwarded address
    assert login(proxy, "203.0.113.1", _wrong("owner@example.com")).status_code == 401
    assert login(direct, "203.0.113.99", _wrong("owner@example.com")).status_code == 401
    with db.read_session() as s:
        ips = list(s.scalars(select(UserActivityLog.ip_address).where(UserActivityLog.action == "login_failed")))
    assert sorted(ips) == ["198.51.100.7", "203.0.113.1"]
    assert inbox.messages == []
    # two more from new addresses: the fourth failure locks the account and mails its owner
    assert login(proxy, "203.0.113.2", _wrong("owner@example.com")).status_code == 401
    assert login(proxy, "203.0.113.3", _wrong("owner@example.com")).status_code == 401
    assert len(inbox.messages) == 1
    _from, rcpt, raw = inbox.messages[0]
    notice = parse_mail(raw)
    assert rcpt == ["owner@example.com"] and "계정이 잠겼습니다" in notice["Subject"]
    assert "10분 동안" in text_of(notice) and "/forgot" in text_of(notice)
    # locked: even the right password from yet another address is refused, in both languages
    right = {"email": "owner@example.com", "password": PASSWORD}
    r = login(proxy, "203.0.113.50", right)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 60
    assert r.json()["detail"] == "이 계정의 로그인 실패가 너무 많아 잠시 잠겼습니다. 나중에 다시 시도하세요."
    r = login(proxy, "203.0.113.51", right, lang="en")
    assert r.status_code == 429 and r.json()["detail"].startswith("Too many failed logins for this account.")
    assert len(inbox.messages) == 1  # one notice per lockout
    # an unknown address gets exactly the same answers (no account probing) and no mail
    answers = [login(proxy, f"198.18.0.{i}", _wrong("nobody@example.com")).status_code for i in range(5)]
    assert answers == [401, 401, 401, 401, 429] and len(inbox.messages) == 1
    with db.read_session() as s:
        assert s.scalar(select(UserActivityLog.id).where(UserActivityLog.action == "login_locked")) is not None


def test_the_lockout_mail_waits_for_the_commit(settings, db, make_user) -> None:  # type: ignore[no-untyped-def]
    from reelforge.accounts import flows

    make_user("rolled@example.com")
    config = settings.model_copy(update={"login_account_max_failures": 1})
    with pytest.raises(RuntimeError), db.session() as s:
        flows.log_in(s, config, "rolled@example.com", "nope-nope-nope", previous_token="", ip="1.2.3.4", user_agent="t")
        raise RuntimeError("the request failed after the lockout")
    assert _mails_to(config, "rolled@example.com") == []
    with db.session() as s:
        flows.log_in(s, config, "rolled@example.com", "nope-nope-nope", previous_token="", ip="1.2.3.4", user_agent="t")
    assert len(_mails_to(config, "rolled@example.com")) == 1


# ---------------------------------------------------------------- 7. tokens, sign-up, headers
def test_password_change_and_force_logout_revoke_api_tokens(client, db, make_user, api_client) -> None:  # type: ignore[no-untyped-def]
    user = make_user("tok@example.com")
    caller, other_token, third = api_client(user), api_client(user), api_client(user)
    assert other_token.get("/api/v1/me").status_code == 200
    r = caller.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "another-pass-22"})
    assert r.status_code == 200
    assert other_token.get("/api/v1/me").status_code == 401 and third.get("/api/v1/me").status_code == 401
    assert caller.get("/api/v1/me").status_code == 200  # the caller's own credential stays, like its session
    live = [t for t in caller.get("/api/v1/me/tokens").json() if t["revoked_at"] is None]
    assert len(live) == 1
    # a browser session changing the password keeps no token at all
    browser = TestClient(client.app)
    assert (
        browser.post("/api/v1/auth/login", json={"email": "tok@example.com", "password": "another-pass-22"}).status_code
        == 200
    )
    csrf = browser.get("/api/v1/me/sessions")  # any read; the CSRF token came with the login answer
    assert csrf.status_code == 200
    with db.read_session() as s:
        csrf_token = s.scalars(select(LoginSession.csrf_token).where(LoginSession.user_id == user.id)).first()
    r = browser.post(
        "/api/v1/me/password",
        json={"current_password": "another-pass-22", "new_password": "third-pass-333"},
        headers={"X-CSRF-Token": csrf_token or ""},
    )
    assert r.status_code == 200 and caller.get("/api/v1/me").status_code == 401
    # an admin's "log out everywhere" ends tokens too
    victim = make_user("victim@example.com")
    victim_token = api_client(victim)
    admin = api_client(make_user(admin=True))
    assert admin.delete(f"/api/v1/admin/users/{victim.id}/sessions").status_code == 200
    assert victim_token.get("/api/v1/me").status_code == 401


SIGNUP = {"password": PASSWORD, "name": "가입 테스트", "phone": "010-2222-3333", "address": "Seoul"}


def test_signup_answers_the_same_for_a_taken_address_and_mails_its_owner(client, db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("taken@example.com")
    new = client.post("/api/v1/auth/signup", json={**SIGNUP, "email": "fresh@example.com"})
    taken = client.post("/api/v1/auth/signup", json={**SIGNUP, "email": "Taken@Example.com"})
    assert new.status_code == taken.status_code == 202
    assert new.json()["detail"].replace("fresh", "X") == taken.json()["detail"].replace("taken", "X")
    assert set(new.headers) - {"x-request-id", "date"} == set(taken.headers) - {"x-request-id", "date"}
    notice = _mails_to(settings, "taken@example.com")
    assert len(notice) == 1 and "/login" in text_of(notice[0])
    assert notice[0]["Subject"] == "누군가 회원님의 이메일 주소로 reelforge 가입을 시도했습니다"
    # a second try within the hour: same answer, no second mail (no mail bombing through sign-up)
    assert client.post("/api/v1/auth/signup", json={**SIGNUP, "email": "taken@example.com"}).status_code == 202
    assert len(_mails_to(settings, "taken@example.com")) == 1
    with db.read_session() as s:
        assert len(list(s.scalars(select(User).where(User.email == "taken@example.com")))) == 1
    # the page answers the same too
    from tests.accounts_helpers import page_post, signup_form

    page_new = page_post(client, "/signup", "/signup", signup_form(email="other-fresh@example.com"))
    page_taken = page_post(client, "/signup", "/signup", signup_form(email="taken@example.com"))
    assert page_new.status_code == page_taken.status_code == 200
    assert page_new.text.count("auth-card") == page_taken.text.count("auth-card")
    # bad input is still refused the same way for both
    short = client.post("/api/v1/auth/signup", json={**SIGNUP, "email": "taken@example.com", "password": "short"})
    assert short.status_code == 422 and short.json()["field"] == "password"


def test_no_store_on_authenticated_json_and_cookie_lifetime(client, make_user, api_client, cookie_client) -> None:  # type: ignore[no-untyped-def]
    from reelforge.accounts.sessions import SESSION_LIFETIME

    user = make_user("hdr@example.com")
    assert api_client(user).get("/api/v1/me").headers["cache-control"] == "no-store"
    assert cookie_client(user).get("/api/v1/credits").headers["cache-control"] == "no-store"
    assert api_client(user).get("/api/v1/me/nothing-here").headers["cache-control"] == "no-store"  # problems too
    assert "cache-control" not in client.get("/api/v1/meta").headers  # anonymous, public
    r = client.post("/api/v1/auth/login", json={"email": "hdr@example.com", "password": PASSWORD})
    cookie = r.headers["set-cookie"]
    assert f"Max-Age={int(SESSION_LIFETIME.total_seconds())}" in cookie and SESSION_COOKIE in cookie


def test_the_cookie_slides_with_the_session(db, make_user, cookie_client) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from reelforge.db.base import utcnow

    user = make_user("slide@example.com")
    c = cookie_client(user)
    assert "set-cookie" not in c.get("/api/v1/me").headers  # just made: nothing to slide yet
    with db.session() as s:
        s.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=5)))
    r = c.get("/api/v1/me")
    assert r.status_code == 200 and "Max-Age=1209600" in r.headers["set-cookie"]


def test_api_docs_page_has_a_csp_with_a_nonce(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/docs")
    csp = r.headers["content-security-policy"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert f'<script nonce="{nonce}">' in r.text and "<script>" not in r.text
    assert client.get("/api/docs").headers["content-security-policy"] != csp  # a fresh nonce each time
