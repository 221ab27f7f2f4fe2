"""Account flows: mail leaves only once the work it describes is committed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reelforge.accounts import flows
from reelforge.accounts.models import User
from reelforge.accounts.signup import SignUp
from tests.accounts_helpers import PASSWORD, last_mail, link_in, outbox


class Boom(Exception):
    pass


def _signup(email: str) -> SignUp:
    return SignUp(email, PASSWORD, "Kim", "010-1234-5678", "Seoul", locale="en")


def test_sign_up_mails_after_commit_only(db, settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Boom), db.session() as s:
        flows.sign_up(s, settings, _signup("gone@example.com"), lang="ko", ip="1.2.3.4", user_agent="t")
        raise Boom  # the request fails after the flow: the account and its mail both vanish
    assert outbox(settings) == []
    with db.read_session() as s:
        assert s.scalar(select(User).where(User.email == "gone@example.com")) is None

    with db.session() as s:
        flows.sign_up(s, settings, _signup("kept@example.com"), lang="ko", ip="1.2.3.4", user_agent="t")
        assert outbox(settings) == []  # not before the commit
    msg = last_mail(settings, "kept@example.com")
    assert "/verify?token=" in link_in(msg)
    assert "Verify your e-mail address" in str(msg["Subject"])  # the user's locale, not the visitor's


def test_password_reset_request_mails_after_commit_only(db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("reset@example.com")
    with pytest.raises(Boom), db.session() as s:
        flows.request_password_reset(s, settings, "reset@example.com", lang="en", ip="1.2.3.4")
        raise Boom
    assert outbox(settings) == []

    with db.session() as s:
        flows.request_password_reset(s, settings, "nobody@example.com", lang="en", ip="1.2.3.4")
        flows.request_password_reset(s, settings, "reset@example.com", lang="en", ip="1.2.3.4")
    assert len(outbox(settings)) == 1  # no mail (and no hint) for an unknown address
    assert "/reset?token=" in link_in(last_mail(settings, "reset@example.com"))
