"""Image providers: one still per scene.

- `OfflineArtist` (default): paints a deterministic picture per prompt with Pillow. The
  prompt picks the scene (sea, mountains, city, forest, space, tech, abstract), the time of
  day and the palette; a hash of the prompt varies the composition. Layers with
  atmospheric perspective, glow, light particles and a vignette give depth. The same
  prompt always gives the same picture; no network, about 0.2 s per 1080x1920 image.
- `OpenAIImages`: any OpenAI-compatible `POST /v1/images/generations` (official SDK,
  `b64_json`), model from settings (hosted image models retire; there is no default).
"""

from __future__ import annotations

import base64
import colorsys
import hashlib
import io
import itertools
import math
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from reelforge.config import Settings
from reelforge.errors import PermanentError, TransientError

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class ImageResult:
    path: Path
    provider: str


class ImageProvider(Protocol):
    name: str
    offline: bool

    def generate(self, prompt: str, target: Path, *, size: tuple[int, int]) -> ImageResult:
        """Write one picture for `prompt` to `target` (PNG or JPEG by suffix), about `size` pixels."""


def _save_atomic(image: Image.Image, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    fmt = "JPEG" if target.suffix.lower() in (".jpg", ".jpeg") else "PNG"
    if fmt == "JPEG":
        image.convert("RGB").save(tmp, fmt, quality=92, subsampling=0)
    else:
        image.save(tmp, fmt, compress_level=1)
    os.replace(tmp, target)


# --------------------------------------------------------------------------- offline artist
THEMES: dict[str, tuple[str, ...]] = {
    "sea": (
        "sea", "ocean", "beach", "wave", "island", "coast", "lake", "river",
        "호수", "강물", "바다", "해변", "파도", "섬", "해안", "항구",
    ),
    "mountains": ("mountain", "hill", "hike", "valley", "peak", "산", "등산", "계곡", "봉우리", "언덕"),
    "city": ("city", "street", "building", "urban", "seoul", "town", "도시", "거리", "건물", "서울", "빌딩", "시장"),
    "forest": ("forest", "tree", "wood", "garden", "park", "nature", "숲", "나무", "정원", "공원", "자연", "꽃"),
    "space": ("space", "star", "galaxy", "planet", "universe", "rocket", "우주", "별", "은하", "행성", "로켓"),
    "indoor": (
        "home", "room", "interior", "indoor", "house", "kitchen", "desk", "office", "cafe", "bedroom", "living",
        "cat", "kitten", "dog", "puppy", "pet", "book", "coffee", "tea",
        "집", "방", "실내", "거실", "부엌", "주방", "책상", "사무실", "카페", "침실",
        "고양이", "강아지", "반려", "책", "커피",
    ),
    "tech": (
        "tech", "ai", "computer", "robot", "data", "code", "digital", "network", "chip", "software",
        "기술", "인공지능", "컴퓨터", "로봇", "데이터", "코드", "디지털", "네트워크", "반도체", "앱",
    ),
}  # fmt: skip
SUBJECTS: dict[str, tuple[str, ...]] = {
    "cat": ("cat", "kitten", "고양이", "냥"),
    "dog": ("dog", "puppy", "강아지", "개가", "개는", "반려견"),
    "cup": ("coffee", "tea", "cup", "mug", "커피", "차 한", "머그"),
    "plant": ("plant", "flower", "garden", "식물", "화분", "꽃"),
    "book": ("book", "study", "read", "책", "공부", "독서"),
}
TIMES: dict[str, tuple[str, ...]] = {
    "night": ("night", "moon", "dark", "midnight", "밤", "달", "야경", "어둠", "자정"),
    "sunset": (
        "sunset",
        "sunrise",
        "dawn",
        "dusk",
        "evening",
        "golden",
        "노을",
        "일출",
        "일몰",
        "새벽",
        "저녁",
        "황혼",
    ),
    "day": (
        "day",
        "sunny",
        "bright",
        "morning",
        "noon",
        "summer",
        "natural light",
        "daylight",
        "낮",
        "아침",
        "맑은",
        "여름",
        "햇살",
    ),
}
MOODS: dict[str, float] = {  # hue (0-1) suggested by a word
    "autumn": 0.07, "가을": 0.07, "spring": 0.92, "봄": 0.92, "벚꽃": 0.93, "winter": 0.58, "겨울": 0.58,
    "snow": 0.58, "눈": 0.58, "fire": 0.03, "불": 0.03, "coffee": 0.08, "커피": 0.08, "money": 0.35,
    "돈": 0.35, "경제": 0.35, "health": 0.42, "건강": 0.42, "love": 0.95, "사랑": 0.95, "history": 0.1,
    "역사": 0.1, "food": 0.06, "음식": 0.06, "music": 0.78, "음악": 0.78, "sleep": 0.68, "잠": 0.68,
}  # fmt: skip


def _pick(prompt: str, table: dict[str, tuple[str, ...]]) -> str | None:
    text = prompt.lower()
    best, best_pos = None, len(text) + 1
    for key, words in table.items():
        for word in words:
            pos = _find_word(text, word)
            if pos is not None and pos < best_pos:
                best, best_pos = key, pos
    return best


_PARTICLES = set("은는이가을를에의도과와로만")


def _find_word(text: str, word: str) -> int | None:
    pos = text.find(word)
    while pos >= 0:
        if not word.isascii():
            # Korean: particles attach to words, so match inside text; but a one-syllable word
            # (산, 집, 책, 눈) must stand alone or take a particle (산에, not 산업 or 생산).
            if len(word) > 1:
                return pos
            before = text[pos - 1] if pos > 0 else " "
            after = text[pos + 1] if pos + 1 < len(text) else " "
            if not before.isalnum() and (not after.isalnum() or after in _PARTICLES):
                return pos
            pos = text.find(word, pos + 1)
            continue
        before = text[pos - 1] if pos > 0 else " "
        after = text[pos + len(word)] if pos + len(word) < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return pos
        pos = text.find(word, pos + 1)
    return None


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, max(0.0, min(1.0, s)), max(0.0, min(1.0, v)))
    return int(r * 255), int(g * 255), int(b * 255)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    t = max(0.0, min(1.0, t))
    return int(a[0] + (b[0] - a[0]) * t), int(a[1] + (b[1] - a[1]) * t), int(a[2] + (b[2] - a[2]) * t)


