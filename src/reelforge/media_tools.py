"""Locating the ffmpeg binary: REELFORGE_FFMPEG, else the one the imageio-ffmpeg wheel ships.

A foundation module so providers (the offline clip maker) and the render domain share one lookup.
"""

from __future__ import annotations

import shutil
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
