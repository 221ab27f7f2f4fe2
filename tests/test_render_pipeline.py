"""The render pipeline end to end with real ffmpeg and the offline providers (small, fast renders)."""

from __future__ import annotations

import itertools
import os
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from reelforge.config import Settings
from reelforge.errors import JobCancelled
from reelforge.jobs.context import LocalContext
from reelforge.render import probe as probes
from reelforge.render.compose import compose
from reelforge.render.options import RenderOptions
from reelforge.render.pipeline import (
    PAUSE_SECONDS,
    RenderWork,
    build_plan,
    run_pipeline,
    step_images,
    step_narration,
    step_subtitles,
)
from reelforge.render.subtitles import parse_srt
from reelforge.scripts.schema import Scene, ScriptDocument

pytestmark = pytest.mark.slow  # ffmpeg renders

KO_DOC = ScriptDocument(
    title="가을 단풍은 왜 붉을까",
    language="ko",
    type="shortform",
    scenes=[
        Scene(narration="가을이 되면 산이 붉게 물듭니다. 왜 그럴까요?", image_prompt="가을 산의 노을 풍경"),
        Scene(narration="엽록소가 줄면서 숨어 있던 색이 드러나기 때문입니다.", image_prompt="숲 속의 오솔길 아침 햇살"),
        Scene(narration="오늘 공원에서 직접 확인해 보세요.", image_prompt="calm lake at night with the moon"),
    ],
)


@pytest.fixture
def plain_settings(tmp_path: Path) -> Settings:
    return Settings(env="test", data_dir=tmp_path / "data", _env_file=None)


def _work(settings: Settings, folder: Path, doc: ScriptDocument = KO_DOC, **options: object) -> RenderWork:
    ctx = LocalContext(settings, folder)
    opts = RenderOptions(**{"type": "shortform", "quality": "preview", **options})  # type: ignore[arg-type]
    return RenderWork(ctx, doc, opts)


def _changed_pixels(a: bytes, b: bytes, w: int, y0: int, y1: int) -> int:
    """Pixels in rows y0..y1 whose colour differs clearly (any channel by more than 40)."""
    count = 0
    for i in range(y0 * w * 3, y1 * w * 3, 3):
        if max(abs(a[i] - b[i]), abs(a[i + 1] - b[i + 1]), abs(a[i + 2] - b[i + 2])) > 40:
            count += 1
    return count