@dataclass
class _Palette:
    sky_top: RGB
    sky_mid: RGB
    horizon: RGB
    light: RGB  # sun / moon / glow
    ground: RGB  # nearest silhouette colour
    accent: RGB


def _palette(rng: random.Random, hue: float, time_of_day: str) -> _Palette:
    if time_of_day == "night":
        return _Palette(
            _hsv(hue + 0.62, 0.75, 0.10), _hsv(hue + 0.66, 0.65, 0.22), _hsv(hue + 0.72, 0.45, 0.42),
            _hsv(0.13, 0.12, 1.0), _hsv(hue + 0.66, 0.55, 0.06), _hsv(hue + 0.1, 0.7, 1.0),
        )  # fmt: skip
    if time_of_day == "sunset":
        return _Palette(
            _hsv(hue + 0.70, 0.60, 0.35), _hsv(hue + 0.95, 0.55, 0.75),
            _hsv(0.08 + rng.uniform(-0.03, 0.03), 0.75, 1.0),
            _hsv(0.12, 0.35, 1.0), _hsv(hue + 0.75, 0.55, 0.14), _hsv(0.05, 0.8, 1.0),
        )  # fmt: skip
    return _Palette(
        _hsv(hue + 0.58, 0.62, 0.80), _hsv(hue + 0.56, 0.38, 0.92), _hsv(hue + 0.52, 0.16, 0.99),
        _hsv(0.14, 0.10, 1.0), _hsv(hue + 0.45, 0.55, 0.28), _hsv(hue + 0.08, 0.65, 0.95),
    )  # fmt: skip


class OfflineArtist:
    """Deterministic generative artwork from the words of a prompt (Pillow only)."""

    name = "offline-artist"
    offline = True

    def generate(self, prompt: str, target: Path, *, size: tuple[int, int]) -> ImageResult:
        _save_atomic(self.paint(prompt, size), target)
        return ImageResult(target, self.name)

    def paint(self, prompt: str, size: tuple[int, int]) -> Image.Image:
        digest = hashlib.sha256(prompt.strip().encode("utf-8")).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        theme = _pick(prompt, THEMES) or rng.choice(["abstract", "mountains", "sea", "abstract", "forest"])
        time_of_day = _pick(prompt, TIMES) or rng.choice(["day", "sunset", "night", "sunset"])
        if theme == "space":
            time_of_day = "night"
        hue = next((h for w, h in MOODS.items() if _find_word(prompt.lower(), w) is not None), None)
        if hue is None:
            hue = digest[8] / 255.0
        pal = _palette(rng, hue, time_of_day)
        w, h = size
        horizon = rng.uniform(0.52, 0.68) if h > w else rng.uniform(0.55, 0.7)
        img = _vertical_gradient(size, [(0.0, pal.sky_top), (horizon * 0.6, pal.sky_mid), (horizon, pal.horizon)])
        light_xy = (rng.uniform(0.2, 0.8) * w, (horizon - rng.uniform(0.08, 0.25)) * h)
        _glow(img, light_xy, min(w, h) * rng.uniform(0.55, 0.9), pal.light, 0.55 if time_of_day != "day" else 0.4)
        if time_of_day == "night":
            _stars(img, rng, horizon, 260 if theme == "space" else 120)
        if theme != "tech":
            _disc(img, light_xy, min(w, h) * rng.uniform(0.05, 0.09), pal.light)
        if theme == "indoor":
            _paint_indoor(img, rng, pal, time_of_day, _pick(prompt, SUBJECTS))
            _bokeh(img, rng, pal, 10)
            _vignette(img, 0.5)
            return img
        painter = {
            "sea": _paint_sea,
            "mountains": _paint_mountains,
            "city": _paint_city,
            "forest": _paint_forest,
            "space": _paint_space,
            "tech": _paint_tech,
        }.get(theme, _paint_abstract)
        painter(img, rng, pal, horizon, light_xy)
        _bokeh(img, rng, pal, 14 if time_of_day != "day" else 8)
        _vignette(img, 0.55)
        return img


