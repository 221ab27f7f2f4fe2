"""The import report: per entity rows read / imported / skipped, and every problem met."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# A problem kind can repeat a million times (a truncated field in every ledger row); the
# counts are always exact, the listed examples stop at this many per (entity, kind).
MAX_LISTED_PER_KIND = 200


@dataclass
class EntityCounts:
    read: int = 0
    imported: int = 0
    skipped: int = 0
    problems: int = 0


@dataclass
class Report:
    source: str = ""
    dry_run: bool = False
    entities: dict[str, EntityCounts] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    omitted: Counter[str] = field(default_factory=Counter)
    readable_sources: int = 0
    _listed: Counter[tuple[str, str]] = field(default_factory=Counter)

    def entity(self, name: str) -> EntityCounts:
        counts = self.entities.get(name)
        if counts is None:
            counts = self.entities[name] = EntityCounts()
        return counts

    def read(self, name: str, n: int = 1) -> None:
        self.entity(name).read += n

    def imported(self, name: str, n: int = 1) -> None:
        self.entity(name).imported += n

    def skipped(self, name: str, n: int = 1) -> None:
        self.entity(name).skipped += n

    def problem(self, entity: str, kind: str, file: str, row: Any, detail: str) -> None:
        """Record a problem; the row is still imported unless the caller also calls skipped()."""
        self.entity(entity).problems += 1
        key = (entity, kind)
        self._listed[key] += 1
        if self._listed[key] > MAX_LISTED_PER_KIND:
            self.omitted[f"{entity}/{kind}"] += 1
            return
        row_text = None if row is None else str(row)[:200]
        self.problems.append({"kind": kind, "entity": entity, "file": file, "row": row_text, "detail": detail[:500]})

    def kinds(self) -> Counter[str]:
        """How many problems of each kind (exact, including the ones not listed)."""
        total: Counter[str] = Counter()
        for (_entity, kind), n in self._listed.items():
            total[kind] += n
        return total

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "entities": {
                name: {"read": c.read, "imported": c.imported, "skipped": c.skipped, "problems": c.problems}
                for name, c in self.entities.items()
            },
            "problem_kinds": dict(sorted(self.kinds().items())),
            "problems": self.problems,
            "problems_not_listed": dict(self.omitted),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        head = "legacy import (dry run: nothing written)" if self.dry_run else "legacy import"
        lines = [f"{head} from {self.source}", ""]
        lines.append(f"{'entity':<22}{'read':>9}{'imported':>10}{'skipped':>9}{'problems':>10}")
        for name, c in self.entities.items():
            lines.append(f"{name:<22}{c.read:>9}{c.imported:>10}{c.skipped:>9}{c.problems:>10}")
        if self.problems:
            lines += ["", "problems:"]
            for p in self.problems:
                where = p["file"] + (f" [{p['row']}]" if p["row"] is not None else "")
                lines.append(f"  {p['kind']:<20} {p['entity']:<18} {where}: {p['detail']}")
            for key, n in self.omitted.items():
                lines.append(f"  ... and {n} more {key} (not listed)")
        return "\n".join(lines)
