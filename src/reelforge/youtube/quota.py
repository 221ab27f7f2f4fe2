"""The daily YouTube upload quota of the studio.

YouTube counts `videos.insert` per Google Cloud project per day and resets at midnight
Pacific Time. reelforge counts an upload in `youtube_quota_days` (one row per quota day) at
the moment the upload step asks YouTube for an upload session, with a conditional UPDATE so
two workers can never pass the cap. A new upload request is refused (429 with the reset
time) when today's count plus the uploads already queued reach `youtube_daily_upload_cap`,
so a queued upload is not failed later for the cap except in a race. The quota day is the
calendar day in `youtube_quota_timezone` (America/Los_Angeles by default, as YouTube; "UTC"
also works). Every function takes a session and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelforge.config import Settings
from reelforge.db.base import utcnow
from reelforge.errors import TooManyRequests
from reelforge.jobs.models import Job
from reelforge.youtube.models import YoutubeQuotaDay, YoutubeUpload

VIDEOS_INSERT_UNITS = 1600  # the documented unit cost of videos.insert


@dataclass
class QuotaStatus:
    day: str
    used: int
    cap: int
    remaining: int
    resets_at: datetime
    timezone: str


def _zone(settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.youtube_quota_timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def quota_day(settings: Settings, now: datetime | None = None) -> tuple[str, datetime]:
    """(the quota day as YYYY-MM-DD in the quota time zone, when it ends in UTC)."""
    zone = _zone(settings)
    local = (now or utcnow()).astimezone(zone)
    next_midnight = datetime(local.year, local.month, local.day, tzinfo=zone) + timedelta(days=1)
    next_midnight = datetime(next_midnight.year, next_midnight.month, next_midnight.day, tzinfo=zone)  # DST-safe
    return local.date().isoformat(), next_midnight.astimezone(UTC)


def quota_status(db: Session, settings: Settings, now: datetime | None = None) -> QuotaStatus:
    day, resets = quota_day(settings, now)
    row = db.get(YoutubeQuotaDay, day)
    used = row.uploads if row else 0
    cap = settings.youtube_daily_upload_cap
    return QuotaStatus(day, used, cap, max(0, cap - used), resets, str(_zone(settings)))


def _cap_reached(settings: Settings, cap: int, resets: datetime, now: datetime | None) -> TooManyRequests:
    seconds = max(1, int((resets - (now or utcnow())).total_seconds()))
    return TooManyRequests(
        f"This studio has used its {cap} YouTube uploads for today. The count resets at "
        f"{resets.strftime('%Y-%m-%d %H:%M')} UTC (midnight {_zone(settings)}).",
        headers={"Retry-After": str(seconds)},
        reason="youtube_daily_cap",
        cap=cap,
        resets_at=resets.isoformat(),
    )


def queued_uncounted(db: Session) -> int:
    """Uploads waiting or running that have not reached YouTube yet (not counted in a quota day)."""
    return int(
        db.scalar(
            select(func.count())
            .select_from(YoutubeUpload)
            .join(Job, Job.id == YoutubeUpload.job_id)
            .where(YoutubeUpload.quota_day.is_(None), Job.status.in_(("pending", "processing")))
        )
        or 0
    )


def check_upload_capacity(db: Session, settings: Settings, now: datetime | None = None) -> None:
    """Refuse (429 + reset time) a new upload when today's count plus queued uploads reach the cap."""
    status = quota_status(db, settings, now)
    if status.used + queued_uncounted(db) >= status.cap:
        raise _cap_reached(settings, status.cap, status.resets_at, now)


def count_upload(db: Session, settings: Settings, now: datetime | None = None) -> str:
    """Count one `videos.insert` against today's cap (conditional UPDATE: never past the cap).

    Called by the upload step right before it asks YouTube for an upload session.
    Raises TooManyRequests when the cap is reached.
    """
    day, resets = quota_day(settings, now)
    cap = settings.youtube_daily_upload_cap
    if db.get(YoutubeQuotaDay, day) is None:
        try:
            with db.begin_nested():
                db.add(YoutubeQuotaDay(day=day, uploads=0, units=0))
        except IntegrityError:
            pass  # another worker created it first
    taken = db.execute(
        update(YoutubeQuotaDay)
        .where(YoutubeQuotaDay.day == day, YoutubeQuotaDay.uploads < cap)
        .values(uploads=YoutubeQuotaDay.uploads + 1, units=YoutubeQuotaDay.units + VIDEOS_INSERT_UNITS)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise _cap_reached(settings, cap, resets, now)
    return day


def add_units(db: Session, settings: Settings, units: int) -> None:
    """Record API units spent on other calls (thumbnails.set 50, captions.insert 400, channels.list 1)."""
    day, _ = quota_day(settings)
    db.execute(
        update(YoutubeQuotaDay)
        .where(YoutubeQuotaDay.day == day)
        .values(units=YoutubeQuotaDay.units + units)
        .execution_options(synchronize_session=False)
    )
