"""Compose benchmark: fixed inputs -> 60 s shortform (Ken Burns, 0.5 s crossfades, burned-in subtitles).

Inputs it generates (not timed): 8 stills at 1080x1920 (offline artist), a 60 s narration
(8 scene WAVs), 20 subtitle cues. It then reports wall time for:

1. compose at x264 `medium` CRF 23 (the issue's reference setting);
2. compose at the default quality preset (`standard`);
3. the encode-only limit: the very same output frames (and mixed audio), decoded to raw once
   (untimed), then re-encoded with the medium/CRF 23 settings: what x264 alone costs.

Goal: (1) <= 1.2x (3), and (1) <= 36 s on the 2-core machine.

`--longform-minutes N` instead renders an N-minute longform (15 stills 1920x1080) at the
default preset and reports its wall time and the peak memory of ffmpeg (ru_maxrss).

Usage: .venv/bin/python bench/render.py [--keep DIR] [--longform-minutes 10]
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

from reelforge.config import Settings
from reelforge.jobs.context import LocalContext
from reelforge.providers.image import OfflineArtist
from reelforge.render.compose import ComposePlan, Scene, build_command, compose, measure_loudness
from reelforge.render.ffmpeg import ffmpeg_path
from reelforge.render.options import QUALITIES
from reelforge.render.probe import probe
from reelforge.render.subtitles import to_ass

PROMPTS = [
    "autumn mountains at sunset", "neon city street at night", "calm ocean waves at sunrise",
    "forest path in morning light", "galaxy and stars in deep space", "AI robot and data network",
    "golden beach at dusk", "snowy peaks under the moon", "river valley at dawn", "city skyline at dusk",
    "island coast at noon", "pine forest at night", "planet over a nebula", "digital circuits glowing",
    "lake under a crescent moon",
]  # fmt: skip
LINES = [
    "가을이 되면 산은 붉고 노랗게 물듭니다. 왜 그럴까요?",
    "나뭇잎 속 엽록소가 줄어들면서 숨어 있던 색이 드러나기 때문입니다.",
    "밤이 길어지고 기온이 내려가면 나무는 겨울을 준비합니다.",
]
PAUSE = 0.35


def voice_like_wav(path: Path, seconds: float, seed: int, rate: int = 24000) -> None:
    """A speech-like test signal: a gliding tone with syllable-rate amplitude bursts (not silence)."""
    n = int(seconds * rate)
    frames = bytearray()
    for i in range(n):
        t = i / rate
        env = max(0.0, math.sin(2 * math.pi * (3.5 + seed * 0.1) * t)) ** 2
        f0 = 140 + 30 * math.sin(2 * math.pi * 0.7 * t + seed)
        v = env * (0.6 * math.sin(2 * math.pi * f0 * t) + 0.3 * math.sin(4 * math.pi * f0 * t))
        frames += struct.pack("<h", int(9000 * v))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def make_inputs(folder: Path, size: tuple[int, int], scenes: int, total: float, cues_wanted: int) -> list[Scene]:
    folder.mkdir(parents=True, exist_ok=True)
    artist = OfflineArtist()
    speech = total / scenes - PAUSE
    out = []
    for i in range(scenes):
        img, wav = folder / f"scene-{i + 1:02d}.png", folder / f"scene-{i + 1:02d}.wav"
        if not img.exists():
            artist.generate(PROMPTS[i % len(PROMPTS)], img, size=size)
        if not wav.exists():
            voice_like_wav(wav, speech, i)
        out.append(Scene(img, wav, speech, motion=("zoom_in", "pan_right", "zoom_out", "pan_up")[i % 4]))
    # exactly `cues_wanted` two-line cues, evenly over the narration
    from reelforge.render.subtitles import Cue, split_cue_texts

    pieces = [p for line in LINES for p in split_cue_texts(line, 14 if size[1] > size[0] else 24)]
    span = total / cues_wanted
    cues = [Cue(k * span, (k + 1) * span - 0.1, pieces[k % len(pieces)]) for k in range(cues_wanted)]
    (folder / "subs.ass").write_text(to_ass(cues, size, "clean"), encoding="utf-8")
    print(f"inputs: {scenes} stills {size[0]}x{size[1]}, {total:.0f} s narration, {len(cues)} cues")
    return out


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_compose(ctx: LocalContext, plan: ComposePlan, label: str) -> float:
    plan.output.unlink(missing_ok=True)
    plan.loudnorm_measured = {}
    cpu0 = _cpu()
    t0 = time.monotonic()
    plan.loudnorm_measured = measure_loudness(ctx, plan)
    t1 = time.monotonic()
    compose(ctx, plan)
    t2 = time.monotonic()
    info = probe(ctx.settings, plan.output)
    print(
        f"{label:<34} {t2 - t0:6.1f} s wall (loudness analysis {t1 - t0:.1f} s + render {t2 - t1:.1f} s), "
        f"{_cpu() - cpu0:.1f} s CPU  -> {info.width}x{info.height} {info.duration:.2f} s "
        f"{plan.output.stat().st_size / 1e6:.1f} MB"
    )
    return t2 - t0


def encode_only(ctx: LocalContext, plan: ComposePlan, folder: Path, preset: str, crf: int) -> float:
    raw = folder / "frames.nut"
    argv = build_command(plan, ffmpeg=ffmpeg_path(ctx.settings.ffmpeg))
    cut = argv.index("-c:v")
    argv = [*argv[:cut], "-c:v", "rawvideo", "-c:a", "pcm_s16le", "-f", "nut", str(raw)]
    subprocess.run(argv, check=True)
    out = folder / "encode-only.mp4"
    enc = [ffmpeg_path(ctx.settings.ffmpeg), "-hide_banner", "-loglevel", "error", "-y", "-i", str(raw)]
    enc += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high", "-pix_fmt", "yuv420p"]
    enc += ["-r", "30", "-g", "60", "-bf", "2", "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", str(out)]
    cpu0 = _cpu()
    t0 = time.monotonic()
    subprocess.run(enc, check=True)
    elapsed = time.monotonic() - t0
    size_gb = raw.stat().st_size / 1e9
    label = "encode-only limit (medium, CRF 23)"
    print(f"{label:<34} {elapsed:6.1f} s wall, {_cpu() - cpu0:.1f} s CPU (raw frames: {size_gb:.1f} GB)")
    raw.unlink()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep inputs and outputs in this folder")
    parser.add_argument("--longform-minutes", type=float, default=0, help="memory run: an N-minute longform")
    parser.add_argument("--seconds", type=float, default=60.0, help="shortform length (the reference run is 60)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="rf-bench-"))
    settings = Settings(env="test", data_dir=folder / "data", _env_file=None)
    ctx = LocalContext(settings, folder / "work")
    try:
        if args.longform_minutes:
            total = args.longform_minutes * 60
            scenes = make_inputs(folder / "in-long", (1920, 1080), 15, total, 15 * 8)
            q = QUALITIES["standard"]
            plan = ComposePlan(scenes, (1920, 1080), folder / "long.mp4", folder / "in-long" / "subs.ass",
                               "ambient", 0.18, q.x264_preset, q.crf, q.audio_bitrate)  # fmt: skip
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            timed_compose(ctx, plan, f"longform {args.longform_minutes:g} min, default")
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            print(f"peak RSS of ffmpeg (ru_maxrss of children): {peak / 1024:.0f} MB (before: {before / 1024:.0f} MB)")
            return 0
        scenes = make_inputs(folder / "in", (1080, 1920), 8, args.seconds, 20)
        ass = folder / "in" / "subs.ass"
        medium = ComposePlan(scenes, (1080, 1920), folder / "medium.mp4", ass, "ambient", 0.18, "medium", 23, "192k")
        t_enc = encode_only(ctx, medium, folder, "medium", 23)
        t_medium = timed_compose(ctx, medium, "compose x264 medium CRF 23")
        q = QUALITIES["standard"]
        default = ComposePlan(scenes, (1080, 1920), folder / "default.mp4", ass, "ambient", 0.18, q.x264_preset, q.crf,
                              q.audio_bitrate)  # fmt: skip
        timed_compose(ctx, default, f"compose default ({q.x264_preset} CRF {q.crf})")
        print(f"ratio compose/encode-only at medium: {t_medium / t_enc:.2f}x (goal <= 1.2x); medium goal <= 36 s")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(f"peak RSS of any ffmpeg child: {peak / 1024:.0f} MB")
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
