"""Outgoing e-mail: SMTP when `REELFORGE_SMTP_URL` is set, else `.eml` files in `data/outbox/`.

URL forms:
  smtp://user:pass@host:587        STARTTLS (required: refuses to send if the server lacks it)
  smtps://user:pass@host:465       implicit TLS
  smtp+insecure://host:25          no TLS at all (only for a trusted relay on the same host)
User and password are URL-decoded. `REELFORGE_SMTP_CA_FILE` adds a CA to trust (self-signed
relays). With no URL (the default), every message is written as an `.eml` file (0600)
under `<data dir>/outbox/` and its link is logged, so a fresh install works offline.

Mail is sent after the request's commit (`reelforge.db.outbox.after_commit`); a sending failure is logged
and never undoes the committed work (the user can ask for the mail again).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from reelforge import i18n
from reelforge.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    mode: str  # "starttls" | "tls" | "plain"
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    schemes = {"smtp": ("starttls", 587), "smtps": ("tls", 465), "smtp+insecure": ("plain", 25)}
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError("REELFORGE_SMTP_URL must look like smtp://user:pass@host:587, smtps://... or smtp+insecure://")
    mode, default_port = schemes[parts.scheme]
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or default_port,
        mode=mode,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _tls_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.smtp_ca_file:
        context.load_verify_locations(cafile=settings.smtp_ca_file)
    return context


def send_smtp(settings: Settings, message: EmailMessage) -> None:
    target = parse_smtp_url(settings.smtp_url)
    timeout = settings.smtp_timeout_seconds
    client: smtplib.SMTP
    if target.mode == "tls":
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=_tls_context(settings))
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
    with client:
        client.ehlo()
        if target.mode == "starttls":
            if not client.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("the SMTP server does not offer STARTTLS; refusing to send")
            client.starttls(context=_tls_context(settings))
            client.ehlo()
        if target.username:
            client.login(target.username, target.password or "")
        client.send_message(message)


def write_outbox(settings: Settings, message: EmailMessage) -> Path:
    folder = settings.ensure_data_dir() / "outbox"
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    to = parseaddr(str(message["To"]))[1].replace("@", "_at_")
    safe_to = "".join(ch for ch in to if ch.isalnum() or ch in "._-")[:80]
    path = folder / f"{stamp}-{safe_to}.eml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(bytes(message))
    return path


def deliver(settings: Settings, message: EmailMessage, *, link: str = "") -> None:
    """Send now (SMTP) or write to the outbox. Never raises: failures are logged."""
    try:
        if settings.smtp_url:
            send_smtp(settings, message)
            log.info("mail sent to %s: %s", message["To"], message["Subject"])
        else:
            path = write_outbox(settings, message)
            log.info("mail for %s written to %s; link: %s", message["To"], path, link or "-")
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        log.error("could not send mail to %s (%s): %s; link: %s", message["To"], message["Subject"], exc, link or "-")


# ------------------------------------------------------------------ messages
def _message(settings: Settings, to: str, subject: str, text: str, html: str) -> EmailMessage:
    msg = EmailMessage()
    name, addr = parseaddr(settings.mail_from)
    msg["From"] = formataddr((name, addr)) if addr else settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg["Message-ID"] = make_msgid(domain=(addr.split("@")[-1] if "@" in addr else "reelforge.local"))
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def _html(title: str, body: str, link: str, button: str, footer: str) -> str:
    from markupsafe import escape

    return (
        "<!doctype html><html><body style=\"margin:0;background:#f6f7fb;font-family:'Noto Sans KR',"
        'Apple SD Gothic Neo,Malgun Gothic,sans-serif;color:#171a2b">'
        '<div style="max-width:520px;margin:32px auto;background:#fff;border:1px solid #e3e6ef;'
        'border-radius:14px;padding:32px">'
        f'<div style="font-weight:800;font-size:20px;color:#7c3aed;margin-bottom:16px">reelforge</div>'
        f'<h1 style="font-size:20px;margin:0 0 12px">{escape(title)}</h1>'
        f'<p style="line-height:1.6;color:#4b5168">{escape(body)}</p>'
        f'<p style="margin:24px 0"><a href="{escape(link)}" style="background:#7c3aed;color:#fff;'
        f'padding:12px 20px;border-radius:8px;text-decoration:none;font-weight:700">{escape(button)}</a></p>'
        f'<p style="font-size:12px;color:#7a8099;word-break:break-all">{escape(link)}</p>'
        f'<p style="font-size:12px;color:#7a8099">{escape(footer)}</p>'
        "</div></body></html>"
    )


def verification_message(settings: Settings, to: str, token: str, lang: str) -> tuple[EmailMessage, str]:
    link = f"{settings.public_base_url}/verify?token={token}"

    def _(m: str, **kw: object) -> str:
        return i18n.gettext(lang, m, **kw)

    subject = _("Verify your e-mail address for reelforge")
    body = _(
        "Welcome to reelforge! Open this link to verify your e-mail address. It works once and expires in 48 hours."
    )
    footer = _("If you did not sign up, ignore this e-mail.")
    text = f"{body}\n\n{link}\n\n{footer}\n"
    return _message(settings, to, subject, text, _html(subject, body, link, _("Verify e-mail"), footer)), link


def lockout_message(settings: Settings, to: str, minutes: int, lang: str) -> tuple[EmailMessage, str]:
    """To the owner of an account that too many failed logins (from any address) just locked."""
    link = f"{settings.public_base_url}/forgot"

    def _(m: str, **kw: object) -> str:
        return i18n.gettext(lang, m, **kw)

    subject = _("Your reelforge account was locked after failed logins")
    body = _(
        "Someone tried many wrong passwords for this account, so logging in is blocked for %(minutes)s minutes. "
        "If it was you, wait and try again. If not, your password held; to be safe, choose a new one.",
        minutes=minutes,
    )
    footer = _("Nobody logged in: a lockout only stops attempts.")
    text = f"{body}\n\n{link}\n\n{footer}\n"
    return _message(settings, to, subject, text, _html(subject, body, link, _("Choose a new password"), footer)), link


def existing_account_message(settings: Settings, to: str, lang: str) -> tuple[EmailMessage, str]:
    """Someone signed up with an address that has an account: the answer on screen is the same
    as for a new address (no account probing); the owner learns of it here."""
    link = f"{settings.public_base_url}/login"

    def _(m: str, **kw: object) -> str:
        return i18n.gettext(lang, m, **kw)

    subject = _("Someone tried to sign up to reelforge with your e-mail address")
    body = _(
        "An account with this e-mail address already exists, so no new one was made. "
        "If it was you, log in, or reset your password if you forgot it."
    )
    footer = _("If it was not you, ignore this e-mail; your account is unchanged.")
    text = f"{body}\n\n{link}\n\n{footer}\n"
    return _message(settings, to, subject, text, _html(subject, body, link, _("Log in"), footer)), link


def reset_message(settings: Settings, to: str, token: str, lang: str) -> tuple[EmailMessage, str]:
    link = f"{settings.public_base_url}/reset?token={token}"

    def _(m: str, **kw: object) -> str:
        return i18n.gettext(lang, m, **kw)

    subject = _("Reset your reelforge password")
    body = _(
        "Someone asked to reset the password of this account. Open this link to choose a new one. "
        "It works once and expires in one hour."
    )
    footer = _("If it was not you, ignore this e-mail; your password stays the same.")
    text = f"{body}\n\n{link}\n\n{footer}\n"
    return _message(settings, to, subject, text, _html(subject, body, link, _("Choose a new password"), footer)), link
