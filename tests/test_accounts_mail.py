"""Mail delivery: a real SMTP server on loopback (aiosmtpd) with STARTTLS and AUTH, and the outbox."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from reelforge.accounts import mail
from reelforge.web.app import create_app
from tests.accounts_helpers import PASSWORD, link_in, outbox, parse_mail, path_of
from tests.conftest import free_port


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.crt", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer" and auth_data.password == b"p@ss"
        if ok:
            inbox.logins.append(mechanism)
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    yield inbox, port, cert
    controller.stop()


def test_verification_mail_over_smtp_starttls(smtp_server, settings, db) -> None:  # type: ignore[no-untyped-def]
    inbox, port, cert = smtp_server
    smtp_settings = settings.model_copy(
        update={"smtp_url": f"smtp://mailer:p%40ss@127.0.0.1:{port}", "smtp_ca_file": str(cert)}
    )
    app = create_app(smtp_settings, db)
    with TestClient(app) as client:
        body = {
            "email": "smtp@example.com",
            "password": PASSWORD,
            "name": "메일 테스트",
            "phone": "010-1111-2222",
            "address": "Seoul",
            "locale": "ko",
        }
        assert client.post("/api/v1/auth/signup", json=body).status_code == 202
        assert len(inbox.messages) == 1
        mail_from, rcpt, raw = inbox.messages[0]
        assert rcpt == ["smtp@example.com"] and mail_from == "no-reply@reelforge.local"
        assert inbox.logins  # authenticated (only possible after STARTTLS: aiosmtpd refuses AUTH in clear)
        msg = parse_mail(raw)
        assert msg["Subject"] == "reelforge 이메일 주소를 인증하세요" and msg["To"] == "smtp@example.com"
        link = link_in(msg)
        assert link.startswith(smtp_settings.public_base_url + "/verify?token=")
        r = client.get(path_of(link))
        assert r.status_code == 200 and "이메일 인증 완료" in r.text
    assert outbox(smtp_settings) == []  # SMTP configured: nothing written to the outbox


def test_smtp_refuses_a_server_without_starttls(settings, caplog) -> None:  # type: ignore[no-untyped-def]
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)  # plain, no TLS offered
    controller.start()
    try:
        msg, link = mail.verification_message(settings, "x@example.com", "tok", "en")
        plain = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
        mail.deliver(plain, msg, link=link)  # logged, not raised
        assert inbox.messages == [] and "STARTTLS" in caplog.text and link in caplog.text
        trusted_relay = settings.model_copy(update={"smtp_url": f"smtp+insecure://127.0.0.1:{port}"})
        mail.deliver(trusted_relay, msg, link=link)
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_outbox_files_and_url_parsing(settings, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    caplog.set_level(logging.INFO, logger="reelforge.accounts.mail")
    msg, link = mail.reset_message(settings, "o@example.com", "tok123", "en")
    mail.deliver(settings, msg, link=link)
    files = outbox(settings)
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"
    assert link in caplog.text and "/reset?token=tok123" in link
    assert mail.parse_smtp_url("smtps://a%40b:c@mail.example:2465") == mail.SmtpTarget(
        "mail.example", 2465, "tls", "a@b", "c"
    )
    assert mail.parse_smtp_url("smtp://mail.example").port == 587
    with pytest.raises(ValueError):
        mail.parse_smtp_url("http://mail.example")
