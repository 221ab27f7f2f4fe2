"""The render pipeline as database-free steps: script document + options -> MP4, SRT, thumbnail.

Every step reads and writes only the job's work folder (`ctx.workdir`) and is skipped
when its outputs already exist, so a retried or reclaimed job resumes where it stopped:

    images/scene-01.png ...      (or clips/scene-01.mp4 for sora2)
    audio/scene-01.wav ...       audio/narration.json (real per-scene durations)
    subtitles.srt, subtitles.ass
    video.mp4
    thumbnail.jpg

`run_pipeline` runs them in order for the CLI and tests; the job runner calls the same
step functions one by one (`reelforge.render.tasks`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reelforge.errors import PermanentError
from reelforge.i18n import stored
from reelforge.jobs.context import JobContext
from reelforge.providers.image import ImageProvider, image_provider
from reelforge.providers.tts import SpeechProvider, speech_provider, wav_seconds
from reelforge.providers.video import VideoProvider, video_provider
from reelforge.render import messages
from reelforge.render.compose import MOTION_MARGIN, MOTIONS, ComposePlan, Scene, compose, plan_from_options
from reelforge.render.options import RenderOptions
from reelforge.render.subtitles import build_cues, to_ass, to_srt, write_text_atomic
from reelforge.render.thumbnail import make_thumbnail, strongest
from reelforge.scripts.schema import ScriptDocument

Report = Callable[[float], None]

# Share of the overall progress bar per step (compose dominates the wall time).
STEP_WEIGHTS: dict[str, float] = {"images": 14, "narration": 8, "subtitles": 1, "compose": 72, "thumbnail": 5}
STEPS = tuple(STEP_WEIGHTS)
PAUSE_SECONDS = 0.35


@dataclass
class Providers:
    image: ImageProvider | None = None
    speech: SpeechProvider | None = None
    video: VideoProvider | None = None  # sora2 only


@dataclass
class RenderWork:
    """What every step needs: the script, the options, where to write, and the providers."""

    ctx: JobContext
    document: ScriptDocument
    options: RenderOptions
    providers: Providers = field(default_factory=Providers)
    music_path: Path | None = None  # the library file when options.music == "library"

    @property
    def dir(self) -> Path:
        return self.ctx.workdir

    def image_path(self, i: int) -> Path:
        return self.dir / "images" / f"scene-{i + 1:02d}.png"

    def clip_path(self, i: int) -> Path:
        return self.dir / "clips" / f"scene-{i + 1:02d}.mp4"

    def audio_path(self, i: int) -> Path:
        return self.dir / "audio" / f"scene-{i + 1:02d}.wav"

    @property
    def narration_manifest(self) -> Path:
        return self.dir / "audio" / "narration.json"

    @property
    def srt_path(self) -> Path:
        return self.dir / "subtitles.srt"

    @property
    def ass_path(self) -> Path:
        return self.dir / "subtitles.ass"

    @property
    def video_path(self) -> Path:
        return self.dir / "video.mp4"

    @property
    def thumbnail_path(self) -> Path:
        return self.dir / "thumbnail.jpg"

    @property
    def is_clips(self) -> bool:
        return self.options.type == "sora2"

    def visuals(self) -> list[Path]:
        n = len(self.document.scenes)
        return [self.clip_path(i) if self.is_clips else self.image_path(i) for i in range(n)]


@dataclass
class RenderResult:
    video: Path
    subtitles: Path
    thumbnail: Path
    duration: float
    size_bytes: int
    scene_seconds: list[float]


def _noop(_: float) -> None:
    return None


# --------------------------------------------------------------------------- steps
def step_images(work: RenderWork, report: Report = _noop) -> list[Path]:
    """One still per scene (or one clip per scene for sora2)."""
    if work.is_clips:
        return _step_clips(work, report)
    provider = work.providers.image or image_provider(work.ctx.settings)
    w, h = work.options.frame_size
    # paint at the size the motion needs (frame + margin), so Ken Burns never upscales the picture
    size = (int(w * (1 + MOTION_MARGIN)), int(h * (1 + MOTION_MARGIN)))
    scenes = work.document.scenes
    made = 0
    for i, scene in enumerate(scenes):
        work.ctx.check_cancelled()
        target = work.image_path(i)
        if target.is_file():
            report((i + 1) / len(scenes))
            continue
        result = provider.generate(scene.image_prompt, target, size=size)
        made += 1
        work.ctx.log(
            stored.text(
                messages.IMAGE_MADE,
                n=i + 1,
                total=len(scenes),
                provider=result.provider,
                prompt=scene.image_prompt[:80],
            )
        )
        report((i + 1) / len(scenes))
    if made == 0:
        work.ctx.log(stored.text(messages.IMAGES_SKIPPED))
    return work.visuals()


def _step_clips(work: RenderWork, report: Report) -> list[Path]:
    provider = work.providers.video or video_provider(work.ctx.settings)
    scenes = work.document.scenes
    w, h = work.options.frame_size
    for i, scene in enumerate(scenes):
        work.ctx.check_cancelled()
        target = work.clip_path(i)
        if target.is_file():
            report((i + 1) / len(scenes))
            continue
        seconds = scene.clip_seconds or 8

        def sub_report(fraction: float, i: int = i) -> None:
            report((i + max(0.0, min(1.0, fraction))) / len(scenes))

        result = provider.generate(
            work.ctx, scene.image_prompt, target, seconds=seconds, size=(w, h), report=sub_report
        )
        work.ctx.log(
            stored.text(
                messages.CLIP_MADE,
                n=i + 1,
                total=len(scenes),
                seconds=seconds,
                provider=result.provider,
                prompt=scene.image_prompt[:80],
            )
        )
        report((i + 1) / len(scenes))
    return work.visuals()


def step_narration(work: RenderWork, report: Report = _noop) -> list[float]:
    """One WAV per scene; the real durations are kept in audio/narration.json."""
    manifest = _read_json(work.narration_manifest)
    seconds: dict[str, float] = manifest.get("seconds", {}) if isinstance(manifest, dict) else {}
    scenes = work.document.scenes
    provider: SpeechProvider | None = work.providers.speech
    for i, scene in enumerate(scenes):
        work.ctx.check_cancelled()
        target = work.audio_path(i)
        key = str(i)
        if target.is_file() and key in seconds:
            report((i + 1) / len(scenes))
            continue
        if target.is_file():
            seconds[key] = wav_seconds(target)
            continue
        if provider is None:
            provider = speech_provider(work.ctx.settings, work.options.tts_provider)
        result = provider.synthesize(
            scene.narration, target, language=work.options.language, voice=work.options.voice, speed=work.options.speed
        )
        if result.seconds < 0.05:
            raise PermanentError(f"scene {i + 1}: the speech provider returned no audible audio")
        seconds[key] = round(result.seconds, 4)
        work.ctx.log(
            stored.text(
                messages.NARRATION_MADE,
                n=i + 1,
                total=len(scenes),
                provider=result.provider,
                seconds=f"{result.seconds:.2f}",
            )
        )
        _write_json(work.narration_manifest, {"seconds": seconds})
        report((i + 1) / len(scenes))
    _write_json(work.narration_manifest, {"seconds": seconds})
    return [float(seconds[str(i)]) for i in range(len(scenes))]


def scene_seconds(work: RenderWork) -> list[float]:
    manifest = _read_json(work.narration_manifest)
    seconds = manifest.get("seconds", {}) if isinstance(manifest, dict) else {}
    try:
        return [float(seconds[str(i)]) for i in range(len(work.document.scenes))]
    except KeyError:
        raise PermanentError("narration is missing: run the narration step first") from None


def step_subtitles(work: RenderWork, report: Report = _noop) -> Path:
    """SRT (kept next to the video) and the styled ASS that is burned in."""
    if work.srt_path.is_file() and (work.ass_path.is_file() or work.options.subtitles == "none"):
        return work.srt_path
    seconds = scene_seconds(work)
    starts, t = [], 0.0
    for s in seconds:
        starts.append(t)
        t += s + PAUSE_SECONDS
    cues = build_cues([s.narration for s in work.document.scenes], seconds, starts, work.options.line_chars)
    if work.options.subtitles != "none":
        ass = to_ass(cues, work.options.frame_size, work.options.subtitles, work.options.subtitle_position)
        write_text_atomic(work.ass_path, ass)
    write_text_atomic(work.srt_path, to_srt(cues))
    work.ctx.log(stored.text(messages.SUBTITLES_MADE, count=len(cues)))
    report(1.0)
    return work.srt_path


def _motions(work: RenderWork) -> list[str]:
    offset = int(hashlib.sha256(work.document.title.encode()).hexdigest(), 16) % len(MOTIONS)
    return [MOTIONS[(offset + i) % len(MOTIONS)] for i in range(len(work.document.scenes))]


def build_plan(work: RenderWork, output: Path | None = None) -> ComposePlan:
    seconds = scene_seconds(work)
    visuals = work.visuals()
    missing = [p.name for p in visuals if not p.is_file()]
    if missing:
        raise PermanentError(f"scene visuals are missing: {', '.join(missing)}")
    scenes = [
        Scene(visual=v, audio=work.audio_path(i), speech_seconds=seconds[i], is_clip=work.is_clips, motion=m)
        for i, (v, m) in enumerate(zip(visuals, _motions(work), strict=True))
    ]
    music: str = work.options.music
    if music == "library":
        if work.music_path is None or not work.music_path.is_file():
            raise PermanentError("the chosen music track is no longer in the library")
        music = str(work.music_path)
    plan = plan_from_options(
        work.options,
        scenes,
        output or work.video_path,
        subtitles=work.ass_path if work.options.subtitles != "none" else None,
        music=music,
        threads=work.ctx.settings.ffmpeg_threads,
    )
    plan.pause = PAUSE_SECONDS
    return plan


def step_compose(work: RenderWork, report: Report = _noop) -> Path:
    if work.video_path.is_file():
        work.ctx.log(stored.text(messages.COMPOSE_SKIPPED))
        return work.video_path
    plan = build_plan(work)
    return compose(work.ctx, plan, on_progress=report)


def step_thumbnail(work: RenderWork, report: Report = _noop) -> Path:
    if work.thumbnail_path.is_file():
        return work.thumbnail_path
    if work.is_clips:
        stills = _clip_stills(work)
    else:
        stills = [p for p in work.visuals() if p.is_file()]
    make_thumbnail(strongest(stills), work.document.title, work.thumbnail_path)
    report(1.0)
    return work.thumbnail_path


def _clip_stills(work: RenderWork) -> list[Path]:
    """One frame from the middle of each clip (ffmpeg), to choose and paint the thumbnail from."""
    from reelforge.render.ffmpeg import ffmpeg_path

    out = []
    for i, clip in enumerate(work.visuals()):
        still = work.dir / "clips" / f"scene-{i + 1:02d}.jpg"
        if not still.is_file():
            argv = [ffmpeg_path(work.ctx.settings.ffmpeg), "-hide_banner", "-loglevel", "error", "-y", "-ss", "1"]
            argv += ["-i", str(clip), "-frames:v", "1", "-q:v", "3", str(still)]
            work.ctx.run_process(argv, timeout=60)
        if still.is_file():
            out.append(still)
    return out


STEP_FUNCTIONS: dict[str, Callable[[RenderWork, Report], object]] = {
    "images": step_images,
    "narration": step_narration,
    "subtitles": step_subtitles,
    "compose": step_compose,
    "thumbnail": step_thumbnail,
}


def result_of(work: RenderWork) -> RenderResult:
    from reelforge.render.probe import probe

    info = probe(work.ctx.settings, work.video_path)
    return RenderResult(
        video=work.video_path,
        subtitles=work.srt_path,
        thumbnail=work.thumbnail_path,
        duration=info.duration,
        size_bytes=work.video_path.stat().st_size,
        scene_seconds=scene_seconds(work),
    )


def run_pipeline(
    work: RenderWork,
    *,
    on_step: Callable[[str, float], None] | None = None,
) -> RenderResult:
    """Run every step in order; progress goes to ctx.progress (overall) and on_step (per step)."""
    total = sum(STEP_WEIGHTS.values())
    done = 0.0
    for name in STEPS:
        weight = STEP_WEIGHTS[name]

        def report(fraction: float, name: str = name, base: float = done, weight: float = weight) -> None:
            fraction = max(0.0, min(1.0, fraction))
            work.ctx.progress((base + weight * fraction) * 100 / total, name)
            if on_step is not None:
                on_step(name, fraction)

        work.ctx.check_cancelled()
        report(0.0)
        STEP_FUNCTIONS[name](work, report)
        report(1.0)
        done += weight
    return result_of(work)


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
