"""Prompt templates (seed prompts.json: systemPrompt, sceneTemplate, dalleTemplate).

One prompt row per script type and language (`shortform-default-ko`, ...). Defaults
are inserted the first time they are needed (no data migration: `ensure_defaults`
inserts only the missing rows). Every saved text is a row in `prompt_versions`
(version 1 is the default, each edit or revert adds the next number with who made it),
so the history is complete and any version can be restored.

Templates use `{name}` placeholders (Python format syntax, plain names only: no
attribute access, indexing or format specs, so a template can never reach into
objects). Literal braces are written `{{` and `}}`. A template that uses an unknown
name, has unbalanced braces, or lacks its required placeholder is refused with the
reason.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelforge.errors import InvalidInput, NotFound
from reelforge.providers.llm import PromptSet, ScriptRequest
from reelforge.scripts.models import Prompt, PromptVersion
from reelforge.scripts.schema import CLIP_SECONDS, SCENE_BOUNDS

TYPES = ("longform", "shortform", "sora2")
LANGUAGES = ("ko", "en")
MAX_TEMPLATE_CHARS = 8000

TEXT_VARIABLES = {
    "topic": "the user's topic",
    "type": "longform, shortform or sora2",
    "language": "ko or en",
    "language_name": "Korean or English",
    "tone": "the requested tone (friendly, informative, energetic, calm, humorous)",
    "scene_count": "how many scenes to write",
    "scene_min": "the type's minimum scene count",
    "scene_max": "the type's maximum scene count",
    "target_seconds": "the target length of the video in seconds",
    "aspect_ratio": "16:9 landscape, 9:16 vertical, ...",
    "clip_seconds": "the clip lengths a video model accepts (sora2)",
}
IMAGE_VARIABLES = {
    "visual": "the scene's visual description written by the model (required)",
    "topic": "the user's topic",
    "type": "longform, shortform or sora2",
    "aspect_ratio": "16:9 landscape, 9:16 vertical, ...",
}
FIELDS = ("system_prompt", "scene_template", "image_template")

SAMPLE_TOPICS = {"ko": "고양이가 상자를 좋아하는 이유", "en": "Why do cats love boxes"}
SAMPLE_VISUAL = {
    "ko": "a curious cat peeking out of a cardboard box",
    "en": "a curious cat peeking out of a cardboard box",
}

LANGUAGE_NAMES = {"ko": "Korean", "en": "English"}
ASPECT = {"longform": "16:9 landscape", "shortform": "9:16 vertical", "sora2": "9:16 vertical video"}
TONES = ("friendly", "informative", "energetic", "calm", "humorous")
LENGTHS = ("short", "standard", "long")
TONE_NAMES_KO = {
    "friendly": "친근한",
    "informative": "정보 전달형",
    "energetic": "활기찬",
    "calm": "차분한",
    "humorous": "유머러스한",
}

# The JSON contract is appended by code (not editable), so an edited template can never
# break the answer format the validator expects.
JSON_CONTRACT = (
    "Answer with one JSON object and nothing else, in this shape:\n"
    '{{"title": "...", "description": "...", "tags": ["...", "..."], '
    '"scenes": [{{"narration": "...", "visual": "...", "caption": "..."}}]}}\n'
    "- title: at most 100 characters; description: 2-4 sentences; 5-12 tags without '#'.\n"
    "- narration: what the narrator says in this scene, in {language_name}.\n"
    "- visual: a concrete description of the picture for this scene, in English, no text in the image.\n"
    "- caption: a short on-screen caption (a few words) in {language_name}.\n"
    "- Write exactly {scene_count} scenes."
)
SORA_CONTRACT = (
    '\n- Each scene is one video clip: add "clip_seconds" (one of {clip_seconds}) and describe camera motion in visual.'
)


# ------------------------------------------------------------------ defaults
_SYSTEM_EN = (
    "You are a scriptwriter for YouTube {type} videos. You write clear, accurate, engaging narration "
    "in {language_name} with a {tone} tone. Every script has a hook that makes the viewer stay, "
    "a few well-explained points, and a short closing with a call to action. Never invent statistics "
    "or quotes; when unsure, say so plainly."
)
_SYSTEM_KO = (
    "당신은 유튜브 {type} 영상 대본 작가입니다. 한국어로 정확하고 흥미로운 내레이션을 {tone} 톤으로 씁니다. "
    "모든 대본은 시청자를 붙잡는 도입(훅), 잘 설명된 몇 가지 핵심, 행동을 유도하는 짧은 마무리로 구성합니다. "
    "통계나 인용을 지어내지 말고, 확실하지 않으면 솔직하게 말하세요."
)
_SCENE = {
    ("longform", "en"): (
        "Write a longform video script (about {target_seconds} seconds, {aspect_ratio}) about: {topic}\n"
        "Use {scene_count} scenes: scene 1 is the hook, the last scene is the closing, the others each explain "
        "one point in 3-5 sentences."
    ),
    ("longform", "ko"): (
        "다음 주제로 롱폼 영상 대본을 써 주세요 (약 {target_seconds}초, {aspect_ratio}): {topic}\n"
        "장면은 {scene_count}개입니다. 1번 장면은 훅, 마지막 장면은 마무리이고, 나머지 장면은 각각 한 가지 핵심을 "
        "3~5문장으로 설명합니다."
    ),
    ("shortform", "en"): (
        "Write a YouTube Shorts script (under {target_seconds} seconds, {aspect_ratio}) about: {topic}\n"
        "Use {scene_count} scenes of 1-2 short sentences each: a hook in the first scene, one point per scene, "
        "a punchy closing."
    ),
    ("shortform", "ko"): (
        "다음 주제로 유튜브 쇼츠 대본을 써 주세요 ({target_seconds}초 이내, {aspect_ratio}): {topic}\n"
        "장면은 {scene_count}개, 장면마다 짧은 문장 1~2개입니다. 첫 장면은 훅, 장면마다 한 가지 핵심, 마지막은 "
        "강한 마무리로 끝냅니다."
    ),
    ("sora2", "en"): (
        "Write {scene_count} AI video clip prompts that together tell a short story about: {topic}\n"
        "Each clip lasts one of {clip_seconds} seconds; give one spoken line per clip and a vivid, filmable visual "
        "with camera movement, lighting and action."
    ),
    ("sora2", "ko"): (
        "다음 주제로 짧은 이야기를 전하는 AI 영상 클립 {scene_count}개를 구성해 주세요: {topic}\n"
        "클립 길이는 {clip_seconds}초 중 하나이며, 클립마다 내레이션 한 줄과 카메라 움직임·조명·동작이 담긴 "
        "구체적인 영상 묘사(visual, 영어)를 씁니다."
    ),
}
_IMAGE = {
    "longform": "{visual}, cinematic lighting, rich detail, {aspect_ratio}, no text, no watermark",
    "shortform": "{visual}, bold colours, clear subject in the centre, {aspect_ratio}, no text, no watermark",
    "sora2": "{visual}, natural motion, realistic physics, cinematic, {aspect_ratio}",
}


def default_texts(kind: str, language: str) -> dict[str, str]:
    return {
        "system_prompt": _SYSTEM_KO if language == "ko" else _SYSTEM_EN,
        "scene_template": _SCENE[(kind, language)],
        "image_template": _IMAGE[kind],
    }


def prompt_id(kind: str, language: str) -> str:
    return f"{kind}-default-{language}"


def _check_kind(kind: str, language: str) -> None:
    if kind not in TYPES:
        raise InvalidInput(f"Unknown script type {kind!r}; use one of {', '.join(TYPES)}.", field="type")
    if language not in LANGUAGES:
        raise InvalidInput(f"Unknown language {language!r}; use one of {', '.join(LANGUAGES)}.", field="language")


# ------------------------------------------------------------------ validation and rendering
class _Strict(string.Formatter):
    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        return kwargs[str(key)]


def template_fields(text: str) -> list[str]:
    """The placeholder names used by `text`; raises ValueError with the reason when it is malformed."""
    names: list[str] = []
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if name == "" or name.isdigit():
            raise ValueError("a placeholder needs a name, e.g. {topic} (write {{ and }} for literal braces)")
        if not name.isidentifier():
            raise ValueError(f"placeholder {{{name}}} is not a plain name (no dots, brackets or spaces)")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} may not have a format spec or conversion")
        names.append(name)
    return names


def validate_template(field: str, text: str) -> None:
    """Raise InvalidInput (field, reason) unless `text` is a usable template for `field`."""
    if field not in FIELDS:
        raise InvalidInput(f"Unknown template field {field!r}.", field=field)
    if not text or not text.strip():
        raise InvalidInput("The template is empty.", field=field, reason="empty")
    if len(text) > MAX_TEMPLATE_CHARS:
        raise InvalidInput(
            f"The template is longer than {MAX_TEMPLATE_CHARS} characters.", field=field, reason="too_long"
        )
    try:
        names = template_fields(text)
    except ValueError as exc:
        raise InvalidInput(f"The template does not render: {exc}.", field=field, reason=str(exc)) from None
    allowed = IMAGE_VARIABLES if field == "image_template" else TEXT_VARIABLES
    unknown = sorted({n for n in names if n not in allowed})
    if unknown:
        reason = f"unknown placeholder {', '.join('{' + n + '}' for n in unknown)}; allowed: " + ", ".join(
            "{" + n + "}" for n in allowed
        )
        raise InvalidInput(f"The template does not render: {reason}.", field=field, reason=reason)
    if field == "image_template" and "visual" not in names:
        reason = "the image template must contain {visual} (the scene's picture description)"
        raise InvalidInput(f"The template does not render: {reason}.", field=field, reason=reason)


def validate_texts(texts: Mapping[str, str]) -> None:
    for f in FIELDS:
        validate_template(f, texts[f])
    if "topic" not in set(template_fields(texts["system_prompt"])) | set(template_fields(texts["scene_template"])):
        reason = "the system prompt or the scene template must contain {topic}"
        raise InvalidInput(f"The template does not render: {reason}.", field="scene_template", reason=reason)


def _render(text: str, values: Mapping[str, Any]) -> str:
    return _Strict().vformat(text, (), values)


def text_values(request: ScriptRequest) -> dict[str, Any]:
    low, high = SCENE_BOUNDS[request.type]
    return {
        "topic": request.topic,
        "type": request.type,
        "language": request.language,
        "language_name": LANGUAGE_NAMES[request.language],
        "tone": TONE_NAMES_KO.get(request.tone, request.tone) if request.language == "ko" else request.tone,
        "scene_count": request.scene_target(),
        "scene_min": low,
        "scene_max": high,
        "target_seconds": request.target_seconds(),
        "aspect_ratio": ASPECT[request.type],
        "clip_seconds": ", ".join(str(c) for c in CLIP_SECONDS),
    }


def build_prompt_set(
    texts: Mapping[str, str], request: ScriptRequest, *, prompt_id: str = "", version: int = 0
) -> PromptSet:
    """Render the templates for one request into the messages sent to the model."""
    values = text_values(request)
    contract = JSON_CONTRACT + (SORA_CONTRACT if request.type == "sora2" else "")
    system = _render(texts["system_prompt"], values) + "\n\n" + _render(contract, values)
    user = _render(texts["scene_template"], values)
    image_template = texts["image_template"]
    image_values = {"topic": request.topic, "type": request.type, "aspect_ratio": ASPECT[request.type]}

    def render_image(visual: str) -> str:
        return _render(image_template, {**image_values, "visual": visual.strip()})

    return PromptSet(
        system=system,
        user=user,
        image_template=image_template,
        prompt_id=prompt_id,
        prompt_version=version,
        render_image=render_image,
    )


# ------------------------------------------------------------------ storage
def ensure_defaults(db: Session) -> int:
    """Insert the default prompt of every type and language that is missing. Returns how many."""
    existing = set(db.scalars(select(Prompt.id)).all())
    created = 0
    for kind in TYPES:
        for language in LANGUAGES:
            pid = prompt_id(kind, language)
            if pid in existing:
                continue
            texts = default_texts(kind, language)
            try:
                with db.begin_nested():
                    db.add(
                        Prompt(
                            id=pid,
                            type=kind,
                            language=language,
                            name=f"{kind} ({LANGUAGE_NAMES[language]}) default",
                            version=1,
                            **texts,
                        )
                    )
                    db.flush()
                    db.add(PromptVersion(prompt_id=pid, version=1, **texts))
                    db.flush()
                created += 1
            except IntegrityError:  # another process seeded it at the same moment
                continue
    return created


def get_prompt(db: Session, kind: str, language: str) -> Prompt:
    _check_kind(kind, language)
    row = db.get(Prompt, prompt_id(kind, language))
    if row is None:
        ensure_defaults(db)
        row = db.get(Prompt, prompt_id(kind, language))
    assert row is not None
    return row


def get_prompt_by_id(db: Session, pid: str) -> Prompt:
    row = db.get(Prompt, pid)
    if row is None:
        ensure_defaults(db)
        row = db.get(Prompt, pid)
    if row is None:
        raise NotFound("No such prompt template.")
    return row


def list_prompts(db: Session) -> list[Prompt]:
    ensure_defaults(db)
    return list(db.scalars(select(Prompt).order_by(Prompt.type, Prompt.language)).all())


def texts_of(row: Prompt | PromptVersion) -> dict[str, str]:
    return {f: getattr(row, f) for f in FIELDS}


def update_prompt(db: Session, pid: str, *, admin_id: str, name: str | None = None, **texts: str) -> Prompt:
    """Save new template texts (validated) as the next version."""
    row = get_prompt_by_id(db, pid)
    merged = {**texts_of(row), **{k: v for k, v in texts.items() if v is not None}}
    validate_texts(merged)
    if name is not None:
        if not name.strip() or len(name) > 200:
            raise InvalidInput("The name must be 1-200 characters.", field="name")
        row.name = name.strip()
    if merged == texts_of(row):
        return row
    return _new_version(db, row, merged, admin_id)


def _new_version(db: Session, row: Prompt, texts: Mapping[str, str], admin_id: str | None) -> Prompt:
    latest = db.scalar(
        select(PromptVersion.version)
        .where(PromptVersion.prompt_id == row.id)
        .order_by(PromptVersion.version.desc())
        .limit(1)
    )
    version = max(row.version, latest or 0) + 1
    for f in FIELDS:
        setattr(row, f, texts[f])
    row.version = version
    row.updated_by = admin_id
    db.add(PromptVersion(prompt_id=row.id, version=version, created_by=admin_id, **dict(texts)))
    db.flush()
    return row


def versions(db: Session, pid: str) -> list[PromptVersion]:
    get_prompt_by_id(db, pid)
    return list(
        db.scalars(
            select(PromptVersion).where(PromptVersion.prompt_id == pid).order_by(PromptVersion.version.desc())
        ).all()
    )


def revert_prompt(db: Session, pid: str, version: int, *, admin_id: str) -> Prompt:
    """Make an earlier version current again (recorded as a new version, so history is kept)."""
    row = get_prompt_by_id(db, pid)
    old = db.scalar(select(PromptVersion).where(PromptVersion.prompt_id == pid, PromptVersion.version == version))
    if old is None:
        raise NotFound(f"Prompt {pid} has no version {version}.")
    texts = texts_of(old)
    if texts == texts_of(row):
        return row
    return _new_version(db, row, texts, admin_id)


def reset_prompt(db: Session, pid: str, *, admin_id: str) -> Prompt:
    row = get_prompt_by_id(db, pid)
    texts = default_texts(row.type, row.language)
    if texts == texts_of(row):
        return row
    return _new_version(db, row, texts, admin_id)


@dataclass(frozen=True)
class Preview:
    system: str
    user: str
    image_prompt: str
    topic: str


def preview(
    texts: Mapping[str, str], kind: str, language: str, *, topic: str | None = None, visual: str | None = None
) -> Preview:
    """Render (possibly unsaved) templates for a sample topic; refuses invalid ones like a save would."""
    _check_kind(kind, language)
    validate_texts(texts)
    sample = (topic or "").strip()[:200] or SAMPLE_TOPICS[language]
    request = ScriptRequest(topic=sample, type=kind, language=language)
    ps = build_prompt_set(texts, request)
    assert ps.render_image is not None
    return Preview(
        system=ps.system, user=ps.user, image_prompt=ps.render_image(visual or SAMPLE_VISUAL[language]), topic=sample
    )


def prompt_set_for(db: Session, request: ScriptRequest) -> PromptSet:
    row = get_prompt(db, request.type, request.language)
    return build_prompt_set(texts_of(row), request, prompt_id=row.id, version=row.version)
