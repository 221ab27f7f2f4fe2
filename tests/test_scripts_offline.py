"""The offline writer: complete, valid, topic-aware scripts in Korean and English with no network."""

from __future__ import annotations

import re

import pytest

from reelforge.providers.llm import OfflineScriptWriter, PromptSet, ScriptRequest
from reelforge.providers.offline_writer import analyse, josa, write_offline
from reelforge.scripts import prompts
from reelforge.scripts.schema import CLIP_SECONDS, SCENE_BOUNDS, ScriptDocument, load_document

KO_TOPICS = [
    "고양이가 상자를 좋아하는 이유",
    "강아지가 산책을 좋아하는 이유",
    "집에서 커피를 맛있게 내리는 방법",
    "블랙홀",
    "한글의 역사",
    "아침 운동 습관 만드는 법",
    "인공지능이 일자리를 바꾸는 이유",
    "주식 투자 초보 가이드",
    "잠을 잘 자는 방법",
    "라면을 더 맛있게 끓이는 요령",
    "전기차 vs 하이브리드",
    "왜 하늘은 파란가",
    "제주도 여행 꿀팁",
    "스마트폰 중독에서 벗어나는 방법",
    "돌고래가 똑똑한 이유",
    "김치의 역사",
    "화산이 폭발하는 원인",
    "공부 집중력 높이는 5가지 방법",
    "우주 정거장",
    "펭귄이 추위를 견디는 이유",
    "사과",
    "비 오는 날 기분이 가라앉는 이유",
    "달리기 초보 가이드",
    "저축을 꾸준히 하는 방법",
    "조선 시대의 과학",
]
EN_TOPICS = [
    "Why do cats love boxes",
    "How to brew better coffee at home",
    "Black holes",
    "The history of the internet",
    "How to start running",
    "Why the sky is blue",
    "Electric cars vs hybrids",
    "5 tips for better sleep",
    "Reasons why dogs wag their tails",
    "A brief history of chocolate",
    "How to save money on groceries",
    "Why do we dream",
    "Artificial intelligence in everyday life",
    "How to learn a language fast",
    "Why penguins don't freeze",
    "The secret life of honeybees",
    "Volcanoes",
    "How to keep houseplants alive",
    "Why is the ocean salty",
    "Tips for studying with focus",
    "The history of video games",
    "How to make kimchi",
    "Why elephants never forget",
    "Mars",
    "Coffee vs tea",
]


def test_fifty_topics_in_korean_and_english_give_valid_scripts_with_the_right_scene_counts() -> None:
    assert len(KO_TOPICS) + len(EN_TOPICS) == 50
    for language, topics in (("ko", KO_TOPICS), ("en", EN_TOPICS)):
        for topic in topics:
            for kind in ("longform", "shortform", "sora2"):
                for length in ("short", "standard", "long"):
                    doc = write_offline(ScriptRequest(topic=topic, type=kind, language=language, length=length))
                    again = load_document(doc.model_dump(mode="json"))  # round-trips through the stored JSON
                    assert again == doc
                    low, high = SCENE_BOUNDS[kind]
                    assert low <= len(doc.scenes) <= high, (topic, kind, length, len(doc.scenes))
                    assert doc.offline_draft is True
                    assert doc.type == kind and doc.language == language
                    assert 1 <= len(doc.title) <= 100
                    assert doc.tags and doc.description
                    narrations = [s.narration for s in doc.scenes]
                    assert len(set(narrations)) == len(narrations), "scenes repeat themselves"
                    for scene in doc.scenes:
                        assert scene.narration and scene.image_prompt and scene.caption
                        assert "{" not in scene.narration and "}" not in scene.narration, scene.narration
                        assert "{" not in scene.image_prompt, scene.image_prompt
                        if language == "ko":
                            assert re.search(r"[\uac00-\ud7a3]", scene.narration), scene.narration
                        else:
                            assert not re.search(r"[\uac00-\ud7a3]", scene.narration), scene.narration
                    if kind == "sora2":
                        assert all(s.clip_seconds in CLIP_SECONDS for s in doc.scenes)
                        assert doc.target_duration_seconds == sum(s.clip_seconds or 0 for s in doc.scenes)
                    else:
                        assert all(s.clip_seconds is None for s in doc.scenes)
                    if kind == "shortform":
                        assert doc.target_duration_seconds <= 60


