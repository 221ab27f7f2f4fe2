"""The 1280x720 JPEG thumbnail: the title in Noto Sans CJK KR over the strongest scene image."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps, ImageStat

from reelforge.render.fonts import pil_font

SIZE = (1280, 720)
MAX_BYTES = 2 * 1024 * 1024  # YouTube's thumbnail limit


def image_strength(path: Path) -> float:
    """Contrast plus colourfulness of a small copy: the 'strongest' image reads best as a thumbnail."""
    with Image.open(path) as im:
        small = im.convert("RGB").resize((96, 96))
    lum = ImageStat.Stat(small.convert("L")).stddev[0]
    sat = ImageStat.Stat(small.convert("HSV").getchannel("S")).mean[0]
    bright = ImageStat.Stat(small.convert("L")).mean[0]
    return lum * 1.0 + sat * 0.35 + min(bright, 140) * 0.15


def strongest(paths: list[Path]) -> Path:
    if not paths:
        raise ValueError("no images to choose a thumbnail from")
    return max(paths, key=image_strength)


def wrap_title(title: str, font, max_width: int, max_lines: int = 3) -> list[str]:  # type: ignore[no-untyped-def]
    """Wrap at spaces to fit `max_width` pixels; Hangul without spaces is split by characters."""
    words = title.split()
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for ch in word:  # a word wider than the line: break inside it
            if font.getlength(current + ch) > max_width and current:
                lines.append(current)
                current = ""
            current += ch
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and font.getlength(lines[-1] + "…") > max_width:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    return lines


def make_thumbnail(image: Path, title: str, target: Path) -> Path:
    w, h = SIZE
    text_width = w - 140
    with Image.open(image) as im:
        source = im.convert("RGB")
    if source.width < source.height * 1.1:
        # a tall or square picture: blurred cover background, the whole picture on the right
        base = ImageOps.fit(source, SIZE, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(28))
        base = Image.blend(base, Image.new("RGB", SIZE, (0, 0, 0)), 0.35)
        fg_h = h - 60
        fg = ImageOps.contain(source, (w // 2, fg_h), Image.Resampling.LANCZOS)
        x = w - fg.width - 40
        shadow = Image.new("L", SIZE, 0)
        ImageDraw.Draw(shadow).rectangle([x + 10, 40, x + fg.width + 10, 40 + fg.height], fill=200)
        base.paste(Image.new("RGB", SIZE, (0, 0, 0)), (0, 0), shadow.filter(ImageFilter.GaussianBlur(14)))
        base.paste(fg, (x, 30))
        text_width = x - 110
    else:
        base = ImageOps.fit(source, SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.4))
    # darken the lower part where the title sits, so white text always reads
    shade = Image.linear_gradient("L").resize((w, h))  # 0 at top .. 255 at bottom
    shade = shade.point(lambda v: int(min(255, v * 0.85)))
    base.paste(Image.new("RGB", SIZE, (0, 0, 0)), (0, 0), shade)
    size = 104
    font = pil_font(size)
    max_lines = 2 if text_width > 900 else 4
    lines = wrap_title(title, font, text_width, max_lines)
    while size > 52 and (len(lines) > max_lines - 1 or any(font.getlength(x) > text_width for x in lines)):
        size -= 8
        font = pil_font(size)
        lines = wrap_title(title, font, text_width, max_lines)
    line_h = int(size * 1.22)
    y = h - 70 - line_h * len(lines)
    glow = Image.new("L", SIZE, 0)
    gdraw = ImageDraw.Draw(glow)
    for i, line in enumerate(lines):
        gdraw.text((70, y + i * line_h), line, font=font, fill=255, stroke_width=10)
    base.paste(Image.new("RGB", SIZE, (0, 0, 0)), (0, 0), glow.filter(ImageFilter.GaussianBlur(12)))
    draw = ImageDraw.Draw(base)
    accent = (255, 214, 64)
    draw.rectangle([70, y - 26, 70 + 120, y - 14], fill=accent)
    for i, line in enumerate(lines):
        draw.text((70, y + i * line_h), line, font=font, fill=(255, 255, 255), stroke_width=4, stroke_fill=(10, 10, 10))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    for quality in (90, 82, 72, 60):
        base.save(tmp, "JPEG", quality=quality, optimize=True, progressive=True)
        if tmp.stat().st_size < MAX_BYTES:
            break
    os.replace(tmp, target)
    return target
