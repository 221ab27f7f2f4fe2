"""What every image provider returns and how a picture reaches disk (atomically)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image


@dataclass(frozen=True)
class ImageResult:
    path: Path
    provider: str


class ImageProvider(Protocol):
    name: str
    offline: bool

    def generate(self, prompt: str, target: Path, *, size: tuple[int, int]) -> ImageResult:
        """Write one picture for `prompt` to `target` (PNG or JPEG by suffix), about `size` pixels."""


def save_atomic(image: Image.Image, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    fmt = "JPEG" if target.suffix.lower() in (".jpg", ".jpeg") else "PNG"
    if fmt == "JPEG":
        image.convert("RGB").save(tmp, fmt, quality=92, subsampling=0)
    else:
        image.save(tmp, fmt, compress_level=1)
    os.replace(tmp, target)
