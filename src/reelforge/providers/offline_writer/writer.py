# ruff: noqa: E501
"""The offline writer: a deterministic, template-based script writer in Korean and English.

No model, no network. It reads the topic (what kind of question it is, and which nouns
it is about), picks a structure - a hook, a handful of points, a closing - and fills
hand-written sentence templates with the topic's own words, with correct Korean
particles (은/는, 이/가, 을/를, 와/과, 으로/로). Image prompts are written in English
(image models understand it best) from a small Korean-English noun list and a visual
style per subject category. The same topic always gives the same script; every
document is marked `offline_draft=True` so screens can say no AI model wrote it.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from reelforge.providers.llm import ScriptRequest
from reelforge.providers.offline_writer.words import Topic, analyse, josa, load_phrases, to_en
from reelforge.providers.script_schema import SCENE_BOUNDS, Scene, ScriptDocument, estimate_narration_seconds

# ------------------------------------------------------------------ sentence templates
# A point is (caption, lead sentence, detail sentence, extra sentence for longform, visual).
Point = tuple[str, str, str, str, str]


def _points(language: str) -> dict[str, list[Point]]:
    frames = load_phrases(language)["points"]
    return {
        frame: [(p["caption"], p["lead"], p["detail"], p["extra"], p["visual"]) for p in points]
        for frame, points in frames.items()
    }


_KO_POINTS = _points("ko")
_EN_POINTS = _points("en")
_KO_ORD: list[str] = load_phrases("ko")["ordinals"]
_EN_ORD: list[str] = load_phrases("en")["ordinals"]
_EN_NUM: list[str] = load_phrases("en")["numbers"]
# Extra sentences that deepen a point in longform scripts (chosen by position, so deterministic).
_KO_BRIDGES: list[str] = load_phrases("ko")["bridges"]
_EN_BRIDGES: list[str] = load_phrases("en")["bridges"]
_STYLE: dict[str, str] = load_phrases("words")["style"]


def _listing(captions: list[str], limit: int = 4) -> str:
    text = ", ".join(captions[:limit])
    return text + (" 등" if len(captions) > limit and any("\uac00" <= ch <= "\ud7a3" for ch in text) else "")


_FIELD = re.compile(r"\{(\w+)(?::(\w+))?\}")


def _fill(template: str, values: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        value = values.get(m.group(1), "")
        return josa(value, m.group(2)) if m.group(2) else value

    text = _FIELD.sub(sub, template)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:1].upper() + text[1:] if text[:1].isascii() else text


def _en_title(text: str) -> str:
    small = {"a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "vs"}
    words = text.split()
    return " ".join(
        w if (i and w.lower() in small) or not w[:1].isalpha() else w[:1].upper() + w[1:] for i, w in enumerate(words)
    )


# ------------------------------------------------------------------ the writer
@dataclass
class _Plan:
    title: str
    description: str
    tags: list[str]
    hook: tuple[str, str, str]  # caption, narration, visual
    points: list[tuple[str, str, str]]
    closing: tuple[str, str, str]


def _mid(text: str) -> str:
    """An English phrase as it reads inside a sentence ("Black holes" -> "black holes", "NASA" stays)."""
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and first[1:] == first[1:].lower() and len(first) > 1:
        return first[:1].lower() + text[1:]
    return text


def _values(topic: Topic) -> dict[str, str]:
    vis = topic.visual_subject()
    if topic.language == "en":
        return {
            "T": _mid(topic.phrase),
            "S": _mid(topic.subject),
            "O": _mid(topic.obj or topic.phrase),
            "C": topic.clause or _mid(topic.phrase),
            "A": _mid(topic.subject),
            "B": _mid(topic.other),
            "v": vis,
            "s": re.sub(r"s$", "", topic.subject.lower()),
            "o": (topic.obj or vis).lower(),
            "a": topic.subject.lower(),
            "b": topic.other.lower(),
        }
    if topic.frame == "question":
        topic = Topic(**{**topic.__dict__, "phrase": topic.subject})
    subj_en = to_en(topic.subject)
    obj_en = to_en(topic.obj) if topic.obj else vis
    return {
        "T": topic.phrase,
        "S": topic.subject,
        "O": topic.obj or topic.phrase,
        "C": topic.clause or topic.phrase,
        "A": topic.subject,
        "B": topic.other,
        "v": vis,
        "s": re.sub(r"s$", "", subj_en) if topic.language == "en" else subj_en,
        "o": obj_en,
        "a": to_en(topic.subject),
        "b": to_en(topic.other),
    }


def _pool(topic: Topic, lang_points: dict[str, list[Point]]) -> list[Point]:
    frame = {"question": "why"}.get(topic.frame, topic.frame)
    pool = list(lang_points.get(frame, lang_points["about"]))
    if frame == "why" and topic.category == "animal" and topic.obj:
        pool = list(lang_points["why_animal"]) + pool
    if frame == "why" and topic.category == "animal" and not topic.obj:
        pool = list(lang_points["why_animal"][:2]) + list(lang_points["why_animal"][3:]) + pool
    # Pad with the general "about" angles so even the longest script has enough distinct points.
    for p in lang_points["about"]:
        if p not in pool:
            pool.append(p)
    for p in lang_points["why"]:
        if p not in pool:
            pool.append(p)
    return pool


def _plan_ko(topic: Topic, n_points: int, long: bool, rng: random.Random) -> _Plan:
    v = _values(topic)
    pool = _pool(topic, _KO_POINTS)
    points: list[tuple[str, str, str]] = []
    captions: list[str] = []
    for i, (cap_t, lead, detail, extra, visual) in enumerate(pool[:n_points]):
        cap = _fill(cap_t, v)
        captions.append(cap)
        ordinal = _KO_ORD[i]
        if topic.frame in ("why", "question"):
            intro = f"{ordinal} 이유는 {cap}입니다."
        elif topic.frame == "howto":
            intro = f"{ordinal}, {cap}."
        elif topic.frame == "history":
            intro = f"{ordinal} 장면은 {cap}입니다."
        else:
            intro = f"{ordinal}로 살펴볼 것은 {cap}입니다."
        body = [intro, _fill(lead, v), _fill(detail, v)]
        if long:
            body += [_fill(extra, v), _fill(_KO_BRIDGES[i % len(_KO_BRIDGES)], v)]
        points.append((cap, " ".join(body), _fill(visual, v)))
    n = len(points)
    t, c = topic.phrase, topic.clause
    if topic.frame == "why":
        title = f"{c} 이유 {n}가지"
        hook = rng.choice(
            [
                f"{c} 이유, 알고 계셨나요? 단순한 취향처럼 보이지만 그 뒤에는 흥미로운 까닭이 숨어 있습니다.",
                f"{josa(c + ' 데', '에는')} 분명한 이유가 있습니다. 오늘은 그 이유를 {n}가지로 짚어 보겠습니다.",
            ]
        )
        closing = f"정리하면 {c} 이유는 {_listing(captions)}입니다. 이제 조금 다르게 보이지 않나요?"
    elif topic.frame == "question":
        title = f"{t}? 이유 {n}가지"
        hook = f"{t}? 누구나 한 번쯤 궁금했던 질문입니다. 그 답을 {n}가지 이유로 풀어 보겠습니다."
        closing = f"정리하면 답은 {_listing(captions)}에 있습니다. 이제 이 질문에 자신 있게 답할 수 있겠죠?"
    elif topic.frame == "howto":
        title = f"{t}: 핵심 {n}단계"
        hook = rng.choice(
            [
                f"{josa(t, '이')} 어렵게 느껴지시나요? 몇 가지만 알면 오늘부터 바로 해 볼 수 있습니다.",
                f"{t}, 생각보다 간단합니다. 꼭 필요한 것만 {n}단계로 알려 드릴게요.",
            ]
        )
        closing = f"정리하면 {josa(_listing(captions), '이')} 핵심입니다. 오늘 한 가지부터 바로 시작해 보세요."
    elif topic.frame == "history":
        title = f"{t}의 역사 한눈에 보기"
        hook = f"{t}의 역사는 생각보다 훨씬 흥미진진합니다. 중요한 장면 {n}개로 그 흐름을 따라가 보겠습니다."
        closing = f"{josa(t, '은')} 이렇게 {', '.join(captions[:3])}의 시간을 거쳐 지금에 이르렀습니다. 다음 장은 어떻게 쓰일까요?"
    elif topic.frame == "versus":
        title = f"{topic.subject} vs {topic.other}, 무엇을 고를까?"
        hook = f"{josa(topic.subject, '과')} {topic.other}, 어느 쪽이 더 나을까요? 고민된다면 이 {n}가지 기준만 확인해 보세요."
        closing = f"정답은 하나가 아닙니다. {josa(_listing(captions[2:5] or captions[:3]), '을')} 따져 보면 나에게 맞는 선택이 보입니다."
    else:
        title = f"{t}, 알기 쉽게 정리"
        hook = rng.choice(
            [
                f"{josa(t, '에')} 대해 얼마나 알고 계신가요? 알고 나면 다르게 보이는 이야기 {n}가지를 준비했습니다.",
                f"{t}, 이름은 익숙하지만 제대로 설명하기는 어렵죠. 핵심만 쉽게 정리해 드릴게요.",
            ]
        )
        closing = f"오늘은 {josa(t, '을')} {josa(_listing(captions), '으로')} 살펴봤습니다. 이제 누군가에게 설명해 줄 수 있겠죠?"
    closing += " 도움이 되셨다면 구독과 좋아요 부탁드립니다!"
    if len(title) > 100:
        title = title[:99] + "…"
    description = (
        f"{josa(t, '을')} {n}가지 핵심으로 정리한 영상입니다. "
        + " · ".join(captions)
        + "\n\n이 대본은 reelforge 오프라인 작성기로 만든 초안입니다."
    )
    tags = list(dict.fromkeys([*(k for k in topic.keywords[:5]), *captions[:3], "지식", "정보"]))
    hook_visual = f"eye-catching opening shot of {v['v']}"
    closing_visual = f"a warm, satisfying final shot of {v['v']}"
    return _Plan(title, description, tags, (t[:40], hook, hook_visual), points, ("정리", closing, closing_visual))


def _plan_en(topic: Topic, n_points: int, long: bool, rng: random.Random) -> _Plan:
    v = _values(topic)
    pool = _pool(topic, _EN_POINTS)
    points: list[tuple[str, str, str]] = []
    captions: list[str] = []
    for i, (cap_t, lead, detail, extra, visual) in enumerate(pool[:n_points]):
        cap = _fill(cap_t, v)
        captions.append(cap)
        if topic.frame in ("why", "question"):
            intro = f"Reason {_EN_NUM[i + 1]}: {cap.lower()}."
        elif topic.frame == "howto":
            intro = f"Step {_EN_NUM[i + 1]}: {cap.lower()}."
        else:
            intro = f"{_EN_ORD[i]}, {cap.lower()}."
        body = [intro, _fill(lead, v), _fill(detail, v)]
        if long:
            body += [_fill(extra, v), _fill(_EN_BRIDGES[i % len(_EN_BRIDGES)], v)]
        points.append((cap, " ".join(body), _fill(visual, v)))
    n = len(points)
    t, c = _mid(topic.phrase), topic.clause or _mid(topic.phrase)
    listed = ", ".join(x.lower() for x in captions[:4])
    if topic.frame in ("why", "question"):
        title = f"Why {c}: {n} Reasons"
        question = topic.raw if topic.raw.lower().startswith("why ") else f"Why {c}"
        hook = rng.choice(
            [
                f"{question}? It looks simple, but there is a fascinating story behind it.",
                f"{question}? Here are {n} reasons, quickly and clearly.",
            ]
        )
        closing = f"So that is why {c}: {listed}. Does it look a little different now?"
    elif topic.frame == "howto":
        title = f"How to {c}: {n} Simple Steps"
        hook = rng.choice(
            [
                f"Want to {c}, but not sure where to start? These {n} steps make it easy.",
                f"Learning to {c} is easier than it looks. Here is everything you need in {n} steps.",
            ]
        )
        closing = f"To recap: {listed}. Pick one step and try it today."
    elif topic.frame == "history":
        title = f"The History of {t}"
        hook = f"The history of {t} is more exciting than you might think. Let's follow it through {n} key moments."
        closing = f"From {captions[0].lower()} to {captions[-1].lower()}, {t} has come a long way. How will the next chapter be written?"
    elif topic.frame == "versus":
        title = f"{topic.subject} vs {topic.other}: Which Should You Choose?"
        hook = f"{topic.subject} or {topic.other}? If you cannot decide, check these {n} points first."
        closing = "There is no single right answer. Weigh cost, fit and your own goals, and the choice becomes clear."
    else:
        title = f"{t}, Explained Simply"
        hook = rng.choice(
            [
                f"How much do you really know about {t}? Here are {n} things that will change how you see it.",
                f"Everyone has heard of {t}, but few can explain it. Let's fix that in under a minute.",
            ]
        )
        closing = f"Today we covered {t}: {listed}. Now you can explain it to a friend."
    closing += " If this helped, like and subscribe for more!"
    title = _en_title(title)
    if len(title) > 100:
        title = title[:99] + "…"
    description = (
        f"{title} - in this video: "
        + " · ".join(captions)
        + "\n\nThis script is a draft written by the reelforge offline writer."
    )
    tags = list(dict.fromkeys([*(k.lower() for k in topic.keywords[:5]), *(x.lower() for x in captions[:3])]))
    hook_visual = f"eye-catching opening shot of {v['v']}"
    closing_visual = f"a warm, satisfying final shot of {v['v']}"
    hook_caption = topic.raw[:1].upper() + topic.raw[1:40]
    return _Plan(
        title, description, tags, (hook_caption, hook, hook_visual), points, ("Recap", closing, closing_visual)
    )


def _aspect(kind: str) -> str:
    return {"longform": "16:9 landscape", "shortform": "9:16 vertical", "sora2": "9:16 vertical video"}[kind]


def default_image_prompt(visual: str, kind: str, category: str = "general") -> str:
    return f"{visual}, {_STYLE.get(category, _STYLE['general'])}, {_aspect(kind)}, no text"


def _clip_prompt(visual: str, index: int, total: int, category: str) -> str:
    moves = [
        "slow dolly-in",
        "gentle handheld tracking shot",
        "smooth orbit around the subject",
        "slow pull-back reveal",
    ]
    move = moves[0] if index == 0 else moves[-1] if index == total - 1 else moves[1 + index % 2]
    return f"{move}: {visual}, {_STYLE.get(category, _STYLE['general'])}, natural motion, realistic physics"


def write_offline(request: ScriptRequest, render_image: Callable[[str], str] | None = None) -> ScriptDocument:
    """Write a complete draft for `request` with no network; deterministic for the same input."""
    topic = analyse(request.topic, request.language)
    seed = int.from_bytes(
        hashlib.sha256(f"{request.topic}|{request.type}|{request.language}".encode()).digest()[:8], "big"
    )
    rng = random.Random(seed)
    n_scenes = request.scene_target()
    n_points = max(1, n_scenes - 2)  # two-clip sora2 scripts: a hook and one point, no closing
    long = request.type == "longform"
    plan = (_plan_ko if request.language == "ko" else _plan_en)(topic, n_points, long, rng)

    def image(visual: str) -> str:
        if render_image is not None:
            return render_image(f"{visual}, {_STYLE.get(topic.category, _STYLE['general'])}")
        return default_image_prompt(visual, request.type, topic.category)

    parts = [plan.hook, *plan.points, plan.closing] if n_scenes >= 3 else [plan.hook, *plan.points][:n_scenes]
    scenes: list[Scene] = []
    for i, (caption, narration, visual) in enumerate(parts):
        if request.type == "sora2":
            sentence = _first_sentences(narration, 3 if request.length == "long" else 2, request.language)
            clip = 12 if request.length == "long" and 0 < i < len(parts) - 1 else 8
            scenes.append(
                Scene(
                    narration=sentence,
                    image_prompt=(
                        render_image(_clip_prompt(visual, i, len(parts), topic.category))
                        if render_image
                        else _clip_prompt(visual, i, len(parts), topic.category)
                    ),
                    caption=caption[:200],
                    clip_seconds=clip,
                )
            )
        else:
            scenes.append(Scene(narration=narration, image_prompt=image(visual)[:2000], caption=caption[:200]))
    low, high = SCENE_BOUNDS[request.type]
    assert low <= len(scenes) <= high, (len(scenes), request.type)
    if request.type == "sora2":
        target = sum(s.clip_seconds or 8 for s in scenes)
    else:
        spoken = sum(estimate_narration_seconds(s.narration, request.language) for s in scenes)
        target = round(spoken + 0.8 * len(scenes))  # plus a short pause between scenes
        if request.type == "shortform":
            target = min(60, target)
    title = plan.title
    if request.type == "sora2":  # a few clips: no "N reasons" in the title either
        title = _TITLE_COUNT.sub("", title).strip() or title
    return ScriptDocument(
        title=title,
        description=plan.description,
        tags=[t[:100] for t in plan.tags if t][:15],
        language=request.language,  # type: ignore[arg-type]
        type=request.type,  # type: ignore[arg-type]
        target_duration_seconds=max(5, target),
        scenes=scenes,
        offline_draft=True,
    )


_COUNTING = re.compile(r"\d+\s*(가지|개로|단계)|\b\d+ (reasons|steps|things|points|key moments)\b", re.IGNORECASE)
_TITLE_COUNT = re.compile(r"(\s*\d+가지$|: 핵심 \d+단계$|: \d+ [A-Za-z ]+$|\? 이유 \d+가지$)")


def _first_sentences(text: str, count: int, language: str) -> str:
    """The first `count` sentences (the point's intro plus its lead, for a short clip)."""
    parts = re.split(r"(?<=[.!?。])\s+", text.strip())
    # A few clips do not announce "N reasons": drop sentences that count the points.
    kept = [p for p in parts if not _COUNTING.search(p)]
    parts = kept or parts
    if len(parts) > 1 and (
        parts[0].startswith(tuple(_KO_ORD)) or parts[0].split(" ")[0] in ("Reason", "Step", *_EN_ORD)
    ):
        # Clips are short: keep the point's name in the caption, speak its lead sentence.
        parts = parts[1:]
    return " ".join(parts[:count])
