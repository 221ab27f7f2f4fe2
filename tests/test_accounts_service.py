"""Accounts service rules: policy, tokens' expiry and single use, rehash, rate-limit window, purge."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from reelforge.accounts import admin_users, login, password_reset, passwords, service, sessions, signup
from reelforge.accounts.models import LoginAttempt, PasswordReset, Session, User, UserSession
from reelforge.db.base import utcnow
from reelforge.errors import Conflict, InvalidInput, TooManyRequests
from tests.accounts_helpers import PASSWORD


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  Kim@Example.COM ", "kim@example.com"), ("a.b+tag@sub.example.org", "a.b+tag@sub.example.org")],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert service.normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "no-at-sign", "a@", "@b.com", "a b@c.com", "x" * 320 + "@a.com"])
def test_normalize_email_refuses(raw: str) -> None:
    with pytest.raises(InvalidInput) as info:
        service.normalize_email(raw)
    assert info.value.extra["field"] == "email"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10"),
        ("qwertyuiop", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("Kim@Example.com", "e-mail"),
        ("KIM.PARK@example.com", "e-mail"),
        ("x" * 1025, "too long"),
    ],
)
def test_password_policy(password: str, message: str) -> None:
    email = "kim.park@example.com" if "PARK" in password else "kim@example.com"
    with pytest.raises(InvalidInput) as info:
        service.check_password_policy(password, email)
    assert message in info.value.detail


def test_password_policy_accepts_a_passphrase() -> None:
    service.check_password_policy("correct horse battery staple", "kim@example.com")
    service.check_password_policy("한글비밀번호를길게써요", "kim@example.com")


def test_verification_token_expires_and_is_single_use(db, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(verified=False)
    t0 = utcnow()
    with db.session() as s:
        token = signup.issue_verification(s, s.merge(user), now=t0)
        newer = signup.issue_verification(s, s.merge(user), now=t0)
    with db.session() as s, pytest.raises(InvalidInput):
        signup.verify_email(s, token, now=t0)  # superseded by the newer link
    with db.session() as s, pytest.raises(InvalidInput):
        signup.verify_email(s, newer, now=t0 + signup.VERIFICATION_LIFETIME + timedelta(seconds=1))
    with db.session() as s:
        assert signup.verify_email(s, newer, now=t0 + timedelta(hours=1)).email_verified
    with db.session() as s, pytest.raises(InvalidInput):
        signup.verify_email(s, newer, now=t0 + timedelta(hours=1))


def test_reset_token_expires(db, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("r@example.com")
    t0 = utcnow()
    with db.session() as s:
        found = password_reset.request_password_reset(s, "R@example.com", now=t0)
        assert found is not None
        token = found[1]
        assert password_reset.request_password_reset(s, "nobody@example.com", now=t0) is None
    with db.read_session() as s:
        stored = s.scalar(select(PasswordReset.token_hash).where(PasswordReset.user_id == user.id))
        assert stored == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
    with db.session() as s, pytest.raises(InvalidInput):
        password_reset.reset_password(s, token, "brand-new-pass-1", now=t0 + timedelta(hours=2))
    with db.session() as s:
        assert (
            password_reset.request_password_reset(s, "r@example.com", now=t0 + timedelta(seconds=30)) is None
        )  # throttled
        later = password_reset.request_password_reset(s, "r@example.com", now=t0 + timedelta(seconds=61))
        assert later is not None
    with db.session() as s, pytest.raises(InvalidInput):
        password_reset.reset_password(s, token, "brand-new-pass-1", now=t0 + timedelta(minutes=2))  # superseded
    with db.session() as s:
        password_reset.reset_password(s, later[1], "brand-new-pass-1", now=t0 + timedelta(minutes=30))


def test_login_rehashes_legacy_and_outdated_hashes(db, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("legacy@example.com")
    legacy = passwords.LEGACY_PREFIX + hashlib.sha256(PASSWORD.encode()).hexdigest()
    with db.session() as s:
        s.merge(user).password_hash = legacy
    with db.session() as s:
        outcome = login.authenticate(s, "legacy@example.com", PASSWORD, ip="1.1.1.1")
        assert outcome.reason == "ok"
    with db.read_session() as s:
        stored = s.get(User, user.id).password_hash  # type: ignore[union-attr]
        assert stored.startswith("$argon2id$") and not passwords.needs_rehash(stored)
    # weaker argon2 parameters are upgraded too
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with db.session() as s:
        s.merge(user).password_hash = weak
    assert passwords.needs_rehash(weak)
    with db.session() as s:
        assert login.authenticate(s, "legacy@example.com", PASSWORD, ip="1.1.1.1").reason == "ok"
    with db.read_session() as s:
        assert s.get(User, user.id).password_hash != weak  # type: ignore[union-attr]


def test_rate_limit_window(db, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("w@example.com")
    t0 = utcnow()
    for i in range(5):
        with db.session() as s:
            outcome = login.authenticate(
                s, "w@example.com", "bad-password-x", ip="9.9.9.9", now=t0 + timedelta(seconds=i)
            )
            assert outcome.reason == "invalid"
    with db.session() as s, pytest.raises(TooManyRequests) as info:
        login.authenticate(s, "W@example.com", PASSWORD, ip="9.9.9.9", now=t0 + timedelta(seconds=10))
    assert info.value.headers["Retry-After"] == "51"
    with db.session() as s:  # another IP is not limited
        assert login.authenticate(s, "w@example.com", PASSWORD, ip="8.8.8.8", now=t0).reason == "ok"
    with db.session() as s:  # after the window, the right password works and clears the counter
        assert login.authenticate(s, "w@example.com", PASSWORD, ip="9.9.9.9", now=t0 + timedelta(seconds=61)).user
    with db.read_session() as s:
        left = s.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.ip_address == "9.9.9.9"))
        assert left == 0


def test_last_admin_cannot_be_removed_or_disabled(db, make_user) -> None:  # type: ignore[no-untyped-def]
    boss_id = make_user("boss@example.com", admin=True).id
    second_id = make_user("second@example.com", admin=True).id
    with db.session() as s:
        ctx = admin_users.AdminContext(s.get(User, boss_id))
        admin_users.admin_set_active(s, ctx, s.get(User, second_id), False)  # fine: boss remains
    with db.session() as s:
        ctx = admin_users.AdminContext(s.get(User, second_id))
        with pytest.raises(Conflict):  # boss is the last *active* admin
            admin_users.admin_set_admin(s, ctx, s.get(User, boss_id), False)
    with db.session() as s:
        ctx = admin_users.AdminContext(s.get(User, boss_id))
        with pytest.raises(Conflict):
            admin_users.admin_set_active(s, ctx, s.get(User, boss_id), False)
        admin_users.admin_set_active(s, ctx, s.get(User, second_id), True)
    with db.session() as s:
        ctx = admin_users.AdminContext(s.get(User, second_id))
        admin_users.admin_set_admin(s, ctx, s.get(User, boss_id), False)  # two active admins: allowed
    with db.read_session() as s:
        assert s.get(User, boss_id).is_admin is False  # type: ignore[union-attr]


def test_purge_and_cli(db, db_url, make_user, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    t0 = utcnow() - timedelta(days=30)
    with db.session() as s:
        old = sessions.create_session(s, s.merge(user), ip="1.2.3.4", now=t0)
        live = sessions.create_session(s, s.merge(user), ip="1.2.3.4")
        s.add(LoginAttempt(email="x@example.com", ip_address="1.1.1.1", attempted_at=t0))
    monkeypatch.setenv("REELFORGE_DATABASE_URL", db_url)
    monkeypatch.setenv("REELFORGE_DATA_DIR", str(tmp_path / "cli-data"))
    from reelforge.cli import app
    from reelforge.config import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["sessions", "purge"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "purged 1 expired session" in result.output
    with db.read_session() as s:
        assert [x.id for x in s.scalars(select(Session))] == [live.session.id]
        hist = s.get(UserSession, old.session.history_id)
        assert hist is not None and not hist.is_active and hist.logout_at is not None
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 0
    # the login-time purge runs at most once per interval per process
    with db.session() as s:
        service._last_purge.clear()
        assert service.maybe_purge(s, every_minutes=15) == 0
        assert service.maybe_purge(s, every_minutes=15) is None


def test_purge_timer(db, make_user) -> None:  # type: ignore[no-untyped-def]
    import time

    from reelforge.accounts.maintenance import PurgeTimer

    user = make_user()
    with db.session() as s:
        sessions.create_session(s, s.merge(user), now=utcnow() - timedelta(days=30))
    timer = PurgeTimer(db, interval_seconds=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with db.read_session() as s:
                if s.scalar(select(func.count()).select_from(Session)) == 0:
                    break
            time.sleep(0.05)
    finally:
        timer.stop()
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Session)) == 0
        assert s.scalar(select(func.count()).select_from(UserSession).where(UserSession.is_active.is_(True))) == 0


def test_doctor_accounts_check(db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    from reelforge.accounts.checks import check_accounts

    make_user("plain@example.com")
    by_name = {f.check: f for f in check_accounts(settings, db)}
    assert by_name["admins"].ok is False and "admin create" in by_name["admins"].detail
    assert by_name["mail"].ok and "outbox" in by_name["mail"].detail
    make_user("root@example.com", admin=True)
    bad_mail = settings.model_copy(update={"smtp_url": "ftp://nope"})
    by_name = {f.check: f for f in check_accounts(bad_mail, db)}
    assert by_name["admins"].ok and by_name["mail"].ok is False


def test_concurrent_demotions_keep_one_admin(db, make_user) -> None:  # type: ignore[no-untyped-def]
    """Two admins removing each other at the same moment: one wins, one gets 409; an admin remains."""
    import threading

    a_id = make_user("a@example.com", admin=True).id
    b_id = make_user("b@example.com", admin=True).id
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def demote(actor_id: str, target_id: str) -> None:
        barrier.wait(timeout=10)
        try:
            with db.session() as s:
                target = s.get(User, target_id)
                admin_users.admin_set_admin(s, admin_users.AdminContext(s.get(User, actor_id)), target, False)
            results[actor_id] = "ok"
        except Conflict:
            results[actor_id] = "conflict"

    threads = [threading.Thread(target=demote, args=pair) for pair in ((a_id, b_id), (b_id, a_id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()) == ["conflict", "ok"]
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.is_admin.is_(True))) == 1