def test_default_lengths_per_type() -> None:
    counts = {
        kind: len(write_offline(ScriptRequest(topic="블랙홀", type=kind, language="ko")).scenes)
        for kind in ("longform", "shortform", "sora2")
    }
    assert counts == {"longform": 10, "shortform": 6, "sora2": 3}
    exact = write_offline(ScriptRequest(topic="블랙홀", type="shortform", language="ko", scene_count=8))
    assert len(exact.scenes) == 8


def test_the_cat_and_box_topic_is_about_cats_and_boxes() -> None:
    doc = write_offline(ScriptRequest(topic="고양이가 상자를 좋아하는 이유", type="shortform", language="ko"))
    text = " ".join(s.narration for s in doc.scenes)
    assert doc.title.startswith("고양이가 상자를 좋아하는 이유")
    assert text.count("고양이") >= 4 and text.count("상자") >= 3
    # particles follow the final consonant: 고양이는 / 상자는 / 상자를, never 고양이은 / 상자을
    assert "고양이는" in text and "상자는" in text
    assert "고양이은" not in text and "상자을" not in text and "상자은" not in text
    assert doc.scenes[1].narration.startswith("첫 번째 이유는")
    assert doc.scenes[-1].caption == "정리"
    assert all("cat" in s.image_prompt for s in doc.scenes)
    assert any("cardboard box" in s.image_prompt for s in doc.scenes)
    assert "오프라인" in doc.description


def test_english_why_topic() -> None:
    doc = write_offline(ScriptRequest(topic="Why do cats love boxes?", type="shortform", language="en"))
    assert doc.title.startswith("Why Cats Love Boxes")
    assert doc.scenes[0].narration.startswith("Why do cats love boxes?")
    assert doc.scenes[1].narration.startswith("Reason one:")
    assert "cats love boxes" in doc.scenes[-1].narration


def test_deterministic() -> None:
    a = write_offline(ScriptRequest(topic="집에서 커피를 맛있게 내리는 방법", type="longform", language="ko"))
    b = write_offline(ScriptRequest(topic="집에서 커피를 맛있게 내리는 방법", type="longform", language="ko"))
    assert a == b


@pytest.mark.parametrize(
    ("word", "particle", "expected"),
    [
        ("고양이", "은", "고양이는"),
        ("상자", "을", "상자를"),
        ("책", "을", "책을"),
        ("사과", "와", "사과와"),
        ("물", "으로", "물로"),
        ("집", "으로", "집으로"),
        ("AI", "이", "AI가"),
        ("5", "은", "5는"),
        ("3", "이", "3이"),
    ],
)
def test_korean_particles(word: str, particle: str, expected: str) -> None:
    assert josa(word, particle) == expected


def test_topic_analysis() -> None:
    t = analyse("고양이가 상자를 좋아하는 이유", "ko")
    assert (t.frame, t.subject, t.obj, t.category) == ("why", "고양이", "상자", "animal")
    assert analyse("집에서 커피를 맛있게 내리는 방법", "ko").keywords == ["집", "커피"]
    assert analyse("한글의 역사", "ko").frame == "history"
    assert analyse("Electric cars vs hybrids", "en").frame == "versus"
    assert analyse("How to start running", "en").clause == "start running"


def test_offline_writer_uses_the_image_template_and_streams_its_scenes() -> None:
    request = ScriptRequest(topic="Mars", type="longform", language="en")
    texts = prompts.default_texts("longform", "en")
    texts["image_template"] = "PAINTING OF {visual} FOR {topic}"
    ps: PromptSet = prompts.build_prompt_set(texts, request)
    seen: list[str] = []
    result = OfflineScriptWriter().write(request, ps, on_text=seen.append)
    assert all(
        s.image_prompt.startswith("PAINTING OF ") and s.image_prompt.endswith(" FOR Mars")
        for s in result.document.scenes
    )
    assert len(seen) == len(result.document.scenes)
    assert result.provider == "offline" and result.input_tokens == 0
    assert isinstance(result.document, ScriptDocument)
