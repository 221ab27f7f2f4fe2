"""API shapes of the scripts domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reelforge.scripts.schema import Scene, ScriptDocument
from reelforge.web.params import CleanInput, Version


class ScriptCreate(CleanInput):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(description="What the video is about (at most REELFORGE_SCRIPT_TOPIC_MAX_CHARS characters).")
    type: str = Field(default="shortform", description="longform, shortform or sora2")
    language: str = Field(default="ko", description="ko or en")
    tone: str = Field(default="friendly", description="friendly, informative, energetic, calm or humorous")
    length: str = Field(
        default="standard", description="short, standard or long (how many scenes within the type's range)"
    )
    scene_count: int | None = Field(default=None, description="Exact scene count (clamped to the type's range)")


class SceneOut(Scene):
    estimated_seconds: float = 0.0


class ScriptOut(BaseModel):
    """A script without its document (lists)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    original_topic: str
    type: str
    language: str
    status: str
    progress: int
    step: str
    error: str | None
    provider: str
    input_tokens: int
    output_tokens: int
    options: dict[str, Any]
    folder_id: str | None = None
    offline_draft: bool = False
    scene_count: int = 0
    estimated_seconds: float = 0.0
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None


class ScriptDetail(ScriptOut):
    content: dict[str, Any] | None = Field(default=None, description="The script document (see ScriptDocument)")
    scenes: list[SceneOut] = Field(
        default_factory=list, description="The document's scenes with estimated narration seconds"
    )


class ScriptPage(BaseModel):
    items: list[ScriptOut]
    next_cursor: str | None


class SceneIn(CleanInput):
    model_config = ConfigDict(extra="ignore")

    narration: str
    image_prompt: str
    caption: str | None = None
    clip_seconds: int | None = None


class ScriptUpdate(CleanInput):
    """Edit a finished script. `scenes`, when given, replaces the list (add/remove/reorder)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    scenes: list[SceneIn] | None = None
    expected_updated_at: datetime | None = Field(
        default=None, description="The updated_at you edited; a newer save in between answers 409"
    )


class ScriptLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    level: str
    log_message: str  # as stored (English for lines the system writes)
    created_at: datetime
    text: str = ""  # the line in the reader's language


class TypeInfo(BaseModel):
    type: str
    scene_min: int
    scene_max: int


class ScriptOptions(BaseModel):
    types: list[TypeInfo]
    languages: list[str]
    tones: list[str]
    lengths: list[str]
    topic_max_chars: int
    price: int
    provider: Literal["openai", "offline"]


class CancelOut(BaseModel):
    id: str
    result: str


# ------------------------------------------------------------------ prompts (admin)
class PromptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    type: str
    language: str
    name: str
    system_prompt: str
    scene_template: str
    image_template: str
    version: int
    updated_by: str | None
    updated_at: datetime


class PromptUpdate(CleanInput):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    system_prompt: str | None = None
    scene_template: str | None = None
    image_template: str | None = None


class PromptPreviewIn(CleanInput):
    model_config = ConfigDict(extra="forbid")

    system_prompt: str | None = None
    scene_template: str | None = None
    image_template: str | None = None
    topic: str | None = Field(default=None, max_length=200)


class PromptPreviewOut(BaseModel):
    topic: str
    system: str
    user: str
    image_prompt: str


class PromptVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    system_prompt: str
    scene_template: str
    image_template: str
    created_by: str | None
    created_at: datetime


class PromptRevertIn(CleanInput):
    version: Version


class VariablesOut(BaseModel):
    text: dict[str, str]
    image: dict[str, str]


__all__ = ["ScriptDocument"]
