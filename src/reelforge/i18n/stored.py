"""Text the system stores once and people read in their own language: job log lines, ledger lines.

A job step or a ledger entry writes its line in English (the canonical, greppable form, the
same in every database and in exports for machines). It does so through a registered
template, e.g. ``stored.text(STEP_STARTED, step="compose")`` with
``STEP_STARTED = stored.template("Step %(step)s started.")``. Where a person reads the line,
``stored.localize(line, lang)`` recognises the template, translates it through the gettext
catalogues and fills the values back in, translating those that are known words too (step
names, statuses, video types). Lines no template matches (an admin's own note, an old row,
a provider's error text) are shown as written.

Why not store a message key and parameters: lines already written (and imported from the
legacy system) would stay English; matching templates localises every line ever written.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from reelforge import i18n

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class _Template:
    msgid: str
    pattern: re.Pattern[str]
    weight: int  # literal characters: the most specific template wins


_lock = threading.Lock()
_templates: dict[str, _Template] = {}
_ordered: list[_Template] = []
_words: set[str] = set()


def template(msgid: str) -> str:
    """Register `msgid` (with `%(name)s` placeholders) as a stored-text template; returns it."""
    with _lock:
        if msgid not in _templates:
            parts = _PLACEHOLDER.split(msgid)
            regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*?)" for i, part in enumerate(parts))
            literal = sum(len(p) for i, p in enumerate(parts) if i % 2 == 0)
            entry = _Template(msgid, re.compile(rf"\A{regex}\Z", re.S), literal)
            _templates[msgid] = entry
            _ordered.append(entry)
            _ordered.sort(key=lambda t: -t.weight)
    return msgid


def words(*msgids: str) -> None:
    """Register values (step names, statuses, types) that are translated when they fill a placeholder."""
    with _lock:
        _words.update(msgids)


def text(msgid: str, **params: Any) -> str:
    """The canonical English line for a registered template."""
    if msgid not in _templates:
        raise KeyError(f"not a registered stored-text template: {msgid!r}")
    return msgid % {k: str(v) for k, v in params.items()} if params else msgid


def localize(line: str | None, lang: str) -> str:
    """`line` in `lang` when a template matches it, else as written."""
    if not line:
        return ""
    for entry in _ordered:
        match = entry.pattern.match(line)
        if match is None:
            continue
        values = {k: _word(v, lang) for k, v in match.groupdict().items()}
        return i18n.gettext(lang, entry.msgid, **values)
    return line


def _word(value: str, lang: str) -> str:
    if _UUID.fullmatch(value):
        return value[:8]  # people tell records apart by the short id the pages show
    if value in _words:
        return i18n.gettext(lang, value)
    if ", " in value and all(part in _words for part in value.split(", ")):
        return ", ".join(i18n.gettext(lang, part) for part in value.split(", "))
    return value
