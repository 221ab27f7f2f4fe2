"""`reelforge script "topic"` prints a script without a server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "REELFORGE_DATA_DIR": str(tmp_path / "data"),
        "REELFORGE_LLM_API_KEY": "",
        "REELFORGE_LLM_BASE_URL": "",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "reelforge", "script", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_cli_prints_an_offline_script(tmp_path: Path) -> None:
    out = run_cli(tmp_path, "고양이가 상자를 좋아하는 이유", "--type", "shortform", "--lang", "ko", "--no-db")
    assert out.returncode == 0, out.stderr
    assert "고양이가 상자를 좋아하는 이유 4가지" in out.stdout and "(offline draft)" in out.stdout
    assert "1. 고양이가 상자를 좋아하는 이유" in out.stdout and "estimated narration:" in out.stdout


def test_cli_json_and_database_templates(tmp_path: Path) -> None:
    target = tmp_path / "script.json"
    out = run_cli(tmp_path, "Why do cats love boxes", "--type", "sora2", "--lang", "en", "--json", "--out", str(target))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["type"] == "sora2" and len(doc["scenes"]) == 3 and doc["offline_draft"] is True
    assert json.loads(target.read_text()) == doc


def test_cli_refuses_bad_input(tmp_path: Path) -> None:
    out = run_cli(tmp_path, "x" * 300, "--no-db")
    assert out.returncode == 2 and "limit is 200" in out.stderr
    out = run_cli(tmp_path, "topic", "--type", "movie", "--no-db")
    assert out.returncode == 2 and "Unknown script type" in out.stderr


def test_cli_uses_the_configured_model(tmp_path: Path) -> None:
    from tests.stubs.openai_stub import OpenAIStub
    from tests.test_scripts_llm import draft

    with OpenAIStub() as stub:
        stub.chat_replies.append(draft(6))
        env_extra = {"REELFORGE_LLM_BASE_URL": stub.base_url, "REELFORGE_LLM_MODEL": "stub-model"}
        env = {**os.environ, "REELFORGE_DATA_DIR": str(tmp_path / "data"), "REELFORGE_LLM_API_KEY": "", **env_extra}
        out = subprocess.run(
            [sys.executable, "-m", "reelforge", "script", "고양이가 상자를 좋아하는 이유", "--no-db"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert stub.calls("/v1/chat/completions")[0].body["model"] == "stub-model"
    assert "고양이가 상자를 사랑하는 이유" in out.stdout and "(offline draft)" not in out.stdout
    assert "tokens:" in out.stdout
