"""The offline artist's indoor scene: a room with a window, furniture and the prompt's subject."""

from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw, ImageFilter

from reelforge.providers.image.offline_brushes import Palette, glow, hsv, mix, vertical_gradient


def paint_indoor(img: Image.Image, rng: random.Random, pal: Palette, time_of_day: str, subject: str | None) -> None:
    """A room: wall, a window onto the sky, a beam of light, floor, furniture, maybe a pet or an object."""
    w, h = img.size
    night = time_of_day == "night"
    wall_hue = rng.random()
    wall_top = hsv(wall_hue, 0.25, 0.22 if night else 0.72)
    wall_bottom = hsv(wall_hue + 0.03, 0.3, 0.14 if night else 0.55)
    floor_y = int(h * rng.uniform(0.66, 0.74))
    img.paste(vertical_gradient((w, floor_y), [(0.0, wall_top), (1.0, wall_bottom)]), (0, 0))
    floor = vertical_gradient(
        (w, h - floor_y),
        [
            (0.0, hsv(wall_hue + 0.08, 0.45, 0.2 if night else 0.42)),
            (1.0, hsv(wall_hue + 0.08, 0.5, 0.08 if night else 0.22)),
        ],
    )
    img.paste(floor, (0, floor_y))
    # the window with the sky (and a far skyline) behind it
    left_side = rng.random() < 0.5
    ww, wh = int(w * rng.uniform(0.34, 0.46)), int(h * rng.uniform(0.26, 0.34))
    wx = int(w * 0.08) if left_side else int(w * 0.92) - ww
    wy = int(h * rng.uniform(0.1, 0.16))
    sky = vertical_gradient((ww, wh), [(0.0, pal.sky_top), (0.7, pal.sky_mid), (1.0, pal.horizon)])
    sd = ImageDraw.Draw(sky)
    x = 0.0
    while x < ww:  # distant skyline inside the window
        bw = ww * rng.uniform(0.06, 0.14)
        top = wh * rng.uniform(0.62, 0.85)
        sd.rectangle([x, top, x + bw, wh], fill=mix(pal.horizon, pal.ground, 0.55))
        x += bw + 2
    img.paste(sky, (wx, wy))
    glow(img, (wx + ww / 2, wy + wh / 2), max(ww, wh) * 0.9, pal.light if not night else pal.sky_mid, 0.35)
    draw = ImageDraw.Draw(img, "RGBA")
    frame = mix(wall_bottom, (20, 16, 14), 0.6)
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
    wood = mix(wall_bottom, (40, 28, 20), 0.7)
    for k in range(3):
        y = floor_y - int(h * (0.12 + k * 0.1))
        draw.rectangle([sx, y, sx + sw, y + max(4, h // 160)], fill=(*wood, 255))
        bx2 = sx + 4
        while bx2 < sx + sw - 10 and rng.random() < 0.9:
            bw = int(w * rng.uniform(0.012, 0.025))
            bh = int(h * rng.uniform(0.04, 0.075))
            draw.rectangle([bx2, y - bh, bx2 + bw, y], fill=(*hsv(rng.random(), 0.45, 0.35 if night else 0.6), 255))
            bx2 += bw + 2
    draw.rectangle([sx, floor_y - int(h * 0.33), sx + max(4, w // 120), floor_y], fill=(*wood, 255))
    draw.rectangle([sx + sw - max(4, w // 120), floor_y - int(h * 0.33), sx + sw, floor_y], fill=(*wood, 255))
    if night:
        lx, ly = (sx + sw * 0.5, floor_y - h * 0.38)
        glow(img, (lx, ly), w * 0.35, (255, 196, 120), 0.55)
        draw.polygon(
            [(lx - w * 0.05, ly), (lx + w * 0.05, ly), (lx + w * 0.03, ly - h * 0.03), (lx - w * 0.03, ly - h * 0.03)],
            fill=(255, 214, 150, 255),
        )
    # a rug
    rug = mix(pal.accent, wall_bottom, 0.5)
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
    img: Image.Image, rng: random.Random, kind: str, base: tuple[float, float], w: int, h: int, pal: Palette
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
                fill=(*hsv(rng.random(), 0.5, 0.35), 255),
                outline=rim,
            )
    else:  # plant
        draw.polygon(
            [(x - s * 0.3, y - s * 0.5), (x + s * 0.3, y - s * 0.5), (x + s * 0.22, y), (x - s * 0.22, y)], fill=dark
        )
        leaf = (*mix(pal.ground, (30, 90, 50), 0.6), 255)
        for k in range(9):
            ang = math.pi * (0.15 + 0.7 * k / 8)
            lx, ly = x + math.cos(ang) * s * 0.9 * (1 if k % 2 else -1) * 0.6, y - s * 0.5 - math.sin(ang) * s * 1.1
            draw.ellipse([lx - s * 0.16, ly - s * 0.3, lx + s * 0.16, ly + s * 0.3], fill=leaf)
            draw.line([(x, y - s * 0.5), (lx, ly)], fill=leaf, width=max(2, int(s * 0.03)))
