"""Domain errors. Services raise these; HTTP and CLI layers translate them."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    title = "Bad request"
    type_ = "about:blank"

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
