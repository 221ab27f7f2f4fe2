"""Reading a topic for the offline writer: Korean particles, nouns, and the topic's frame.

The word lists live in `phrases/*.json` (loaded once); this module keeps the rules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_phrases(name: str) -> Any:
    """`phrases/<name>.json`, parsed once per process."""
    path = resources.files("reelforge.providers.offline_writer").joinpath("phrases", f"{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))


_WORDS = load_phrases("words")

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
_PARTICLES: tuple[str, ...] = tuple(_WORDS["particles"])
# Nouns that end in a syllable that looks like a particle.
_KEEP: set[str] = set(_WORDS["keep"])
_NEEDS_BATCHIM = {"은", "이", "을", "과", "으로", "으로는", "이나"}
_NEEDS_VOWEL = {"는", "가", "를", "와", "로"}
# Endings of verbs and adjectives in modifier or plain form: not nouns.
_VERBISH = re.compile(
    r"(란가|은가|는가|인가|한가|던가|할까|을까|일까|하는|되는|있는|없는|하던|했던|하기|하게|해서|하면|한다|된다|는다|었던|았던|스러운|다운|롭게|있게|없게|답게|스럽게|다|까|요)$"
)
_KO_STOP: set[str] = set(_WORDS["ko_stop"])


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
_EN_STOP: set[str] = set(_WORDS["en_stop"])

# ------------------------------------------------------------------ vocabulary for image prompts
_KO_EN: dict[str, str] = _WORDS["ko_en"]
# Checked in file order: the first category sharing a word with the topic wins.
_CATEGORIES: dict[str, set[str]] = {name: set(words) for name, words in _WORDS["categories"].items()}


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
        words = [to_en(k) for k in self.keywords[:3]]
        return ", ".join(dict.fromkeys(w for w in words if w)) or to_en(self.subject) or "the topic"


def to_en(word: str) -> str:
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
