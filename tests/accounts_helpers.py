"""Helpers for the accounts tests: read the outbox, fill forms, log in through the real pages."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import Message
from pathlib import Path
from typing import Any

from reelforge.config import Settings

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"https?://\S+?/(?:verify|reset)\?token=[A-Za-z0-9_\-]+")
PASSWORD = "a-good-passphrase-1"


def outbox(settings: Settings) -> list[Path]:
    folder = settings.data_dir.resolve() / "outbox"
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def parse_mail(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=policy.default)


def text_of(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def link_in(msg: Message) -> str:
    match = LINK_RE.search(text_of(msg))
    assert match, text_of(msg)
    return match.group(0)


def last_mail(settings: Settings, to: str | None = None) -> Message:
    for path in reversed(outbox(settings)):
        msg = parse_mail(path.read_bytes())
        if to is None or msg["To"] == to:
            return msg
    raise AssertionError(f"no mail for {to} in the outbox")


def path_of(link: str) -> str:
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def signup_form(**overrides: Any) -> dict[str, str]:
    data = {
        "email": "creator@example.com",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "name": "김민수",
        "phone": "010-1234-5678",
        "address": "서울특별시 강남구 테헤란로 1",
        "kakao_id": "minsu_kim",
        "agree": "1",
    }
    data.update({k: str(v) for k, v in overrides.items()})
    return data


def page_post(client: Any, get_path: str, post_path: str, data: dict[str, str], **kw: Any) -> Any:
    """GET a page (for its CSRF token), then POST its form."""
    page = client.get(get_path)
    assert page.status_code == 200, page.text[:500]
    return client.post(post_path, data={**data, "csrf_token": csrf_of(page.text)}, **kw)


def login(client: Any, email_addr: str, password: str = PASSWORD, **kw: Any) -> Any:
    return page_post(
        client, "/login", "/login", {"email": email_addr, "password": password}, follow_redirects=False, **kw
    )


def field_errors(html: str) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]+)<', html)


def form_alert(html: str) -> str:
    match = re.search(r'class="form-alert"[^>]*>([^<]+)<', html)
    return match.group(1).strip() if match else ""