def _vertical_gradient(size: tuple[int, int], stops: list[tuple[float, RGB]]) -> Image.Image:
    w, h = size
    strip = Image.new("RGB", (1, h))
    rows: list[RGB] = []
    for y in range(h):
        t = y / max(1, h - 1)
        colour = stops[-1][1]
        for (t0, c0), (t1, c1) in itertools.pairwise(stops):
            if t0 <= t <= t1:
                colour = _mix(c0, c1, (t - t0) / max(1e-6, t1 - t0))
                break
        rows.append(colour)
    strip.putdata(rows)
    return strip.resize((w, h), Image.Resampling.BILINEAR)


def _radial_mask(diameter: int) -> Image.Image:
    """White in the centre fading to black at the rim (smooth)."""
    base = ImageChops.invert(Image.radial_gradient("L"))  # 256x256, centre 255
    base = base.point(lambda v: int(255 * (max(0, v - 74) / 181.0) ** 2.2))
    return base.resize((max(2, diameter), max(2, diameter)), Image.Resampling.BILINEAR)


def _glow(img: Image.Image, xy: tuple[float, float], radius: float, colour: RGB, strength: float) -> None:
    d = int(radius * 2)
    mask = _radial_mask(d).point(lambda v: int(v * strength))
    img.paste(Image.new("RGB", (d, d), colour), (int(xy[0] - radius), int(xy[1] - radius)), mask)


def _disc(img: Image.Image, xy: tuple[float, float], radius: float, colour: RGB) -> None:
    _glow(img, xy, radius * 2.2, colour, 0.6)
    layer = Image.new("L", img.size, 0)
    ImageDraw.Draw(layer).ellipse([xy[0] - radius, xy[1] - radius, xy[0] + radius, xy[1] + radius], fill=255)
    img.paste(Image.new("RGB", img.size, colour), (0, 0), layer.filter(ImageFilter.GaussianBlur(radius * 0.08)))


def _stars(img: Image.Image, rng: random.Random, horizon: float, count: int) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    scale = max(w, h) / 1920
    for _ in range(count):
        x, y = rng.uniform(0, w), rng.uniform(0, h * horizon * 0.95) ** 1.0
        r = rng.choice([0.8, 1.0, 1.3, 1.8, 2.5]) * scale
        v = rng.randint(150, 255)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(v, v, min(255, v + 20)))


def _ridge(
    rng: random.Random, width: int, base_y: float, amplitude: float, roughness: float
) -> list[tuple[float, float]]:
    """A mountain ridge by midpoint displacement."""
    points = [base_y + rng.uniform(-amplitude, amplitude), base_y + rng.uniform(-amplitude, amplitude)]
    spread = amplitude
    for _ in range(7):
        nxt = []
        for a, b in itertools.pairwise(points):
            nxt += [a, (a + b) / 2 + rng.uniform(-spread, spread)]
        nxt.append(points[-1])
        points = nxt
        spread *= roughness
    step = width / (len(points) - 1)
    return [(i * step, y) for i, y in enumerate(points)]


