"""The one-pass ffmpeg render: stills (or clips) + narration + music + subtitles -> MP4.

One ffmpeg process, one filter graph:

- video: each still is decoded once, scaled once to cover the frame plus a motion margin
  and converted to yuv420p once; pans hold it with the `loop` filter and move a `crop`
  window (no pixel work), zooms use `zoompan` (which also holds the single frame). Scenes
  overlap by the crossfade: only the overlapping frames go through `xfade`, the rest is
  joined with `concat`. Subtitles are burned with libass (`subtitles=...:fontsdir=...`,
  Noto Sans CJK KR from its wheel).
- audio: per-scene narration padded with a short pause and concatenated, background
  music (a generated ambient bed, or a library file looped) ducked under the voice with
  `sidechaincompress`, mixed, and normalised to -14 LUFS with `loudnorm` in linear mode
  using values measured by a quick audio-only analysis pass of the same audio graph.
- output: H.264 High yuv420p, AAC, 30 fps, `+faststart`; ffmpeg's `-progress` output
  drives the job's progress; the job context kills ffmpeg on cancellation.

Timeline: scene i's audio starts at S_i = sum(speech_j + pause, j < i). Its picture is
shown from S_i - T/2 to S_(i+1) + T/2 (T = crossfade length), so every crossfade is
centred on a scene boundary and the video is exactly as long as the padded narration:
duration = sum(speech_i) + n * pause.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reelforge.errors import PermanentError
from reelforge.i18n import stored
from reelforge.jobs.context import JobContext
from reelforge.render import messages
from reelforge.render.ffmpeg import ffmpeg_path
from reelforge.render.fonts import fonts_dir
from reelforge.render.options import FPS, RenderOptions

LOUDNESS_TARGET = -14.0
TRUE_PEAK = -1.5
LRA = 11.0
MOTION_MARGIN = 0.12  # the still is 12 % larger than the frame; motion travels within it
MOTIONS = ("zoom_in", "pan_right", "zoom_out", "pan_up", "zoom_in_left", "pan_left", "zoom_out_right", "pan_down")


@dataclass
class Scene:
    """One visual segment: a still (or a video clip) and its narration."""

    visual: Path
    audio: Path
    speech_seconds: float
    is_clip: bool = False
    motion: str = "zoom_in"


@dataclass
class ComposePlan:
    scenes: list[Scene]
    size: tuple[int, int]
    output: Path
    subtitles: Path | None = None  # an .ass file
    music: str = "ambient"  # none | ambient | <path to a file>
    music_volume: float = 0.18
    x264_preset: str = "veryfast"
    crf: int = 21
    audio_bitrate: str = "160k"
    transition: float = 0.5
    pause: float = 0.35
    threads: int = 0
    loudnorm_measured: dict[str, str] = field(default_factory=dict)

    @property
    def starts(self) -> list[float]:
        out, t = [], 0.0
        for s in self.scenes:
            out.append(t)
            t += s.speech_seconds + self.pause
        return out

    @property
    def duration(self) -> float:
        return sum(s.speech_seconds + self.pause for s in self.scenes)


def plan_from_options(
    options: RenderOptions, scenes: list[Scene], output: Path, *, subtitles: Path | None, music: str, threads: int = 0
) -> ComposePlan:
    q = options.quality_preset
    return ComposePlan(
        scenes=scenes,
        size=options.frame_size,
        output=output,
        subtitles=subtitles,
        music=music,
        music_volume=options.music_volume,
        x264_preset=q.x264_preset,
        crf=q.crf,
        audio_bitrate=q.audio_bitrate,
        transition=options.transition_seconds,
        threads=threads,
    )


def filter_escape(value: str) -> str:
    """Escape a value for a filter option inside a filter graph (two levels: option, then graph)."""
    level1 = value.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")
    return re.sub(r"([\[\],;'\\])", r"\\\1", level1)


# --------------------------------------------------------------------------- video graph
def transition_frames(plan: ComposePlan) -> int:
    """Crossfade length in frames, shortened if a scene is too short to hold it."""
    tf = round(plan.transition * FPS)
    if tf <= 0 or len(plan.scenes) < 2:
        return 0
    shortest = min(round((s.speech_seconds + plan.pause) * FPS) for s in plan.scenes)
    return max(0, min(tf, shortest // 2 - 1))


def segments(plan: ComposePlan) -> list[tuple[int, int]]:
    """(first frame, frame count) of every scene's picture on the output timeline.

    Boundaries are whole frames; consecutive segments overlap by exactly the crossfade,
    which is centred on the start of the next scene's narration.
    """
    tf = transition_frames(plan)
    half = tf // 2
    bounds = [round(t * FPS) for t in plan.starts] + [round(plan.duration * FPS)]
    n = len(plan.scenes)
    out = []
    for i in range(n):
        first = 0 if i == 0 else bounds[i] - half
        last = bounds[n] if i == n - 1 else bounds[i + 1] + (tf - half)
        out.append((first, max(1, last - first)))
    return out


def _motion_filters(motion: str, w: int, h: int, frames: int) -> str:
    """Per-frame motion on a still already scaled to (1+m)w x (1+m)h and converted to yuv420p.

    Pans hold the one decoded frame with `loop` and move a `crop` window over it (no pixel
    work at all). Zooms use `zoompan`, which also holds the single input frame and makes
    `frames` output frames from it (a crop of the source scaled to the frame size). Measured:
    with the crossfade topology below, `loop` + per-frame `scale` costs twice the CPU of
    `zoompan` for the same zoom, so zooms use `zoompan`.
    """
    m = MOTION_MARGIN
    span = max(1, frames - 1)
    if motion.startswith("pan_"):
        p = f"(n/{span})"  # 0 .. 1 over the segment
        ease = f"(0.5-0.5*cos(PI*{p}))"  # ease in and out: starts and ends gently
        x, y = "(iw-ow)/2", "(ih-oh)/2"
        if motion == "pan_right":
            x = f"(iw-ow)*{ease}"
        elif motion == "pan_left":
            x = f"(iw-ow)*(1-{ease})"
        elif motion == "pan_down":
            y = f"(ih-oh)*{ease}"
        else:  # pan_up
            y = f"(ih-oh)*(1-{ease})"
        return f"loop=loop={frames - 1}:size=1:start=0,setpts=N/{FPS}/TB,crop=w={w}:h={h}:x='{x}':y='{y}':exact=1"
    ease = f"(0.5-0.5*cos(PI*on/{span}))"
    zoom = f"1+{m}*{ease}" if motion.startswith("zoom_in") else f"1+{m}*(1-{ease})"
    share = "0.2" if motion.endswith("_left") else "0.8" if motion.endswith("_right") else "0.5"
    return (
        f"zoompan=z='{zoom}':x='(iw-iw/zoom)*{share}':y='(ih-ih/zoom)/2':d={frames}:s={w}x{h}:fps={FPS},"
        f"setpts=N/{FPS}/TB"
    )


def build_command(plan: ComposePlan, *, ffmpeg: str, audio_only_analysis: bool = False) -> list[str]:
    """The ffmpeg argv: the full render, or (audio_only_analysis) the loudness measurement pass."""
    w, h = plan.size
    n = len(plan.scenes)
    if n == 0:
        raise PermanentError("nothing to render: the script has no scenes")
    spans = segments(plan)
    tf = transition_frames(plan)
    total = plan.duration
    argv = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    graph: list[str] = []
    inputs = 0
    if not audio_only_analysis:
        pw, ph = _even(w * (1 + MOTION_MARGIN)), _even(h * (1 + MOTION_MARGIN))
        for i, scene in enumerate(plan.scenes):
            frames = spans[i][1]
            if scene.is_clip:
                argv += ["-stream_loop", "-1", "-i", str(scene.visual)]
                graph.append(
                    f"[{inputs}:v]fps={FPS},scale={w}:{h}:force_original_aspect_ratio=increase:flags=bicubic,"
                    f"crop={w}:{h},setsar=1,format=yuv420p,trim=end_frame={frames},setpts=N/{FPS}/TB[v{i}]"
                )
            else:
                argv += ["-framerate", str(FPS), "-i", str(scene.visual)]
                graph.append(
                    f"[{inputs}:v]scale={pw}:{ph}:force_original_aspect_ratio=increase:flags=lanczos,"
                    f"crop={pw}:{ph},setsar=1,format=yuv420p,"
                    f"{_motion_filters(scene.motion, w, h, frames)},setsar=1[v{i}]"
                )
            inputs += 1
        # Crossfades centred on the scene boundaries. Only the overlapping frames go through
        # xfade (a scene's last and the next scene's first `tf` frames, cut off with trim);
        # everything else is concatenated, so no frame passes through a chain of blend filters.
        parts: list[str] = []
        for i in range(n):
            count = spans[i][1]
            head = tf if i > 0 else 0
            tail = tf if i < n - 1 else 0
            if head == 0 and tail == 0:
                parts.append(f"[v{i}]")
                continue
            outs = ([f"[h{i}]"] if head else []) + [f"[b{i}]"] + ([f"[t{i}]"] if tail else [])
            graph.append(f"[v{i}]split={len(outs)}" + "".join(outs))
            if head:
                graph.append(f"[h{i}]trim=end_frame={head},setpts=PTS-STARTPTS[hh{i}]")
            graph.append(f"[b{i}]trim=start_frame={head}:end_frame={count - tail},setpts=PTS-STARTPTS[bb{i}]")
            if tail:
                graph.append(f"[t{i}]trim=start_frame={count - tail},setpts=PTS-STARTPTS[tt{i}]")
            if head:
                fade = f"xfade=transition=fade:duration={tf / FPS:.4f}:offset=0"
                graph.append(f"[tt{i - 1}][hh{i}]{fade},setpts=PTS-STARTPTS[x{i}]")
                parts.append(f"[x{i}]")
            parts.append(f"[bb{i}]")
        if len(parts) > 1:
            graph.append("".join(parts) + f"concat=n={len(parts)}:v=1:a=0[joined]")
            last = "joined"
        else:
            last = parts[0].strip("[]")
        video_tail = f"[{last}]"
        if plan.subtitles is not None:
            sub = filter_escape(str(plan.subtitles))
            fonts = filter_escape(str(fonts_dir()))
            graph.append(f"{video_tail}subtitles=filename={sub}:fontsdir={fonts}[vs]")
            video_tail = "[vs]"
        graph.append(f"{video_tail}format=yuv420p,trim=duration={total:.3f}[vout]")
    # ---- audio: narration + pause per scene, concatenated
    first_audio = inputs
    for scene in plan.scenes:
        argv += ["-i", str(scene.audio)]
        inputs += 1
    for i, scene in enumerate(plan.scenes):
        graph.append(
            f"[{first_audio + i}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
            f"atrim=duration={scene.speech_seconds:.4f},apad=whole_dur={scene.speech_seconds + plan.pause:.4f}[n{i}]"
        )
    graph.append("".join(f"[n{i}]" for i in range(n)) + f"concat=n={n}:v=0:a=1[narr]")
    mix_label = "[narr]"
    if plan.music != "none":
        if plan.music == "ambient":  # not resolved to the cached loop file: render it in the graph
            argv += ["-f", "lavfi", "-i", ambient_bed_graph(total)]
        else:
            argv += ["-stream_loop", "-1", "-i", plan.music]
        graph.append(
            f"[{inputs}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
            f"atrim=duration={total:.3f},afade=t=in:d=1.5,afade=t=out:st={max(0.0, total - 2.0):.3f}:d=2.0[bed]"
        )
        inputs += 1
        graph.append(f"[bed]volume={plan.music_volume:.3f}[music]")
        graph.append("[narr]asplit=2[voice][key]")
        graph.append("[music][key]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=450:makeup=1[ducked]")
        graph.append("[voice][ducked]amix=inputs=2:duration=first:normalize=0[mix]")
        mix_label = "[mix]"
    loud = f"loudnorm=I={LOUDNESS_TARGET}:TP={TRUE_PEAK}:LRA={LRA}"
    if audio_only_analysis:
        graph.append(f"{mix_label}{loud}:print_format=json[aout]")
    else:
        m = plan.loudnorm_measured
        if m:
            loud += (
                f":measured_I={m['input_i']}:measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}"
                f":measured_thresh={m['input_thresh']}:offset={m['target_offset']}:linear=true"
            )
        graph.append(f"{mix_label}{loud},aresample=48000,atrim=duration={total:.3f}[aout]")
    argv += ["-filter_complex", ";".join(graph)]
    if audio_only_analysis:
        argv[argv.index("error")] = "info"  # loudnorm prints its JSON at info level
        return [*argv, "-map", "[aout]", "-f", "null", "-"]
    argv += ["-map", "[vout]", "-map", "[aout]"]
    argv += ["-c:v", "libx264", "-preset", plan.x264_preset, "-crf", str(plan.crf), "-profile:v", "high"]
    argv += ["-pix_fmt", "yuv420p", "-r", str(FPS), "-g", str(FPS * 2), "-bf", "2"]
    if plan.threads:
        argv += ["-threads", str(plan.threads)]
    argv += ["-c:a", "aac", "-b:a", plan.audio_bitrate, "-ar", "48000", "-ac", "2"]
    argv += ["-movflags", "+faststart", "-t", f"{total:.3f}"]
    argv += ["-progress", "pipe:1", "-nostats", str(plan.output)]
    return argv


AMBIENT_LOOP_SECONDS = 24


def ambient_bed_graph(seconds: float = AMBIENT_LOOP_SECONDS) -> str:
    """A soft evolving pad (open fifths, slow swells, a little stereo width) from aevalsrc.

    Every frequency completes a whole number of cycles in AMBIENT_LOOP_SECONDS, so the
    rendered loop repeats without a click.
    """
    step = 1 / AMBIENT_LOOP_SECONDS
    notes = (110.0, 164.8, 220.0, 277.2, 329.6)
    lfos = (2, 3, 1, 4, 2)  # cycles per loop
    left, right = [], []
    for k, f in enumerate(notes):
        lfo = f"(0.55+0.45*sin(2*PI*{lfos[k] * step:.6f}*t+{k * 1.3:.1f}))"
        detuned = round(f * 1.003 / step) * step
        left.append(f"{0.16 / (1 + 0.4 * k):.3f}*{lfo}*sin(2*PI*{f:.4f}*t)")
        right.append(f"{0.16 / (1 + 0.4 * k):.3f}*{lfo}*sin(2*PI*{detuned:.6f}*t+{k * 0.7:.1f})")
    expr = "+".join(left) + "|" + "+".join(right)
    return f"aevalsrc='{expr}':s=48000:d={seconds:.3f},lowpass=f=1800"


def ambient_bed_file(ctx: JobContext) -> Path:
    """The ambient loop as a WAV in the data folder's cache (rendered once, ~1 s)."""
    cache = ctx.settings.data_dir / "cache" / "audio"
    target = cache / f"ambient-v1-{AMBIENT_LOOP_SECONDS}s.wav"
    if target.is_file() and target.stat().st_size > 0:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / f".ambient-{ctx.job_id}.part.wav"
    argv = [ffmpeg_path(ctx.settings.ffmpeg), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    argv += ["-filter_complex", ambient_bed_graph() + "[a]", "-map", "[a]", "-c:a", "pcm_s16le", str(partial)]
    if ctx.run_process(argv, timeout=120) != 0:
        partial.unlink(missing_ok=True)
        raise PermanentError("could not render the ambient music bed")
    partial.replace(target)
    return target


def _even(value: float) -> int:
    return round(value / 2.0) * 2


# --------------------------------------------------------------------------- running
_LOUDNORM_JSON = re.compile(r"\{\s*\"input_i\".*?\}", re.S)


def _resolve_music(ctx: JobContext, plan: ComposePlan) -> None:
    if plan.music == "ambient":
        plan.music = str(ambient_bed_file(ctx))


def measure_loudness(ctx: JobContext, plan: ComposePlan) -> dict[str, str]:
    """Run the audio graph once to null and return loudnorm's measurement."""
    _resolve_music(ctx, plan)
    lines: list[str] = []
    code = ctx.run_process(
        build_command(plan, ffmpeg=ffmpeg_path(ctx.settings.ffmpeg), audio_only_analysis=True),
        on_line=lines.append,
        timeout=max(120.0, plan.duration * 2),
    )
    text = "\n".join(lines)
    found = _LOUDNORM_JSON.search(text)
    if code != 0 or not found:
        raise PermanentError("the loudness analysis failed: " + " | ".join(lines[-5:]))
    data = json.loads(found.group(0))
    if data.get("input_i") in ("-inf", "inf"):  # silence: nothing to normalise against
        return {}
    return {k: str(v) for k, v in data.items()}


def compose(
    ctx: JobContext,
    plan: ComposePlan,
    *,
    on_progress: Callable[[float], None] | None = None,
) -> Path:
    """Render `plan.output` (written to a .part file, renamed when ffmpeg succeeds)."""
    _resolve_music(ctx, plan)
    if not plan.loudnorm_measured:
        plan.loudnorm_measured = measure_loudness(ctx, plan)
    final = plan.output
    partial = final.with_name(final.stem + ".part" + final.suffix)
    plan_part = ComposePlan(**{**plan.__dict__, "output": partial})
    total_us = plan.duration * 1_000_000
    tail: list[str] = []

    def on_line(line: str) -> None:
        if line.startswith("out_time_us=") or line.startswith("out_time_ms="):
            value = line.split("=", 1)[1]
            if value.isdigit() and on_progress is not None:
                on_progress(min(1.0, int(value) / total_us))
        elif "=" not in line or line.startswith("[") or " " in line.split("=", 1)[0]:
            tail.append(line)
            del tail[:-20]

    argv = build_command(plan_part, ffmpeg=ffmpeg_path(ctx.settings.ffmpeg))
    ctx.log(
        stored.text(
            messages.COMPOSE_PLAN,
            count=len(plan.scenes),
            seconds=f"{plan.duration:.1f}",
            width=plan.size[0],
            height=plan.size[1],
        )
    )
    try:
        code = ctx.run_process(argv, on_line=on_line, timeout=max(600.0, plan.duration * 20))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if code != 0:
        partial.unlink(missing_ok=True)
        raise PermanentError("ffmpeg failed: " + " | ".join(tail[-6:]))
    partial.replace(final)
    if on_progress is not None:
        on_progress(1.0)
    return final
