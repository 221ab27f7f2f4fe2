"""The price catalogue: what a script and each kind of video cost, and who changed it.

Prices live in the `settings` key/value table; every change is also written to
`setting_changes` (the history shown to admins, read by `queries.price_changes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from reelforge.accounts.service import log_activity
from reelforge.credits.ledger import require_admin, whole_credits
from reelforge.credits.models import Setting, SettingChange
from reelforge.credits.queries import setting_value
from reelforge.errors import InvalidInput

VIDEO_TYPES = ("longform", "shortform", "sora2", "square")
PRICE_SCRIPT_KEY = "price.script"
PRICE_VIDEO_KEY = "price.video"
DEFAULT_PRICES = {PRICE_SCRIPT_KEY: 100, PRICE_VIDEO_KEY: 150}  # the legacy settings.json values
MAX_PRICE = 1_000_000


def video_price_key(video_type: str) -> str:
    return f"{PRICE_VIDEO_KEY}.{video_type}"


def is_valid_price(value: Any) -> bool:
    """A stored value usable as a price (settings hold JSON: anything else falls back to a default)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PRICE


def get_price(db: Session, item: Literal["script", "video"], video_type: str | None = None) -> int:
    """The current price of a script or a video (a per-type price overrides the video price)."""
    if item == "script":
        key = PRICE_SCRIPT_KEY
    elif item == "video":
        key = PRICE_VIDEO_KEY
        if video_type is not None:
            if video_type not in VIDEO_TYPES:
                raise InvalidInput(f"Unknown video type {video_type!r}.", field="type")
            override = setting_value(db, video_price_key(video_type))
            if is_valid_price(override):
                return int(override)
    else:
        raise InvalidInput(f"Unknown priced item {item!r}.", field="item")
    value = setting_value(db, key)
    return int(value) if is_valid_price(value) else DEFAULT_PRICES[key]


@dataclass(frozen=True)
class Prices:
    script: int
    video: int
    video_types: dict[str, int | None]  # None: uses the video price

    def effective(self) -> dict[str, int]:
        return {t: (p if p is not None else self.video) for t, p in self.video_types.items()}


def get_prices(db: Session) -> Prices:
    overrides: dict[str, int | None] = {}
    for t in VIDEO_TYPES:
        v = setting_value(db, video_price_key(t))
        overrides[t] = int(v) if is_valid_price(v) else None
    return Prices(script=get_price(db, "script"), video=get_price(db, "video"), video_types=overrides)


def _write_setting(db: Session, key: str, value: Any, admin_id: str) -> bool:
    row = db.get(Setting, key, with_for_update=True)
    old = None if row is None else row.value
    if old == value:
        return False
    if value is None:
        if row is not None:
            db.delete(row)
    elif row is None:
        db.add(Setting(key=key, value=value, updated_by=admin_id))
    else:
        row.value = value
        row.updated_by = admin_id
    db.add(SettingChange(key=key, old_value=old, new_value=value, changed_by=admin_id))
    db.flush()
    return True


def set_prices(
    db: Session,
    *,
    admin_id: str,
    script: int | None = None,
    video: int | None = None,
    video_types: dict[str, int | None] | None = None,
) -> Prices:
    """Change prices (only the ones given); each change is logged in `setting_changes`.

    In `video_types` a None value removes the override (the type then costs the video price).
    """
    require_admin(db, admin_id)
    changes: dict[str, int | None] = {}
    if script is not None:
        changes[PRICE_SCRIPT_KEY] = whole_credits(script, field="script", minimum=0, maximum=MAX_PRICE)
    if video is not None:
        changes[PRICE_VIDEO_KEY] = whole_credits(video, field="video", minimum=0, maximum=MAX_PRICE)
    for t, p in (video_types or {}).items():
        if t not in VIDEO_TYPES:
            raise InvalidInput(f"Unknown video type {t!r}.", field="video_types")
        changes[video_price_key(t)] = (
            None if p is None else whole_credits(p, field=f"video_types.{t}", minimum=0, maximum=MAX_PRICE)
        )
    changed = {key: value for key, value in changes.items() if _write_setting(db, key, value, admin_id)}
    if changed:
        log_activity(db, admin_id, "credits.prices_changed", changed, actor_id=admin_id)
    return get_prices(db)
