"""Form field types and request facts the accounts pages share."""

from __future__ import annotations

from typing import Annotated, TypedDict

from fastapi import Form, Request

from reelforge import i18n
from reelforge.accounts.http import client_ip, user_agent
from reelforge.web.params import CLEAN

# Forms accept generous sizes here; the services refuse oversized values with a field message.
Text = Annotated[str, CLEAN, Form(max_length=20000)]
Secret = Annotated[str, Form(max_length=5000)]
Csrf = Annotated[str, Form(max_length=200)]

LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600


def page_lang(request: Request) -> str:
    return i18n.request_locale(request)


class Meta(TypedDict):
    ip: str
    user_agent: str


def meta(request: Request) -> Meta:
    """Who is asking, for the activity log: pass as `**meta(request)`."""
    return {"ip": client_ip(request), "user_agent": user_agent(request)}
