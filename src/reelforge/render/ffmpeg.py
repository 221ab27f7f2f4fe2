"""Locating the ffmpeg binary: REELFORGE_FFMPEG, else the one the imageio-ffmpeg wheel ships."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache


@lru_cache(maxsize=4)
def ffmpeg_path(configured: str = "") -> str:
    if configured:
        found = shutil.which(configured)
        if not found:
            raise FileNotFoundError(f"REELFORGE_FFMPEG={configured!r} is not an executable")
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def ffmpeg_version(configured: str = "") -> str:
    out = subprocess.run(
        [ffmpeg_path(configured), "-hide_banner", "-version"], capture_output=True, text=True, timeout=20, check=True
    )
    first = out.stdout.splitlines()[0] if out.stdout else "unknown"
    return first.split(" Copyright")[0]
