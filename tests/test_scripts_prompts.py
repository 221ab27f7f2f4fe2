"""Prompt templates: defaults, validated edits, preview, versions and revert, and their use by the job."""

from __future__ import annotations

from typing import Any

import pytest

from reelforge.config import Settings
from reelforge.db.engine import Database
from reelforge.jobs import runner
from reelforge.scripts import prompts, service
from reelforge.scripts.models import PromptVersion
from tests.factories import grant_credits, reload_user
from tests.scripts_helpers import script_row
from tests.stubs.openai_stub import OpenAIStub
from tests.test_scripts_llm import draft

BASE = "/api/v1/admin/prompts"


@pytest.fixture
def admin(make_user):  # type: ignore[no-untyped-def]
    return make_user(admin=True)


def test_defaults_exist_for_every_type_and_language(api_client, admin) -> None:  # type: ignore[no-untyped-def]
    rows = api_client(admin).get(BASE).json()
    assert sorted(r["id"] for r in rows) == sorted(
        f"{t}-default-{lang}" for t in prompts.TYPES for lang in ("ko", "en")
    )
    assert all(r["version"] == 1 for r in rows)
    ko = next(r for r in rows if r["id"] == "shortform-default-ko")
    assert "{topic}" in ko["scene_template"] and "{visual}" in ko["image_template"]
    assert "쇼츠" in ko["scene_template"]


def test_non_admins_cannot_see_or_edit_templates(api_client, make_user) -> None:  # type: ignore[no-untyped-def]
    c = api_client(make_user())
    assert c.get(BASE).status_code == 403
    assert c.put(f"{BASE}/shortform-default-ko", json={"name": "x"}).status_code == 403


BAD_TEMPLATES: list[tuple[dict[str, str], str, str]] = [
    ({"scene_template": "Write about {topic} for {audience}"}, "scene_template", "{audience}"),
    ({"scene_template": "Write about {topic"}, "scene_template", "expected '}'"),
    ({"system_prompt": "x {topic.__class__}"}, "system_prompt", "not a plain name"),
    ({"system_prompt": "x {0}"}, "system_prompt", "needs a name"),
    ({"system_prompt": "x {topic!r}"}, "system_prompt", "format spec or conversion"),
    ({"image_template": "{topic}, cinematic"}, "image_template", "must contain {visual}"),
    ({"image_template": "{visual} {scene_count}"}, "image_template", "{scene_count}"),
    ({"system_prompt": "no topic here", "scene_template": "nor here"}, "scene_template", "must contain {topic}"),
    ({"system_prompt": "   "}, "system_prompt", "empty"),
    ({"system_prompt": "{topic}" + "x" * 9000}, "system_prompt", "too_long"),
]


def test_templates_that_do_not_render_are_refused_with_the_reason(api_client, admin) -> None:  # type: ignore[no-untyped-def]
    c = api_client(admin)
    for body, field, reason in BAD_TEMPLATES:
        r = c.put(f"{BASE}/shortform-default-ko", json=body)
        assert r.status_code == 422, r.text
        problem = r.json()
        assert problem["field"] == field, (body, problem)
        assert reason in problem["reason"], (body, problem)
        # the preview refuses the same way
        assert c.post(f"{BASE}/shortform-default-ko/preview", json=body).status_code == 422
    assert c.get(f"{BASE}/shortform-default-ko").json()["version"] == 1  # nothing was saved


def test_edit_preview_versions_and_revert(api_client, admin, db: Database) -> None:  # type: ignore[no-untyped-def]
    c = api_client(admin)
    original = c.get(f"{BASE}/longform-default-en").json()
    preview = c.post(
        f"{BASE}/longform-default-en/preview",
        json={"scene_template": "A {type} video on {topic} in {scene_count} scenes ({{json}})", "topic": "Volcanoes"},
    ).json()
    assert preview["topic"] == "Volcanoes"
    assert preview["user"] == "A longform video on Volcanoes in 10 scenes ({json})"
    assert "Write exactly 10 scenes." in preview["system"]
    assert preview["image_prompt"].startswith("a curious cat peeking out of a cardboard box, cinematic lighting")
    assert c.post(f"{BASE}/longform-default-en/preview", json={}).json()["topic"] == "Why do cats love boxes"
    assert c.get(f"{BASE}/longform-default-en").json()["version"] == 1  # a preview saves nothing

    saved = c.put(f"{BASE}/longform-default-en", json={"scene_template": "Explain {topic} in {scene_count} scenes."})
    assert saved.status_code == 200 and saved.json()["version"] == 2
    assert saved.json()["updated_by"] == admin.id
    again = c.put(f"{BASE}/longform-default-en", json={"scene_template": "Explain {topic} in {scene_count} scenes."})
    assert again.json()["version"] == 2  # no change, no new version
    versions = c.get(f"{BASE}/longform-default-en/versions").json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["created_by"] == admin.id and versions[1]["scene_template"] == original["scene_template"]

    reverted = c.post(f"{BASE}/longform-default-en/revert", json={"version": 1}).json()
    assert reverted["version"] == 3 and reverted["scene_template"] == original["scene_template"]
    assert [v["version"] for v in c.get(f"{BASE}/longform-default-en/versions").json()] == [3, 2, 1]
    assert c.post(f"{BASE}/longform-default-en/revert", json={"version": 9}).status_code == 404
    assert c.get(f"{BASE}/nope").status_code == 404

    c.put(f"{BASE}/longform-default-en", json={"image_template": "{visual}, watercolour"})
    reset = c.post(f"{BASE}/longform-default-en/reset").json()
    assert reset["image_template"] == prompts.default_texts("longform", "en")["image_template"]
    with db.read_session() as s:
        assert s.query(PromptVersion).filter_by(prompt_id="longform-default-en").count() == 5


def test_seeding_is_idempotent(db: Database) -> None:
    with db.session() as s:
        assert prompts.ensure_defaults(s) == 6
    with db.session() as s:
        assert prompts.ensure_defaults(s) == 0
        assert len(prompts.list_prompts(s)) == 6


def test_the_job_uses_the_edited_template(api_client, admin, make_user, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    api_client(admin).put(
        f"{BASE}/shortform-default-ko",
        json={"system_prompt": "MARKER-7 당신은 {tone} 작가입니다.", "image_template": "{visual} :: STYLE-9"},
    )
    user = make_user()
    grant_credits(db, user.id, 500)
    user = reload_user(db, user.id)
    with OpenAIStub() as stub:
        stub.chat_replies.append(draft(6))
        llm = settings.model_copy(update={"llm_base_url": stub.base_url, "llm_api_key": "k", "llm_model": "m"})
        with db.session() as s:
            req = service.make_request(llm, topic="고양이가 상자를 좋아하는 이유", tone="calm")
            sid = service.create_script(s, user.id, req, llm).script.id
        assert runner.run(db, llm, "script", sid).status == "completed"
        system = stub.calls("/v1/chat/completions")[0].body["messages"][0]["content"]
    assert system.startswith("MARKER-7 당신은 차분한 작가입니다.")
    row: Any = script_row(db, sid)
    assert row.options["prompt_version"] == 2
    assert all(s["image_prompt"].endswith(" :: STYLE-9") for s in row.content["scenes"])

    # the offline writer also renders image prompts through the template
    with db.session() as s:
        sid2 = service.create_script(s, user.id, service.make_request(settings, topic="블랙홀"), settings).script.id
    assert runner.run(db, settings, "script", sid2).status == "completed"
    assert all(s["image_prompt"].endswith(" :: STYLE-9") for s in script_row(db, sid2).content["scenes"])
