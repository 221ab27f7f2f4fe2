"""Outdoor scenes of the offline artist: mountains, forest, sea, city, space, tech and abstract."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

from reelforge.providers.image.offline_brushes import RGB, Palette, glow, hsv, mix, vertical_gradient


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


def _layers(img: Image.Image, rng: random.Random, pal: Palette, horizon: float, count: int, kind: str) -> None:
    w, h = img.size
    for i in range(count):
        depth = i / max(1, count - 1)  # 0 far .. 1 near
        colour = mix(mix(pal.horizon, pal.sky_mid, 0.3), pal.ground, 0.35 + 0.65 * depth)
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
            _trees(img, rng, ridge, mix(colour, (0, 0, 0), 0.15), h * (0.05 + depth * 0.08), int(10 + depth * 14))


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


def paint_mountains(
    img: Image.Image, rng: random.Random, pal: Palette, horizon: float, light: tuple[float, float]
) -> None:
    _layers(img, rng, pal, horizon, rng.randint(4, 6), "mountains")


def paint_forest(
    img: Image.Image, rng: random.Random, pal: Palette, horizon: float, light: tuple[float, float]
) -> None:
    _layers(img, rng, pal, horizon, rng.randint(3, 5), "forest")


def paint_sea(img: Image.Image, rng: random.Random, pal: Palette, horizon: float, light: tuple[float, float]) -> None:
    w, h = img.size
    y0 = int(h * horizon)
    water = vertical_gradient((w, h - y0), [(0.0, mix(pal.horizon, pal.sky_top, 0.35)), (1.0, pal.ground)])
    img.paste(water, (0, y0))
    draw = ImageDraw.Draw(img, "RGBA")
    rows = 40
    for i in range(rows):
        t = i / rows
        y = y0 + (h - y0) * t**1.6
        amp = 2 + t * h * 0.006
        shade = mix(pal.light, pal.horizon, 0.3)
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
            fill=(*mix(pal.horizon, pal.ground, 0.5), 255),
        )


def paint_city(img: Image.Image, rng: random.Random, pal: Palette, horizon: float, light: tuple[float, float]) -> None:
    w, h = img.size
    for layer in range(3):
        depth = layer / 2
        colour = mix(mix(pal.horizon, pal.sky_mid, 0.3), pal.ground, 0.35 + 0.65 * depth)
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
                                [wx, wy, wx + win, wy + int(win * 1.3)], fill=mix(pal.accent, pal.light, rng.random())
                            )
            x += bw + rng.uniform(2, unit * 0.15)
    ground = Image.new("RGB", (w, int(h * 0.08)), pal.ground)
    img.paste(ground, (0, h - ground.height))


def paint_space(img: Image.Image, rng: random.Random, pal: Palette, horizon: float, light: tuple[float, float]) -> None:
    w, h = img.size
    # nebula clouds
    for _ in range(5):
        r = min(w, h) * rng.uniform(0.3, 0.7)
        glow(img, (rng.uniform(0, w), rng.uniform(0, h)), r, hsv(rng.random(), 0.7, 0.8), 0.35)
    # a planet with a lit limb
    r = min(w, h) * rng.uniform(0.25, 0.45)
    cx, cy = rng.uniform(0.2, 0.8) * w, h * rng.uniform(0.65, 0.95)
    body = Image.new("L", img.size, 0)
    ImageDraw.Draw(body).ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    planet = vertical_gradient(img.size, [(0.0, mix(pal.accent, pal.light, 0.5)), (1.0, pal.ground)])
    img.paste(planet, (0, 0), body.filter(ImageFilter.GaussianBlur(2)))
    glow(img, (cx, cy - r * 0.9), r * 0.6, pal.light, 0.25)


def paint_tech(img: Image.Image, rng: random.Random, pal: Palette, horizon: float, light: tuple[float, float]) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img, "RGBA")
    y0 = h * horizon
    line = (*mix(pal.accent, pal.light, 0.4), 110)
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
        glow(img, (x, y), r * 6, pal.accent, 0.5)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(*pal.light, 230))


def paint_abstract(
    img: Image.Image, rng: random.Random, pal: Palette, horizon: float, light: tuple[float, float]
) -> None:
    w, h = img.size
    small = (max(2, w // 4), max(2, h // 4))
    layer = img.resize(small, Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(layer, "RGBA")
    for _ in range(7):  # soft colour fields
        r = min(small) * rng.uniform(0.25, 0.6)
        x, y = rng.uniform(0, small[0]), rng.uniform(0, small[1])
        colour = mix(pal.accent, hsv(rng.random(), 0.6, 0.9), rng.random() * 0.6)
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
        colour = mix(pal.light, pal.accent, i / 5)
        draw.polygon(top + bottom, fill=(*colour, 70 + i * 15))


Painter = Callable[[Image.Image, random.Random, Palette, float, tuple[float, float]], None]
PAINTERS: dict[str, Painter] = {
    "sea": paint_sea,
    "mountains": paint_mountains,
    "city": paint_city,
    "forest": paint_forest,
    "space": paint_space,
    "tech": paint_tech,
}
