"""HTML pages of the credits domain: the creator's balance, history, chart and top-ups; the
admins' top-up queue, ledgers, adjustments and prices. Thin over the credits flows, services
and queries (the same calls as the JSON API); forms post back, redirect, and show a flash message."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from reelforge import i18n
from reelforge.credits import flows, ledger, prices, queries, schemas, topups
from reelforge.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from reelforge.web.auth import PageAdmin, PageUser
from reelforge.web.deps import AppSettings, DbSession
from reelforge.web.params import CLEAN, date_in_range
from reelforge.web.templating import activity_labels, add_admin_section, flash, redirect, render

router = APIRouter(include_in_schema=False)

# The /admin card and the names of this domain's activity-log actions (msgids in credits.po).
add_admin_section(
    "/admin/credits",
    "Credits and top-ups",
    "Approve top-up requests, adjust balances, read every ledger, set prices.",
)
activity_labels.update(
    {
        "credits.topup_requested": "Requested a credit top-up",
        "credits.topup_approved": "Credit top-up approved",
        "credits.topup_rejected": "Credit top-up rejected",
        "credits.adjusted": "Credits adjusted by an admin",
        "credits.prices_changed": "Prices changed",
    }
)

Text = Annotated[str, CLEAN, Form(max_length=5000)]
Csrf = Annotated[str, Form(max_length=200)]
TYPE_LABELS = {"charge": "Top-up", "use": "Spent", "refund": "Refund", "adjust": "Adjustment"}
STATUS_LABELS = {"pending": "Pending", "approved": "Approved", "rejected": "Rejected"}


def _lang(request: Request) -> str:
    return i18n.request_locale(request)


def _(request: Request, message: str, **params: Any) -> str:
    return i18n.gettext(_lang(request), message, **params)


def error_message(request: Request, exc: AppError) -> str:
    """A service error in the visitor's language (the API keeps the English detail)."""
    extra = exc.extra
    lang = _lang(request)
    if isinstance(exc, InvalidInput) and "minimum" in extra:
        return _(
            request,
            "Enter a whole number between %(minimum)s and %(maximum)s.",
            minimum=i18n.format_number(extra["minimum"], lang),
            maximum=i18n.format_number(extra["maximum"], lang),
        )
    if isinstance(exc, InvalidInput) and extra.get("field") == "reason":
        return _(request, "Give a reason (at most 500 characters).")
    if isinstance(exc, InvalidInput) and extra.get("field") == "amount":
        return _(request, "The amount must not be zero.")
    if isinstance(exc, TooManyRequests) and "pending" in extra:
        return _(
            request,
            "You already have %(pending)s pending requests; wait until an admin handles them.",
            pending=extra["pending"],
        )
    if isinstance(exc, Forbidden) and extra.get("reason") == "email_unverified":
        return _(request, "Verify your e-mail address first.")
    if isinstance(exc, Conflict) and "request_status" in extra:
        status = _(request, STATUS_LABELS.get(str(extra["request_status"]), str(extra["request_status"])))
        return _(request, "This request was already handled (%(status)s).", status=status)
    if isinstance(exc, Conflict) and "balance" in extra:
        return _(
            request,
            "Not possible: the balance is %(balance)s and never goes below zero.",
            balance=i18n.format_number(extra["balance"], lang),
        )
    return _(request, exc.detail)


def _filters(types: list[str] | None, since: str, until: str) -> tuple[queries.HistoryFilter, dict[str, Any]]:
    """Query-string filters of the history pages; bad values are ignored, not a 500."""
    wanted = tuple(t for t in (types or []) if t in queries.LEDGER_TYPES)

    def day(v: str) -> date | None:
        try:
            parsed = date.fromisoformat(v) if v else None
        except ValueError:
            return None
        return parsed if date_in_range(parsed) else None  # 9999-12-31 + one day would overflow

    f = queries.HistoryFilter(types=wanted, since=day(since), until=day(until))
    if f.since and f.until and f.since > f.until:
        f = queries.HistoryFilter(types=wanted, since=f.until, until=f.since)
    query = {
        "type": list(wanted),
        "since": f.since.isoformat() if f.since else "",
        "until": f.until.isoformat() if f.until else "",
    }
    return f, query