def test_shortform_render_meets_the_promises(plain_settings: Settings, tmp_path: Path) -> None:
    work = _work(plain_settings, tmp_path / "job")
    progress: list[float] = []
    work.ctx._on_progress = lambda p, step: progress.append(p)  # type: ignore[attr-defined]
    result = run_pipeline(work)

    speech = result.scene_seconds
    expected = sum(speech) + len(speech) * PAUSE_SECONDS  # narration + the designed pause per scene
    info = probes.probe(plain_settings, result.video)
    assert info.duration == pytest.approx(expected, abs=0.1)
    assert (info.width, info.height) == work.options.frame_size == (270, 480)
    assert info.fps == 30 and info.video_codec == "h264" and info.video_profile == "High"
    assert info.pix_fmt == "yuv420p" and info.audio_codec == "aac" and info.sample_rate == 48000
    assert probes.is_faststart(result.video)
    assert probes.integrated_loudness(plain_settings, result.video) == pytest.approx(-14.0, abs=1.0)
    assert progress == sorted(progress) and progress[-1] == 100.0

    # SRT next to the video: every cue inside the narration of its scene, in order, readable lines
    cues = parse_srt(result.subtitles.read_text(encoding="utf-8"))
    assert len(cues) >= 3
    assert all(a.end <= b.start for a, b in itertools.pairwise(cues))
    assert cues[-1].end <= expected
    assert all(len(line) <= work.options.line_chars for c in cues for line in c.lines)
    assert "".join(c.text.replace("\n", " ") for c in cues).replace(" ", "") == "".join(
        s.narration for s in KO_DOC.scenes
    ).replace(" ", "")

    # Ken Burns: the first scene's picture moves (compare the sky, away from the captions)
    w, h = work.options.frame_size
    early = probes.grab_frame(plain_settings, result.video, 0.2)
    late = probes.grab_frame(plain_settings, result.video, speech[0] - 0.2)
    assert _changed_pixels(early, late, w, 0, h // 2) > w * h // 40

    with Image.open(result.thumbnail) as thumb:
        assert thumb.size == (1280, 720) and thumb.format == "JPEG"
    assert result.thumbnail.stat().st_size < 2 * 1024 * 1024

    # resumable: a second run skips every step and leaves the outputs untouched
    stamp = result.video.stat().st_mtime_ns
    again = run_pipeline(_work(plain_settings, tmp_path / "job"))
    assert again.video.stat().st_mtime_ns == stamp


def test_burned_subtitles_change_the_caption_band_only(plain_settings: Settings, tmp_path: Path) -> None:
    work = _work(plain_settings, tmp_path / "job", subtitles="boxed")
    step_images(work)
    step_narration(work)
    step_subtitles(work)
    with_subs = compose(work.ctx, build_plan(work, tmp_path / "with.mp4"))
    plain = build_plan(work, tmp_path / "without.mp4")
    plain.subtitles = None
    without = compose(work.ctx, plain)
    cue = parse_srt(work.srt_path.read_text(encoding="utf-8"))[1]
    w, h = work.options.frame_size
    a = probes.grab_frame(plain_settings, with_subs, cue.midpoint)
    b = probes.grab_frame(plain_settings, without, cue.midpoint)
    band = _changed_pixels(a, b, w, int(h * 0.6), int(h * 0.85))  # captions sit above the Shorts UI
    sky = _changed_pixels(a, b, w, 0, int(h * 0.5))
    assert band > 100 and sky < band / 20, (band, sky)


def _no_hangul_font(folder: Path) -> Path:
    """The same typeface cut down to Latin letters only (fontTools), under another family name."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    from reelforge.render.fonts import collection_path, kr_face_index

    font = TTCollection(str(collection_path())).fonts[kr_face_index()]
    options = subset.Options()
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=range(0x20, 0x7F))
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 3, 4, 6, 16):
            record.string = "RFLatinOnly"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "latin-only.otf"
    font.save(str(target))
    return target


def test_korean_subtitles_render_without_tofu(plain_settings: Settings, tmp_path: Path) -> None:
    import subprocess

    from reelforge.render.ffmpeg import ffmpeg_path
    from reelforge.render.fonts import fonts_dir
    from reelforge.render.subtitles import Cue, to_ass

    latin = _no_hangul_font(tmp_path / "latin")
    cues = [Cue(0.0, 2.0, ("한국어 자막이 보입니다",))]
    frames = {}
    for name, family, folder in (("noto", "Noto Sans CJK KR", fonts_dir()), ("latin", "RFLatinOnly", latin.parent)):
        ass = tmp_path / f"{name}.ass"
        ass.write_text(to_ass(cues, (960, 540), "clean", font_family=family), encoding="utf-8")
        run = subprocess.run(
            [
                ffmpeg_path(),
                "-hide_banner",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "color=c=0x336699:s=960x540:d=1",
                "-vf",
                f"subtitles=filename={ass}:fontsdir={folder}",
                "-frames:v",
                "1",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "gray",
                "-",
            ],
            capture_output=True,
            check=True,
        )
        frames[name] = run.stdout
        if name == "noto":
            log = run.stderr.decode(errors="replace")
            assert "NotoSansCJKkr" in log and "not found" not in log.lower()
    band = slice(960 * 300, 960 * 540)
    background = frames["noto"][0]
    ink = sum(1 for v in frames["noto"][band] if abs(v - background) > 60)
    ink_latin = sum(1 for v in frames["latin"][band] if abs(v - background) > 60)
    assert ink > 1500, ink  # ten Hangul syllables of real glyphs
    assert frames["noto"][band] != frames["latin"][band]
    assert ink_latin < ink * 0.8  # missing glyphs: tofu boxes or nothing, never the real letters


def _ffmpeg_processes_writing(path: Path) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmd:
            found.append(int(pid))
    return found


def test_cancel_mid_compose_kills_ffmpeg(plain_settings: Settings, tmp_path: Path) -> None:
    work = _work(plain_settings, tmp_path / "job")
    step_images(work)
    step_narration(work)
    step_subtitles(work)
    plan = build_plan(work, tmp_path / "cancelled.mp4")
    plan.size = (640, 1136)
    plan.x264_preset = "slower"  # slow enough to be caught mid-encode
    ctx = work.ctx
    assert isinstance(ctx, LocalContext)
    seen: list[float] = []
    outcome: list[BaseException] = []

    def on_progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0.02:
            ctx.cancel()

    def run() -> None:
        try:
            compose(ctx, plan, on_progress=on_progress)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert outcome and isinstance(outcome[0], JobCancelled)
    assert 0 < seen[-1] < 1.0
    time.sleep(0.2)
    partial = tmp_path / "cancelled.part.mp4"
    assert _ffmpeg_processes_writing(partial) == []
    assert not partial.exists() and not (tmp_path / "cancelled.mp4").exists()


def test_longform_english_with_library_music_and_top_captions(plain_settings: Settings, tmp_path: Path) -> None:
    import subprocess

    from reelforge.render.ffmpeg import ffmpeg_path

    music = tmp_path / "track.wav"
    subprocess.run(
        [
            ffmpeg_path(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=f=330:d=3",
            "-ac",
            "2",
            str(music),
        ],
        check=True,
    )
    doc = ScriptDocument(
        title="How tides work",
        language="en",
        type="longform",
        scenes=[
            Scene(narration="The moon pulls on the oceans.", image_prompt="ocean waves under the moon"),
            Scene(narration="Twice a day, the water rises and falls.", image_prompt="a beach at sunrise"),
        ],
    )
    ctx = LocalContext(plain_settings, tmp_path / "job")
    options = RenderOptions(
        type="longform", language="en", quality="preview", music="library", music_file="track.wav",
        music_volume=0.4, subtitles="bold", subtitle_position="top", transition_seconds=0.8,
    )  # fmt: skip
    result = run_pipeline(RenderWork(ctx, doc, options, music_path=music))
    info = probes.probe(plain_settings, result.video)
    assert (info.width, info.height) == (480, 270)
    assert info.duration == pytest.approx(sum(result.scene_seconds) + 2 * PAUSE_SECONDS, abs=0.1)
    assert probes.integrated_loudness(plain_settings, result.video) == pytest.approx(-14.0, abs=1.0)


def test_sora2_offline_clips_are_narrated_and_joined(plain_settings: Settings, tmp_path: Path) -> None:
    doc = ScriptDocument(
        title="Night city",
        language="en",
        type="sora2",
        scenes=[
            Scene(narration="The city never sleeps.", image_prompt="neon city street at night", clip_seconds=4),
            Scene(narration="Lights flicker on, one by one.", image_prompt="city skyline at dusk", clip_seconds=4),
        ],
    )
    work = _work(plain_settings, tmp_path / "job", doc, type="sora2", language="en", orientation="portrait")
    result = run_pipeline(work)
    info = probes.probe(plain_settings, result.video)
    assert (info.width, info.height) == (270, 480)
    assert info.duration == pytest.approx(sum(result.scene_seconds) + 2 * PAUSE_SECONDS, abs=0.1)
    assert all(work.clip_path(i).is_file() for i in range(2))


def test_hard_cuts_without_crossfades(plain_settings: Settings, tmp_path: Path) -> None:
    work = _work(plain_settings, tmp_path / "job", transition_seconds=0, music="none", subtitles="none")
    result = run_pipeline(work)
    info = probes.probe(plain_settings, result.video)
    assert info.duration == pytest.approx(sum(result.scene_seconds) + 3 * PAUSE_SECONDS, abs=0.1)