def _layers(img: Image.Image, rng: random.Random, pal: _Palette, horizon: float, count: int, kind: str) -> None:
    w, h = img.size
    for i in range(count):
        depth = i / max(1, count - 1)  # 0 far .. 1 near
        colour = _mix(_mix(pal.horizon, pal.sky_mid, 0.3), pal.ground, 0.35 + 0.65 * depth)
        base = h * (horizon + 0.02 + depth * (0.9 - horizon) * 0.55)
        mask = Image.new("L", (w, h), 0)
        draw = ImageDraw.Draw(mask)
        if kind == "mountains":
            ridge = _ridge(rng, w, base - h * 0.12 * (1 - depth * 0.5), h * (0.10 - depth * 0.04), 0.55)
        else:  # rolling hills
            phase, freq = rng.uniform(0, 6.28), rng.uniform(1.0, 2.5)
            ridge = [(x, base + math.sin(phase + freq * x / w * 6.28) * h * 0.02) for x in range(0, w + 24, 24)]
        draw.polygon([*ridge, (w, h), (0, h)], fill=255)
        if depth < 0.99:
            mask = mask.filter(ImageFilter.GaussianBlur(1.5 + (1 - depth) * 2))
        img.paste(Image.new("RGB", (w, h), colour), (0, 0), mask)
        if kind == "forest" and depth > 0.3:
            _trees(img, rng, ridge, _mix(colour, (0, 0, 0), 0.15), h * (0.05 + depth * 0.08), int(10 + depth * 14))


def _trees(
    img: Image.Image, rng: random.Random, ridge: list[tuple[float, float]], colour: RGB, height: float, n: int
) -> None:
    draw = ImageDraw.Draw(img)
    for _ in range(n):
        x, y = ridge[rng.randrange(len(ridge))]
        th = height * rng.uniform(0.6, 1.3)
        tw = th * rng.uniform(0.28, 0.4)
        for k in range(3):
            top = y - th + k * th * 0.22
            draw.polygon(
                [(x, top), (x - tw * (0.6 + k * 0.2), top + th * 0.45), (x + tw * (0.6 + k * 0.2), top + th * 0.45)],
                fill=colour,
            )
        draw.rectangle([x - tw * 0.08, y - th * 0.15, x + tw * 0.08, y + 4], fill=colour)


def _paint_mountains(
    img: Image.Image, rng: random.Random, pal: _Palette, horizon: float, light: tuple[float, float]
) -> None:
    _layers(img, rng, pal, horizon, rng.randint(4, 6), "mountains")


def _paint_forest(
    img: Image.Image, rng: random.Random, pal: _Palette, horizon: float, light: tuple[float, float]
) -> None:
    _layers(img, rng, pal, horizon, rng.randint(3, 5), "forest")


def _paint_sea(img: Image.Image, rng: random.Random, pal: _Palette, horizon: float, light: tuple[float, float]) -> None:
    w, h = img.size
    y0 = int(h * horizon)
    water = _vertical_gradient((w, h - y0), [(0.0, _mix(pal.horizon, pal.sky_top, 0.35)), (1.0, pal.ground)])
    img.paste(water, (0, y0))
    draw = ImageDraw.Draw(img, "RGBA")
    rows = 40
    for i in range(rows):
        t = i / rows
        y = y0 + (h - y0) * t**1.6
        amp = 2 + t * h * 0.006
        shade = _mix(pal.light, pal.horizon, 0.3)
        alpha = int(30 + 60 * (1 - t))
        pts = [(x, y + math.sin(x / w * 18 + i * 1.7) * amp) for x in range(0, w + 30, 30)]
        draw.line(pts, fill=(*shade, alpha), width=max(1, int(1 + t * 4)))
    # the light's reflection: a soft column of glints below it
    lx = light[0]
    for _ in range(160):
        t = rng.random() ** 1.4
        y = y0 + (h - y0) * t
        spread = w * (0.03 + 0.12 * t)
        x = lx + rng.gauss(0, spread * 0.5)
        lw = rng.uniform(8, 40) * (0.4 + t)
        draw.line([(x - lw, y), (x + lw, y)], fill=(*pal.light, int(70 + 100 * (1 - t))), width=max(1, int(2 + 3 * t)))
    if rng.random() < 0.7:  # a distant island
        ridge = _ridge(rng, int(w * 0.5), y0 - h * 0.02, h * 0.02, 0.5)
        off = rng.uniform(-0.1, 0.6) * w
        draw.polygon(
            [(x + off, y) for x, y in ridge] + [(off + w * 0.5, y0 + 1), (off, y0 + 1)],
            fill=(*_mix(pal.horizon, pal.ground, 0.5), 255),
        )


