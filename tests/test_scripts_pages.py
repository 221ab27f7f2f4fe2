"""The scripts pages over HTTP (cookie session, CSRF forms), in Korean by default."""

from __future__ import annotations

import re

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import runner
from tests.factories import balance, grant_credits, reload_user
from tests.scripts_helpers import script_row

TOPIC = "고양이가 상자를 좋아하는 이유"


def test_new_script_live_view_and_editor(cookie_client, make_user, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    grant_credits(db, user.id, 500)
    c = cookie_client(reload_user(db, user.id))
    page = c.get("/scripts/new")
    assert page.status_code == 200
    assert "새 대본" in page.text and "오프라인" in page.text  # Korean UI, offline writer notice
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": c.csrf, "form_token": token, "topic": TOPIC, "type": "shortform", "language": "ko",
            "tone": "friendly", "length": "standard"}  # fmt: skip
    r = c.post("/scripts", data=form, follow_redirects=False)
    assert r.status_code == 303
    url = r.headers["location"]
    sid = url.rsplit("/", 1)[1]
    again = c.post("/scripts", data=form, follow_redirects=False)  # a double submit opens the same script
    assert again.headers["location"] == url and balance(db, user.id) == 400

    live = c.get(url)
    assert live.status_code == 200 and "data-script-live" in live.text and "대본을 쓰는 중" in live.text
    assert runner.run(db, settings, "script", sid).status == "completed"

    editor = c.get(url)
    assert editor.status_code == 200 and "data-script-editor" in editor.text
    assert editor.text.count("data-scene>") == 6 + 1  # six cards and the template for a new one
    assert "오프라인 초안" in editor.text and "예상 내레이션" in editor.text
    assert f'href="/renders/new?script_id={sid}"' in editor.text and "영상 만들기" in editor.text
    make = c.get(f"/renders/new?script_id={sid}")
    assert make.status_code == 200 and f'value="{sid}"' in make.text  # the render form is bound to this script

    doc = script_row(db, sid).content
    scenes = doc["scenes"][::-1]
    save = {
        "csrf_token": c.csrf,
        "title": "고친 제목",
        "description": "설명",
        "tags": "고양이, 상자,  ",
        "narration": [s["narration"] for s in scenes] + ["새 장면의 내레이션."],
        "image_prompt": [s["image_prompt"] for s in scenes] + ["a new picture"],
        "caption": [s["caption"] or "" for s in scenes] + [""],
        "clip_seconds": [""] * 7,
    }
    r = c.post(f"/scripts/{sid}/save", data=save, follow_redirects=False)
    assert r.status_code == 303, r.text
    stored = script_row(db, sid).content
    assert stored["title"] == "고친 제목" and stored["tags"] == ["고양이", "상자"]
    assert [s["narration"] for s in stored["scenes"]] == save["narration"]
    assert stored["scenes"][-1]["caption"] is None

    too_few = {**save, "narration": save["narration"][:3], "image_prompt": save["image_prompt"][:3],
               "caption": save["caption"][:3], "clip_seconds": [""] * 3}  # fmt: skip
    r = c.post(f"/scripts/{sid}/save", data=too_few)
    assert r.status_code == 422 and "5 to 8 scenes" in r.text
    assert len(script_row(db, sid).content["scenes"]) == 7

    no_csrf = c.post(f"/scripts/{sid}/save", data={k: v for k, v in save.items() if k != "csrf_token"})
    assert no_csrf.status_code == 403

    listing = c.get("/scripts", params={"q": "고친"})
    assert listing.status_code == 200 and f"/scripts/{sid}" in listing.text
    assert f"/scripts/{sid}" not in c.get("/scripts", params={"q": "없는 제목"}).text

    dup = c.post(f"/scripts/{sid}/duplicate", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert dup.status_code == 303 and dup.headers["location"] != url
    gone = c.post(f"/scripts/{sid}/delete", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert gone.status_code == 303 and c.get(url).status_code == 404


def test_form_errors_are_shown_not_500(cookie_client, make_user, db: Database) -> None:  # type: ignore[no-untyped-def]
    c = cookie_client(make_user())  # no credits
    base = {"csrf_token": c.csrf, "type": "shortform", "language": "ko", "tone": "friendly", "length": "standard"}
    r = c.post("/scripts", data={**base, "topic": "가" * 201})
    assert r.status_code == 422 and "201" in r.text
    r = c.post("/scripts", data={**base, "topic": TOPIC})
    assert r.status_code == 402 and "/credits" in r.text
    r = c.post("/scripts", data={**base, "topic": TOPIC, "type": "movie"})
    assert r.status_code == 422


def test_other_users_scripts_are_404_and_login_is_required(
    client, cookie_client, make_user, db: Database, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    owner = make_user()
    grant_credits(db, owner.id, 500)
    c = cookie_client(reload_user(db, owner.id))
    token = re.search(r'name="form_token" value="([^"]+)"', c.get("/scripts/new").text).group(1)  # type: ignore[union-attr]
    sid = (
        c.post("/scripts", data={"csrf_token": c.csrf, "form_token": token, "topic": TOPIC}, follow_redirects=False)
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    other = cookie_client(make_user())
    assert other.get(f"/scripts/{sid}").status_code == 404
    assert other.post(f"/scripts/{sid}/delete", data={"csrf_token": other.csrf}).status_code == 404
    anon = client.get("/scripts", follow_redirects=False)
    assert anon.status_code in (302, 303) and "/login" in anon.headers["location"]


def test_admin_prompt_editor(cookie_client, make_user) -> None:  # type: ignore[no-untyped-def]
    admin = cookie_client(make_user(admin=True))
    listing = admin.get("/admin/prompts")
    assert listing.status_code == 200 and "shortform-default-ko" in listing.text
    page = admin.get("/admin/prompts/shortform-default-ko")
    assert page.status_code == 200 and "고양이가 상자를 좋아하는 이유" in page.text  # the preview's sample topic
    texts = {
        "system_prompt": re.search(r'id="f-system_prompt"[^>]*>([^<]*)</textarea>', page.text, re.S).group(1),  # type: ignore[union-attr]
    }
    bad = admin.post(
        "/admin/prompts/shortform-default-ko",
        data={
            "csrf_token": admin.csrf,
            "system_prompt": "x {nope}",
            "scene_template": "{topic}",
            "image_template": "{visual}",
        },
    )
    assert bad.status_code == 422 and "{nope}" in bad.text
    ok = admin.post(
        "/admin/prompts/shortform-default-ko",
        data={
            "csrf_token": admin.csrf,
            "system_prompt": "새 시스템 프롬프트",
            "scene_template": "{topic} 대본",
            "image_template": "{visual}, 수채화",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "v2" in admin.get("/admin/prompts/shortform-default-ko").text
    back = admin.post(
        "/admin/prompts/shortform-default-ko/revert",
        data={"csrf_token": admin.csrf, "version": "1"},
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert "v3" in admin.get("/admin/prompts/shortform-default-ko").text
    assert texts["system_prompt"]
    user = cookie_client(make_user())
    assert user.get("/admin/prompts").status_code == 403
