"""Bounded request parameters and clean text, shared by every route and schema.

Why: an integer the database cannot hold (>= 2**63 on SQLite and in PostgreSQL's bigint,
>= 2**31 for an INTEGER id on PostgreSQL) or a date at the end of the calendar
(9999-12-31 + one day) used to reach the query and fail there with a 500. These types
refuse such values up front with a 422 problem in the caller's language (`web.errors`).
Text from people passes `clean_text`: NUL, other control characters and lone surrogates
are stripped the same way in every field, JSON or form.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, Field, field_validator

INT64_MAX = 2**63 - 1  # the largest integer SQLite and PostgreSQL (bigint, e.g. OFFSET) hold
# Row ids and versions are INTEGER columns: 32 bits on PostgreSQL, whose driver binds a value
# with the column's type, so a larger one is refused by the database rather than compared.
INT32_MAX = 2**31 - 1
# Dates leave room for "+ one day / + a week" arithmetic and timezone shifts far from
# datetime's limits (year 1 to 9999).
DATE_MIN = date(1000, 1, 1)
DATE_MAX = date(9000, 12, 31)

_KEPT_CONTROLS = frozenset("\t\n\r")


def clean_text(value: Any) -> Any:
    """`value` without NUL, other control characters (tab and line breaks stay) and lone
    surrogates; anything that is not a string passes unchanged (the type check comes next)."""
    if not isinstance(value, str):
        return value
    if value.isprintable():  # the common case: nothing to strip
        return value
    return "".join(ch for ch in value if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cs"))


def _clean_deep(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean_deep(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k): _clean_deep(v) for k, v in value.items()}
    return value


class CleanInput(BaseModel):
    """Base of request bodies: every text field (nested ones too) passes `clean_text` before
    its own checks. Passwords are left exactly as typed: they are never shown or stored."""

    @field_validator("*", mode="before")
    @classmethod
    def _strip_controls(cls, value: Any, info: Any) -> Any:
        if "password" in (info.field_name or ""):
            return value
        return _clean_deep(value)


# A form field's text, cleaned before its length check: `Annotated[str, CLEAN, Form(max_length=...)]`.
CLEAN = BeforeValidator(clean_text)
CleanStr = Annotated[str, CLEAN]

# Query parameters every list route uses.
Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="rows to skip")]
AfterId = Annotated[int, Query(ge=0, le=INT32_MAX, description="id of the last line already seen")]
BeforeId = Annotated[int | None, Query(ge=1, le=INT32_MAX, description="id of the last row of the previous page")]
# Body fields.
Version = Annotated[int, Field(ge=1, le=INT32_MAX)]


def date_in_range(value: date | None) -> bool:
    return value is None or DATE_MIN <= value <= DATE_MAX


def safe_date(description: str) -> Any:
    """A date query parameter within DATE_MIN..DATE_MAX, with its own description."""
    bounds: dict[str, Any] = {"ge": DATE_MIN, "le": DATE_MAX}  # FastAPI types ge/le as numbers; dates work
    return Query(description=description, **bounds)