def _paint_city(
    img: Image.Image, rng: random.Random, pal: _Palette, horizon: float, light: tuple[float, float]
) -> None:
    w, h = img.size
    for layer in range(3):
        depth = layer / 2
        colour = _mix(_mix(pal.horizon, pal.sky_mid, 0.3), pal.ground, 0.35 + 0.65 * depth)
        base = h * (horizon + 0.08 + depth * 0.14)
        draw = ImageDraw.Draw(img)
        x = -rng.uniform(0, 40)
        unit = w / (14 - layer * 3)
        while x < w:
            bw = unit * rng.uniform(0.5, 1.2)
            bh = h * rng.uniform(0.08, 0.3) * (1.2 - depth * 0.4)
            top = base - bh
            draw.rectangle([x, top, x + bw, h], fill=colour)
            if rng.random() < 0.3:
                draw.rectangle([x + bw * 0.4, top - bh * 0.12, x + bw * 0.5, top], fill=colour)
            if depth > 0.4:  # lit windows
                win = max(3, int(bw / 9))
                for wy in range(int(top + win * 2), int(min(h, base + h * 0.2)), win * 3):
                    for wx in range(int(x + win), int(x + bw - win), win * 2):
                        if rng.random() < 0.35:
                            draw.rectangle(
                                [wx, wy, wx + win, wy + int(win * 1.3)], fill=_mix(pal.accent, pal.light, rng.random())
                            )
            x += bw + rng.uniform(2, unit * 0.15)
    ground = Image.new("RGB", (w, int(h * 0.08)), pal.ground)
    img.paste(ground, (0, h - ground.height))


def _paint_space(
    img: Image.Image, rng: random.Random, pal: _Palette, horizon: float, light: tuple[float, float]
) -> None:
    w, h = img.size
    # nebula clouds
    for _ in range(5):
        r = min(w, h) * rng.uniform(0.3, 0.7)
        _glow(img, (rng.uniform(0, w), rng.uniform(0, h)), r, _hsv(rng.random(), 0.7, 0.8), 0.35)
    # a planet with a lit limb
    r = min(w, h) * rng.uniform(0.25, 0.45)
    cx, cy = rng.uniform(0.2, 0.8) * w, h * rng.uniform(0.65, 0.95)
    body = Image.new("L", img.size, 0)
    ImageDraw.Draw(body).ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    planet = _vertical_gradient(img.size, [(0.0, _mix(pal.accent, pal.light, 0.5)), (1.0, pal.ground)])
    img.paste(planet, (0, 0), body.filter(ImageFilter.GaussianBlur(2)))
    _glow(img, (cx, cy - r * 0.9), r * 0.6, pal.light, 0.25)


def _paint_tech(
    img: Image.Image, rng: random.Random, pal: _Palette, horizon: float, light: tuple[float, float]
) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img, "RGBA")
    y0 = h * horizon
    line = (*_mix(pal.accent, pal.light, 0.4), 110)
    for i in range(-12, 13):  # perspective floor grid
        draw.line([(w / 2 + i * w * 0.02, y0), (w / 2 + i * w * 0.25, h)], fill=line, width=2)
    for k in range(1, 14):
        y = y0 + (h - y0) * (k / 14) ** 2
        draw.line([(0, y), (w, y)], fill=line, width=2)
    nodes = [(rng.uniform(0.08, 0.92) * w, rng.uniform(0.08, horizon - 0.05) * h) for _ in range(16)]
    for a in nodes:
        for b in nodes:
            if a < b and math.dist(a, b) < min(w, h) * 0.32:
                draw.line([a, b], fill=(*pal.accent, 90), width=2)
    for x, y in nodes:
        r = rng.uniform(4, 10) * w / 1080
        _glow(img, (x, y), r * 6, pal.accent, 0.5)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(*pal.light, 230))


