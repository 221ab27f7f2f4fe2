"""A creator in a real browser: writes a Korean topic, watches the script appear, edits scenes, saves."""

from __future__ import annotations

import os

import pytest

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.scripts.schema import estimate_narration_seconds
from tests.factories import grant_credits, reload_user
from tests.scripts_helpers import script_row

pytestmark = pytest.mark.slow  # Chromium

BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = os.environ.get("REELFORGE_TEST_SCREENSHOTS", "")


def test_write_watch_edit_save(db: Database, settings: Settings, make_user, app) -> None:  # type: ignore[no-untyped-def]
    pw = pytest.importorskip("playwright.sync_api")
    if not os.path.exists("/usr/bin/chromium"):
        from tests.conftest import need_service

        need_service("Chromium is not installed at /usr/bin/chromium")
    from reelforge.accounts.sessions import create_session
    from reelforge.jobs.pool import WorkerPool
    from tests.conftest import LiveServer, free_port

    user = make_user()
    grant_credits(db, user.id, 500)
    with db.session() as s:
        new = create_session(s, s.merge(reload_user(db, user.id)), ip="127.0.0.1", user_agent="playwright")
    pool = WorkerPool(db, settings, size=1, mode="local").start()
    server = LiveServer(app, free_port()).start()
    try:
        with pw.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
            ctx.add_cookies([{"name": "rf_session", "value": new.token, "url": server.url}])
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.url + "/scripts/new")
            page.fill("#f-topic", "고양이가 상자를 좋아하는 이유")
            assert page.locator("[data-count-for]").inner_text() == "16/200"
            if SHOTS:
                page.screenshot(path=f"{SHOTS}/scripts-new.png", full_page=True)
            page.click("button[type=submit].btn-large")
            page.wait_for_url("**/scripts/*")
            sid = page.url.rsplit("/", 1)[1]
            # the live view reloads into the editor when the job ends
            page.wait_for_selector("[data-script-editor]", timeout=30000)
            assert page.locator("[data-scene]").count() == 6
            assert "오프라인 초안" in page.content()
            if SHOTS:
                page.screenshot(path=f"{SHOTS}/scripts-editor.png", full_page=True)
            first = page.locator("[data-scenes] [data-scene]").nth(0).element_handle()
            second_text = page.locator("[data-scenes] [data-narration]").nth(1).input_value()
            # move scene 2 up, remove the last scene, add one, edit a narration
            page.locator("[data-scenes] [data-scene]").nth(1).locator("[data-move='-1']").click()
            assert page.locator("[data-scenes] [data-narration]").nth(0).input_value() == second_text
            page.locator("[data-scenes] [data-scene]").nth(5).locator("[data-remove]").click()
            page.click("[data-add-scene]")
            assert page.locator("[data-scenes] [data-scene]").count() == 6
            new_card = page.locator("[data-scenes] [data-scene]").nth(5)
            new_card.locator("[data-narration]").fill("상자 안의 고양이는 세상에서 가장 편안해 보입니다.")
            new_card.locator("textarea[name=image_prompt]").fill("a cat asleep in a box")
            assert new_card.locator("[data-scene-num]").inner_text() == "6"
            # the page's estimate matches the server's (reelforge.scripts.schema.estimate_narration_seconds)
            expected = estimate_narration_seconds("상자 안의 고양이는 세상에서 가장 편안해 보입니다.", "ko")
            assert new_card.locator("[data-scene-secs]").inner_text() == f"~{expected:.1f}초"
            assert first.query_selector("[data-scene-num]").inner_text() == "2"  # type: ignore[union-attr]
            page.fill("#f-title", "상자를 사랑하는 고양이")
            page.click("aside button[type=submit]")
            page.wait_for_selector(".flash-success")
            assert errors == []
            browser.close()
    finally:
        server.stop()
        pool.stop()
    stored = script_row(db, sid).content
    assert stored["title"] == "상자를 사랑하는 고양이"
    assert stored["scenes"][0]["narration"] == second_text
    assert stored["scenes"][5]["narration"] == "상자 안의 고양이는 세상에서 가장 편안해 보입니다."
    assert len(stored["scenes"]) == 6


def test_admin_prompt_preview_updates_live(db: Database, settings: Settings, make_user, app) -> None:  # type: ignore[no-untyped-def]
    pw = pytest.importorskip("playwright.sync_api")
    if not os.path.exists("/usr/bin/chromium"):
        from tests.conftest import need_service

        need_service("Chromium is not installed at /usr/bin/chromium")
    from reelforge.accounts.sessions import create_session
    from tests.conftest import LiveServer, free_port

    admin = make_user(admin=True)
    with db.session() as s:
        new = create_session(s, s.merge(admin), ip="127.0.0.1", user_agent="playwright")
    server = LiveServer(app, free_port()).start()
    try:
        with pw.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
            ctx.add_cookies([{"name": "rf_session", "value": new.token, "url": server.url}])
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.url + "/admin/prompts/shortform-default-ko")
            assert "고양이가 상자를 좋아하는 이유" in page.locator("[data-preview-user]").inner_text()
            page.fill("#f-scene_template", "주제: {topic} / 장면 {scene_count}개")
            user_msg = page.locator("[data-preview-user]")
            pw.expect(user_msg).to_have_text("주제: 고양이가 상자를 좋아하는 이유 / 장면 6개", timeout=10000)
            page.fill("[data-preview-topic]", "블랙홀")
            pw.expect(user_msg).to_have_text("주제: 블랙홀 / 장면 6개", timeout=10000)
            page.fill("#f-scene_template", "주제: {topic} {oops}")
            page.wait_for_selector("[data-preview-error]:not([hidden])")
            assert "{oops}" in page.locator("[data-preview-error]").inner_text()
            if SHOTS:
                page.screenshot(path=f"{SHOTS}/prompt-editor.png", full_page=True)
            page.fill("#f-scene_template", "{topic}에 대한 쇼츠 대본")
            page.click("button[type=submit].btn-primary")
            page.wait_for_selector(".flash-success")
            assert "v2" in page.content()
            assert errors == []
            browser.close()
    finally:
        server.stop()
