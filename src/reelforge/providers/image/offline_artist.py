"""The offline artist: reads the prompt (scene, time of day, subject, mood) and paints a still."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from PIL import Image

from reelforge.providers.image.base import ImageResult, save_atomic
from reelforge.providers.image.offline_brushes import (
    bokeh,
    disc,
    glow,
    palette_for,
    stars,
    vertical_gradient,
    vignette,
)
from reelforge.providers.image.offline_landscapes import PAINTERS, paint_abstract
from reelforge.providers.image.offline_room import paint_indoor

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


class OfflineArtist:
    """Deterministic generative artwork from the words of a prompt (Pillow only)."""

    name = "offline-artist"
    offline = True

    def generate(self, prompt: str, target: Path, *, size: tuple[int, int]) -> ImageResult:
        save_atomic(self.paint(prompt, size), target)
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
        pal = palette_for(rng, hue, time_of_day)
        w, h = size
        horizon = rng.uniform(0.52, 0.68) if h > w else rng.uniform(0.55, 0.7)
        img = vertical_gradient(size, [(0.0, pal.sky_top), (horizon * 0.6, pal.sky_mid), (horizon, pal.horizon)])
        light_xy = (rng.uniform(0.2, 0.8) * w, (horizon - rng.uniform(0.08, 0.25)) * h)
        glow(img, light_xy, min(w, h) * rng.uniform(0.55, 0.9), pal.light, 0.55 if time_of_day != "day" else 0.4)
        if time_of_day == "night":
            stars(img, rng, horizon, 260 if theme == "space" else 120)
        if theme != "tech":
            disc(img, light_xy, min(w, h) * rng.uniform(0.05, 0.09), pal.light)
        if theme == "indoor":
            paint_indoor(img, rng, pal, time_of_day, _pick(prompt, SUBJECTS))
            bokeh(img, rng, pal, 10)
            vignette(img, 0.5)
            return img
        painter = PAINTERS.get(theme, paint_abstract)
        painter(img, rng, pal, horizon, light_xy)
        bokeh(img, rng, pal, 14 if time_of_day != "day" else 8)
        vignette(img, 0.55)
        return img