def _paint_abstract(
    img: Image.Image, rng: random.Random, pal: _Palette, horizon: float, light: tuple[float, float]
) -> None:
    w, h = img.size
    small = (max(2, w // 4), max(2, h // 4))
    layer = img.resize(small, Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(layer, "RGBA")
    for _ in range(7):  # soft colour fields
        r = min(small) * rng.uniform(0.25, 0.6)
        x, y = rng.uniform(0, small[0]), rng.uniform(0, small[1])
        colour = _mix(pal.accent, _hsv(rng.random(), 0.6, 0.9), rng.random() * 0.6)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(*colour, 120))
    layer = layer.filter(ImageFilter.GaussianBlur(min(small) * 0.08)).resize((w, h), Image.Resampling.BICUBIC)
    img.paste(layer)
    draw = ImageDraw.Draw(img, "RGBA")
    for i in range(5):  # flowing ribbons
        phase, freq, amp = rng.uniform(0, 6.28), rng.uniform(0.6, 1.6), h * rng.uniform(0.03, 0.08)
        base = h * (0.35 + i * 0.12)
        thick = h * rng.uniform(0.01, 0.04)
        top = [(x, base + math.sin(phase + freq * x / w * 6.28) * amp) for x in range(0, w + 20, 20)]
        bottom = [(x, y + thick) for x, y in reversed(top)]
        colour = _mix(pal.light, pal.accent, i / 5)
        draw.polygon(top + bottom, fill=(*colour, 70 + i * 15))


def _paint_indoor(img: Image.Image, rng: random.Random, pal: _Palette, time_of_day: str, subject: str | None) -> None:
    """A room: wall, a window onto the sky, a beam of light, floor, furniture, maybe a pet or an object."""
    w, h = img.size
    night = time_of_day == "night"
    wall_hue = rng.random()
    wall_top = _hsv(wall_hue, 0.25, 0.22 if night else 0.72)
    wall_bottom = _hsv(wall_hue + 0.03, 0.3, 0.14 if night else 0.55)
    floor_y = int(h * rng.uniform(0.66, 0.74))
    img.paste(_vertical_gradient((w, floor_y), [(0.0, wall_top), (1.0, wall_bottom)]), (0, 0))
    floor = _vertical_gradient(
        (w, h - floor_y),
        [
            (0.0, _hsv(wall_hue + 0.08, 0.45, 0.2 if night else 0.42)),
            (1.0, _hsv(wall_hue + 0.08, 0.5, 0.08 if night else 0.22)),
        ],
    )
    img.paste(floor, (0, floor_y))
    # the window with the sky (and a far skyline) behind it
    left_side = rng.random() < 0.5
    ww, wh = int(w * rng.uniform(0.34, 0.46)), int(h * rng.uniform(0.26, 0.34))
    wx = int(w * 0.08) if left_side else int(w * 0.92) - ww
    wy = int(h * rng.uniform(0.1, 0.16))
    sky = _vertical_gradient((ww, wh), [(0.0, pal.sky_top), (0.7, pal.sky_mid), (1.0, pal.horizon)])
    sd = ImageDraw.Draw(sky)
    x = 0.0
    while x < ww:  # distant skyline inside the window
        bw = ww * rng.uniform(0.06, 0.14)
        top = wh * rng.uniform(0.62, 0.85)
        sd.rectangle([x, top, x + bw, wh], fill=_mix(pal.horizon, pal.ground, 0.55))
        x += bw + 2
    img.paste(sky, (wx, wy))
    _glow(img, (wx + ww / 2, wy + wh / 2), max(ww, wh) * 0.9, pal.light if not night else pal.sky_mid, 0.35)
    draw = ImageDraw.Draw(img, "RGBA")
    frame = _mix(wall_bottom, (20, 16, 14), 0.6)
    t = max(4, w // 90)
    draw.rectangle([wx - t, wy - t, wx + ww + t, wy + wh + t], outline=(*frame, 255), width=t)
    draw.line([(wx + ww / 2, wy), (wx + ww / 2, wy + wh)], fill=(*frame, 255), width=t)
    draw.line([(wx, wy + wh * 0.45), (wx + ww, wy + wh * 0.45)], fill=(*frame, 255), width=t)
    draw.rectangle([wx - 3 * t, wy + wh + t, wx + ww + 3 * t, wy + wh + 3 * t], fill=(*frame, 255))  # sill
    # a soft beam of light from the window onto the floor
    beam = Image.new("L", (w, h), 0)
    bx = w * (0.35 if left_side else -0.35)
    ImageDraw.Draw(beam).polygon(
        [(wx, wy + wh), (wx + ww, wy + wh), (wx + ww + bx, h), (wx + bx, h)], fill=60 if not night else 30
    )
    img.paste(Image.new("RGB", (w, h), pal.light), (0, 0), beam.filter(ImageFilter.GaussianBlur(w * 0.03)))
    # furniture on the other side: a shelf with books, a plant, a lamp at night
    sx = int(w * 0.62) if left_side else int(w * 0.06)
    sw = int(w * 0.3)
    wood = _mix(wall_bottom, (40, 28, 20), 0.7)
    for k in range(3):
        y = floor_y - int(h * (0.12 + k * 0.1))
        draw.rectangle([sx, y, sx + sw, y + max(4, h // 160)], fill=(*wood, 255))
        bx2 = sx + 4
        while bx2 < sx + sw - 10 and rng.random() < 0.9:
            bw = int(w * rng.uniform(0.012, 0.025))
            bh = int(h * rng.uniform(0.04, 0.075))
            draw.rectangle([bx2, y - bh, bx2 + bw, y], fill=(*_hsv(rng.random(), 0.45, 0.35 if night else 0.6), 255))
            bx2 += bw + 2
    draw.rectangle([sx, floor_y - int(h * 0.33), sx + max(4, w // 120), floor_y], fill=(*wood, 255))
    draw.rectangle([sx + sw - max(4, w // 120), floor_y - int(h * 0.33), sx + sw, floor_y], fill=(*wood, 255))
    if night:
        lx, ly = (sx + sw * 0.5, floor_y - h * 0.38)
        _glow(img, (lx, ly), w * 0.35, (255, 196, 120), 0.55)
        draw.polygon(
            [(lx - w * 0.05, ly), (lx + w * 0.05, ly), (lx + w * 0.03, ly - h * 0.03), (lx - w * 0.03, ly - h * 0.03)],
            fill=(255, 214, 150, 255),
        )
    # a rug
    rug = _mix(pal.accent, wall_bottom, 0.5)
    cx = w * (0.55 if left_side else 0.45)
    draw.ellipse(
        [cx - w * 0.38, floor_y + (h - floor_y) * 0.25, cx + w * 0.38, floor_y + (h - floor_y) * 0.75], fill=(*rug, 200)
    )
    _subject(
        img,
        rng,
        subject or rng.choice(["plant", "cup", "book", "plant"]),
        (cx, floor_y + (h - floor_y) * 0.5),
        w,
        h,
        pal,
    )


def _subject(
    img: Image.Image, rng: random.Random, kind: str, base: tuple[float, float], w: int, h: int, pal: _Palette
) -> None:
    """A simple silhouette of the prompt's subject, rim-lit by the palette's light."""
    draw = ImageDraw.Draw(img, "RGBA")
    x, y = base
    s = min(w, h) * 0.22
    dark = (18, 16, 22, 255)
    rim = (*pal.light, 120)
    if kind in ("cat", "dog"):
        body = [x - s * 0.9, y - s * 0.7, x + s * 0.5, y + s * 0.05]
        draw.ellipse(body, fill=dark)
        hx, hy, hr = x + s * 0.55, y - s * 0.75, s * 0.32
        draw.ellipse([hx - hr, hy - hr, hx + hr, hy + hr], fill=dark)
        if kind == "cat":
            for side in (-1, 1):
                ex = hx + side * hr * 0.55
                draw.polygon(
                    [(ex - hr * 0.35, hy - hr * 0.6), (ex + hr * 0.35, hy - hr * 0.6), (ex, hy - hr * 1.45)], fill=dark
                )
            draw.line(
                [(x - s * 0.85, y - s * 0.2), (x - s * 1.3, y - s * 0.55), (x - s * 1.15, y - s * 0.95)],
                fill=dark,
                width=int(s * 0.12),
                joint="curve",
            )
        else:
            draw.ellipse([hx + hr * 0.4, hy - hr * 0.1, hx + hr * 1.25, hy + hr * 0.45], fill=dark)  # snout
            draw.ellipse([hx - hr * 0.9, hy - hr * 0.5, hx - hr * 0.3, hy + hr * 0.6], fill=dark)  # ear
            draw.line([(x - s * 0.85, y - s * 0.45), (x - s * 1.2, y - s * 0.8)], fill=dark, width=int(s * 0.1))
        draw.arc([hx - hr, hy - hr, hx + hr, hy + hr], 200, 320, fill=rim, width=max(2, int(s * 0.03)))
        draw.arc(body, 200, 300, fill=rim, width=max(2, int(s * 0.03)))
    elif kind == "cup":
        cw, ch = s * 0.7, s * 0.8
        draw.rounded_rectangle([x - cw / 2, y - ch, x + cw / 2, y], radius=cw * 0.12, fill=dark)
        draw.arc([x + cw * 0.3, y - ch * 0.8, x + cw * 0.8, y - ch * 0.3], 270, 90, fill=dark, width=int(cw * 0.1))
        for k in range(3):  # steam
            sx = x - cw * 0.25 + k * cw * 0.25
            pts = [(sx + math.sin(t / 3 + k) * cw * 0.08, y - ch - t * ch * 0.06) for t in range(12)]
            draw.line(pts, fill=(*pal.light, 90), width=max(2, int(cw * 0.04)), joint="curve")
        draw.line([(x - cw / 2, y - ch), (x - cw / 2, y)], fill=rim, width=max(2, int(cw * 0.03)))
    elif kind == "book":
        bw, bh = s * 1.3, s * 0.25
        for k in range(3):
            yy = y - k * bh * 1.05
            draw.rectangle(
                [x - bw / 2 + k * s * 0.05, yy - bh, x + bw / 2 + k * s * 0.05, yy],
                fill=(*_hsv(rng.random(), 0.5, 0.35), 255),
                outline=rim,
            )
    else:  # plant
        draw.polygon(
            [(x - s * 0.3, y - s * 0.5), (x + s * 0.3, y - s * 0.5), (x + s * 0.22, y), (x - s * 0.22, y)], fill=dark
        )
        leaf = (*_mix(pal.ground, (30, 90, 50), 0.6), 255)
        for k in range(9):
            ang = math.pi * (0.15 + 0.7 * k / 8)
            lx, ly = x + math.cos(ang) * s * 0.9 * (1 if k % 2 else -1) * 0.6, y - s * 0.5 - math.sin(ang) * s * 1.1
            draw.ellipse([lx - s * 0.16, ly - s * 0.3, lx + s * 0.16, ly + s * 0.3], fill=leaf)
            draw.line([(x, y - s * 0.5), (lx, ly)], fill=leaf, width=max(2, int(s * 0.03)))


def _bokeh(img: Image.Image, rng: random.Random, pal: _Palette, count: int) -> None:
    w, h = img.size
    layer = Image.new("RGBA", (w // 2, h // 2), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(count):
        r = rng.uniform(0.01, 0.05) * min(w, h) / 2
        x, y = rng.uniform(0, w / 2), rng.uniform(0, h / 2)
        draw.ellipse(
            [x - r, y - r, x + r, y + r], fill=(*_mix(pal.light, pal.accent, rng.random()), rng.randint(25, 70))
        )
    layer = layer.filter(ImageFilter.GaussianBlur(3)).resize((w, h), Image.Resampling.BILINEAR)
    img.paste(layer, (0, 0), layer)


def _vignette(img: Image.Image, strength: float) -> None:
    w, h = img.size
    mask = ImageChops.invert(_radial_mask(256).resize((w, h), Image.Resampling.BILINEAR))
    mask = mask.point(lambda v: int(v * strength))
    img.paste(Image.new("RGB", (w, h), (0, 0, 0)), (0, 0), mask)


# --------------------------------------------------------------------------- OpenAI-compatible
class OpenAIImages:
    """`POST {base}/images/generations` through the official SDK; the picture comes back as b64_json."""

    offline = False

    def __init__(self, *, base_url: str, api_key: str, model: str, size: str, timeout: float, retries: int):
        import openai

        if not model:
            raise PermanentError("REELFORGE_IMAGE_MODEL is not set (the image model of the OpenAI-compatible server)")
        self.name = f"openai-images:{model}"
        self.model = model
        self.size = size
        self.client = openai.OpenAI(
            base_url=base_url or None, api_key=api_key or "not-needed", timeout=timeout, max_retries=retries
        )

    def request_size(self, size: tuple[int, int]) -> str:
        if self.size != "auto":
            return self.size
        w, h = size
        return "1024x1536" if h > w * 1.2 else "1536x1024" if w > h * 1.2 else "1024x1024"

    def generate(self, prompt: str, target: Path, *, size: tuple[int, int]) -> ImageResult:
        import openai

        from reelforge.providers.tts import _raise_for_provider

        try:
            response = self.client.images.generate(
                model=self.model, prompt=prompt, n=1, size=self.request_size(size),  # type: ignore[arg-type]
                response_format="b64_json",
            )  # fmt: skip
        except openai.BadRequestError as exc:
            if "response_format" in str(exc.message):  # gpt-image style servers always answer b64 and refuse the field
                try:
                    response = self.client.images.generate(
                        model=self.model, prompt=prompt, n=1, size=self.request_size(size)
                    )  # type: ignore[arg-type]
                except Exception as again:
                    _raise_for_provider(again, "image endpoint")
                    raise
            else:
                _raise_for_provider(exc, "image endpoint")
                raise
        except Exception as exc:
            _raise_for_provider(exc, "image endpoint")
            raise
        data = response.data[0] if response.data else None
        if data is None or not data.b64_json:
            raise TransientError("the image endpoint answered without b64_json image data")
        try:
            picture = Image.open(io.BytesIO(base64.b64decode(data.b64_json)))
            picture.load()
        except Exception as exc:
            raise PermanentError(f"the image endpoint returned an unreadable image: {exc}") from exc
        _save_atomic(picture.convert("RGB"), target)
        return ImageResult(target, self.name)


def image_provider(settings: Settings) -> ImageProvider:
    if settings.image_provider == "openai":
        return OpenAIImages(
            base_url=settings.image_base_url,
            api_key=settings.image_api_key,
            model=settings.image_model,
            size=settings.image_size,
            timeout=settings.provider_timeout_seconds,
            retries=settings.provider_max_retries,
        )
    return OfflineArtist()
