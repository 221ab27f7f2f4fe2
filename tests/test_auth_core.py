"""The authentication core every API depends on: cookie sessions, API tokens, CSRF, admin guard."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from reelforge.accounts import sessions
from reelforge.accounts.models import Session, UserSession
from reelforge.db.base import utcnow
from reelforge.web.auth import AdminUser, CurrentUser


def _routes(app) -> None:  # type: ignore[no-untyped-def]
    router = APIRouter(prefix="/api/v1/_authtest")

    @router.get("/me")
    def me(user: CurrentUser) -> dict[str, str]:
        return {"email": user.email}

    @router.post("/me")
    def post_me(user: CurrentUser) -> dict[str, str]:
        return {"email": user.email}

    @router.get("/admin")
    def admin(user: AdminUser) -> dict[str, str]:
        return {"email": user.email}

    app.include_router(router)


def test_bearer_token_and_cookie(app, make_user, api_client, cookie_client) -> None:  # type: ignore[no-untyped-def]
    _routes(app)
    user = make_user("u@example.com")
    c = api_client(user)
    assert c.get("/api/v1/_authtest/me").json() == {"email": "u@example.com"}
    assert c.post("/api/v1/_authtest/me").status_code == 200  # token auth needs no CSRF
    assert c.get("/api/v1/_authtest/admin").status_code == 403

    cc = cookie_client(user)
    assert cc.get("/api/v1/_authtest/me").status_code == 200
    r = cc.post("/api/v1/_authtest/me")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert cc.post("/api/v1/_authtest/me", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert cc.post("/api/v1/_authtest/me", headers={"X-CSRF-Token": cc.csrf}).status_code == 200


def test_anonymous_and_bad_tokens(app, client) -> None:  # type: ignore[no-untyped-def]
    _routes(app)
    r = client.get("/api/v1/_authtest/me")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    r = client.get("/api/v1/_authtest/me", headers={"Authorization": "Bearer rf_nope"})
    assert r.status_code == 401
    client.cookies.set("rf_session", "forged")
    assert client.get("/api/v1/_authtest/me").status_code == 401


def test_admin_guard(app, make_user, api_client) -> None:  # type: ignore[no-untyped-def]
    _routes(app)
    boss = make_user("boss@example.com", admin=True)
    assert api_client(boss).get("/api/v1/_authtest/admin").status_code == 200


def test_session_expiry_sliding_and_end(db, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    t0 = utcnow()
    with db.session() as s:
        new = sessions.create_session(s, s.merge(user), ip="1.2.3.4", user_agent="ua", now=t0)
    with db.session() as s:
        p = sessions.resolve_session(s, new.token, now=t0 + timedelta(minutes=5))
        assert p is not None and p.user.id == user.id
    db.deferred.flush()  # the slide is a deferred write: reads never take the write lock
    with db.read_session() as s:
        row = s.get(Session, new.session.id)
        assert row is not None and row.expires_at > t0 + sessions.SESSION_LIFETIME  # slid forward
    with db.session() as s:
        assert sessions.resolve_session(s, new.token, now=t0 + timedelta(days=30)) is None
    with db.session() as s:
        assert sessions.purge_expired(s, now=t0 + timedelta(days=30)) == 1
    with db.read_session() as s:
        hist = s.get(UserSession, new.session.history_id)
        assert hist is not None and hist.is_active is False and hist.logout_at is not None


def test_revoked_token_and_disabled_user(db, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    with db.session() as s:
        plain, tok = sessions.create_api_token(s, s.merge(user), "ci")
    with db.session() as s:
        assert sessions.resolve_api_token(s, plain) is not None
        s.merge(tok).revoked_at = utcnow()
    with db.session() as s:
        assert sessions.resolve_api_token(s, plain) is None
