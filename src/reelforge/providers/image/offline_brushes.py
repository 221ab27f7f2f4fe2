"""The offline artist's brushes: colours, the palette per time of day, gradients, glow and light."""

from __future__ import annotations

import colorsys
import itertools
import random
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter

RGB = tuple[int, int, int]


def hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, max(0.0, min(1.0, s)), max(0.0, min(1.0, v)))
    return int(r * 255), int(g * 255), int(b * 255)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    t = max(0.0, min(1.0, t))
    return int(a[0] + (b[0] - a[0]) * t), int(a[1] + (b[1] - a[1]) * t), int(a[2] + (b[2] - a[2]) * t)


@dataclass
class Palette:
    sky_top: RGB
    sky_mid: RGB
    horizon: RGB
    light: RGB  # sun / moon / glow
    ground: RGB  # nearest silhouette colour
    accent: RGB


def palette_for(rng: random.Random, hue: float, time_of_day: str) -> Palette:
    if time_of_day == "night":
        return Palette(
            hsv(hue + 0.62, 0.75, 0.10), hsv(hue + 0.66, 0.65, 0.22), hsv(hue + 0.72, 0.45, 0.42),
            hsv(0.13, 0.12, 1.0), hsv(hue + 0.66, 0.55, 0.06), hsv(hue + 0.1, 0.7, 1.0),
        )  # fmt: skip
    if time_of_day == "sunset":
        return Palette(
            hsv(hue + 0.70, 0.60, 0.35), hsv(hue + 0.95, 0.55, 0.75),
            hsv(0.08 + rng.uniform(-0.03, 0.03), 0.75, 1.0),
            hsv(0.12, 0.35, 1.0), hsv(hue + 0.75, 0.55, 0.14), hsv(0.05, 0.8, 1.0),
        )  # fmt: skip
    return Palette(
        hsv(hue + 0.58, 0.62, 0.80), hsv(hue + 0.56, 0.38, 0.92), hsv(hue + 0.52, 0.16, 0.99),
        hsv(0.14, 0.10, 1.0), hsv(hue + 0.45, 0.55, 0.28), hsv(hue + 0.08, 0.65, 0.95),
    )  # fmt: skip


def vertical_gradient(size: tuple[int, int], stops: list[tuple[float, RGB]]) -> Image.Image:
    w, h = size
    strip = Image.new("RGB", (1, h))
    rows: list[RGB] = []
    for y in range(h):
        t = y / max(1, h - 1)
        colour = stops[-1][1]
        for (t0, c0), (t1, c1) in itertools.pairwise(stops):
            if t0 <= t <= t1:
                colour = mix(c0, c1, (t - t0) / max(1e-6, t1 - t0))
                break
        rows.append(colour)
    strip.putdata(rows)
    return strip.resize((w, h), Image.Resampling.BILINEAR)


def radial_mask(diameter: int) -> Image.Image:
    """White in the centre fading to black at the rim (smooth)."""
    base = ImageChops.invert(Image.radial_gradient("L"))  # 256x256, centre 255
    base = base.point(lambda v: int(255 * (max(0, v - 74) / 181.0) ** 2.2))
    return base.resize((max(2, diameter), max(2, diameter)), Image.Resampling.BILINEAR)


def glow(img: Image.Image, xy: tuple[float, float], radius: float, colour: RGB, strength: float) -> None:
    d = int(radius * 2)
    mask = radial_mask(d).point(lambda v: int(v * strength))
    img.paste(Image.new("RGB", (d, d), colour), (int(xy[0] - radius), int(xy[1] - radius)), mask)


def disc(img: Image.Image, xy: tuple[float, float], radius: float, colour: RGB) -> None:
    glow(img, xy, radius * 2.2, colour, 0.6)
    layer = Image.new("L", img.size, 0)
    ImageDraw.Draw(layer).ellipse([xy[0] - radius, xy[1] - radius, xy[0] + radius, xy[1] + radius], fill=255)
    img.paste(Image.new("RGB", img.size, colour), (0, 0), layer.filter(ImageFilter.GaussianBlur(radius * 0.08)))


def stars(img: Image.Image, rng: random.Random, horizon: float, count: int) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    scale = max(w, h) / 1920
    for _ in range(count):
        x, y = rng.uniform(0, w), rng.uniform(0, h * horizon * 0.95) ** 1.0
        r = rng.choice([0.8, 1.0, 1.3, 1.8, 2.5]) * scale
        v = rng.randint(150, 255)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(v, v, min(255, v + 20)))


def bokeh(img: Image.Image, rng: random.Random, pal: Palette, count: int) -> None:
    w, h = img.size
    layer = Image.new("RGBA", (w // 2, h // 2), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(count):
        r = rng.uniform(0.01, 0.05) * min(w, h) / 2
        x, y = rng.uniform(0, w / 2), rng.uniform(0, h / 2)
        draw.ellipse(
            [x - r, y - r, x + r, y + r], fill=(*mix(pal.light, pal.accent, rng.random()), rng.randint(25, 70))
        )
    layer = layer.filter(ImageFilter.GaussianBlur(3)).resize((w, h), Image.Resampling.BILINEAR)
    img.paste(layer, (0, 0), layer)


def vignette(img: Image.Image, strength: float) -> None:
    w, h = img.size
    mask = ImageChops.invert(radial_mask(256).resize((w, h), Image.Resampling.BILINEAR))
    mask = mask.point(lambda v: int(v * strength))
    img.paste(Image.new("RGB", (w, h), (0, 0, 0)), (0, 0), mask)
