"""Small pure parts of the render domain: subtitle cues, options, storage keys, filter escaping, fonts."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from reelforge.render.compose import ComposePlan, Scene, build_command, filter_escape
from reelforge.render.fonts import FAMILY, korean_font_path, kr_face_index, licence_path
from reelforge.render.options import RenderOptions
from reelforge.render.subtitles import build_cues, parse_srt, split_cue_texts, to_ass, to_srt, wrap_words
from reelforge.storage import LocalMediaStore, check_key


def test_korean_wraps_at_spaces_and_never_cuts_a_word() -> None:
    text = "단풍이 물든 산과 맑은 하늘, 그리고 고요한 호수가 우리를 기다립니다."
    pieces = split_cue_texts(text, 14)
    words = text.split()
    assert [w for p in pieces for line in p for w in line.split()] == words
    assert all(len(line) <= 14 for p in pieces for line in p)
    assert all(1 <= len(p) <= 2 for p in pieces)


@given(st.lists(st.text(alphabet="가나다라마바사아자차카타파하 ", min_size=1, max_size=30), min_size=1, max_size=6))
def test_wrapping_keeps_every_character_in_order(chunks: list[str]) -> None:
    text = " ".join(chunks).strip()
    if not text.strip():
        return
    lines = wrap_words(text, 10)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(len(line) <= 10 for line in lines)


def test_cues_follow_the_real_durations() -> None:
    cues = build_cues(["첫 문장입니다. 두 번째 문장은 조금 더 깁니다.", "끝."], [3.0, 1.0], [0.0, 3.35], 24)
    assert cues[0].start == 0.0 and cues[-1].start == pytest.approx(3.35)
    assert cues[1].end <= 3.0 and cues[-1].end <= 4.35
    longer = cues[1].end - cues[1].start
    assert longer > cues[0].end - cues[0].start  # more characters, more time
    assert parse_srt(to_srt(cues)) == cues


def test_ass_is_sized_for_the_frame_and_escapes_overrides() -> None:
    from reelforge.render.subtitles import Cue

    ass = to_ass([Cue(0, 1, ("{\\b1}굵게", "둘째 줄"))], (1080, 1920), "boxed", "bottom")
    assert "PlayResX: 1080" in ass and "PlayResY: 1920" in ass and f"Style: Default,{FAMILY},54.0" in ass
    assert ",384,1" in ass  # Shorts: bottom captions sit 20 % above the bottom edge
    assert "(∖b1)굵게\\N둘째 줄" in ass  # no libass override injection from the script text


def test_options_validation_and_derived_values() -> None:
    o = RenderOptions(type="shortform", quality="preview")
    assert o.frame_size == (270, 480) and o.shape == "tall" and o.line_chars == 14
    assert RenderOptions(type="longform").frame_size == (1920, 1080)
    assert RenderOptions(type="square").shape == "tall"  # same width as a Short: same line length
    assert RenderOptions(type="sora2", orientation="portrait").frame_size == (1080, 1920)
    for bad in (
        {"type": "vertical"},
        {"speed": 3},
        {"music": "library"},
        {"music_file": "x.mp3"},
        {"type": "longform", "orientation": "portrait"},
        {"voice": "ko; rm -rf /"},
        {"unknown": 1},
    ):
        with pytest.raises(ValidationError):
            RenderOptions(**bad)  # type: ignore[arg-type]


def test_media_keys_cannot_escape_the_store(tmp_path: Path) -> None:
    for bad in ("../x", "/etc/passwd", "a/../../b", ".hidden", "a//b", "a/./b", "", "a\\b"):
        with pytest.raises(ValueError):
            check_key(bad)
    store = LocalMediaStore(tmp_path / "media")
    src = tmp_path / "v.mp4"
    src.write_bytes(b"x" * 10)
    obj = store.put("videos/j1/video.mp4", src)
    assert obj.size == 10 and store.local_path("videos/j1/video.mp4") is not None and src.exists()
    assert oct((tmp_path / "media/videos/j1/video.mp4").stat().st_mode & 0o777) == "0o600"
    assert [o.key for o in store.list("videos")] == ["videos/j1/video.mp4"]
    assert store.delete_prefix("videos/j1") == 1 and store.local_path("videos/j1/video.mp4") is None


def test_filter_arguments_are_escaped(tmp_path: Path) -> None:
    assert filter_escape("/a b/it's:[x],y;z") == "/a b/it\\\\\\'s\\\\:\\[x\\]\\,y\\;z"
    plan = ComposePlan(
        scenes=[
            Scene(Path("/tmp/a.png"), Path("/tmp/a.wav"), 2.0, motion="zoom_in"),
            Scene(Path("/tmp/b.png"), Path("/tmp/b.wav"), 3.0, motion="pan_right"),
        ],
        size=(270, 480),
        output=tmp_path / "o.mp4",
        subtitles=Path("/tmp/weird dir/it's.ass"),
    )
    argv = build_command(plan, ffmpeg="ffmpeg")
    graph = argv[argv.index("-filter_complex") + 1]
    assert graph.count("zoompan=") == 1 and graph.count("loop=loop=") == 1  # each still decoded once, then held
    assert "xfade=transition=fade:duration=0.5000:offset=0" in graph and "concat=n=3:v=1:a=0" in graph
    assert "sidechaincompress" in graph and "loudnorm=I=-14.0" in graph and "subtitles=filename=" in graph
    assert "+faststart" in argv and argv[argv.index("-r") + 1] == "30"


def test_segments_overlap_by_the_crossfade_centred_on_each_boundary() -> None:
    from reelforge.render.compose import segments, transition_frames

    scenes = [Scene(Path(f"/tmp/{i}.png"), Path(f"/tmp/{i}.wav"), s) for i, s in enumerate([2.0, 3.15, 1.0])]
    plan = ComposePlan(scenes=scenes, size=(270, 480), output=Path("/tmp/o.mp4"))
    tf = transition_frames(plan)
    spans = segments(plan)
    assert tf == 15 and spans[0][0] == 0
    for (a, n), (b, _) in itertools.pairwise(spans):
        assert a + n - b == tf  # consecutive pictures overlap by exactly the crossfade
    boundaries = [round(t * 30) for t in plan.starts[1:]]
    assert [b + tf // 2 for b, _ in spans[1:]] == boundaries  # ... centred on the next narration's start
    total = sum(n for _, n in spans) - tf * (len(spans) - 1)
    assert total == round(plan.duration * 30)
    short = ComposePlan(scenes=[*scenes[:1], Scene(Path("/x"), Path("/y"), 0.2)], size=(270, 480), output=Path("/o"))
    assert transition_frames(short) < 15  # a very short scene gets a shorter crossfade


def test_the_korean_font_ships_with_its_licence(tmp_path: Path) -> None:
    assert kr_face_index() == 1
    licence = licence_path()
    assert licence is not None and "SIL OPEN FONT LICENSE" in licence.read_text(errors="replace").upper()
    otf = korean_font_path(tmp_path / "fonts")
    assert otf.stat().st_size > 1_000_000 and korean_font_path(tmp_path / "fonts") == otf


def test_artist_reads_the_prompt() -> None:
    from reelforge.providers.image.offline_artist import SUBJECTS, THEMES, _pick

    assert _pick("A relaxed cat on a cardboard box, cozy home interior", THEMES) == "indoor"
    assert _pick("A relaxed cat on a cardboard box", SUBJECTS) == "cat"
    assert _pick("가을 산에 오르는 길", THEMES) == "mountains"
    assert _pick("산업 혁명의 역사", THEMES) is None  # 산 inside 산업 is not a mountain
    assert _pick("neon city street at night", THEMES) == "city"
    assert _pick("바다 위의 노을", THEMES) == "sea"


def test_karaoke_preset_times_each_word() -> None:
    import re

    from reelforge.render.subtitles import Cue

    ass = to_ass([Cue(1.0, 3.0, ("가을 단풍은", "왜 붉을까"))], (1080, 1920), "karaoke-yellow")
    line = ass.strip().splitlines()[-1]
    ticks = [int(x) for x in re.findall(r"\\kf(\d+)", line)]
    assert len(ticks) == 4 and sum(ticks) <= 200 and ticks[1] > ticks[0]  # longer words take longer
    assert "\\N" in line and ",&H00FFFFFF," in ass  # words fill from white to yellow
