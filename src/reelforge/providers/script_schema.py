"""The structured script document stored in `scripts.content` (versioned schema).

Everything downstream (the editor, the render pipeline, YouTube metadata) reads this
shape. Bump SCHEMA_VERSION and add an upgrade in `load_document` when it changes.
It lives with the providers because script writers return it; `reelforge.scripts.schema`
re-exports it for the scripts and render domains.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1

ScriptType = Literal["longform", "shortform", "sora2"]
Language = Literal["ko", "en"]

# Scene count bounds per type (issue #6): longform 8-15, shortform 5-8, sora2 a few clips.
SCENE_BOUNDS: dict[str, tuple[int, int]] = {"longform": (8, 15), "shortform": (5, 8), "sora2": (2, 6)}
# sora2 clip lengths the video-model APIs accept.
CLIP_SECONDS = (4, 8, 12)


class Scene(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    narration: str = Field(min_length=1, max_length=2000)
    image_prompt: str = Field(min_length=1, max_length=2000)
    caption: str | None = Field(default=None, max_length=200)
    # sora2 only: the clip length to ask the video model for.
    clip_seconds: int | None = None

    @field_validator("clip_seconds")
    @classmethod
    def _clip(cls, v: int | None) -> int | None:
        if v is not None and v not in CLIP_SECONDS:
            raise ValueError(f"clip_seconds must be one of {CLIP_SECONDS}")
        return v


class ScriptDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    schema_version: int = SCHEMA_VERSION
    title: str = Field(min_length=1, max_length=100)  # YouTube's title limit
    description: str = Field(default="", max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=30)
    language: Language = "ko"
    type: ScriptType = "shortform"
    target_duration_seconds: int = Field(default=60, ge=5, le=3600)
    scenes: list[Scene] = Field(min_length=1, max_length=40)
    # Set by the offline writer so every screen can say the draft was not written by an AI model.
    offline_draft: bool = False

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        cleaned = [t.strip().lstrip("#") for t in v if t and t.strip()]
        for t in cleaned:
            if len(t) > 100:
                raise ValueError("a tag is longer than 100 characters")
        return cleaned

    @model_validator(mode="after")
    def _sora_clips(self) -> ScriptDocument:
        if self.type == "sora2":
            for scene in self.scenes:
                if scene.clip_seconds is None:
                    scene.clip_seconds = 8
        return self


def load_document(data: dict[str, Any]) -> ScriptDocument:
    """Validate a stored document, upgrading older schema versions first."""
    version = int(data.get("schema_version", 1))
    if version > SCHEMA_VERSION:
        raise ValueError(f"script schema {version} is newer than this reelforge understands ({SCHEMA_VERSION})")
    return ScriptDocument.model_validate(data)


def estimate_narration_seconds(text: str, language: str) -> float:
    """Rough spoken duration: ~7 Hangul syllables/s for Korean, ~2.7 words/s for English."""
    if language == "ko":
        syllables = sum(1 for ch in text if "\uac00" <= ch <= "\ud7a3" or ch.isalnum())
        return round(syllables / 7.0, 1)
    return round(len(text.split()) / 2.7, 1)
