"""The OpenAI-compatible script writer against a real HTTP server on 127.0.0.1 speaking /v1/chat/completions."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from reelforge.config import Settings
from reelforge.errors import PermanentError, TransientError
from reelforge.providers.llm import OpenAIScriptWriter, ScriptRequest, get_script_writer, provider_name
from reelforge.scripts import prompts
from tests.stubs.openai_stub import OpenAIStub

CHAT = "/v1/chat/completions"


def draft(scenes: int = 6, *, clip: int | None = None) -> str:
    return json.dumps(
        {
            "title": "고양이가 상자를 사랑하는 이유",
            "description": "고양이와 상자의 비밀을 알아봅니다.",
            "tags": ["고양이", "#상자", "반려묘"],
            "scenes": [
                {
                    "narration": f"{i + 1}번째 장면의 내레이션입니다.",
                    "visual": f"a cat exploring a cardboard box, shot {i + 1}",
                    "caption": f"장면 {i + 1}",
                    **({"clip_seconds": clip} if clip else {}),
                }
                for i in range(scenes)
            ],
        },
        ensure_ascii=False,
    )


@pytest.fixture
def stub():  # type: ignore[no-untyped-def]
    with OpenAIStub() as server:
        yield server


def llm_settings(tmp_path: Path, stub: OpenAIStub, **extra: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "data_dir": tmp_path / "data",
        "secret_key": "t" * 48,
        "llm_base_url": stub.base_url,
        "llm_api_key": "sk-test",
        "llm_model": "stub-model",
        "llm_timeout_seconds": 5.0,
        "llm_max_retries": 2,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def prompt_set(request: ScriptRequest):  # type: ignore[no-untyped-def]
    return prompts.build_prompt_set(prompts.default_texts(request.type, request.language), request)


REQ = ScriptRequest(topic="고양이가 상자를 좋아하는 이유", type="shortform", language="ko")


@pytest.mark.parametrize("stream", [True, False])
def test_success_with_and_without_streaming_records_usage(tmp_path: Path, stub: OpenAIStub, stream: bool) -> None:
    stub.chat_replies.append(draft(6))
    settings = llm_settings(tmp_path, stub, llm_stream=stream)
    pieces: list[str] = []
    result = OpenAIScriptWriter(settings).write(REQ, prompt_set(REQ), on_text=pieces.append)
    doc = result.document
    assert len(doc.scenes) == 6 and doc.offline_draft is False
    assert doc.tags == ["고양이", "상자", "반려묘"]
    # the image template wrapped the model's visual description
    assert doc.scenes[0].image_prompt.startswith("a cat exploring a cardboard box, shot 1, bold colours")
    assert result.input_tokens > 0 and result.output_tokens > 0
    assert result.provider == "openai" and result.model == "stub-model"
    assert "".join(pieces) == draft(6)
    if stream:
        assert len(pieces) > 5  # arrived in many deltas
    calls = stub.calls(CHAT)
    assert len(calls) == 1
    body = calls[0].body
    assert body["model"] == "stub-model"
    assert body["response_format"] == {"type": "json_object"}
    assert body["messages"][0]["role"] == "system" and "JSON" in body["messages"][0]["content"]
    assert "고양이가 상자를 좋아하는 이유" in body["messages"][1]["content"]
    assert calls[0].headers["authorization"] == "Bearer sk-test"
    if stream:
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    else:
        assert not body.get("stream")


def test_json_schema_mode_sends_the_schema(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.chat_replies.append(draft(6))
    OpenAIScriptWriter(llm_settings(tmp_path, stub, llm_json_mode="json_schema")).write(REQ, prompt_set(REQ))
    fmt = stub.calls(CHAT)[0].body["response_format"]
    assert fmt["type"] == "json_schema" and "scenes" in fmt["json_schema"]["schema"]["properties"]


def test_invalid_json_is_repaired_once(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.chat_replies.extend(['{"title": "broken", "scenes": [', draft(6)])
    result = OpenAIScriptWriter(llm_settings(tmp_path, stub)).write(REQ, prompt_set(REQ))
    assert len(result.document.scenes) == 6 and result.attempts == 2
    calls = stub.calls(CHAT)
    assert len(calls) == 2
    repair = calls[1].body["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"title": "broken", "scenes": ['}
    assert "not valid JSON" in repair[-1]["content"]
    # usage summed over both calls
    assert result.input_tokens > calls[0].body["messages"][0]["content"].count(" ")


def test_wrong_scene_count_is_repaired_and_a_second_failure_is_permanent(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.chat_replies.extend([draft(2), draft(7)])
    result = OpenAIScriptWriter(llm_settings(tmp_path, stub)).write(REQ, prompt_set(REQ))
    assert len(result.document.scenes) == 7
    assert "needs 5 to 8 scenes" in stub.calls(CHAT)[1].body["messages"][-1]["content"]

    stub.chat_replies.extend(["not json at all", '{"title": ""}'])
    with pytest.raises(PermanentError, match="even after one repair request"):
        OpenAIScriptWriter(llm_settings(tmp_path, stub)).write(REQ, prompt_set(REQ))


def test_fenced_json_is_accepted(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.chat_replies.append("Here you go:\n```json\n" + draft(5) + "\n```")
    result = OpenAIScriptWriter(llm_settings(tmp_path, stub)).write(REQ, prompt_set(REQ))
    assert len(result.document.scenes) == 5 and result.attempts == 1


def test_429_is_retried_by_the_sdk(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.fail_next(CHAT, 429, headers={"retry-after-ms": "50"}, body={"error": {"message": "slow down"}})
    stub.chat_replies.append(draft(6))
    result = OpenAIScriptWriter(llm_settings(tmp_path, stub)).write(REQ, prompt_set(REQ))
    assert len(result.document.scenes) == 6
    assert len(stub.calls(CHAT)) == 2


def test_429_beyond_the_sdk_retries_is_transient(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.fail_next(CHAT, 429, times=3, headers={"retry-after-ms": "10"}, body={"error": {"message": "slow down"}})
    with pytest.raises(TransientError, match="rate limiting"):
        OpenAIScriptWriter(llm_settings(tmp_path, stub)).write(REQ, prompt_set(REQ))
    assert len(stub.calls(CHAT)) == 3  # the first try and max_retries=2


def test_timeout_is_permanent_after_the_sdk_retries(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.delay_next(CHAT, 3.0, times=2)
    settings = llm_settings(tmp_path, stub, llm_timeout_seconds=0.3, llm_max_retries=1)
    started = time.monotonic()
    with pytest.raises(PermanentError, match=r"did not answer within 0\.3s"):
        OpenAIScriptWriter(settings).write(REQ, prompt_set(REQ))
    assert time.monotonic() - started < 5
    assert len(stub.calls(CHAT)) == 2


def test_auth_error_is_permanent(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.fail_next(CHAT, 401, body={"error": {"message": "bad key"}})
    with pytest.raises(PermanentError, match="refused the API key"):
        OpenAIScriptWriter(llm_settings(tmp_path, stub)).write(REQ, prompt_set(REQ))


def test_sora2_clip_lengths(tmp_path: Path, stub: OpenAIStub) -> None:
    req = ScriptRequest(topic="Why do cats love boxes", type="sora2", language="en")
    stub.chat_replies.append(draft(3, clip=12))
    result = OpenAIScriptWriter(llm_settings(tmp_path, stub)).write(req, prompt_set(req))
    assert [s.clip_seconds for s in result.document.scenes] == [12, 12, 12]
    assert "clip_seconds" in stub.calls(CHAT)[0].body["messages"][0]["content"]


def test_provider_selection(tmp_path: Path) -> None:
    base = Settings(_env_file=None, env="test", data_dir=tmp_path, secret_key="t" * 48)
    assert provider_name(base) == "offline" and get_script_writer(base).name == "offline"
    assert provider_name(base.model_copy(update={"llm_api_key": "k"})) == "openai"
    assert provider_name(base.model_copy(update={"llm_base_url": "http://127.0.0.1:1/v1"})) == "openai"
    assert provider_name(base.model_copy(update={"llm_api_key": "k", "llm_provider": "offline"})) == "offline"
