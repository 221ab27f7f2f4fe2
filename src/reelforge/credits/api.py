"""JSON API of the credits domain (/api/v1/credits, /api/v1/admin/credits): a thin skin over
the flows, services and queries the pages call too. Other users' requests answer 404; admin
routes answer 403 to non-admins."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import StreamingResponse

from reelforge.accounts.models import User
from reelforge.credits import flows, ledger, prices, queries, schemas, topups
from reelforge.credits.models import ChargeRequest
from reelforge.db.engine import Database
from reelforge.web.auth import AdminUser, CurrentUser
from reelforge.web.deps import AppDatabase, AppSettings, DbSession
from reelforge.web.params import safe_date

router = APIRouter(prefix="/credits", tags=["credits"])
admin_router = APIRouter(prefix="/admin/credits", tags=["admin: credits"])

TypeFilter = Annotated[list[schemas.LedgerType] | None, Query(alias="type", description="Entry types (repeatable).")]
Since = Annotated[date | None, safe_date("First day (UTC), inclusive.")]
Until = Annotated[date | None, safe_date("Last day (UTC), inclusive.")]
Limit = Annotated[int, Query(ge=1, le=200)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def prices_out(p: prices.Prices) -> schemas.Prices:
    return schemas.Prices(script=p.script, video=p.video, video_types=p.video_types, effective=p.effective())


def _filter(types: Sequence[str] | None, since: date | None, until: date | None) -> queries.HistoryFilter:
    return queries.HistoryFilter(types=tuple(types or ()), since=since, until=until).validate()


# ---------------------------------------------------------------- the user's own credits
@router.get("", response_model=schemas.Balance, summary="Balance, prices and top-up limits")
def get_balance(user: CurrentUser, db: DbSession) -> schemas.Balance:
    lo, hi = topups.topup_bounds(db)
    return schemas.Balance(
        balance=queries.balance(db, user.id),
        prices=prices_out(prices.get_prices(db)),
        topup_min=lo,
        topup_max=hi,
        topup_max_pending=topups.TOPUP_MAX_PENDING,
    )


@router.get("/prices", response_model=schemas.Prices, summary="What scripts and videos cost")
def get_prices(user: CurrentUser, db: DbSession) -> schemas.Prices:
    return prices_out(prices.get_prices(db))


@router.get("/history", response_model=schemas.LedgerPage, summary="Your ledger, newest first (keyset pages)")
def history(
    user: CurrentUser,
    db: DbSession,
    types: TypeFilter = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.LedgerPage:
    rows, nxt = queries.history_page(
        db, user.id, _filter(types, since, until), limit=limit, before=schemas.decode_cursor(cursor)
    )
    return schemas.LedgerPage(items=[schemas.entry(r) for r in rows], next_cursor=schemas.encode_cursor(nxt))


CSV_HEADER = ["created_at", "seq", "type", "amount", "balance_after", "description", "job_id", "script_id", "id"]


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        int(text)
        return True
    except ValueError:
        return False


def _csv_stream(database: Database, user_id: str | None, f: queries.HistoryFilter, admin: bool) -> Iterator[str]:
    """Rows oldest first, streamed in chunks from a read-only session of its own.

    The first chunk (BOM and header) is yielded only once the query runs, so a caller that
    pulls it before answering (`_csv_response`) sees any database error as a problem, not
    as a 200 cut off mid-body."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["user_email", *CSV_HEADER] if admin else CSV_HEADER)
    with database.read_session() as session:
        emails = queries.emails_by_id(session) if admin else {}
        rows = iter(queries.iter_history(session, user_id, f))
        first = next(rows, None)
        yield "\ufeff" + buf.getvalue()  # BOM: spreadsheets then read Korean text as UTF-8
        buf.seek(0)
        buf.truncate()
        for i, r in enumerate(itertools.chain([first] if first is not None else [], rows), start=1):
            row: list[object] = [
                r.created_at.astimezone(UTC).isoformat(),
                r.seq,
                r.type,
                r.amount,
                r.balance_after,
                _cell(r.description),
                r.job_id or "",
                r.script_id or "",
                r.id,
            ]
            w.writerow([_cell(emails.get(r.user_id, r.user_id)), *row] if admin else row)
            if i % 500 == 0:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
    if buf.tell():
        yield buf.getvalue()


