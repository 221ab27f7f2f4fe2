# ruff: noqa: E501
"""The offline writer: a deterministic, template-based script writer in Korean and English.

No model, no network. It reads the topic (what kind of question it is, and which nouns
it is about), picks a structure - a hook, a handful of points, a closing - and fills
hand-written sentence templates with the topic's own words, with correct Korean
particles (은/는, 이/가, 을/를, 와/과, 으로/로). Image prompts are written in English
(image models understand it best) from a small Korean-English noun list and a visual
style per subject category. The same topic always gives the same script; every
document is marked `offline_draft=True` so screens can say no AI model wrote it.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from reelforge.providers.llm import ScriptRequest
from reelforge.scripts.schema import SCENE_BOUNDS, Scene, ScriptDocument, estimate_narration_seconds

# ------------------------------------------------------------------ Korean grammar helpers
_LATIN_BATCHIM = set("lmnrLMNR")  # 엘 엠 엔 알
_DIGIT_BATCHIM = set("013678")  # 영 일 삼 육 칠 팔


def _final(word: str) -> tuple[bool, bool]:
    """(has a final consonant, that consonant is ㄹ) for the last pronounced character."""
    for ch in reversed(word.strip()):
        if "\uac00" <= ch <= "\ud7a3":
            jong = (ord(ch) - 0xAC00) % 28
            return jong != 0, jong == 8
        if ch.isdigit():
            return ch in _DIGIT_BATCHIM, ch in "178"
        if ch.isalpha():
            return ch in _LATIN_BATCHIM, ch in "lLrR"
    return False, False


_JOSA = {
    "은": ("은", "는"),
    "는": ("은", "는"),
    "이": ("이", "가"),
    "가": ("이", "가"),
    "을": ("을", "를"),
    "를": ("을", "를"),
    "과": ("과", "와"),
    "와": ("과", "와"),
    "이다": ("이다", "다"),
    "이라는": ("이라는", "라는"),
}


def josa(word: str, particle: str) -> str:
    """`josa("고양이", "은")` -> "고양이는"; `josa("상자", "을")` -> "상자를"."""
    batchim, rieul = _final(word)
    if particle in ("으로", "로"):
        return word + ("으로" if batchim and not rieul else "로")
    pair = _JOSA.get(particle)
    if pair is None:
        return word + particle
    return word + (pair[0] if batchim else pair[1])


# Particles stripped from the end of a token to find its noun, longest first.
_PARTICLES = (
    "에서는",
    "에게서",
    "으로는",
    "에서",
    "에게",
    "까지",
    "부터",
    "처럼",
    "보다",
    "으로",
    "이나",
    "하고",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "의",
    "에",
    "로",
    "와",
    "과",
    "도",
    "만",
)
# Nouns that end in a syllable that looks like a particle.
_KEEP = {
    "고양이",
    "아이",
    "어린이",
    "오이",
    "종이",
    "놀이",
    "먹이",
    "나이",
    "사이",
    "차이",
    "길이",
    "높이",
    "거미",
    "사과",
    "포도",
    "도로",
    "회의",
    "의의",
    "바다",
    "우주",
    "여가",
    "노래",
    "나무",
    "이유",
    "인공지능",
    "주식",
    "경제",
    "교과",
    "결과",
    "효과",
    "과자",
    "치아",
    "자기",
    "아기",
    "다이어트",
    "커피",
    "인도",
    "온도",
    "습도",
    "제도",
    "태도",
    "속도",
    "지도",
}
_NEEDS_BATCHIM = {"은", "이", "을", "과", "으로", "으로는", "이나"}
_NEEDS_VOWEL = {"는", "가", "를", "와", "로"}
# Endings of verbs and adjectives in modifier or plain form: not nouns.
_VERBISH = re.compile(
    r"(란가|은가|는가|인가|한가|던가|할까|을까|일까|하는|되는|있는|없는|하던|했던|하기|하게|해서|하면|한다|된다|는다|었던|았던|스러운|다운|롭게|있게|없게|답게|스럽게|다|까|요)$"
)
_KO_STOP = {
    "왜",
    "이유",
    "까닭",
    "원인",
    "방법",
    "법",
    "노하우",
    "요령",
    "팁",
    "꿀팁",
    "역사",
    "가지",
    "진짜",
    "정말",
    "모든",
    "알아보기",
    "총정리",
    "정리",
    "완벽",
    "가이드",
    "쉽게",
    "제대로",
    "우리가",
    "우리",
    "사람들이",
    "사람들",
    "잘",
    "더",
    "가장",
    "꼭",
    "대",
    "vs",
    "그리고",
    "및",
}


def _ko_noun(token: str) -> str | None:
    token = token.strip(" \"'“”‘’,.!?~()[]")
    if not token or token in _KO_STOP:
        return None
    if token in _KEEP:
        return token
    if _VERBISH.search(token) and len(token) > 1:
        return None
    for p in _PARTICLES:
        if token.endswith(p) and len(token) - len(p) >= 1:
            stem = token[: -len(p)]
            if stem in _KEEP:
                return stem
            if len(stem) < 2 and len(p) < 2 and not stem.isascii():
                continue
            batchim, rieul = _final(stem)
            if p in _NEEDS_BATCHIM and not batchim:
                continue
            if p in _NEEDS_VOWEL and batchim and not (p == "로" and rieul):
                continue
            return None if stem in _KO_STOP else stem
    return token


# ------------------------------------------------------------------ English helpers
_EN_STOP = {
    "a",
    "an",
    "the",
    "why",
    "how",
    "what",
    "when",
    "where",
    "who",
    "which",
    "do",
    "does",
    "did",
    "is",
    "are",
    "was",
    "were",
    "can",
    "could",
    "should",
    "would",
    "will",
    "to",
    "of",
    "in",
    "on",
    "for",
    "with",
    "at",
    "by",
    "from",
    "about",
    "and",
    "or",
    "vs",
    "versus",
    "your",
    "you",
    "my",
    "our",
    "we",
    "i",
    "it",
    "its",
    "their",
    "they",
    "so",
    "really",
    "actually",
    "reasons",
    "reason",
    "ways",
    "tips",
    "history",
    "guide",
    "things",
    "facts",
    "everything",
    "know",
    "need",
    "explained",
    "brief",
    "simple",
    "best",
    "every",
    "most",
    "secret",
    "truth",
    "behind",
    "love",
    "like",
    "hate",
    "make",
    "get",
    "use",
    "have",
    "be",
    "become",
    "don't",
    "doesn't",
    "this",
    "that",
    "these",
    "those",
    "up",
    "into",
    "than",
    "more",
    "less",
    "much",
    "many",
    "too",
    "very",
    "better",
}

# ------------------------------------------------------------------ vocabulary for image prompts
_KO_EN = {
    "고양이": "cat",
    "강아지": "puppy",
    "개": "dog",
    "상자": "cardboard box",
    "산책": "walk outdoors",
    "하늘": "blue sky",
    "하이브리드": "hybrid car",
    "집중력": "focused concentration",
    "사과": "apples",
    "일자리": "workplace",
    "정거장": "station",
    "박스": "cardboard box",
    "새": "bird",
    "물고기": "fish",
    "토끼": "rabbit",
    "햄스터": "hamster",
    "말": "horse",
    "코끼리": "elephant",
    "펭귄": "penguin",
    "돌고래": "dolphin",
    "벌": "honeybee",
    "개미": "ants",
    "커피": "coffee",
    "차": "tea",
    "라면": "ramen",
    "김치": "kimchi",
    "빵": "bread",
    "밥": "rice",
    "초콜릿": "chocolate",
    "물": "water",
    "잠": "sleep",
    "수면": "sleep",
    "운동": "exercise",
    "달리기": "running",
    "다이어트": "healthy diet",
    "건강": "health",
    "스트레스": "stress",
    "공부": "studying",
    "시험": "exam",
    "독서": "reading",
    "책": "books",
    "돈": "money",
    "저축": "savings",
    "주식": "stock market",
    "투자": "investing",
    "경제": "economy",
    "부동산": "real estate",
    "인공지능": "artificial intelligence",
    "ai": "artificial intelligence",
    "로봇": "robot",
    "스마트폰": "smartphone",
    "컴퓨터": "computer",
    "인터넷": "internet",
    "유튜브": "video creator studio",
    "게임": "video games",
    "우주": "outer space",
    "블랙홀": "black hole",
    "달": "moon",
    "태양": "sun",
    "별": "stars",
    "지구": "planet earth",
    "바다": "ocean",
    "산": "mountains",
    "숲": "forest",
    "나무": "trees",
    "꽃": "flowers",
    "비": "rain",
    "눈": "snow",
    "날씨": "weather",
    "기후": "climate",
    "공룡": "dinosaurs",
    "화산": "volcano",
    "지진": "earthquake",
    "서울": "Seoul skyline",
    "한국": "Korea",
    "제주도": "Jeju island",
    "여행": "travel",
    "캠핑": "camping",
    "집": "cozy home",
    "청소": "cleaning",
    "요리": "cooking",
    "음악": "music",
    "노래": "singing",
    "그림": "painting",
    "사진": "photography",
    "영화": "cinema",
    "한글": "Hangul letters",
    "조선": "Joseon dynasty",
    "역사": "history",
    "아이": "child",
    "아기": "baby",
    "부모": "parents",
    "친구": "friends",
    "사람": "people",
    "뇌": "human brain",
    "기억": "memory",
    "습관": "daily habits",
    "아침": "morning",
    "시간": "clock",
    "일": "work desk",
    "회사": "office",
    "창업": "startup",
    "마케팅": "marketing",
    "글쓰기": "writing",
    "영어": "English study",
    "언어": "languages",
    "자동차": "car",
    "전기차": "electric car",
    "비행기": "airplane",
    "기차": "train",
    "자전거": "bicycle",
    "반려동물": "pets",
    "식물": "houseplants",
    "정원": "garden",
    "물리": "physics",
    "화학": "chemistry",
    "수학": "mathematics",
    "과학": "science",
    "빛": "light",
    "색": "colors",
}

# fmt: off
_CATEGORIES: dict[str, set[str]] = {
    "animal": {
        "고양이", "강아지", "개", "새", "물고기", "토끼", "햄스터", "말", "코끼리", "펭귄", "돌고래", "벌", "개미",
        "반려동물", "동물", "공룡", "cat", "cats", "dog", "dogs", "puppy", "bird", "birds", "fish", "rabbit",
        "hamster", "horse", "elephant", "elephants", "penguin", "penguins", "dolphin", "dolphins", "bee", "bees",
        "ant", "ants", "pet", "pets", "animal", "animals", "kitten", "kittens", "owl", "owls",
    },
    "food": {
        "커피", "차", "라면", "김치", "빵", "밥", "초콜릿", "음식", "요리", "물", "coffee", "tea", "ramen", "kimchi",
        "bread", "rice", "chocolate", "food", "cooking", "pizza", "cheese", "water", "spicy",
    },
    "tech": {
        "인공지능", "ai", "로봇", "스마트폰", "컴퓨터", "인터넷", "유튜브", "게임", "전기차", "코딩", "robot",
        "robots", "smartphone", "smartphones", "computer", "computers", "internet", "youtube", "games", "coding",
        "software", "artificial", "intelligence", "electric", "battery", "batteries", "chatgpt", "app", "apps",
    },
    "space": {
        "우주", "블랙홀", "달", "태양", "별", "지구", "행성", "화성", "space", "universe", "black", "hole",
        "moon", "sun", "stars", "planet", "planets", "mars", "earth", "galaxy",
    },
    "money": {
        "돈", "저축", "주식", "투자", "경제", "부동산", "창업", "money", "saving", "savings", "stocks", "investing",
        "economy", "budget", "startup", "inflation",
    },
    "health": {
        "잠", "수면", "운동", "달리기", "다이어트", "건강", "스트레스", "뇌", "sleep", "exercise", "running", "diet",
        "health", "stress", "brain", "walking", "meditation",
    },
}

# fmt: on

_STYLE = {
    "animal": "warm natural light, cozy home interior, shallow depth of field, photorealistic",
    "food": "appetizing close-up, soft window light, rustic table, food photography",
    "tech": "clean modern studio, soft blue and violet glow, crisp detail, editorial illustration",
    "space": "deep space vista, glowing nebula colours, cinematic scale, digital painting",
    "money": "bright minimalist desk scene, coins and charts, soft shadows, editorial illustration",
    "health": "fresh morning light, calm and airy mood, lifestyle photography",
    "general": "vivid colours, clear composition, cinematic lighting, detailed digital illustration",
}


# ------------------------------------------------------------------ topic analysis
@dataclass
class Topic:
    raw: str
    language: str
    frame: str  # why | howto | history | versus | about
    phrase: str  # the topic as a noun phrase to put in sentences
    clause: str = ""  # why/howto: the modifier clause before 이유/방법 ("고양이가 상자를 좋아하는")
    subject: str = ""
    obj: str = ""
    other: str = ""  # versus: the second side
    keywords: list[str] = field(default_factory=list)
    category: str = "general"
    count_hint: int | None = None

    def visual_subject(self) -> str:
        if self.language == "en" or all(k.isascii() for k in self.keywords):
            if self.frame in ("about", "history"):
                return self.phrase.lower() if self.phrase[1:] == self.phrase[1:].lower() else self.phrase
            if self.frame == "versus":
                return f"{self.subject} and {self.other}".lower()
            return " and ".join(k.lower() for k in self.keywords[:2]) or self.phrase
        words = [_to_en(k) for k in self.keywords[:3]]
        return ", ".join(dict.fromkeys(w for w in words if w)) or _to_en(self.subject) or "the topic"


def _to_en(word: str) -> str:
    if not word:
        return ""
    if word.isascii():
        return word
    return _KO_EN.get(word.lower(), f'"{word}"')


def _normalise(topic: str) -> str:
    t = re.sub(r"\s+", " ", topic).strip()
    return t.strip(" \"'“”‘’").rstrip("?!.。？！ ")


def analyse(topic: str, language: str) -> Topic:
    t = _normalise(topic)
    is_ko = bool(re.search(r"[\uac00-\ud7a3]", t))
    count = re.search(r"(\d+)\s*(가지|개|ways|tips|reasons|things|facts|steps)", t, re.IGNORECASE)
    count_hint = int(count.group(1)) if count else None
    if is_ko:
        frame, phrase, clause = "about", t, ""
        core = re.sub(r"\s*\d+\s*가지\s*", " ", t).strip()
        if m := re.match(r"^(.+?)\s*(?:vs\.?|VS|대)\s+(.+)$", core):
            frame = "versus"
        elif m := re.match(r"^(.+?)\s*(이유|까닭|원인)$", core):
            frame, clause, phrase = "why", m.group(1).strip(), core
        elif core.startswith("왜 "):
            frame, clause, phrase = "question", core[2:].strip(), core
        elif m := re.match(r"^(.+?)\s*(방법|하는 법|는 법|법|노하우|요령|꿀팁|팁|가이드)$", core):
            frame, clause, phrase = "howto", m.group(1).strip(), core
        elif m := re.match(r"^(.+?)(?:의)?\s*역사$", core):
            frame, phrase = "history", m.group(1).strip()
        tokens = re.split(r"[\s,·/]+", core)
        if frame in ("why", "howto") and len(clause.split()) >= 2:
            # The clause ends with its verb in modifier form ("좋아하는", "내리는"): not a noun.
            tokens = clause.split()[:-1]
        keywords = [n for n in (_ko_noun(tok) for tok in tokens) if n]
    else:
        low = t.lower()
        frame, phrase, clause = "about", t, ""
        core = re.sub(r"^\d+\s+", "", t)
        if re.search(r"\s(vs\.?|versus)\s", low):
            frame = "versus"
        elif m := re.match(
            r"^(?:the\s+)?(?:real\s+)?(?:reasons?\s+)?why\s+(?:do|does|did|are|is|was|were|can|can't|don't|doesn't|would|should)?\s*(.+)$",
            core,
            re.IGNORECASE,
        ):
            frame, clause = "why", m.group(1).strip()
        elif m := re.match(r"^(?:reasons?\s+)(?:why\s+)?(.+)$", core, re.IGNORECASE):
            frame, clause = "why", m.group(1).strip()
        elif m := re.match(r"^(?:ways\s+|tips\s+)?(?:how\s+to|to)\s+(.+)$", core, re.IGNORECASE):
            frame, clause = "howto", m.group(1).strip()
        elif m := re.match(r"^(?:tips|ways)\s+(for|to)\s+(.+)$", core, re.IGNORECASE):
            purpose = m.group(2).strip()
            frame = "howto"
            if m.group(1).lower() == "to":
                clause = purpose
            else:  # "tips for better sleep" -> "get better sleep"; "tips for studying" -> "get better at studying"
                first = purpose.split(" ", 1)[0].lower()
                clause = (
                    f"get {purpose}"
                    if first in ("better", "more", "less", "a", "an", "the")
                    else f"get better at {purpose}"
                )
        elif m := re.match(r"^(?:a\s+)?(?:brief\s+|short\s+)?history\s+of\s+(.+)$", core, re.IGNORECASE):
            frame, phrase = "history", m.group(1).strip()
        source = core
        if frame == "howto" and len(clause.split()) >= 2:
            source = clause.split(" ", 1)[1]  # "start running" -> "running": drop the verb
        keywords = [
            w for w in re.findall(r"[A-Za-z][A-Za-z'\-]*|\d+", source) if w.lower() not in _EN_STOP and not w.isdigit()
        ]
    keywords = list(dict.fromkeys(keywords)) or [phrase]
    subject = keywords[0]
    obj = keywords[-1] if len(keywords) > 1 else ""
    other = ""
    if frame == "versus":
        sides = re.split(r"\s+(?:vs\.?|VS|versus|대)\s+", re.sub(r"\s*\d+\s*가지\s*", " ", t), maxsplit=1)
        if len(sides) == 2:
            subject, other = sides[0].strip(), sides[1].strip()
            phrase = f"{subject} vs {other}"
        else:
            frame = "about"
    category = "general"
    lowered = {k.lower() for k in keywords} | {w.lower() for w in re.findall(r"\w+", t)}
    for name, words in _CATEGORIES.items():
        if lowered & words:
            category = name
            break
    return Topic(
        raw=t,
        language=language,
        frame=frame,
        phrase=phrase,
        clause=clause,
        subject=subject,
        obj=obj,
        other=other,
        keywords=keywords,
        category=category,
        count_hint=count_hint,
    )


# ------------------------------------------------------------------ sentence templates
# A point is (caption, lead sentence, detail sentence, extra sentence for longform, visual).
Point = tuple[str, str, str, str, str]

_KO_POINTS: dict[str, list[Point]] = {
    "why_animal": [
        (
            "본능",
            "{S:은} 오랜 세월 이어진 습성을 몸에 지니고 있습니다.",
            "{O:은} 그 오래된 본능을 자연스럽게 건드립니다.",
            "야생에서 살아남기 위해 필요했던 행동이 지금도 일상 속에 그대로 남아 있는 셈입니다.",
            "a {s} following its instincts with {o}",
        ),
        (
            "안정감",
            "낯선 자극이 많은 곳에서 {S:은} 스스로 통제할 수 있는 공간을 찾습니다.",
            "{O:와} 함께 있을 때 긴장이 풀리고 마음이 편안해집니다.",
            "사방이 익숙한 환경에서는 주변을 경계하느라 쓰던 에너지를 아낄 수 있습니다.",
            "a relaxed {s} feeling safe with {o}",
        ),
        (
            "몸의 조건",
            "{S:은} 사람보다 체온과 에너지에 훨씬 민감합니다.",
            "아늑하고 따뜻한 자리를 고르는 것은 몸을 아끼는 현명한 선택입니다.",
            "그래서 햇볕이 드는 곳이나 몸에 딱 맞는 자리를 유난히 좋아하기도 합니다.",
            "a {s} curled up warmly in soft light",
        ),
        (
            "호기심",
            "새로운 냄새와 질감은 {S}에게 탐색하고 싶은 대상입니다.",
            "{O:은} 그 호기심을 채워 주는 훌륭한 놀잇감이 됩니다.",
            "탐색은 지루함을 덜어 주고 머리를 쓰게 해서 건강에도 도움이 됩니다.",
            "a curious {s} sniffing and exploring {o}",
        ),
        (
            "스트레스 해소",
            "이 행동은 스트레스를 스스로 다스리는 방법이기도 합니다.",
            "좋아하는 것에 몰두하는 동안 {S:은} 불안을 내려놓습니다.",
            "이사나 손님 방문처럼 환경이 바뀔 때 이런 행동이 더 자주 보이는 것도 그 때문입니다.",
            "a calm {s} resting peacefully after a busy day",
        ),
        (
            "소통의 신호",
            "{S:은} 말 대신 행동으로 지금의 기분을 보여 줍니다.",
            "같은 행동도 상황에 따라 편안함, 경계, 놀고 싶은 마음을 뜻할 수 있습니다.",
            "꼬리와 귀, 몸의 자세를 함께 보면 그 신호를 훨씬 정확하게 읽을 수 있습니다.",
            "close-up of a {s}'s expressive eyes and ears",
        ),
        (
            "개체마다 다른 성격",
            "물론 모든 {S:이} 똑같지는 않습니다.",
            "나이와 성격, 지내 온 환경에 따라 반응은 조금씩 달라집니다.",
            "그래서 일반적인 설명보다 내 곁의 {S:을} 꾸준히 관찰하는 것이 가장 정확합니다.",
            "several different {s}s side by side, each with its own personality",
        ),
        (
            "흔한 오해",
            "이런 행동을 단순한 변덕으로 보기 쉽습니다.",
            "하지만 대부분은 분명한 필요에서 나온 자연스러운 행동입니다.",
            "억지로 막기보다 이유를 이해하면 서로에게 훨씬 편안한 관계가 됩니다.",
            "a {s} looking puzzled at a question mark, playful illustration",
        ),
    ],
    "why": [
        (
            "오래된 배경",
            "{T:은} 하루아침에 생긴 현상이 아닙니다.",
            "오랜 시간 쌓인 경험과 환경이 지금의 모습을 만들었습니다.",
            "처음 시작된 배경을 알면 지금 보이는 모습도 훨씬 자연스럽게 이해됩니다.",
            "an old illustrated timeline about {v}",
        ),
        (
            "작동 원리",
            "겉으로 보이는 것 뒤에는 간단한 원리가 숨어 있습니다.",
            "{S:이} 어떻게 작동하는지 알면 이유가 한눈에 들어옵니다.",
            "원인과 결과를 차근차근 이어 보면 복잡해 보이던 현상도 생각보다 단순합니다.",
            "a clear diagram-like scene explaining {v}",
        ),
        (
            "환경의 영향",
            "주변 환경도 큰 역할을 합니다.",
            "시간과 장소, 함께하는 사람에 따라 결과는 크게 달라집니다.",
            "같은 일도 조건이 바뀌면 전혀 다른 모습으로 나타나곤 합니다.",
            "{v} shown in different settings and seasons",
        ),
        (
            "마음의 이유",
            "사람의 마음도 빼놓을 수 없습니다.",
            "익숙함과 기대감, 작은 만족감이 같은 선택을 반복하게 만듭니다.",
            "우리가 의식하지 못하는 사이에 감정이 판단을 이끄는 경우가 많습니다.",
            "a thoughtful person reflecting on {v}",
        ),
        (
            "실용적인 이점",
            "현실적인 이득도 분명히 있습니다.",
            "시간이나 비용, 수고를 줄여 준다면 자연스럽게 선택받게 됩니다.",
            "작은 편리함이 쌓이면 습관이 되고, 습관은 문화가 됩니다.",
            "a practical everyday scene featuring {v}",
        ),
        (
            "흔한 오해",
            "흔히 알려진 설명이 전부는 아닙니다.",
            "잘못 퍼진 이야기와 실제 이유를 구분해서 볼 필요가 있습니다.",
            "조금만 확인해 보면 사실과 다른 이야기가 생각보다 많다는 것을 알 수 있습니다.",
            "a myth versus fact comparison about {v}",
        ),
        (
            "사람마다 다른 차이",
            "모두에게 똑같이 적용되지는 않습니다.",
            "상황과 성향에 따라 이유의 무게는 조금씩 달라집니다.",
            "그래서 정답을 하나로 정하기보다 내 경우에 맞춰 생각해 보는 것이 좋습니다.",
            "diverse people each experiencing {v} differently",
        ),
        (
            "앞으로의 변화",
            "이 이유는 앞으로도 변할 수 있습니다.",
            "기술과 생활 방식이 바뀌면 선택의 기준도 함께 바뀝니다.",
            "지금의 답이 10년 뒤에도 같을지 생각해 보는 것도 흥미로운 일입니다.",
            "a hopeful futuristic view of {v}",
        ),
    ],
    "howto": [
        (
            "준비",
            "시작하기 전에 필요한 것과 목표를 먼저 정리하세요.",
            "준비가 되어 있으면 {C} 과정이 훨씬 수월해집니다.",
            "처음부터 완벽한 도구를 갖출 필요는 없고, 지금 가진 것으로 시작해도 충분합니다.",
            "neatly arranged tools and notes for {v}",
        ),
        (
            "작게 시작하기",
            "처음부터 크게 욕심내지 않는 것이 중요합니다.",
            "가장 쉬운 한 가지부터 해 보면 자신감이 붙습니다.",
            "작은 성공을 여러 번 경험하는 것이 한 번의 큰 도전보다 오래갑니다.",
            "a first small step towards {v}",
        ),
        (
            "핵심 요령",
            "결과를 가장 크게 바꾸는 것은 기본기입니다.",
            "순서와 양, 타이밍 같은 기본을 지키면 실패가 확 줄어듭니다.",
            "익숙해질 때까지는 같은 방법을 반복하면서 감을 익히는 것이 좋습니다.",
            "hands carefully doing the key step of {v}",
        ),
        (
            "흔한 실수",
            "많은 사람이 같은 곳에서 실수합니다.",
            "서두르거나 한 번에 너무 많이 바꾸면 오히려 결과가 나빠집니다.",
            "실수했다면 무엇이 달랐는지 적어 두는 것만으로도 다음이 훨씬 나아집니다.",
            "a common mistake while trying {v}, gentle humorous tone",
        ),
        (
            "꾸준함",
            "한 번보다 꾸준함이 더 큰 차이를 만듭니다.",
            "정해진 시간에 조금씩 반복하면 어느새 습관이 됩니다.",
            "달력에 표시하거나 기록을 남기면 계속할 힘이 생깁니다.",
            "a calendar with checkmarks beside {v}",
        ),
        (
            "점검과 개선",
            "중간중간 결과를 확인해 보세요.",
            "잘된 점과 아쉬운 점을 나누어 보면 다음에 고칠 것이 보입니다.",
            "다른 사람의 의견을 들어 보는 것도 좋은 점검 방법입니다.",
            "someone reviewing their progress on {v}",
        ),
        (
            "도구 활용",
            "알맞은 도구는 시간을 크게 아껴 줍니다.",
            "비싼 장비보다 손에 익은 도구가 더 좋은 결과를 냅니다.",
            "도구는 목적을 돕는 수단일 뿐이라는 점도 잊지 마세요.",
            "simple useful tools laid out for {v}",
        ),
        (
            "나에게 맞추기",
            "모든 방법이 모두에게 맞지는 않습니다.",
            "해 보면서 나에게 맞는 방식으로 조금씩 바꿔 가세요.",
            "남의 정답보다 내 상황에 맞는 답이 결국 오래갑니다.",
            "a personalised approach to {v}",
        ),
    ],
    "about": [
        (
            "핵심 개념",
            "{T:은} 한마디로 정리하면 생각보다 단순합니다.",
            "핵심 개념 하나만 알아도 전체 그림이 보이기 시작합니다.",
            "어려운 용어보다 일상의 예로 떠올리면 훨씬 쉽게 이해됩니다.",
            "a simple clear illustration introducing {v}",
        ),
        (
            "시작된 배경",
            "모든 이야기에는 시작이 있습니다.",
            "{T:이} 어떻게 처음 알려지게 되었는지 보면 흥미로운 점이 많습니다.",
            "당시의 상황과 사람들의 필요가 지금의 모습을 만들었습니다.",
            "a vintage scene showing the origins of {v}",
        ),
        (
            "핵심 특징",
            "{T}의 가장 큰 특징은 무엇일까요?",
            "다른 것과 구별되는 점을 알면 왜 주목받는지 이해할 수 있습니다.",
            "비슷해 보이는 것과 나란히 놓고 비교해 보면 차이가 더 분명해집니다.",
            "a detailed close-up highlighting the key feature of {v}",
        ),
        (
            "놀라운 사실",
            "잘 알려지지 않은 사실도 있습니다.",
            "알고 나면 {T:을} 바라보는 눈이 조금 달라집니다.",
            "이런 작은 사실들이 모여 전체 이야기를 더 풍성하게 만듭니다.",
            "a surprising discovery moment about {v}",
        ),
        (
            "흔한 오해",
            "많은 사람이 잘못 알고 있는 부분도 있습니다.",
            "자주 듣는 이야기일수록 한 번쯤 사실인지 확인해 볼 필요가 있습니다.",
            "오해를 바로잡으면 훨씬 정확하게 판단할 수 있습니다.",
            "a myth versus fact board about {v}",
        ),
        (
            "일상과의 연결",
            "{T:은} 우리의 일상과도 가깝게 연결되어 있습니다.",
            "평소에 무심코 지나친 장면 속에서도 쉽게 찾아볼 수 있습니다.",
            "주변을 조금만 주의 깊게 보면 생각보다 자주 만나게 됩니다.",
            "an everyday city scene where {v} appears",
        ),
        (
            "앞으로의 모습",
            "앞으로는 어떻게 달라질까요?",
            "변화의 방향을 알면 지금 무엇을 준비해야 할지도 보입니다.",
            "새로운 기술과 생각이 더해지면서 또 다른 모습으로 이어질 것입니다.",
            "a bright hopeful future vision of {v}",
        ),
        (
            "알아 두면 좋은 팁",
            "마지막으로 기억해 두면 좋은 팁이 있습니다.",
            "기본을 알고 작은 것부터 직접 경험해 보는 것이 가장 빠른 길입니다.",
            "궁금한 점은 믿을 만한 자료로 한 번 더 확인하는 습관도 도움이 됩니다.",
            "a friendly guide pointing at tips about {v}",
        ),
    ],
    "history": [
        (
            "시작",
            "{T}의 이야기는 아주 작은 시작에서 출발했습니다.",
            "처음에는 지금과 전혀 다른 모습이었습니다.",
            "당시 사람들의 필요와 상상력이 첫걸음을 만들었습니다.",
            "an ancient beginning of {v}, historical painting",
        ),
        (
            "첫 번째 전환점",
            "시간이 흐르며 중요한 전환점이 찾아옵니다.",
            "새로운 생각과 기술이 더해지면서 모습이 크게 바뀝니다.",
            "이 변화는 이후의 흐름을 결정지은 출발점이 되었습니다.",
            "a turning point in the history of {v}",
        ),
        (
            "사람들",
            "역사를 움직인 것은 결국 사람들이었습니다.",
            "이름이 남은 인물도, 이름 없는 수많은 사람도 함께 만들어 왔습니다.",
            "그들의 선택 하나하나가 오늘의 모습으로 이어졌습니다.",
            "people of the past working on {v}",
        ),
        (
            "위기와 극복",
            "순탄하기만 했던 것은 아닙니다.",
            "어려운 시기를 지나며 오히려 더 단단해졌습니다.",
            "위기를 넘기며 얻은 교훈은 지금도 의미가 있습니다.",
            "a dramatic moment of struggle in the story of {v}",
        ),
        (
            "대중화",
            "점점 더 많은 사람에게 알려지기 시작합니다.",
            "소수의 것이던 {T:이} 모두의 일상으로 들어옵니다.",
            "이 과정에서 쓰임새도 다양하게 넓어졌습니다.",
            "crowds of people embracing {v}",
        ),
        (
            "오늘날",
            "그리고 지금, {T:은} 또 다른 모습으로 이어지고 있습니다.",
            "과거를 알면 현재가 왜 이런 모습인지 이해할 수 있습니다.",
            "오래된 흐름 위에 새로운 변화가 계속 더해지고 있습니다.",
            "the modern form of {v} in a contemporary setting",
        ),
        (
            "남은 의미",
            "이 역사가 우리에게 남긴 의미도 생각해 볼 만합니다.",
            "변화는 언제나 작은 시도에서 시작된다는 점입니다.",
            "다음 장을 쓰는 것은 어쩌면 지금의 우리일지도 모릅니다.",
            "a reflective museum scene about {v}",
        ),
    ],
    "versus": [
        (
            "{A}의 장점",
            "먼저 {A}부터 살펴보겠습니다.",
            "{A:은} 익숙하고 접근하기 쉽다는 강점이 있습니다.",
            "처음 시작하는 사람에게는 부담이 적은 선택이 될 수 있습니다.",
            "{a} shown at its best",
        ),
        (
            "{B}의 장점",
            "이번에는 {B} 차례입니다.",
            "{B:은} 다른 방향에서 분명한 매력을 가지고 있습니다.",
            "특정한 상황에서는 {A}보다 훨씬 나은 결과를 내기도 합니다.",
            "{b} shown at its best",
        ),
        (
            "비용과 수고",
            "현실적으로 비용과 수고도 따져 봐야 합니다.",
            "처음 드는 비용과 계속 드는 비용은 다를 수 있습니다.",
            "눈앞의 가격보다 오래 썼을 때의 합계를 비교해 보세요.",
            "a side-by-side cost comparison of {a} and {b}",
        ),
        (
            "누구에게 맞을까",
            "결국 중요한 것은 나의 상황입니다.",
            "목적과 생활 방식에 따라 더 잘 맞는 쪽이 달라집니다.",
            "주변 사람의 선택보다 내 기준을 먼저 세우는 것이 좋습니다.",
            "two different people each choosing {a} or {b}",
        ),
        (
            "흔한 오해",
            "둘 중 하나가 무조건 낫다는 말은 조심해야 합니다.",
            "장단점은 늘 함께 있고, 상황이 답을 바꿉니다.",
            "한쪽의 단점만 부각한 비교는 한 번 더 의심해 보세요.",
            "a balanced scale weighing {a} and {b}",
        ),
        (
            "함께 쓰기",
            "꼭 하나만 골라야 하는 것은 아닙니다.",
            "상황에 따라 둘을 섞어 쓰면 장점만 취할 수 있습니다.",
            "실제로 많은 사람이 두 가지를 번갈아 활용합니다.",
            "{a} and {b} working together in harmony",
        ),
    ],
}

_EN_POINTS: dict[str, list[Point]] = {
    "why_animal": [
        (
            "Instinct",
            "Long before our homes existed, the ancestors of {S} needed hiding places to survive.",
            "{O} quietly switch that old instinct back on.",
            "A behaviour that once kept them alive still shapes their everyday choices.",
            "a {s} following its instincts with {o}",
        ),
        (
            "Feeling safe",
            "In a world full of noises and surprises, {S} look for a space they can control.",
            "With {O} nearby, the tension drains away.",
            "When every side feels familiar, there is less to watch and more energy to rest.",
            "a relaxed {s} feeling safe with {o}",
        ),
        (
            "Body comfort",
            "{S} are far more sensitive to warmth and energy than we are.",
            "Choosing a snug, warm spot is simply a smart way to save energy.",
            "That is why sunny patches and tight, cosy corners are so popular.",
            "a {s} curled up warmly in soft light",
        ),
        (
            "Curiosity",
            "New smells and textures are an invitation to explore.",
            "{O} make a perfect puzzle to investigate.",
            "Exploring fights boredom and keeps a busy mind healthy.",
            "a curious {s} sniffing and exploring {o}",
        ),
        (
            "Stress relief",
            "This habit is also a way of calming down.",
            "Focusing on something they love helps {S} let go of worry.",
            "That is why you may see it more after a move or when guests arrive.",
            "a calm {s} resting peacefully after a busy day",
        ),
        (
            "A signal",
            "Animals cannot tell us how they feel, so they show us.",
            "The same behaviour can mean comfort, caution or an invitation to play.",
            "Watching ears, tail and posture together makes the message much clearer.",
            "close-up of a {s}'s expressive eyes and ears",
        ),
        (
            "Every animal is different",
            "Of course, no two animals are exactly alike.",
            "Age, personality and past experience all change the reaction.",
            "Watching your own companion closely beats any general rule.",
            "several different {s}s side by side, each with its own personality",
        ),
        (
            "A common myth",
            "It is easy to dismiss this as a random quirk.",
            "In fact, most of it comes from a real and sensible need.",
            "Understanding the reason works far better than trying to stop it.",
            "a {s} looking puzzled at a question mark, playful illustration",
        ),
    ],
    "why": [
        (
            "A long backstory",
            "This did not appear overnight.",
            "Years of experience and circumstance shaped what we see today.",
            "Knowing how it started makes the present feel much more natural.",
            "an old illustrated timeline about {v}",
        ),
        (
            "How it works",
            "Behind the surface there is a simple mechanism.",
            "Once you see how {S} works, the reason jumps out.",
            "Follow cause and effect step by step and the mystery becomes surprisingly simple.",
            "a clear diagram-like scene explaining {v}",
        ),
        (
            "The environment",
            "The surroundings play a big part.",
            "Time, place and the people involved can change the outcome completely.",
            "The very same thing can look totally different under other conditions.",
            "{v} shown in different settings and seasons",
        ),
        (
            "The human side",
            "Our minds matter too.",
            "Familiarity, anticipation and small rewards make us repeat the same choice.",
            "Feelings often steer our decisions before we notice.",
            "a thoughtful person reflecting on {v}",
        ),
        (
            "Practical benefits",
            "There are real, practical gains as well.",
            "Anything that saves time, money or effort tends to win.",
            "Small conveniences become habits, and habits become culture.",
            "a practical everyday scene featuring {v}",
        ),
        (
            "A common myth",
            "The popular explanation is not the whole story.",
            "It pays to separate the myths from the actual reasons.",
            "A little checking shows how many stories do not hold up.",
            "a myth versus fact comparison about {v}",
        ),
        (
            "It varies",
            "It does not apply to everyone in the same way.",
            "Situation and personality change how much each reason matters.",
            "Rather than one right answer, think about what fits your case.",
            "diverse people each experiencing {v} differently",
        ),
        (
            "What comes next",
            "These reasons can change over time.",
            "As technology and lifestyles shift, so do our choices.",
            "It is fun to ask whether the answer will still hold in ten years.",
            "a hopeful futuristic view of {v}",
        ),
    ],
    "howto": [
        (
            "Get ready",
            "Before you start, decide what you need and what you want.",
            "A little preparation makes it far easier to {C}.",
            "You do not need perfect gear; what you already have is enough to begin.",
            "neatly arranged tools and notes for {v}",
        ),
        (
            "Start small",
            "Do not try to do everything at once.",
            "Begin with the easiest step and let confidence build.",
            "Many small wins last longer than one big leap.",
            "a first small step towards {v}",
        ),
        (
            "The key technique",
            "The basics make the biggest difference.",
            "Get the order, the amounts and the timing right and most failures disappear.",
            "Repeat the same method until it feels natural.",
            "hands carefully doing the key step of {v}",
        ),
        (
            "Common mistakes",
            "Most people trip over the same things.",
            "Rushing or changing too much at once usually makes it worse.",
            "Writing down what went differently makes the next try much better.",
            "a common mistake while trying {v}, gentle humorous tone",
        ),
        (
            "Stay consistent",
            "Consistency beats intensity.",
            "A little at the same time every day quietly becomes a habit.",
            "Marking a calendar or keeping a log gives you the push to continue.",
            "a calendar with checkmarks beside {v}",
        ),
        (
            "Check and improve",
            "Check your results along the way.",
            "Split what worked from what did not, and the next fix becomes obvious.",
            "Asking someone else for feedback is a great check too.",
            "someone reviewing their progress on {v}",
        ),
        (
            "Use the right tools",
            "The right tool saves a lot of time.",
            "A familiar tool often beats an expensive one.",
            "Remember that tools serve the goal, not the other way round.",
            "simple useful tools laid out for {v}",
        ),
        (
            "Make it yours",
            "No single method suits everyone.",
            "Adjust as you go until it fits your life.",
            "An answer that fits you will always outlast someone else's.",
            "a personalised approach to {v}",
        ),
    ],
    "about": [
        (
            "The core idea",
            "Put simply, the idea behind {T} is easier to grasp than it sounds.",
            "Once you know the core idea, the whole picture starts to appear.",
            "Everyday examples make it far clearer than technical terms.",
            "a simple clear illustration introducing {v}",
        ),
        (
            "Where it began",
            "Every story has a beginning.",
            "How {T} first came to be known is full of surprises.",
            "The needs of the time shaped what we see today.",
            "a vintage scene showing the origins of {v}",
        ),
        (
            "What makes it special",
            "So what sets it apart?",
            "Knowing its defining feature explains why people pay attention.",
            "Comparing it side by side with something similar makes the difference clear.",
            "a detailed close-up highlighting the key feature of {v}",
        ),
        (
            "A surprising fact",
            "There are lesser-known facts, too.",
            "Once you know them, you see {T} a little differently.",
            "Small details like these make the whole story richer.",
            "a surprising discovery moment about {v}",
        ),
        (
            "A common myth",
            "Some popular beliefs are simply wrong.",
            "The more often you hear a claim, the more it is worth checking.",
            "Clearing up a myth leads to much better judgement.",
            "a myth versus fact board about {v}",
        ),
        (
            "In everyday life",
            "It is closer to daily life than you might think.",
            "You can spot it in scenes you usually walk past.",
            "Look a little more carefully and it shows up everywhere.",
            "an everyday city scene where {v} appears",
        ),
        (
            "What comes next",
            "So how will it change?",
            "Knowing the direction tells you what to prepare for now.",
            "New ideas and technology will keep reshaping it.",
            "a bright hopeful future vision of {v}",
        ),
        (
            "A useful tip",
            "Finally, one tip worth remembering.",
            "Learn the basics and try a small piece yourself; it is the fastest way in.",
            "Double-check what you hear against a reliable source.",
            "a friendly guide pointing at tips about {v}",
        ),
    ],
    "history": [
        (
            "The beginning",
            "The story of {T} began with something very small.",
            "At first it looked nothing like it does today.",
            "People's needs and imagination took the first step.",
            "an ancient beginning of {v}, historical painting",
        ),
        (
            "A turning point",
            "Then came a turning point.",
            "New ideas and tools changed its shape completely.",
            "That change set the direction for everything after it.",
            "a turning point in the history of {v}",
        ),
        (
            "The people",
            "In the end, people moved this history.",
            "Famous names and countless unnamed hands built it together.",
            "Each of their choices led to where we are today.",
            "people of the past working on {v}",
        ),
        (
            "Crisis and recovery",
            "It was not always smooth.",
            "Hard times made it stronger, not weaker.",
            "The lessons learned then still matter now.",
            "a dramatic moment of struggle in the story of {v}",
        ),
        (
            "Going mainstream",
            "Slowly, more and more people discovered it.",
            "What belonged to a few became part of everyday life.",
            "Along the way its uses multiplied.",
            "crowds of people embracing {v}",
        ),
        (
            "Today",
            "And today, {T} keeps evolving.",
            "Knowing the past explains why the present looks the way it does.",
            "New changes keep building on a long tradition.",
            "the modern form of {v} in a contemporary setting",
        ),
        (
            "What it means",
            "What does this history leave us with?",
            "Change always starts with a small attempt.",
            "The next chapter may well be written by us.",
            "a reflective museum scene about {v}",
        ),
    ],
    "versus": [
        (
            "Why {A}",
            "Let's start with {A}.",
            "Its big strength is that it is familiar and easy to get into.",
            "For beginners it can be the lower-pressure choice.",
            "{a} shown at its best",
        ),
        (
            "Why {B}",
            "Now for {B}.",
            "It has clear advantages from a different angle.",
            "In some situations it simply beats {A}.",
            "{b} shown at its best",
        ),
        (
            "Cost and effort",
            "Be realistic about cost and effort.",
            "What you pay at the start and what you keep paying can differ a lot.",
            "Compare the total over time, not just the price tag.",
            "a side-by-side cost comparison of {a} and {b}",
        ),
        (
            "Who is it for",
            "What matters most is your situation.",
            "Your goals and lifestyle decide which one fits better.",
            "Set your own criteria before copying anyone's choice.",
            "two different people each choosing {a} or {b}",
        ),
        (
            "A common myth",
            "Be careful with claims that one is always better.",
            "Pros and cons come together, and context changes the answer.",
            "Question any comparison that only shows one side's flaws.",
            "a balanced scale weighing {a} and {b}",
        ),
        (
            "Use both",
            "You do not always have to pick one.",
            "Mixing them by situation gets you the best of both.",
            "Plenty of people switch between the two.",
            "{a} and {b} working together in harmony",
        ),
    ],
}

_KO_ORD = ["첫 번째", "두 번째", "세 번째", "네 번째", "다섯 번째", "여섯 번째", "일곱 번째", "여덟 번째", "아홉 번째", "열 번째", "열한 번째", "열두 번째", "열세 번째"]  # fmt: skip
_EN_ORD = ["First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth", "Thirteenth"]  # fmt: skip
_EN_NUM = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen"]  # fmt: skip

# Extra sentences that deepen a point in longform scripts (chosen by position, so deterministic).
_KO_BRIDGES = [
    "직접 주변을 떠올려 보면 비슷한 장면이 금방 생각날 겁니다.",
    "이 부분을 알고 나면 다음 이야기가 훨씬 쉽게 이해됩니다.",
    "작은 차이처럼 보여도 실제로는 결과를 크게 바꾸는 부분입니다.",
    "많은 분이 놓치지만, 사실 가장 중요한 대목이기도 합니다.",
    "한 번 더 정리하면, 핵심은 이유를 알고 바라보는 데 있습니다.",
]
_EN_BRIDGES = [
    "Think of your own experience and you will probably recognise this right away.",
    "Once this clicks, the next part becomes much easier to follow.",
    "It looks like a small detail, but it changes the outcome a lot.",
    "Many people miss this, yet it may be the most important part.",
    "In short, understanding the why changes how you see it.",
]


def _listing(captions: list[str], limit: int = 4) -> str:
    text = ", ".join(captions[:limit])
    return text + (" 등" if len(captions) > limit and any("\uac00" <= ch <= "\ud7a3" for ch in text) else "")


_FIELD = re.compile(r"\{(\w+)(?::(\w+))?\}")


def _fill(template: str, values: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        value = values.get(m.group(1), "")
        return josa(value, m.group(2)) if m.group(2) else value

    text = _FIELD.sub(sub, template)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:1].upper() + text[1:] if text[:1].isascii() else text


def _en_title(text: str) -> str:
    small = {"a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "vs"}
    words = text.split()
    return " ".join(
        w if (i and w.lower() in small) or not w[:1].isalpha() else w[:1].upper() + w[1:] for i, w in enumerate(words)
    )


# ------------------------------------------------------------------ the writer
@dataclass
class _Plan:
    title: str
    description: str
    tags: list[str]
    hook: tuple[str, str, str]  # caption, narration, visual
    points: list[tuple[str, str, str]]
    closing: tuple[str, str, str]


def _mid(text: str) -> str:
    """An English phrase as it reads inside a sentence ("Black holes" -> "black holes", "NASA" stays)."""
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and first[1:] == first[1:].lower() and len(first) > 1:
        return first[:1].lower() + text[1:]
    return text


def _values(topic: Topic) -> dict[str, str]:
    vis = topic.visual_subject()
    if topic.language == "en":
        return {
            "T": _mid(topic.phrase),
            "S": _mid(topic.subject),
            "O": _mid(topic.obj or topic.phrase),
            "C": topic.clause or _mid(topic.phrase),
            "A": _mid(topic.subject),
            "B": _mid(topic.other),
            "v": vis,
            "s": re.sub(r"s$", "", topic.subject.lower()),
            "o": (topic.obj or vis).lower(),
            "a": topic.subject.lower(),
            "b": topic.other.lower(),
        }
    if topic.frame == "question":
        topic = Topic(**{**topic.__dict__, "phrase": topic.subject})
    subj_en = _to_en(topic.subject)
    obj_en = _to_en(topic.obj) if topic.obj else vis
    return {
        "T": topic.phrase,
        "S": topic.subject,
        "O": topic.obj or topic.phrase,
        "C": topic.clause or topic.phrase,
        "A": topic.subject,
        "B": topic.other,
        "v": vis,
        "s": re.sub(r"s$", "", subj_en) if topic.language == "en" else subj_en,
        "o": obj_en,
        "a": _to_en(topic.subject),
        "b": _to_en(topic.other),
    }


def _pool(topic: Topic, lang_points: dict[str, list[Point]]) -> list[Point]:
    frame = {"question": "why"}.get(topic.frame, topic.frame)
    pool = list(lang_points.get(frame, lang_points["about"]))
    if frame == "why" and topic.category == "animal" and topic.obj:
        pool = list(lang_points["why_animal"]) + pool
    if frame == "why" and topic.category == "animal" and not topic.obj:
        pool = list(lang_points["why_animal"][:2]) + list(lang_points["why_animal"][3:]) + pool
    # Pad with the general "about" angles so even the longest script has enough distinct points.
    for p in lang_points["about"]:
        if p not in pool:
            pool.append(p)
    for p in lang_points["why"]:
        if p not in pool:
            pool.append(p)
    return pool


def _plan_ko(topic: Topic, n_points: int, long: bool, rng: random.Random) -> _Plan:
    v = _values(topic)
    pool = _pool(topic, _KO_POINTS)
    points: list[tuple[str, str, str]] = []
    captions: list[str] = []
    for i, (cap_t, lead, detail, extra, visual) in enumerate(pool[:n_points]):
        cap = _fill(cap_t, v)
        captions.append(cap)
        ordinal = _KO_ORD[i]
        if topic.frame in ("why", "question"):
            intro = f"{ordinal} 이유는 {cap}입니다."
        elif topic.frame == "howto":
            intro = f"{ordinal}, {cap}."
        elif topic.frame == "history":
            intro = f"{ordinal} 장면은 {cap}입니다."
        else:
            intro = f"{ordinal}로 살펴볼 것은 {cap}입니다."
        body = [intro, _fill(lead, v), _fill(detail, v)]
        if long:
            body += [_fill(extra, v), _fill(_KO_BRIDGES[i % len(_KO_BRIDGES)], v)]
        points.append((cap, " ".join(body), _fill(visual, v)))
    n = len(points)
    t, c = topic.phrase, topic.clause
    if topic.frame == "why":
        title = f"{c} 이유 {n}가지"
        hook = rng.choice(
            [
                f"{c} 이유, 알고 계셨나요? 단순한 취향처럼 보이지만 그 뒤에는 흥미로운 까닭이 숨어 있습니다.",
                f"{josa(c + ' 데', '에는')} 분명한 이유가 있습니다. 오늘은 그 이유를 {n}가지로 짚어 보겠습니다.",
            ]
        )
        closing = f"정리하면 {c} 이유는 {_listing(captions)}입니다. 이제 조금 다르게 보이지 않나요?"
    elif topic.frame == "question":
        title = f"{t}? 이유 {n}가지"
        hook = f"{t}? 누구나 한 번쯤 궁금했던 질문입니다. 그 답을 {n}가지 이유로 풀어 보겠습니다."
        closing = f"정리하면 답은 {_listing(captions)}에 있습니다. 이제 이 질문에 자신 있게 답할 수 있겠죠?"
    elif topic.frame == "howto":
        title = f"{t}: 핵심 {n}단계"
        hook = rng.choice(
            [
                f"{josa(t, '이')} 어렵게 느껴지시나요? 몇 가지만 알면 오늘부터 바로 해 볼 수 있습니다.",
                f"{t}, 생각보다 간단합니다. 꼭 필요한 것만 {n}단계로 알려 드릴게요.",
            ]
        )
        closing = f"정리하면 {josa(_listing(captions), '이')} 핵심입니다. 오늘 한 가지부터 바로 시작해 보세요."
    elif topic.frame == "history":
        title = f"{t}의 역사 한눈에 보기"
        hook = f"{t}의 역사는 생각보다 훨씬 흥미진진합니다. 중요한 장면 {n}개로 그 흐름을 따라가 보겠습니다."
        closing = f"{josa(t, '은')} 이렇게 {', '.join(captions[:3])}의 시간을 거쳐 지금에 이르렀습니다. 다음 장은 어떻게 쓰일까요?"
    elif topic.frame == "versus":
        title = f"{topic.subject} vs {topic.other}, 무엇을 고를까?"
        hook = f"{josa(topic.subject, '과')} {topic.other}, 어느 쪽이 더 나을까요? 고민된다면 이 {n}가지 기준만 확인해 보세요."
        closing = f"정답은 하나가 아닙니다. {josa(_listing(captions[2:5] or captions[:3]), '을')} 따져 보면 나에게 맞는 선택이 보입니다."
    else:
        title = f"{t}, 알기 쉽게 정리"
        hook = rng.choice(
            [
                f"{josa(t, '에')} 대해 얼마나 알고 계신가요? 알고 나면 다르게 보이는 이야기 {n}가지를 준비했습니다.",
                f"{t}, 이름은 익숙하지만 제대로 설명하기는 어렵죠. 핵심만 쉽게 정리해 드릴게요.",
            ]
        )
        closing = f"오늘은 {josa(t, '을')} {josa(_listing(captions), '으로')} 살펴봤습니다. 이제 누군가에게 설명해 줄 수 있겠죠?"
    closing += " 도움이 되셨다면 구독과 좋아요 부탁드립니다!"
    if len(title) > 100:
        title = title[:99] + "…"
    description = (
        f"{josa(t, '을')} {n}가지 핵심으로 정리한 영상입니다. "
        + " · ".join(captions)
        + "\n\n이 대본은 reelforge 오프라인 작성기로 만든 초안입니다."
    )
    tags = list(dict.fromkeys([*(k for k in topic.keywords[:5]), *captions[:3], "지식", "정보"]))
    hook_visual = f"eye-catching opening shot of {v['v']}"
    closing_visual = f"a warm, satisfying final shot of {v['v']}"
    return _Plan(title, description, tags, (t[:40], hook, hook_visual), points, ("정리", closing, closing_visual))


def _plan_en(topic: Topic, n_points: int, long: bool, rng: random.Random) -> _Plan:
    v = _values(topic)
    pool = _pool(topic, _EN_POINTS)
    points: list[tuple[str, str, str]] = []
    captions: list[str] = []
    for i, (cap_t, lead, detail, extra, visual) in enumerate(pool[:n_points]):
        cap = _fill(cap_t, v)
        captions.append(cap)
        if topic.frame in ("why", "question"):
            intro = f"Reason {_EN_NUM[i + 1]}: {cap.lower()}."
        elif topic.frame == "howto":
            intro = f"Step {_EN_NUM[i + 1]}: {cap.lower()}."
        else:
            intro = f"{_EN_ORD[i]}, {cap.lower()}."
        body = [intro, _fill(lead, v), _fill(detail, v)]
        if long:
            body += [_fill(extra, v), _fill(_EN_BRIDGES[i % len(_EN_BRIDGES)], v)]
        points.append((cap, " ".join(body), _fill(visual, v)))
    n = len(points)
    t, c = _mid(topic.phrase), topic.clause or _mid(topic.phrase)
    listed = ", ".join(x.lower() for x in captions[:4])
    if topic.frame in ("why", "question"):
        title = f"Why {c}: {n} Reasons"
        question = topic.raw if topic.raw.lower().startswith("why ") else f"Why {c}"
        hook = rng.choice(
            [
                f"{question}? It looks simple, but there is a fascinating story behind it.",
                f"{question}? Here are {n} reasons, quickly and clearly.",
            ]
        )
        closing = f"So that is why {c}: {listed}. Does it look a little different now?"
    elif topic.frame == "howto":
        title = f"How to {c}: {n} Simple Steps"
        hook = rng.choice(
            [
                f"Want to {c}, but not sure where to start? These {n} steps make it easy.",
                f"Learning to {c} is easier than it looks. Here is everything you need in {n} steps.",
            ]
        )
        closing = f"To recap: {listed}. Pick one step and try it today."
    elif topic.frame == "history":
        title = f"The History of {t}"
        hook = f"The history of {t} is more exciting than you might think. Let's follow it through {n} key moments."
        closing = f"From {captions[0].lower()} to {captions[-1].lower()}, {t} has come a long way. How will the next chapter be written?"
    elif topic.frame == "versus":
        title = f"{topic.subject} vs {topic.other}: Which Should You Choose?"
        hook = f"{topic.subject} or {topic.other}? If you cannot decide, check these {n} points first."
        closing = "There is no single right answer. Weigh cost, fit and your own goals, and the choice becomes clear."
    else:
        title = f"{t}, Explained Simply"
        hook = rng.choice(
            [
                f"How much do you really know about {t}? Here are {n} things that will change how you see it.",
                f"Everyone has heard of {t}, but few can explain it. Let's fix that in under a minute.",
            ]
        )
        closing = f"Today we covered {t}: {listed}. Now you can explain it to a friend."
    closing += " If this helped, like and subscribe for more!"
    title = _en_title(title)
    if len(title) > 100:
        title = title[:99] + "…"
    description = (
        f"{title} - in this video: "
        + " · ".join(captions)
        + "\n\nThis script is a draft written by the reelforge offline writer."
    )
    tags = list(dict.fromkeys([*(k.lower() for k in topic.keywords[:5]), *(x.lower() for x in captions[:3])]))
    hook_visual = f"eye-catching opening shot of {v['v']}"
    closing_visual = f"a warm, satisfying final shot of {v['v']}"
    hook_caption = topic.raw[:1].upper() + topic.raw[1:40]
    return _Plan(
        title, description, tags, (hook_caption, hook, hook_visual), points, ("Recap", closing, closing_visual)
    )


def _aspect(kind: str) -> str:
    return {"longform": "16:9 landscape", "shortform": "9:16 vertical", "sora2": "9:16 vertical video"}[kind]


def default_image_prompt(visual: str, kind: str, category: str = "general") -> str:
    return f"{visual}, {_STYLE.get(category, _STYLE['general'])}, {_aspect(kind)}, no text"


def _clip_prompt(visual: str, index: int, total: int, category: str) -> str:
    moves = [
        "slow dolly-in",
        "gentle handheld tracking shot",
        "smooth orbit around the subject",
        "slow pull-back reveal",
    ]
    move = moves[0] if index == 0 else moves[-1] if index == total - 1 else moves[1 + index % 2]
    return f"{move}: {visual}, {_STYLE.get(category, _STYLE['general'])}, natural motion, realistic physics"


def write_offline(request: ScriptRequest, render_image: Callable[[str], str] | None = None) -> ScriptDocument:
    """Write a complete draft for `request` with no network; deterministic for the same input."""
    topic = analyse(request.topic, request.language)
    seed = int.from_bytes(
        hashlib.sha256(f"{request.topic}|{request.type}|{request.language}".encode()).digest()[:8], "big"
    )
    rng = random.Random(seed)
    n_scenes = request.scene_target()
    n_points = max(1, n_scenes - 2)  # two-clip sora2 scripts: a hook and one point, no closing
    long = request.type == "longform"
    plan = (_plan_ko if request.language == "ko" else _plan_en)(topic, n_points, long, rng)

    def image(visual: str) -> str:
        if render_image is not None:
            return render_image(f"{visual}, {_STYLE.get(topic.category, _STYLE['general'])}")
        return default_image_prompt(visual, request.type, topic.category)

    parts = [plan.hook, *plan.points, plan.closing] if n_scenes >= 3 else [plan.hook, *plan.points][:n_scenes]
    scenes: list[Scene] = []
    for i, (caption, narration, visual) in enumerate(parts):
        if request.type == "sora2":
            sentence = _first_sentences(narration, 3 if request.length == "long" else 2, request.language)
            clip = 12 if request.length == "long" and 0 < i < len(parts) - 1 else 8
            scenes.append(
                Scene(
                    narration=sentence,
                    image_prompt=(
                        render_image(_clip_prompt(visual, i, len(parts), topic.category))
                        if render_image
                        else _clip_prompt(visual, i, len(parts), topic.category)
                    ),
                    caption=caption[:200],
                    clip_seconds=clip,
                )
            )
        else:
            scenes.append(Scene(narration=narration, image_prompt=image(visual)[:2000], caption=caption[:200]))
    low, high = SCENE_BOUNDS[request.type]
    assert low <= len(scenes) <= high, (len(scenes), request.type)
    if request.type == "sora2":
        target = sum(s.clip_seconds or 8 for s in scenes)
    else:
        spoken = sum(estimate_narration_seconds(s.narration, request.language) for s in scenes)
        target = round(spoken + 0.8 * len(scenes))  # plus a short pause between scenes
        if request.type == "shortform":
            target = min(60, target)
    title = plan.title
    if request.type == "sora2":  # a few clips: no "N reasons" in the title either
        title = _TITLE_COUNT.sub("", title).strip() or title
    return ScriptDocument(
        title=title,
        description=plan.description,
        tags=[t[:100] for t in plan.tags if t][:15],
        language=request.language,  # type: ignore[arg-type]
        type=request.type,  # type: ignore[arg-type]
        target_duration_seconds=max(5, target),
        scenes=scenes,
        offline_draft=True,
    )


_COUNTING = re.compile(r"\d+\s*(가지|개로|단계)|\b\d+ (reasons|steps|things|points|key moments)\b", re.IGNORECASE)
_TITLE_COUNT = re.compile(r"(\s*\d+가지$|: 핵심 \d+단계$|: \d+ [A-Za-z ]+$|\? 이유 \d+가지$)")


def _first_sentences(text: str, count: int, language: str) -> str:
    """The first `count` sentences (the point's intro plus its lead, for a short clip)."""
    parts = re.split(r"(?<=[.!?。])\s+", text.strip())
    # A few clips do not announce "N reasons": drop sentences that count the points.
    kept = [p for p in parts if not _COUNTING.search(p)]
    parts = kept or parts
    if len(parts) > 1 and (
        parts[0].startswith(tuple(_KO_ORD)) or parts[0].split(" ")[0] in ("Reason", "Step", *_EN_ORD)
    ):
        # Clips are short: keep the point's name in the caption, speak its lead sentence.
        parts = parts[1:]
    return " ".join(parts[:count])
