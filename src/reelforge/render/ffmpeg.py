"""The ffmpeg binary for render: the lookup lives in `reelforge.media_tools`; its version for doctor."""

from __future__ import annotations

import subprocess

from reelforge.media_tools import ffmpeg_path

__all__ = ["ffmpeg_path", "ffmpeg_version"]


def ffmpeg_version(configured: str = "") -> str:
    out = subprocess.run(
        [ffmpeg_path(configured), "-hide_banner", "-version"], capture_output=True, text=True, timeout=20, check=True
    )
    first = out.stdout.splitlines()[0] if out.stdout else "unknown"
    return first.split(" Copyright")[0]