def _csv_response(
    database: Database, user_id: str | None, f: queries.HistoryFilter, name: str, admin: bool
) -> StreamingResponse:
    stream = _csv_stream(database, user_id, f, admin=admin)
    head = next(stream)  # runs the query here: a failure is still an error response, not a cut-off 200
    return StreamingResponse(
        itertools.chain([head], stream),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/history.csv", summary="Your ledger as CSV (oldest first)", response_class=StreamingResponse)
def history_csv(
    user: CurrentUser, database: AppDatabase, types: TypeFilter = None, since: Since = None, until: Until = None
) -> StreamingResponse:
    return _csv_response(database, user.id, _filter(types, since, until), "reelforge-credits.csv", admin=False)


def _usage_range(since: date | None, until: date | None, bucket: str) -> tuple[date, date]:
    until = until or datetime.now(UTC).date()
    since = since or (until - timedelta(days=29 if bucket == "day" else 7 * 12 - 1))
    return since, until


@router.get("/usage", response_model=schemas.Usage, summary="Credits used per day or week (for the chart)")
def usage(
    user: CurrentUser,
    db: DbSession,
    bucket: Literal["day", "week"] = "day",
    since: Since = None,
    until: Until = None,
) -> schemas.Usage:
    since, until = _usage_range(since, until, bucket)
    points = queries.usage_series(db, user.id, bucket=bucket, since=since, until=until)
    return schemas.Usage(
        bucket=bucket, since=since, until=until, points=[schemas.UsagePoint.model_validate(p) for p in points]
    )


@router.get("/topups", response_model=list[schemas.Topup], summary="Your top-up requests, pending first")
def my_topups(user: CurrentUser, db: DbSession) -> list[schemas.Topup]:
    return [schemas.topup(r) for r in queries.list_requests(db, user_id=user.id)]


@router.post("/topups", response_model=schemas.Topup, status_code=201, summary="Ask an admin for credits")
def create_topup(
    body: schemas.TopupCreate,
    user: CurrentUser,
    db: DbSession,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> schemas.Topup:
    sent = flows.request_topup(db, user.id, body.amount, note=body.note, idempotency_key=idempotency_key)
    if sent.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/credits/topups/{sent.request.id}"
    return schemas.topup(sent.request)


@router.get("/topups/{request_id}", response_model=schemas.Topup, summary="One of your top-up requests")
def my_topup(request_id: str, user: CurrentUser, db: DbSession) -> schemas.Topup:
    return schemas.topup(queries.get_request(db, request_id, user_id=user.id))


@router.post("/topups/{request_id}/cancel", response_model=schemas.Topup, summary="Withdraw a pending request")
def cancel_topup(request_id: str, user: CurrentUser, db: DbSession) -> schemas.Topup:
    return schemas.topup(topups.cancel_topup(db, user.id, request_id))


# ---------------------------------------------------------------- admin
def admin_topup(req: ChargeRequest, owner: User) -> schemas.AdminTopup:
    base = schemas.Topup.model_validate(req).model_dump()
    return schemas.AdminTopup(
        **base,
        user_id=req.user_id,
        user_email=owner.email,
        user_name=owner.name,
        user_balance=owner.credits,
        approved_by=req.approved_by,
        rejected_by=req.rejected_by,
    )


@admin_router.get("/topups", response_model=list[schemas.AdminTopup], summary="Top-up queue: pending first")
def admin_topups(
    admin: AdminUser,
    db: DbSession,
    status: schemas.RequestStatus | None = None,
    user_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[schemas.AdminTopup]:
    rows = queries.list_requests(db, status=status, user_id=user_id, limit=limit)
    users = queries.users_by_id(db, {r.user_id for r in rows})
    return [admin_topup(r, users[r.user_id]) for r in rows]


@admin_router.post("/topups/{request_id}/approve", response_model=schemas.ApproveResult, summary="Approve a top-up")
def approve(
    request_id: str, body: schemas.Decision, admin: AdminUser, db: DbSession, settings: AppSettings
) -> schemas.ApproveResult:
    done = flows.approve_topup(db, settings, request_id, admin_id=admin.id, memo=body.memo)
    return schemas.ApproveResult(request=admin_topup(done.request, done.owner), entry=schemas.entry(done.entry))


@admin_router.post("/topups/{request_id}/reject", response_model=schemas.AdminTopup, summary="Reject a top-up")
def reject(
    request_id: str, body: schemas.Decision, admin: AdminUser, db: DbSession, settings: AppSettings
) -> schemas.AdminTopup:
    done = flows.reject_topup(db, settings, request_id, admin_id=admin.id, memo=body.memo)
    return admin_topup(done.request, done.owner)


@admin_router.post(
    "/adjustments", response_model=schemas.LedgerEntry, status_code=201, summary="Grant or remove credits"
)
def adjust(body: schemas.Adjustment, admin: AdminUser, db: DbSession) -> schemas.LedgerEntry:
    return schemas.entry(ledger.grant(db, body.user_id, body.amount, reason=body.reason, admin_id=admin.id))


@admin_router.get("/prices", response_model=schemas.AdminPrices, summary="Prices and their change log")
def admin_prices(admin: AdminUser, db: DbSession) -> schemas.AdminPrices:
    p = prices_out(prices.get_prices(db))
    changes = [schemas.PriceChange.model_validate(c) for c in queries.price_changes(db)]
    return schemas.AdminPrices(**p.model_dump(), changes=changes)


@admin_router.put("/prices", response_model=schemas.AdminPrices, summary="Change prices (only the fields sent)")
def set_prices(body: schemas.PricesUpdate, admin: AdminUser, db: DbSession) -> schemas.AdminPrices:
    prices.set_prices(db, admin_id=admin.id, script=body.script, video=body.video, video_types=body.video_types)
    return admin_prices(admin, db)


@admin_router.get("/ledger", response_model=schemas.AdminLedgerPage, summary="All ledgers (or one user's)")
def admin_ledger(
    admin: AdminUser,
    db: DbSession,
    user_id: str | None = None,
    types: TypeFilter = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.AdminLedgerPage:
    if user_id is not None:
        queries.get_user(db, user_id)  # 404 for an unknown user
    rows, nxt = queries.history_page(
        db, user_id, _filter(types, since, until), limit=limit, before=schemas.decode_cursor(cursor)
    )
    emails = queries.emails_by_id(db, {r.user_id for r in rows})
    items = [
        schemas.AdminLedgerEntry(**schemas.entry(r).model_dump(), user_id=r.user_id, user_email=emails.get(r.user_id))
        for r in rows
    ]
    return schemas.AdminLedgerPage(items=items, next_cursor=schemas.encode_cursor(nxt))


@admin_router.get("/ledger.csv", summary="All ledgers (or one user's) as CSV", response_class=StreamingResponse)
def admin_ledger_csv(
    admin: AdminUser,
    database: AppDatabase,
    db: DbSession,
    user_id: str | None = None,
    types: TypeFilter = None,
    since: Since = None,
    until: Until = None,
) -> StreamingResponse:
    if user_id is not None:
        queries.get_user(db, user_id)  # 404 for an unknown user
    return _csv_response(database, user_id, _filter(types, since, until), "reelforge-ledger.csv", admin=True)


@admin_router.get("/usage", response_model=schemas.Usage, summary="Credits used per day/week (all users or one)")
def admin_usage(
    admin: AdminUser,
    db: DbSession,
    user_id: str | None = None,
    bucket: Literal["day", "week"] = "day",
    since: Since = None,
    until: Until = None,
) -> schemas.Usage:
    since, until = _usage_range(since, until, bucket)
    points = queries.usage_series(db, user_id, bucket=bucket, since=since, until=until)
    return schemas.Usage(
        bucket=bucket, since=since, until=until, points=[schemas.UsagePoint.model_validate(p) for p in points]
    )


@admin_router.get("/summary", summary="Totals for the admin dashboard")
def admin_summary(admin: AdminUser, db: DbSession) -> dict[str, int]:
    return queries.admin_summary(db)
