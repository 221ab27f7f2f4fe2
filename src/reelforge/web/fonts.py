"""The Korean web font: Noto Sans CJK KR, cut from the pip package's .ttc into a WOFF2 subset.

Headless Chromium here has no CJK system font, and browsers cannot load a font
collection (.ttc) through @font-face. So the Korean face is taken out of the
collection shipped by `noto-cjk-sans-otc` (SIL OFL 1.1, licence in that package's
dist-info), subset to Hangul syllables, jamo, Latin and punctuation, and saved as
WOFF2 (about 1.2 MB). The build takes ~15 s; it runs at install
(`python -m reelforge.web.i18n_compile`) and otherwise once, at the first request for
the font. The result is cached in `web/static/fonts/build/` inside the package when
that is writable, else in `<data dir>/cache/fonts/`.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

# One place knows where the font wheel's collection is and which face is Korean.
from reelforge.render.fonts import collection_path, kr_face_index, save_font_atomically

log = logging.getLogger(__name__)

FONT_NAME = "noto-sans-kr-v1.woff2"  # bump the version when the subset changes (served immutable)
PACKAGE_CACHE = Path(__file__).with_name("static") / "fonts" / "build"

_RANGES = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 supplement
    (0x2010, 0x2027),  # dashes, quotes, bullet, ellipsis
    (0x2030, 0x203A),
    (0x20A9, 0x20A9),  # won sign
    (0x20AC, 0x20AC),
    (0x2190, 0x2193),  # arrows
    (0x2460, 0x2473),  # circled numbers
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x1100, 0x11FF),  # Hangul jamo
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xFF01, 0xFF5E),  # full-width forms
]
_build_lock = threading.Lock()


def unicodes() -> list[int]:
    out: list[int] = []
    for start, end in _RANGES:
        out.extend(range(start, end + 1))
    return out


def source_path() -> Path:
    return collection_path()


def _candidates(data_dir: Path | None) -> list[Path]:
    dirs = [PACKAGE_CACHE]
    if data_dir is not None:
        dirs.append(data_dir / "cache" / "fonts")
    return [d / FONT_NAME for d in dirs]


def find_cached(data_dir: Path | None = None) -> Path | None:
    for path in _candidates(data_dir):
        if path.is_file() and path.stat().st_size > 0:
            return path
    return None


def build_font(target: Path) -> Path:
    """Extract the KR face from the collection, subset it and write WOFF2 to `target` atomically."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(source_path()))
    font = collection.fonts[kr_face_index()]
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes())
    subsetter.subset(font)
    font.flavor = "woff2"
    save_font_atomically(font, target)
    return target


def ensure_font(data_dir: Path | None = None) -> Path:
    """The cached WOFF2, building it into the first writable cache folder when missing."""
    found = find_cached(data_dir)
    if found is not None:
        return found
    with _build_lock:
        found = find_cached(data_dir)
        if found is not None:
            return found
        errors: list[str] = []
        for target in _candidates(data_dir):
            try:
                log.info("building the Korean web font into %s (one-time, ~15 s)", target)
                return build_font(target)
            except OSError as exc:
                errors.append(f"{target}: {exc}")
        raise OSError("cannot write the web font cache: " + "; ".join(errors))
