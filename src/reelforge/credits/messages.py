"""Ledger lines the credits domain writes, as stored-text templates (see `i18n.stored`)."""

from __future__ import annotations

from reelforge.i18n import stored

TOPUP_APPROVED = stored.template("Top-up request approved (%(amount)s credits)")
FIRST_ADMIN_CREDITS = stored.template("Starting credits for the first admin")
