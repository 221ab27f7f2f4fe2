"""The Korean-capable font every rendered pixel of text uses: Noto Sans CJK KR.

It arrives with the `noto-cjk-sans-otc` wheel (SIL Open Font License 1.1; the licence
text ships in that wheel's dist-info), as one OpenType collection (.ttc) holding the
JP/KR/SC/TC/HK faces. Measured with the imageio-ffmpeg build: libass loads the .ttc from
`fontsdir` and picks the KR face by family name, so subtitles need no extraction.
Pillow opens the collection with the KR face index. For consumers that cannot read a
collection, `korean_font_path(cache_dir)` cuts the KR face out into a standalone .otf
once (fontTools) and caches it.

The web font (WOFF2 subset for the browser) is built by `reelforge.web.fonts` from the
same collection.
"""

from __future__ import annotations

import os
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

FAMILY = "Noto Sans CJK KR"
KR_FACE_INDEX = 1  # index of "Noto Sans CJK KR" in NotoSansCJK-Regular.ttc
_lock = threading.Lock()


@lru_cache(maxsize=1)
def collection_path() -> Path:
    """The .ttc shipped by the noto-cjk-sans-otc wheel."""
    import noto_cjk_sans_otc

    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    if not path.is_file():
        raise FileNotFoundError(f"the Noto Sans CJK collection is missing at {path}")
    return path


def fonts_dir() -> Path:
    """A folder for libass `fontsdir=` that holds the collection (the wheel's own package folder)."""
    return collection_path().parent


@lru_cache(maxsize=1)
def kr_face_index() -> int:
    """The KR face's index in the collection (checked once, so a repackaged .ttc still works)."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(collection_path()), lazy=True)
    for i, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == FAMILY:
            return i
    raise LookupError(f"{FAMILY} is not in {collection_path()}")


def licence_path() -> Path | None:
    """The OFL text inside the wheel's dist-info (None if the installer dropped it)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("noto-cjk-sans-otc")
    except PackageNotFoundError:
        return None
    for f in dist.files or []:
        if f.name.upper().startswith("LICENSE"):
            return Path(str(dist.locate_file(f)))
    return None


def korean_font_path(cache_dir: Path) -> Path:
    """A standalone Noto Sans CJK KR .otf in `cache_dir` (extracted once from the collection)."""
    target = cache_dir / "NotoSansCJKkr-Regular.otf"
    if target.is_file() and target.stat().st_size > 0:
        return target
    with _lock:
        if target.is_file() and target.stat().st_size > 0:
            return target
        from fontTools.ttLib import TTCollection

        collection = TTCollection(str(collection_path()))
        save_font_atomically(collection.fonts[kr_face_index()], target)
    return target


def save_font_atomically(font: Any, target: Path) -> None:
    """Write a fontTools font next to `target` and rename it into place (readers never see half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        font.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def pil_font(size: int):  # type: ignore[no-untyped-def]
    """A Pillow FreeType font of the KR face at `size` pixels."""
    from PIL import ImageFont

    return ImageFont.truetype(str(collection_path()), size=size, index=kr_face_index())
