"""What a rendered file is, without ffprobe (the imageio-ffmpeg wheel ships only ffmpeg):
stream facts parsed from `ffmpeg -i`, MP4 box order read directly, loudness via ebur128,
and single frames grabbed as raw RGB."""

from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reelforge.config import Settings
from reelforge.render.ffmpeg import ffmpeg_path


@dataclass
class MediaInfo:
    duration: float
    video_codec: str = ""
    video_profile: str = ""
    pix_fmt: str = ""
    width: int = 0
    height: int = 0
    fps: float = 0.0
    audio_codec: str = ""
    sample_rate: int = 0
    channels: str = ""


_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+)(?: \(([^)]*)\))?.*?, (\w+)(?:\([^)]*\))?, (\d+)x(\d+)")
_FPS = re.compile(r"(\d+(?:\.\d+)?) fps")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+).*?, (\d+) Hz, ([^,]+)")


def probe(settings: Settings, path: Path) -> MediaInfo:
    out = subprocess.run(
        [ffmpeg_path(settings.ffmpeg), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    ).stderr
    m = _DURATION.search(out)
    if not m:
        raise ValueError(f"not a media file: {path.name}")
    info = MediaInfo(duration=int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)))
    for line in out.splitlines():
        v = _VIDEO.search(line)
        if v and not info.video_codec:
            info.video_codec, info.video_profile, info.pix_fmt = v.group(1), v.group(2) or "", v.group(3)
            info.width, info.height = int(v.group(4)), int(v.group(5))
            f = _FPS.search(line)
            info.fps = float(f.group(1)) if f else 0.0
        a = _AUDIO.search(line)
        if a and not info.audio_codec:
            info.audio_codec, info.sample_rate, info.channels = a.group(1), int(a.group(2)), a.group(3).strip()
    return info


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order (faststart: moov before mdat)."""
    boxes = []
    with path.open("rb") as fh:
        while True:
            header = fh.read(8)
            if len(header) < 8:
                break
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", fh.read(8))[0]
                fh.seek(size - 16, 1)
            elif size == 0:
                boxes.append(kind.decode("latin-1"))
                break
            else:
                fh.seek(size - 8, 1)
            boxes.append(kind.decode("latin-1"))
    return boxes


def is_faststart(path: Path) -> bool:
    boxes = top_level_boxes(path)
    return "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat")


def integrated_loudness(settings: Settings, path: Path) -> float:
    """Integrated loudness (LUFS) of the file's audio, by ffmpeg's EBU R128 meter."""
    out = subprocess.run(
        [
            ffmpeg_path(settings.ffmpeg),
            "-hide_banner",
            "-nostdin",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-af",
            "ebur128=framelog=quiet",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    ).stderr
    summary = out[out.rfind("Summary:") :]
    m = re.search(r"I:\s+(-?\d+(?:\.\d+)?) LUFS", summary)
    if not m:
        raise ValueError("no loudness summary from ebur128")
    return float(m.group(1))


def grab_frame(settings: Settings, path: Path, at: float, size: tuple[int, int] | None = None) -> bytes:
    """One frame at `at` seconds as raw RGB24 bytes (optionally scaled)."""
    vf = ["-vf", f"scale={size[0]}:{size[1]}"] if size else []
    out = subprocess.run(
        [
            ffmpeg_path(settings.ffmpeg),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-ss",
            f"{at:.3f}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            *vf,
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        timeout=60,
    )
    if out.returncode != 0 or not out.stdout:
        raise ValueError(f"could not grab a frame at {at:.2f}s: {out.stderr.decode(errors='replace')[-300:]}")
    return out.stdout
