"""Script-writing providers: any OpenAI-compatible chat endpoint, or the offline writer.

`ScriptWriter` is the interface the script job uses. Two implementations:

- `OpenAIScriptWriter` drives the official `openai` SDK against a configurable
  `base_url` (OpenAI, Ollama, vLLM, DeepSeek, Gemini's compatible endpoint). It asks for
  JSON (JSON-schema or JSON mode, a setting, since compatible servers differ), streams
  the text to a callback so the job log shows it being written, validates the answer
  with pydantic into a `ScriptDocument`, and asks once for a repair when the answer is
  not valid. Token usage is summed over every call (streaming usage needs
  `stream_options.include_usage`). The SDK retries 429/5xx/timeouts itself; what is
  left after its retries is mapped to `TransientError` (overload, connection) or
  `PermanentError` (timeout, auth, bad request, still-invalid JSON).
- `OfflineScriptWriter` wraps `reelforge.providers.offline_writer`: deterministic
  templates, no network, marked `offline_draft=True`. It is the default without a key.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reelforge import metrics
from reelforge.config import Settings
from reelforge.errors import JobCancelled, PermanentError, TransientError
from reelforge.providers.script_schema import CLIP_SECONDS, SCENE_BOUNDS, Scene, ScriptDocument

TextCallback = Callable[[str], None]
CancelCheck = Callable[[], bool]


@dataclass(frozen=True)
class ScriptRequest:
    """What the user asked for."""

    topic: str
    type: str = "shortform"
    language: str = "ko"
    tone: str = "friendly"
    length: str = "standard"
    scene_count: int | None = None

    def scene_target(self) -> int:
        """How many scenes to write: the user's count clamped to the type's bounds, else by length."""
        low, high = SCENE_BOUNDS[self.type]
        if self.scene_count is not None:
            return max(low, min(high, self.scene_count))
        standard = {"longform": 10, "shortform": 6, "sora2": 3}[self.type]
        return {"short": low, "standard": standard, "long": high}.get(self.length, standard)

    def target_seconds(self) -> int:
        n = self.scene_target()
        if self.type == "shortform":
            return min(60, n * 9)
        if self.type == "sora2":
            return n * 8
        return n * 30


@dataclass(frozen=True)
class PromptSet:
    """Rendered prompt texts for one request (see reelforge.scripts.prompts)."""

    system: str
    user: str
    image_template: str  # still a template: rendered per scene with {visual}
    prompt_id: str = ""
    prompt_version: int = 0
    render_image: Callable[[str], str] | None = None


@dataclass
class WriteResult:
    document: ScriptDocument
    input_tokens: int = 0
    output_tokens: int = 0
    provider: str = ""
    model: str = ""
    attempts: int = 1
    raw_text: str = ""


class ScriptWriter(Protocol):
    name: str

    def write(
        self,
        request: ScriptRequest,
        prompts: PromptSet,
        *,
        on_text: TextCallback | None = None,
        is_cancelled: CancelCheck | None = None,
    ) -> WriteResult: ...


# ----------------------------------------------------------------- the model's answer
class DraftScene(BaseModel):
    """One scene as the model writes it: `visual` becomes the image prompt through the image template."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, populate_by_name=True)

    narration: str = Field(min_length=1, max_length=2000)
    visual: str = Field(min_length=1, max_length=1500, alias="visual")
    caption: str | None = Field(default=None, max_length=200)
    clip_seconds: int | None = None


class DraftScript(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=30)
    scenes: list[DraftScene] = Field(min_length=1, max_length=40)


def draft_json_schema() -> dict[str, Any]:
    return DraftScript.model_json_schema(by_alias=True)


class DraftInvalid(ValueError):
    """The model's text is not a usable script; `reason` is sent back in the repair request."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


def extract_json(text: str) -> Any:
    """Parse the model's JSON, tolerating a Markdown fence or prose around one object."""
    cleaned = _FENCE.sub("", text.strip())
    try:
        return json.loads(cleaned)
    except ValueError as first:
        start, end = cleaned.find("{"), cleaned.rfind("}")
        if start == -1:
            raise DraftInvalid("the answer contains no JSON object") from None
        if end > start:
            try:
                return json.loads(cleaned[start : end + 1])
            except ValueError as exc:
                raise DraftInvalid(f"the answer is not valid JSON ({exc})") from exc
        raise DraftInvalid(f"the answer is not valid JSON ({first})") from first


