"""Render options: what a creator can choose for one video, validated before any work starts.

`RenderOptions` is stored on the job row (`jobs.options`) and read by every step. The
presets (frame sizes, subtitle styles, encoder quality) live here so the API, the pages,
the CLI and the pipeline agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

VideoType = Literal["longform", "shortform", "square", "sora2"]
QualityPreset = Literal["preview", "standard", "high"]
MusicKind = Literal["none", "ambient", "library"]
SubtitlePreset = Literal["clean", "boxed", "bold", "karaoke-yellow", "none"]
SpeechProvider = Literal["default", "offline", "openai", "azure"]

# Output frame size per type (sora2 clips are shown as 16:9 unless the request asks for 9:16).
FRAME_SIZES: dict[str, tuple[int, int]] = {
    "longform": (1920, 1080),
    "shortform": (1080, 1920),
    "square": (1080, 1080),
    "sora2": (1920, 1080),
}
FPS = 30


@dataclass(frozen=True)
class Quality:
    name: str
    x264_preset: str
    crf: int
    scale: float  # of the frame size; the preview preset renders small and fast
    audio_bitrate: str


QUALITIES: dict[str, Quality] = {
    # A quick look before the real render: a quarter of the frame size, fastest encoder settings.
    "preview": Quality("preview", "superfast", 28, 0.25, "96k"),
    # The default: visually close to `high` at less than half the encode time (bench/render.py).
    "standard": Quality("standard", "veryfast", 21, 1.0, "160k"),
    "high": Quality("high", "medium", 20, 1.0, "192k"),
}


@dataclass(frozen=True)
class SubtitleStyle:
    """A libass style, sized for a 1080-pixel-high frame (scaled with the frame)."""

    font_size: int
    primary: str  # ASS &HAABBGGRR
    outline_colour: str
    back_colour: str
    border_style: int  # 1 outline + shadow, 3 opaque box
    outline: float
    shadow: float
    bold: bool
    margin_v: int  # from the bottom (or top for position=top), per 1080 px
    alignment: int = 2  # numpad: 2 bottom centre, 5 middle, 8 top


SUBTITLE_STYLES: dict[str, SubtitleStyle] = {
    "clean": SubtitleStyle(58, "&H00FFFFFF", "&H00101010", "&H80000000", 1, 3.2, 1.2, False, 90),
    "boxed": SubtitleStyle(54, "&H00FFFFFF", "&H50000000", "&H50000000", 3, 14.0, 0.0, False, 100),
    "bold": SubtitleStyle(66, "&H00FFFFFF", "&H00000000", "&H96000000", 1, 5.0, 2.0, True, 110),
    "karaoke-yellow": SubtitleStyle(62, "&H0033E6FF", "&H00000000", "&H80000000", 1, 4.5, 1.5, True, 120),
}

# Characters (Korean: syllables and spaces) per subtitle line, per frame shape and language.
LINE_CHARS: dict[tuple[str, str], int] = {
    ("wide", "ko"): 24,
    ("wide", "en"): 42,
    ("tall", "ko"): 14,
    ("tall", "en"): 24,
}


class RenderOptions(BaseModel):
    """Everything that shapes one render. Unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: VideoType = "shortform"
    language: Literal["ko", "en"] = "ko"
    # sora2 only: the clips' orientation (the video models accept 16:9 and 9:16).
    orientation: Literal["landscape", "portrait"] = "landscape"
    voice: str = Field(default="", max_length=100)  # provider-specific; "" = the provider's default
    tts_provider: SpeechProvider = "default"
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    subtitles: SubtitlePreset = "clean"
    subtitle_position: Literal["bottom", "middle", "top"] = "bottom"
    music: MusicKind = "ambient"
    music_file: str | None = Field(default=None, max_length=200)  # a library track id (music=library)
    music_volume: float = Field(default=0.18, ge=0.0, le=1.0)
    quality: QualityPreset = "standard"
    transition_seconds: float = Field(default=0.5, ge=0.0, le=2.0)

    @model_validator(mode="after")
    def _combinations(self) -> RenderOptions:
        if self.music == "library" and not self.music_file:
            raise ValueError("music=library needs music_file (a track from the music library)")
        if self.music != "library" and self.music_file:
            raise ValueError("music_file is only used with music=library")
        if self.type != "sora2" and self.orientation != "landscape":
            raise ValueError("orientation applies to sora2 only; use type shortform for 9:16 stills")
        if not all(c.isalnum() or c in "-_.:" for c in self.voice):
            raise ValueError("voice may contain letters, digits and - _ . : only")
        return self

    # ------------------------------------------------------------------ derived values
    @property
    def quality_preset(self) -> Quality:
        return QUALITIES[self.quality]

    @property
    def frame_size(self) -> tuple[int, int]:
        w, h = FRAME_SIZES[self.type]
        if self.type == "sora2" and self.orientation == "portrait":
            w, h = h, w
        scale = self.quality_preset.scale
        return _even(w * scale), _even(h * scale)

    @property
    def shape(self) -> str:
        w, h = self.frame_size
        return "wide" if w > h * 1.2 else "tall"  # square frames wrap like tall ones (same width)

    @property
    def line_chars(self) -> int:
        return LINE_CHARS[(self.shape, self.language)]


def _even(value: float) -> int:
    return max(2, round(value / 2.0) * 2)
