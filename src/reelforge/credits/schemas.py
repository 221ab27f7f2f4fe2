"""API shapes of the credits domain.

Amounts are `StrictInt`: "100", 100.0 and true are refused with a 422 instead of being
coerced (money is whole credits, and a client sending a string has a bug worth seeing).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from reelforge.credits.models import ChargeRequest, CreditHistory
from reelforge.errors import InvalidInput
from reelforge.web.params import CleanInput

LedgerType = Literal["charge", "use", "refund", "adjust"]
RequestStatus = Literal["pending", "approved", "rejected"]


class LedgerEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    seq: int
    type: LedgerType
    amount: int
    balance_after: int
    description: str
    job_id: str | None
    script_id: str | None
    charge_request_id: str | None
    refund_of_id: str | None
    created_by: str | None
    created_at: datetime


class AdminLedgerEntry(LedgerEntry):
    user_id: str
    user_email: str | None = None


class LedgerPage(BaseModel):
    items: list[LedgerEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next (older) page; null at the end.")


class AdminLedgerPage(BaseModel):
    items: list[AdminLedgerEntry]
    next_cursor: str | None


class Prices(BaseModel):
    script: int = Field(description="Credits per generated script.")
    video: int = Field(description="Credits per rendered video unless its type has its own price.")
    video_types: dict[str, int | None] = Field(description="Per-type overrides (null: the video price applies).")
    effective: dict[str, int] = Field(description="What each video type costs now.")


class Balance(BaseModel):
    balance: int
    prices: Prices
    topup_min: int
    topup_max: int
    topup_max_pending: int


class PricesUpdate(CleanInput):
    model_config = ConfigDict(extra="forbid")

    script: StrictInt | None = None
    video: StrictInt | None = None
    video_types: dict[str, StrictInt | None] | None = None


class PriceChange(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    old_value: int | None
    new_value: int | None
    changed_by: str | None
    created_at: datetime


class AdminPrices(Prices):
    changes: list[PriceChange]


class TopupCreate(CleanInput):
    model_config = ConfigDict(extra="forbid")

    amount: StrictInt
    note: str = Field(default="", max_length=1000)


class Topup(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    amount: int
    status: RequestStatus
    note: str
    memo: str
    created_at: datetime
    processed_at: datetime | None
    approved_at: datetime | None
    rejected_at: datetime | None


class AdminTopup(Topup):
    user_id: str
    user_email: str
    user_name: str
    user_balance: int
    approved_by: str | None
    rejected_by: str | None


class Decision(CleanInput):
    model_config = ConfigDict(extra="forbid")

    memo: str = Field(default="", max_length=1000)


class ApproveResult(BaseModel):
    request: AdminTopup
    entry: LedgerEntry


class Adjustment(CleanInput):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=64)
    amount: StrictInt = Field(description="Positive to grant, negative to remove; never below a zero balance.")
    reason: str = Field(min_length=1, max_length=500)


class UsagePoint(BaseModel):
    start: date
    used: int = Field(description="Credits spent in the bucket, net of refunds.")
    refunded: int
    added: int = Field(description="Top-ups and positive adjustments.")


class Usage(BaseModel):
    bucket: Literal["day", "week"]
    since: date
    until: date
    points: list[UsagePoint]


def entry(row: CreditHistory) -> LedgerEntry:
    return LedgerEntry.model_validate(row)


def encode_cursor(cursor: tuple[datetime, str] | None) -> str | None:
    if cursor is None:
        return None
    ts, rid = cursor
    raw = f"{ts.astimezone(UTC).isoformat()}|{rid}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None) -> tuple[datetime, str] | None:
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        ts, rid = raw.split("|", 1)
        parsed = datetime.fromisoformat(ts)
        if parsed.tzinfo is None or not rid or len(rid) > 64:
            raise ValueError(raw)
        return parsed.astimezone(UTC), rid
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidInput("The cursor is not valid; start again from the first page.", field="cursor") from exc


def topup(req: ChargeRequest) -> Topup:
    return Topup.model_validate(req)