def _normalise_scene_keys(data: Any) -> Any:
    """Accept common synonyms models use for the visual description, and trim over-long metadata
    (a title of 104 characters is not worth a repair round)."""
    if isinstance(data, dict):
        if isinstance(data.get("title"), str):
            data["title"] = data["title"].strip()[:100]
        if isinstance(data.get("description"), str):
            data["description"] = data["description"][:5000]
        if isinstance(data.get("tags"), list):
            data["tags"] = [str(t)[:100] for t in data["tags"] if isinstance(t, (str, int))][:30]
    if isinstance(data, dict) and isinstance(data.get("scenes"), list):
        for scene in data["scenes"]:
            if isinstance(scene, dict) and "visual" not in scene:
                for key in ("image_prompt", "image", "visual_description", "prompt"):
                    if isinstance(scene.get(key), str):
                        scene["visual"] = scene[key]
                        break
    return data


def build_document(text: str, request: ScriptRequest, prompts: PromptSet) -> ScriptDocument:
    """Validate the model's answer into the script document, or raise DraftInvalid with the reason."""
    data = _normalise_scene_keys(extract_json(text))
    try:
        draft = DraftScript.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'root'}: {err['msg']}" for err in exc.errors()[:8]
        )
        raise DraftInvalid(f"the JSON does not match the schema ({problems})") from exc
    low, high = SCENE_BOUNDS[request.type]
    if not low <= len(draft.scenes) <= high:
        raise DraftInvalid(f"a {request.type} script needs {low} to {high} scenes, the answer has {len(draft.scenes)}")
    render_image = prompts.render_image or (lambda visual: visual)
    scenes: list[Scene] = []
    for s in draft.scenes:
        clip = None
        if request.type == "sora2":
            clip = s.clip_seconds if s.clip_seconds in CLIP_SECONDS else 8
        scenes.append(
            Scene(
                narration=s.narration, image_prompt=render_image(s.visual)[:2000], caption=s.caption, clip_seconds=clip
            )
        )
    try:
        return ScriptDocument(
            title=draft.title,
            description=draft.description,
            tags=draft.tags,
            language=request.language,  # type: ignore[arg-type]
            type=request.type,  # type: ignore[arg-type]
            target_duration_seconds=request.target_seconds(),
            scenes=scenes,
            offline_draft=False,
        )
    except ValidationError as exc:
        raise DraftInvalid(f"the script is not valid ({exc.errors()[0]['msg']})") from exc


# ----------------------------------------------------------------- OpenAI-compatible client
@dataclass
class _Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0
    texts: list[str] = field(default_factory=list)


