"""Browser journeys of issue 3 in real Chromium against the real server (screenshots in test-artifacts/)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from reelforge.accounts.models import Session, User, UserActivityLog
from tests.accounts_helpers import PASSWORD, last_mail, link_in, path_of
from tests.browser_helpers import Shots, chromium  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium


def _hangul_renders(page: Any) -> bool:
    """True when the Korean web font is loaded (Hangul would otherwise be empty boxes here)."""
    return bool(
        page.evaluate(
            "async () => { await document.fonts.ready; return document.fonts.check('16px \"Noto Sans KR\"', '한글'); }"
        )
    )


def test_creator_journey(chromium, live_server, settings, db, db_url) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    shots = Shots(f"accounts-creator-{'pg' if db_url.startswith('postgresql') else 'sqlite'}")
    context = chromium.new_context(locale="ko-KR", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15000)
    base = live_server.url

    page.goto(f"{base}/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert _hangul_renders(page)
    shots.take(page, "landing-ko")

    page.click("text=회원가입")
    page.wait_for_url(f"{base}/signup")
    page.fill("#f-email", "journey@example.com")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-password_confirm", "different-pass-1")
    page.fill("#f-name", "김여정")
    page.fill("#f-phone", "010-5555-1234")
    page.fill("#f-address", "서울특별시 마포구 월드컵북로 1")
    page.check("input[name=agree]")
    page.click("button[type=submit]")
    assert page.locator(".field-error").inner_text() == "두 비밀번호가 서로 다릅니다."
    assert page.input_value("#f-name") == "김여정"  # the form kept its values
    shots.take(page, "signup-error")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-password_confirm", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=이메일을 확인하세요")
    shots.take(page, "check-email")

    link = link_in(last_mail(settings, "journey@example.com"))
    page.goto(base + path_of(link))
    page.wait_for_selector("text=이메일 인증 완료")
    shots.take(page, "verified")

    page.click("main a.btn-primary")  # log in
    page.wait_for_url(re.compile(r".*/login.*"))
    page.fill("#f-email", "journey@example.com")
    page.fill("#f-password", PASSWORD)
    shots.take(page, "login")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert "김여정님, 다시 오신 것을 환영합니다" in page.inner_text("main")
    assert page.locator(".balance-value").inner_text() == "0"
    shots.take(page, "home")

    page.click(".user-menu summary")
    page.click("text=프로필")
    page.wait_for_url(f"{base}/profile")
    page.fill("#f-name", "김여정 PD")
    page.fill("#f-kakao_id", "yeojung.pd")
    page.select_option("#f-locale", "en")
    page.click("form[action='/profile'] button[type=submit]")
    page.wait_for_selector("text=Your profile was saved.")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.input_value("#f-kakao_id") == "yeojung.pd"
    shots.take(page, "profile-saved-en")

    page.goto(f"{base}/profile/sessions")
    assert page.locator("text=This browser").count() == 1
    shots.take(page, "sessions")

    response = page.goto(f"{base}/admin")  # not an admin: the shell's 403 page
    assert response is not None and response.status == 403
    assert page.locator(".error-code").inner_text() == "403"
    shots.take(page, "forbidden")

    page.click(".user-menu summary")
    page.click(".menu-logout")
    page.wait_for_url(re.compile(r".*/login$"))
    assert page.locator(".flash-info").inner_text().startswith("You are logged out.")
    shots.take(page, "logged-out")

    # mobile width: the navigation collapses behind the menu button
    mobile = chromium.new_context(locale="ko-KR", viewport={"width": 390, "height": 844}, device_scale_factor=2)
    phone = mobile.new_page()
    phone.goto(f"{base}/login")
    phone.fill("#f-email", "journey@example.com")
    phone.fill("#f-password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{base}/")
    assert not phone.locator("#main-nav").is_visible()
    phone.click("[data-nav-toggle]")
    assert phone.locator("#main-nav").is_visible()
    shots.take(phone, "mobile-home-menu")
    mobile.close()
    context.close()

    with db.read_session() as s:
        user = s.scalar(select(User).where(User.email == "journey@example.com"))
        assert user is not None and user.email_verified and user.name == "김여정 PD" and user.locale == "en"
        actions = list(
            s.scalars(
                select(UserActivityLog.action).where(UserActivityLog.user_id == user.id).order_by(UserActivityLog.id)
            )
        )
    assert actions[:6] == ["signup", "email_verified", "login", "profile_updated", "logout", "login"]


def test_admin_journey(chromium, live_server, db, db_url, make_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    shots = Shots(f"accounts-admin-{'pg' if db_url.startswith('postgresql') else 'sqlite'}")
    make_user("admin@example.com", admin=True, name="관리자")
    for i in range(3):
        make_user(f"filler{i}@example.com", name=f"회원 {i}", verified=bool(i % 2))
    member = make_user("member@example.com", name="박서준")
    base = live_server.url

    # the member is logged in somewhere
    member_ctx = chromium.new_context(locale="ko-KR")
    member_page = member_ctx.new_page()
    member_page.goto(f"{base}/login")
    member_page.fill("#f-email", "member@example.com")
    member_page.fill("#f-password", PASSWORD)
    member_page.click("button[type=submit]")
    member_page.wait_for_url(f"{base}/")

    context = chromium.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base}/admin/users")  # anonymous: sent to log in, then back here
    page.wait_for_url(re.compile(r".*/login\?next=%2Fadmin%2Fusers$"))
    page.fill("#f-email", "admin@example.com")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/users")
    shots.take(page, "users")
    page.goto(f"{base}/admin")
    assert page.locator("a.tile[href='/admin/users']").count() == 1
    shots.take(page, "admin-home")
    page.goto(f"{base}/admin/users")

    page.fill("#q", "박서준")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r".*q=.*"))
    assert page.locator("[data-user-link]").count() == 1
    shots.take(page, "search")
    page.click("[data-user-link='member@example.com']")
    page.wait_for_url(re.compile(rf".*/admin/users/{member.id}$"))
    page.fill("#f-memo", "VIP 크리에이터 — 세금계산서 발행 필요")
    page.click("form[action$='/memo'] button[type=submit]")
    page.wait_for_selector("text=메모를 저장했습니다.")
    assert page.input_value("#f-memo") == "VIP 크리에이터 — 세금계산서 발행 필요"
    shots.take(page, "memo-saved")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-force-logout]")
    page.wait_for_selector("text=이 회원의 모든 세션을 종료했습니다.")
    assert page.locator("text=활성 세션이 없습니다.").count() == 1
    shots.take(page, "force-logout")

    member_page.goto(f"{base}/profile")
    member_page.wait_for_url(re.compile(r".*/login\?next=%2Fprofile$"))  # the member was logged out
    shots.take(member_page, "member-logged-out")
    member_ctx.close()
    context.close()

    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Session).where(Session.user_id == member.id)) == 0
        logged = set(s.scalars(select(UserActivityLog.action).where(UserActivityLog.user_id == member.id)))
    assert {"admin.memo", "admin.force_logout"} <= logged
