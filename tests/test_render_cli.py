"""`reelforge generate`: topic to MP4 + SRT + thumbnail without the server (offline providers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from reelforge.cli import app
from reelforge.config import Settings
from reelforge.render.probe import probe
from tests.factories import DOC


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from reelforge.config import get_settings

    monkeypatch.setenv("REELFORGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REELFORGE_LLM_PROVIDER", "offline")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.mark.slow
def test_generate_from_a_topic(env: Path) -> None:
    out = env / "out" / "short.mp4"
    argv = ["generate", "고양이가 상자를 좋아하는 이유", "--type", "shortform", "--lang", "ko", "-o", str(out)]
    argv += ["--quality", "preview", "--music", "none"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    info = probe(Settings(_env_file=None), out)
    assert (info.width, info.height) == (270, 480) and info.duration > 10
    assert "-->" in out.with_suffix(".srt").read_text(encoding="utf-8")
    with Image.open(out.with_suffix(".jpg")) as thumb:
        assert thumb.size == (1280, 720)
    # the work folder is kept: a second run resumes and only copies the results
    again = CliRunner().invoke(app, argv)
    assert again.exit_code == 0 and "already rendered" in again.output


def test_generate_a_script_file_and_bad_options(env: Path) -> None:
    script = env / "script.json"
    script.write_text(json.dumps(DOC.model_dump(mode="json"), ensure_ascii=False), encoding="utf-8")
    out = env / "sq.mp4"
    argv = ["generate", "--script", str(script), "--type", "square", "-o", str(out), "--quality", "preview"]
    ok = CliRunner().invoke(app, argv)
    assert ok.exit_code == 0, ok.output
    assert probe(Settings(_env_file=None), out).width == 270
    bad = CliRunner().invoke(app, ["generate", "x", "--type", "vertical", "-o", str(out)])
    assert bad.exit_code == 2 and "invalid option" in bad.output
    missing = CliRunner().invoke(app, ["generate", "-o", str(out)])
    assert missing.exit_code == 2