class OpenAIScriptWriter:
    """Writes scripts through any OpenAI-compatible `/v1/chat/completions` endpoint."""

    name = "openai"

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        self.settings = settings
        self.model = settings.llm_model
        self.client = OpenAI(
            api_key=settings.llm_api_key or "unused",  # local servers (Ollama, vLLM) accept any key
            base_url=settings.llm_base_url or None,
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )

    @property
    def endpoint(self) -> str:
        return str(self.client.base_url).rstrip("/")

    def _response_format(self) -> Any:
        mode = self.settings.llm_json_mode
        if mode == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": "script", "schema": draft_json_schema(), "strict": False},
            }
        if mode == "json_object":
            return {"type": "json_object"}
        return None

    def _call(
        self,
        messages: list[dict[str, str]],
        usage: _Usage,
        on_text: TextCallback | None,
        is_cancelled: CancelCheck | None,
    ) -> str:
        import openai

        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.settings.llm_temperature,
        }
        fmt = self._response_format()
        if fmt is not None:
            kwargs["response_format"] = fmt
        usage.calls += 1
        try:
            if not self.settings.llm_stream:
                completion = self.client.chat.completions.create(**kwargs)
                text = (completion.choices[0].message.content or "") if completion.choices else ""
                if completion.usage is not None:
                    usage.input_tokens += completion.usage.prompt_tokens or 0
                    usage.output_tokens += completion.usage.completion_tokens or 0
                if on_text and text:
                    on_text(text)
                return text
            parts: list[str] = []
            stream = self.client.chat.completions.create(**kwargs, stream=True, stream_options={"include_usage": True})
            with stream:
                for chunk in stream:
                    if is_cancelled is not None and is_cancelled():
                        raise JobCancelled("cancelled by the user")
                    if chunk.usage is not None:
                        usage.input_tokens += chunk.usage.prompt_tokens or 0
                        usage.output_tokens += chunk.usage.completion_tokens or 0
                    for choice in chunk.choices:
                        piece = choice.delta.content if choice.delta else None
                        if piece:
                            parts.append(piece)
                            if on_text:
                                on_text(piece)
            return "".join(parts)
        except openai.APITimeoutError as exc:
            raise PermanentError(
                f"the model at {self.endpoint} did not answer within {self.settings.llm_timeout_seconds:g}s "
                f"({self.settings.llm_max_retries + 1} tries)"
            ) from exc
        except openai.RateLimitError as exc:
            raise TransientError(f"the model at {self.endpoint} is rate limiting (HTTP 429): {_msg(exc)}") from exc
        except openai.InternalServerError as exc:
            raise TransientError(f"the model at {self.endpoint} failed (HTTP {exc.status_code}): {_msg(exc)}") from exc
        except openai.APIConnectionError as exc:
            raise TransientError(f"cannot reach the model at {self.endpoint}: {exc}") from exc
        except openai.AuthenticationError as exc:
            raise PermanentError(f"the model at {self.endpoint} refused the API key (HTTP 401)") from exc
        except openai.APIStatusError as exc:
            raise PermanentError(
                f"the model at {self.endpoint} refused the request (HTTP {exc.status_code}): {_msg(exc)}"
            ) from exc

    @metrics.counts_provider_errors("openai-llm")
    def write(
        self,
        request: ScriptRequest,
        prompts: PromptSet,
        *,
        on_text: TextCallback | None = None,
        is_cancelled: CancelCheck | None = None,
    ) -> WriteResult:
        if not self.settings.llm_api_key and not self.settings.llm_base_url:
            raise PermanentError(
                "REELFORGE_LLM_PROVIDER is openai but neither REELFORGE_LLM_API_KEY nor REELFORGE_LLM_BASE_URL is set"
            )
        messages = [{"role": "system", "content": prompts.system}, {"role": "user", "content": prompts.user}]
        usage = _Usage()
        text = self._call(messages, usage, on_text, is_cancelled)
        try:
            document = build_document(text, request, prompts)
        except DraftInvalid as first:
            # One repair round: show the model its answer and what is wrong with it.
            messages += [
                {"role": "assistant", "content": text[:20000]},
                {
                    "role": "user",
                    "content": (
                        f"That answer cannot be used: {first.reason}. Reply again with only the corrected "
                        "JSON object, following the same schema."
                    ),
                },
            ]
            if on_text:
                on_text("\n")
            text = self._call(messages, usage, on_text, is_cancelled)
            try:
                document = build_document(text, request, prompts)
            except DraftInvalid as second:
                raise PermanentError(
                    f"the model's answer was not a valid script, even after one repair request: {second.reason}"
                ) from second
        return WriteResult(
            document=document,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            provider=self.name,
            model=self.model,
            attempts=usage.calls,
            raw_text=text,
        )


def _msg(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
    return str(exc)[:300]


# ----------------------------------------------------------------- offline
class OfflineScriptWriter:
    """The no-network writer: deterministic templates in Korean and English."""

    name = "offline"
    model = "offline-template-v1"

    def write(
        self,
        request: ScriptRequest,
        prompts: PromptSet,
        *,
        on_text: TextCallback | None = None,
        is_cancelled: CancelCheck | None = None,
    ) -> WriteResult:
        # at call time: the offline writer imports ScriptRequest from this module
        from reelforge.providers.offline_writer import write_offline

        document = write_offline(request, render_image=prompts.render_image)
        if on_text is not None:
            for i, scene in enumerate(document.scenes, 1):
                if is_cancelled is not None and is_cancelled():
                    raise JobCancelled("cancelled by the user")
                on_text(f"[{i}] {scene.narration}\n")
                time.sleep(0)
        return WriteResult(document=document, provider=self.name, model=self.model)


def provider_name(settings: Settings) -> str:
    """Which writer the settings select: "openai" with a key or base URL, else "offline"."""
    if settings.llm_provider == "offline":
        return "offline"
    if settings.llm_provider == "openai":
        return "openai"
    return "openai" if (settings.llm_api_key or settings.llm_base_url) else "offline"


def get_script_writer(settings: Settings, name: str | None = None) -> ScriptWriter:
    chosen = name or provider_name(settings)
    if chosen == "openai":
        return OpenAIScriptWriter(settings)
    return OfflineScriptWriter()
