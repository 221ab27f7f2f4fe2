"""Admin page of the legacy import: what the last `reelforge import-legacy` brought in and what it reported."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reelforge.i18n import N_
from reelforge.legacy import queries
from reelforge.web.auth import PageAdmin
from reelforge.web.deps import DbSession
from reelforge.web.templating import add_admin_section, render

router = APIRouter(include_in_schema=False)

# Problem kinds the importer reports (codes in the report), as people read them.
KIND_LABELS = {
    "bad_amount": N_("Amount that cannot be used"),
    "bad_color": N_("Invalid colour"),
    "bad_content": N_("Unreadable content"),
    "bad_encoding": N_("Text encoding repaired"),
    "bad_number": N_("Not a number"),
    "bad_password_hash": N_("Unusable password hash"),
    "bad_price": N_("Invalid price"),
    "bad_privacy": N_("Unknown privacy setting"),
    "bad_row": N_("Unreadable row"),
    "bad_shape": N_("Unexpected structure"),
    "bad_status": N_("Unknown status"),
    "bad_timestamp": N_("Unreadable time"),
    "bad_type": N_("Unknown type"),
    "balance_mismatch": N_("Balance differs from the ledger"),
    "chain_break": N_("Ledger chain break"),
    "conflict": N_("The two stores disagree"),
    "control_chars": N_("Control characters removed"),
    "duplicate_channel": N_("Channel listed twice"),
    "duplicate_email": N_("E-mail differs only in letter case"),
    "duplicate_id": N_("Same id twice"),
    "email_normalised": N_("E-mail normalised"),
    "file_too_large": N_("File too large"),
    "ignored_file": N_("File ignored"),
    "ignored_table": N_("Table ignored"),
    "interrupted": N_("Unfinished work marked failed"),
    "invalid_email": N_("Invalid e-mail address"),
    "invalid_json": N_("Unreadable JSON file"),
    "kept_existing": N_("Already imported; kept"),
    "merged": N_("Found in both stores (merged)"),
    "missing_balance": N_("Balance missing"),
    "negative_balance": N_("Negative balance"),
    "orphan": N_("Points at a record that does not exist"),
    "prompt_invalid": N_("Template does not render here"),
    "refund_unlinked": N_("Refund without its debit"),
    "refund_unmatched": N_("Refund without a matching debit"),
    "refunded": N_("Refunded"),
    "renamed": N_("Renamed to stay unique"),
    "token_missing": N_("Token file missing or unreadable"),
    "truncated": N_("Cut-off file; complete rows kept"),
    "type_changed": N_("Ledger type changed"),
    "unreadable_file": N_("Unreadable file"),
    "unreadable_table": N_("Unreadable table"),
}


@router.get("/admin/legacy-import")
def legacy_import_page(request: Request, db: DbSession, admin: PageAdmin) -> Response:
    last = queries.last_import(db)
    report = last.report if last is not None else None
    problems = list(report.get("problems", [])) if report else []
    return render(
        request,
        "admin/legacy_import.html",
        {
            "last": last,
            "report": report,
            "entities": sorted((report or {}).get("entities", {}).items()),
            "kinds": sorted((report or {}).get("problem_kinds", {}).items()),
            "problems": problems[:500],
            "problem_count": len(problems),
            "kind_labels": KIND_LABELS,
        },
    )


add_admin_section(
    "/admin/legacy-import",
    N_("Legacy import"),
    N_("What `reelforge import-legacy` brought over from the old system, and what it reported."),
)