def _qs(query: dict[str, Any], **more: str) -> str:
    pairs: list[tuple[str, str]] = []
    for k, v in {**query, **more}.items():
        if isinstance(v, list):
            pairs += [(k, x) for x in v]
        elif v:
            pairs.append((k, v))
    return urlencode(pairs)


def _common(request: Request) -> dict[str, Any]:
    return {
        "type_labels": {k: _(request, v) for k, v in TYPE_LABELS.items()},
        "status_labels": {k: _(request, v) for k, v in STATUS_LABELS.items()},
        "ledger_types": queries.LEDGER_TYPES,
    }


# ================================================================== the creator's pages
@router.get("/credits", response_class=HTMLResponse)
def credits_home(request: Request, user: PageUser, db: DbSession) -> Response:
    return render(request, "credits/index.html", _home_context(request, db, user.id))


def _home_context(
    request: Request,
    db: Session,
    user_id: str,
    *,
    idempotency_key: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What /credits shows: balance, prices, recent history, the user's requests and the top-up form."""
    lo, hi = topups.topup_bounds(db)
    recent, _next = queries.history_page(db, user_id, queries.HistoryFilter(), limit=8)
    requests = queries.list_requests(db, user_id=user_id, limit=20)
    return {
        **_common(request),
        "balance": queries.balance(db, user_id),
        "prices": prices.get_prices(db),
        "recent": recent,
        "requests": requests,
        "pending": sum(1 for r in requests if r.status == "pending"),
        "max_pending": topups.TOPUP_MAX_PENDING,
        "topup_min": lo,
        "topup_max": hi,
        "idempotency_key": idempotency_key or secrets.token_urlsafe(16),
        "values": values or {},
        "errors": errors or {},
    }


@router.post("/credits/topups", response_class=HTMLResponse)
def credits_topup_submit(
    request: Request,
    user: PageUser,
    db: DbSession,
    amount: Text = "",
    note: Text = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Csrf = "",
) -> Response:
    lo, hi = topups.topup_bounds(db)
    try:
        value = int(amount.replace(",", "").strip())
    except ValueError:
        value = None
    try:
        if value is None:
            raise InvalidInput("not a number", field="amount", minimum=lo, maximum=hi)
        sent = flows.request_topup(db, user.id, value, note=note, idempotency_key=idempotency_key or None)
    except AppError as exc:
        if isinstance(exc, NotFound):
            raise
        field = str(exc.extra.get("field") or "_form")
        if field not in ("amount", "note"):
            field = "_form"
        context = _home_context(
            request,
            db,
            user.id,
            idempotency_key=idempotency_key,
            values={"amount": amount, "note": note},
            errors={field: error_message(request, exc)},
        )
        return render(request, "credits/index.html", context, status_code=exc.status)
    if sent.replayed:
        flash(request, _(request, "This request was already sent."), "info")
    else:
        flash(request, _(request, "Your top-up request was sent. An admin will confirm your transfer."), "success")
    return redirect(request, "/credits#topups")


@router.post("/credits/topups/{request_id}/cancel", response_class=HTMLResponse)
def credits_topup_cancel(
    request: Request, request_id: str, user: PageUser, db: DbSession, csrf_token: Csrf = ""
) -> Response:
    try:
        topups.cancel_topup(db, user.id, request_id)
        flash(request, _(request, "The request was withdrawn."), "success")
    except Conflict as exc:
        flash(request, error_message(request, exc), "warning")
    return redirect(request, "/credits#topups")


@router.get("/credits/history", response_class=HTMLResponse)
def credits_history(
    request: Request,
    user: PageUser,
    db: DbSession,
    types: Annotated[list[str] | None, Query(alias="type")] = None,
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    f, query = _filters(types, since, until)
    try:
        before = schemas.decode_cursor(cursor or None)
    except InvalidInput:
        before = None
    rows, nxt = queries.history_page(db, user.id, f, limit=25, before=before)
    return render(
        request,
        "credits/history.html",
        {
            **_common(request),
            "rows": rows,
            "query": query,
            "qs": _qs(query),
            "next_qs": _qs(query, cursor=schemas.encode_cursor(nxt) or "") if nxt else "",
            "is_first": not cursor,
            "balance": queries.balance(db, user.id),
        },
    )


# ================================================================== admin pages
@router.get("/admin/credits", response_class=HTMLResponse)
def admin_credits(
    request: Request,
    admin: PageAdmin,
    db: DbSession,
    q: Annotated[str, Query(max_length=100)] = "",
    types: Annotated[list[str] | None, Query(alias="type")] = None,
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    queue = list(queries.list_requests(db, status="pending", limit=200))
    handled = [r for r in queries.list_requests(db, limit=60) if r.status != "pending"][:20]
    ids = {r.user_id for r in [*queue, *handled]}
    f, query = _filters(types, since, until)
    try:
        before = schemas.decode_cursor(cursor or None)
    except InvalidInput:
        before = None
    rows, nxt = queries.history_page(db, None, f, limit=30, before=before)
    ids |= {r.user_id for r in rows}
    return render(
        request,
        "credits/admin.html",
        {
            **_common(request),
            "queue": queue,
            "handled": handled,
            "users": queries.users_by_id(db, ids),
            "rows": rows,
            "query": query,
            "qs": _qs(query),
            "next_qs": _qs(query, cursor=schemas.encode_cursor(nxt) or "") if nxt else "",
            "is_first": not cursor,
            "q": q,
            "found": queries.search_users(db, q, limit=20),
            "outstanding": queries.credits_outstanding(db),
        },
    )


def _back(request: Request, default: str) -> str:
    ref = request.headers.get("referer", "")
    for path in ("/admin/credits/users/", "/admin/credits"):
        idx = ref.find(path)
        if idx >= 0 and ref[:idx].endswith(request.url.netloc):
            return ref[idx:].split("#")[0]
    return default


@router.post("/admin/credits/topups/{request_id}/approve", response_class=HTMLResponse)
def admin_approve(
    request: Request,
    request_id: str,
    admin: PageAdmin,
    db: DbSession,
    settings: AppSettings,
    memo: Text = "",
    csrf_token: Csrf = "",
) -> Response:
    try:
        done = flows.approve_topup(db, settings, request_id, admin_id=admin.id, memo=memo)
        flash(
            request,
            _(
                request,
                "Approved %(amount)s credits for %(email)s.",
                amount=i18n.format_number(done.entry.amount, _lang(request)),
                email=done.owner.email,
            ),
            "success",
        )
    except (Conflict, InvalidInput) as exc:
        flash(request, error_message(request, exc), "warning")
    return redirect(request, _back(request, "/admin/credits"))


@router.post("/admin/credits/topups/{request_id}/reject", response_class=HTMLResponse)
def admin_reject(
    request: Request,
    request_id: str,
    admin: PageAdmin,
    db: DbSession,
    settings: AppSettings,
    memo: Text = "",
    csrf_token: Csrf = "",
) -> Response:
    try:
        flows.reject_topup(db, settings, request_id, admin_id=admin.id, memo=memo)
        flash(request, _(request, "The request was rejected."), "success")
    except (Conflict, InvalidInput) as exc:
        flash(request, error_message(request, exc), "warning")
    return redirect(request, _back(request, "/admin/credits"))


@router.get("/admin/credits/users/{user_id}", response_class=HTMLResponse)
def admin_user_ledger(
    request: Request,
    user_id: str,
    admin: PageAdmin,
    db: DbSession,
    types: Annotated[list[str] | None, Query(alias="type")] = None,
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    owner = queries.get_user(db, user_id)
    f, query = _filters(types, since, until)
    try:
        before = schemas.decode_cursor(cursor or None)
    except InvalidInput:
        before = None
    rows, nxt = queries.history_page(db, user_id, f, limit=30, before=before)
    return render(
        request,
        "credits/admin_user.html",
        {
            **_common(request),
            "owner": owner,
            "rows": rows,
            "requests": queries.list_requests(db, user_id=user_id, limit=50),
            "query": query,
            "qs": _qs(query),
            "next_qs": _qs(query, cursor=schemas.encode_cursor(nxt) or "") if nxt else "",
            "is_first": not cursor,
            "errors": {},
            "values": {},
        },
    )


@router.post("/admin/credits/users/{user_id}/adjust", response_class=HTMLResponse)
def admin_adjust(
    request: Request,
    user_id: str,
    admin: PageAdmin,
    db: DbSession,
    amount: Text = "",
    reason: Text = "",
    csrf_token: Csrf = "",
) -> Response:
    try:
        try:
            value = int(amount.replace(",", "").strip())
        except ValueError:
            raise InvalidInput(
                "not a number", field="amount", minimum=-ledger.MAX_ADJUST, maximum=ledger.MAX_ADJUST
            ) from None
        entry = ledger.grant(db, user_id, value, reason=reason, admin_id=admin.id)
        flash(
            request,
            _(
                request,
                "Done: the balance is now %(balance)s.",
                balance=i18n.format_number(entry.balance_after, _lang(request)),
            ),
            "success",
        )
    except (InvalidInput, Conflict) as exc:
        flash(request, error_message(request, exc), "error")
    return redirect(request, f"/admin/credits/users/{user_id}")


def _prices_context(db: Session, *, errors: dict[str, str], values: dict[str, str]) -> dict[str, Any]:
    return {
        "prices": prices.get_prices(db),
        "video_types": prices.VIDEO_TYPES,
        "changes": queries.price_changes(db),
        "admins": queries.admin_emails(db),
        "errors": errors,
        "values": values,
    }


@router.get("/admin/credits/prices", response_class=HTMLResponse)
def admin_prices(request: Request, admin: PageAdmin, db: DbSession) -> Response:
    return render(request, "credits/prices.html", _prices_context(db, errors={}, values={}))


Price = Annotated[str, Form(max_length=50)]


@router.post("/admin/credits/prices", response_class=HTMLResponse)
def admin_prices_submit(
    request: Request,
    admin: PageAdmin,
    db: DbSession,
    script: Price = "",
    video: Price = "",
    video_longform: Price = "",
    video_shortform: Price = "",
    video_sora2: Price = "",
    video_square: Price = "",
    csrf_token: Csrf = "",
) -> Response:
    values = {
        "script": script.strip(),
        "video": video.strip(),
        "video_longform": video_longform.strip(),
        "video_shortform": video_shortform.strip(),
        "video_sora2": video_sora2.strip(),
        "video_square": video_square.strip(),
    }
    errors: dict[str, str] = {}

    def number(key: str, optional: bool) -> int | None:
        raw = values[key].replace(",", "")
        if raw == "" and optional:
            return None
        if not raw.isdigit() or int(raw) > prices.MAX_PRICE:
            errors[key] = _(
                request,
                "Enter a whole number between %(minimum)s and %(maximum)s.",
                minimum=0,
                maximum=i18n.format_number(prices.MAX_PRICE, _lang(request)),
            )
            return None
        return int(raw)

    new_script = number("script", False)
    new_video = number("video", False)
    overrides = {t: number(f"video_{t}", True) for t in prices.VIDEO_TYPES}
    if errors:
        return render(
            request, "credits/prices.html", _prices_context(db, errors=errors, values=values), status_code=422
        )
    prices.set_prices(db, admin_id=admin.id, script=new_script, video=new_video, video_types=overrides)
    flash(request, _(request, "Prices saved."), "success")
    return redirect(request, "/admin/credits/prices")
