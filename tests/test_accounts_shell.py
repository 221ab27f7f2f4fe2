"""The studio shell: translations (ko first-class), catalogue loading, web font, layout contract."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from fastapi import APIRouter, Request
from fontTools.ttLib import TTFont
from starlette.requests import Request as StarletteRequest

from reelforge import i18n
from reelforge.i18n.compile import compile_catalogs
from reelforge.web.auth import PageAdmin, PageUser
from reelforge.web.templating import render
from tests.accounts_i18n_tools import extract

SAME_IN_KOREAN = {"API", "YouTube"}  # brand names may stay as they are (another domain may define them)


def test_every_shell_and_accounts_string_has_a_korean_translation() -> None:
    ko = i18n.get_translations("ko")
    singular = [m for m in extract() if "%(num)d" not in m]  # plural forms: see the ngettext test below
    missing = [m for m in singular if ko.gettext(m) == m and m not in SAME_IN_KOREAN]
    assert missing == []


def test_placeholders_survive_translation() -> None:
    import re

    ko = i18n.get_translations("ko")
    for msgid in extract():
        assert set(re.findall(r"%\(\w+\)s|%\(\w+\)d", ko.gettext(msgid))) == set(
            re.findall(r"%\(\w+\)s|%\(\w+\)d", msgid)
        ), msgid
    assert i18n.ngettext(
        "ko", "%(num)d other session was logged out.", "%(num)d other sessions were logged out.", 3
    ) == ("다른 세션 3개가 로그아웃되었습니다.")
    assert i18n.ngettext(
        "en", "%(num)d other session was logged out.", "%(num)d other sessions were logged out.", 1
    ) == ("1 other session was logged out.")


def test_po_files_load_with_and_without_compiled_mo(tmp_path: Path) -> None:
    folder = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES_DIR, folder, ignore=shutil.ignore_patterns("*.mo"))
    # a second domain in the same language is merged with ours
    other = folder / "ko" / "LC_MESSAGES" / "zz_test.po"
    other.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\nmsgid "Render"\nmsgstr "렌더"\n'
    )
    from_po = i18n.get_translations("ko", folder)
    assert from_po.gettext("Render") == "렌더" and from_po.gettext("Log in") == "로그인"
    assert compile_catalogs(folder) >= 5
    assert sorted(p.name for p in (folder / "ko" / "LC_MESSAGES").glob("*.mo"))
    from_mo = i18n.get_translations("ko", folder)
    assert from_mo is not from_po  # reloaded because the files changed
    assert from_mo.gettext("Render") == "렌더" and from_mo.gettext("Log in") == "로그인"
    assert i18n.get_translations("xx", folder).gettext("Log in") == "로그인"  # unknown language: Korean


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", None),
        ("en-US,en;q=0.9", "en"),
        ("ko-KR", "ko"),
        ("de, en;q=0.3, ko;q=0.8", "ko"),
        ("fr;q=1, *;q=0.1", None),
        ("en;q=0, ko;q=0.1", "ko"),
        ("en;q=garbage", None),
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert i18n.parse_accept_language(header) == expected


@pytest.mark.slow
def test_web_font_is_a_korean_woff2(client) -> None:  # type: ignore[no-untyped-def]
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "/static/fonts/noto-sans-kr-v1.woff2" in css.text
    r = client.get("/static/fonts/noto-sans-kr-v1.woff2")
    assert r.status_code == 200 and r.headers["content-type"] == "font/woff2"
    assert "immutable" in r.headers["cache-control"]
    font = TTFont(io.BytesIO(r.content))
    assert font.flavor == "woff2"
    cmap = font.getBestCmap()
    for ch in "한글가나다힣ㄱㅎAz0@₩":
        assert ord(ch) in cmap, ch
    assert font["name"].getDebugName(1) == "Noto Sans CJK KR"
    assert len(r.content) < 2_500_000


def test_shell_layout_contract(app, client, make_user, cookie_client) -> None:  # type: ignore[no-untyped-def]
    router = APIRouter()

    @router.get("/_shelltest")
    def user_page(request: Request, user: PageUser):  # type: ignore[no-untyped-def]
        return render(request, "home.html", {"now": user.created_at}, status_code=203)

    @router.get("/_shelltest/admin")
    def admin_page(request: Request, user: PageAdmin):  # type: ignore[no-untyped-def]
        return render(request, "home.html", {"now": user.created_at})

    app.include_router(router)
    r = client.get("/_shelltest", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2F_shelltest"
    user = make_user("shell@example.com", name="셸 사용자")
    from sqlalchemy import update

    from reelforge.accounts.models import User

    with app.state.db.session() as s:
        s.execute(update(User).where(User.id == user.id).values(credits=1234567))
    c = cookie_client(user)
    page = c.get("/_shelltest")
    assert page.status_code == 203 and page.headers["cache-control"] == "no-store"
    for href in ("/scripts", "/jobs", "/credits", "/youtube"):
        assert f'href="{href}"' in page.text
    assert 'href="/admin"' not in page.text
    assert "1,234,567" in page.text and "셸 사용자" in page.text
    assert f'name="csrf_token" value="{c.csrf}"' in page.text
    assert c.get("/_shelltest/admin").status_code == 403
    boss = cookie_client(make_user("shell-admin@example.com", admin=True))
    assert 'href="/admin"' in boss.get("/_shelltest").text
    assert boss.get("/_shelltest/admin").status_code == 200
    missing = c.get("/no-such-page")
    assert missing.status_code == 404 and "셸 사용자" in missing.text  # error pages keep the shell
    api_missing = c.get("/api/v1/no-such")
    assert api_missing.headers["content-type"] == "application/problem+json"


def test_flash_cookie_is_signed(app) -> None:  # type: ignore[no-untyped-def]
    from reelforge.web import templating

    scope = {"type": "http", "headers": [], "app": app, "method": "GET", "path": "/", "query_string": b""}
    request = StarletteRequest(scope)
    good = templating._encode_flashes(request, [{"c": "success", "m": "저장했습니다"}])
    forged = good.rsplit(".", 1)[0] + ".0000"

    def decoded(cookie: str) -> list[dict[str, str]]:
        scope2 = dict(scope, headers=[(b"cookie", f"rf_flash={cookie}".encode())])
        return templating._decode_flashes(StarletteRequest(scope2))

    assert decoded(good) == [{"c": "success", "m": "저장했습니다"}]
    assert decoded(forged) == []
    assert templating.safe_next("https://evil.example") == "/"
    assert templating.safe_next("/\\evil") == "/"
    assert templating.safe_next("/scripts?x=1") == "/scripts?x=1"


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
            "Chrome 140 · Linux",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Mobile/15E148 Safari/604.1",
            "Safari 17 · iOS",
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128 · Windows"),
        ("curl/8.5.0", "curl/8.5.0"),
        ("", "—"),
    ],
)
def test_describe_user_agent(ua: str, expected: str) -> None:
    from reelforge.web.templating import describe_user_agent

    assert describe_user_agent(ua) == expected


def test_format_details() -> None:
    from reelforge.web.templating import format_details

    assert format_details('{"fields": ["name", "phone"], "n": 1}') == "fields: name, phone · n: 1"
    assert format_details("account disabled") == "account disabled"
    assert format_details("") == "—"


def test_jinja_trans_blocks_work_with_the_context_gettext(app) -> None:  # type: ignore[no-untyped-def]
    """Other domains may write {% trans %} blocks; they must translate and escape their variables."""
    from reelforge.web import templating

    scope = {"type": "http", "headers": [(b"accept-language", b"ko")], "app": app, "method": "GET", "path": "/"}
    request = StarletteRequest(dict(scope, query_string=b""))
    request.state.principal = None
    ctx = templating.base_context(request)
    template = templating.env.from_string(
        "{% trans %}Log in{% endtrans %}|{% trans name=who %}Welcome back, {{ name }}!{% endtrans %}|"
        "{% trans count=n %}{{ count }} file{% pluralize %}{{ count }} files{% endtrans %}"
    )
    out = template.render(ctx, who="<b>민</b>", n=3)
    assert out == "로그인|&lt;b&gt;민&lt;/b&gt;님, 다시 오신 것을 환영합니다!|3 files"
