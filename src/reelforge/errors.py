"""Errors shared by every layer.

`AppError` and its subclasses are domain errors: services raise them, HTTP and CLI layers
translate them. `JobCancelled`, `TransientError` and `PermanentError` are what a piece of
work (a job step, a provider call) raises to tell the job runner what happened; they live
here so providers and clients need not import the job runtime.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    title = "Bad request"
    type_ = "about:blank"
    localized = False  # True: the API translates title and detail (catalogue msgids) into the reader's language

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class InvalidInput(AppError):
    status = 422
    title = "Invalid input"


class NotFound(AppError):
    status = 404
    title = "Not found"


class Forbidden(AppError):
    status = 403
    title = "Forbidden"


class Unauthorized(AppError):
    status = 401
    title = "Unauthorized"


class Conflict(AppError):
    status = 409
    title = "Conflict"


class PaymentRequired(AppError):
    status = 402
    title = "Not enough credits"


class TooManyRequests(AppError):
    status = 429
    title = "Too many requests"


class ServiceUnavailable(AppError):
    """A service the request needs (the job queue) is down; nothing was written. Retry later."""

    status = 503
    title = "Service unavailable"
    localized = True


class JobCancelled(Exception):
    """Raised inside a step when the user asked to cancel; the runner marks the job cancelled."""


class TransientError(Exception):
    """A failure worth retrying with backoff (timeouts, HTTP 429/5xx from a provider)."""


class PermanentError(Exception):
    """A failure retrying cannot fix (bad input, 4xx from a provider); the job fails at once."""
