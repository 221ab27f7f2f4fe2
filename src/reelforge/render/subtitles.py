"""Subtitle cues from narration, timed from the real audio: SRT for download and YouTube,
ASS (same cues, styled, explicit line breaks) for burning in with libass.

Each scene's narration is split into sentences, then into cues of at most two lines of
`line_chars` characters. Korean wraps at spaces (words are never cut), other languages
at spaces too; a single overlong word is hard-split. A cue's time share is its share of
the scene's speakable characters, laid over the scene's real speech duration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reelforge.render.fonts import FAMILY
from reelforge.render.options import SUBTITLE_STYLES, SubtitleStyle

_SENTENCE_END = re.compile(r"(?<=[.!?。？！…])\s+|\n+")
_CLAUSE = re.compile(r"(?<=[,，、;:])\s+")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def midpoint(self) -> float:
        return (self.start + self.end) / 2


def _weight(text: str) -> int:
    return max(1, sum(1 for ch in text if not ch.isspace()))


def wrap_words(text: str, width: int) -> list[str]:
    """Greedy wrap at spaces; a word longer than `width` is split."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _balanced_pair(lines: list[str], width: int) -> tuple[str, ...]:
    """Re-split two lines so they have similar lengths (reads better than a long + a short line)."""
    words = " ".join(lines).split()
    best: tuple[str, ...] = tuple(lines)
    best_score = abs(len(lines[0]) - len(lines[-1]))
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        if len(a) <= width and len(b) <= width and abs(len(a) - len(b)) < best_score:
            best, best_score = (a, b), abs(len(a) - len(b))
    return best


def split_cue_texts(narration: str, width: int, max_lines: int = 2) -> list[tuple[str, ...]]:
    """The on-screen pieces (each a tuple of lines) of one narration, in order."""
    pieces: list[tuple[str, ...]] = []
    for sentence in (s.strip() for s in _SENTENCE_END.split(narration)):
        if not sentence:
            continue
        lines = wrap_words(sentence, width)
        if len(lines) > max_lines:  # try clause boundaries first, then plain wrapping
            clauses = [c for c in _CLAUSE.split(sentence) if c.strip()]
            lines = []
            for clause in clauses:
                lines.extend(wrap_words(clause, width))
        for i in range(0, len(lines), max_lines):
            group = lines[i : i + max_lines]
            pieces.append(_balanced_pair(group, width) if len(group) == 2 else tuple(group))
    return pieces


def build_cues(
    narrations: list[str], speech_seconds: list[float], starts: list[float], width: int, *, min_gap: float = 0.04
) -> list[Cue]:
    """Cues for every scene: scene i's pieces share [starts[i], starts[i] + speech_seconds[i]]."""
    cues: list[Cue] = []
    for text, seconds, start in zip(narrations, speech_seconds, starts, strict=True):
        pieces = split_cue_texts(text, width)
        if not pieces:
            continue
        total = sum(_weight(" ".join(p)) for p in pieces)
        t = start
        for piece in pieces:
            share = seconds * _weight(" ".join(piece)) / total
            end = t + share
            cues.append(Cue(round(t, 3), round(max(t + 0.2, end - min_gap), 3), piece))
            t = end
    return cues


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def to_srt(cues: list[Cue]) -> str:
    blocks = [f"{i}\n{_srt_time(c.start)} --> {_srt_time(c.end)}\n{c.text}\n" for i, c in enumerate(cues, 1)]
    return "\n".join(blocks)


def parse_srt(text: str) -> list[Cue]:
    cues = []
    for block in re.split(r"\n\s*\n", text.strip()):
        rows = block.strip().splitlines()
        if len(rows) < 3 or "-->" not in rows[1]:
            continue
        a, b = (p.strip() for p in rows[1].split("-->"))
        cues.append(Cue(_parse_time(a), _parse_time(b), tuple(rows[2:])))
    return cues


def _parse_time(value: str) -> float:
    hms, ms = value.replace(".", ",").split(",")
    h, m, s = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s + int(ms) / 1000


def _ass_time(seconds: float) -> str:
    cs = round(seconds * 100)
    h, cs = divmod(cs, 360_000)
    m, cs = divmod(cs, 6000)
    s, cs = divmod(cs, 100)
    return f"{h:d}:{m:02d}:{s:02d}.{cs:02d}"


def _ass_escape(line: str) -> str:
    return line.replace("\\", "\u2216").replace("{", "(").replace("}", ")")


def to_ass(
    cues: list[Cue],
    size: tuple[int, int],
    preset: str = "clean",
    position: str = "bottom",
    font_family: str = FAMILY,
) -> str:
    """An ASS script at the frame's own resolution (PlayRes = frame size, so sizes are pixels)."""
    w, h = size
    style: SubtitleStyle = SUBTITLE_STYLES[preset]
    unit = min(w, h) / 1080  # styles are designed for a 1080-pixel short side
    tall = h > w * 1.2
    alignment = {"bottom": 2, "middle": 5, "top": 8}[position]
    # Shorts/Reels cover the bottom ~20% with their UI: keep bottom captions above it.
    margin_v = int(h * 0.2) if tall and position == "bottom" else int(style.margin_v * unit)
    if position == "top":
        margin_v = int(h * 0.12) if tall else int(60 * unit)
    bold = -1 if style.bold else 0
    karaoke = preset.startswith("karaoke")
    secondary = "&H00FFFFFF" if karaoke else style.primary  # karaoke: words fill from white to the colour
    header = (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 2\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {w}\nPlayResY: {h}\nYCbCr Matrix: TV.709\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding\n"
        f"Style: Default,{font_family},{style.font_size * unit:.1f},{style.primary},{secondary},"
        f"{style.outline_colour},{style.back_colour},{bold},0,0,0,100,100,0,0,{style.border_style},"
        f"{style.outline * unit:.1f},{style.shadow * unit:.1f},{alignment},{int(60 * unit)},{int(60 * unit)},"
        f"{margin_v},1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    newline = "\\N"
    events = [
        f"Dialogue: 0,{_ass_time(c.start)},{_ass_time(c.end)},Default,,0,0,0,,"
        + (_karaoke(c) if karaoke else newline.join(_ass_escape(x) for x in c.lines))
        for c in cues
    ]
    return header + "\n".join(events) + "\n"


def _karaoke(cue: Cue) -> str:
    """Words fill in (`\\kf`) as they are spoken: each word's share of the cue by its length."""
    words = [[_ass_escape(w) for w in line.split()] for line in cue.lines]
    total_chars = sum(len(w) for line in words for w in line) or 1
    budget = max(1, round((cue.end - cue.start) * 100 * 0.92))  # finish a little before the cue ends
    parts = []
    for i, line in enumerate(words):
        pieces = []
        for word in line:
            pieces.append(f"{{\\kf{max(1, round(budget * len(word) / total_chars))}}}{word}")
        parts.append(" ".join(pieces))
        if i < len(words) - 1:
            parts.append("\\N")
    return "".join(parts)


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
