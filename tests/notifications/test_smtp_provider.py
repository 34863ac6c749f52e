"""SMTPProvider against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from lep.notifications.providers import Email, EmailError
from lep.notifications.providers.smtp import SMTPProvider, sender_domain
from tests.notifications.conftest import SMTPServer, server_tls_context, start_server


def provider(server: SMTPServer, **kwargs: Any) -> SMTPProvider:
    return SMTPProvider(server.host, server.port, timeout=5, **kwargs)


def test_send_delivers_from_to_subject_body_and_message_id(smtp_server: SMTPServer) -> None:
    provider(smtp_server).send(
        Email(
            to="person@example.org",
            subject="Your application",
            body_text="Hello,\n\nThank you for applying.\n",
            sender="lep@example.org",
            message_id="<lep-42@example.org>",
        )
    )

    [received] = smtp_server.messages
    assert received.mail_from == "lep@example.org"
    assert received.rcpt_tos == ["person@example.org"]
    msg = received.message
    assert msg["From"] == "lep@example.org"
    assert msg["To"] == "person@example.org"
    assert msg["Subject"] == "Your application"
    assert msg["Message-ID"] == "<lep-42@example.org>"
    assert msg["Date"]
    assert msg.get_content_type() == "text/plain"
    assert received.body == "Hello,\n\nThank you for applying.\n"


def test_send_makes_a_message_id_in_the_senders_domain(smtp_server: SMTPServer) -> None:
    provider(smtp_server).send(
        Email(
            to="person@example.org",
            subject="Hi",
            body_text="x",
            sender="Lived experience <lep@trust.example.nhs.uk>",
        )
    )

    [received] = smtp_server.messages
    assert received.mail_from == "lep@trust.example.nhs.uk"
    assert received.message["From"] == "Lived experience <lep@trust.example.nhs.uk>"
    message_id = received.message["Message-ID"]
    assert message_id.startswith("<") and message_id.endswith("@trust.example.nhs.uk>")


def test_non_ascii_subject_and_body_arrive_intact(smtp_server: SMTPServer) -> None:
    provider(smtp_server).send(
        Email(
            to="person@example.org",
            subject="Café résumé: £20 voucher",
            body_text="Zoë, your £20 voucher is ready. 👍\n",
            sender="lep@example.org",
        )
    )

    [received] = smtp_server.messages
    assert received.message["Subject"] == "Café résumé: £20 voucher"
    assert received.body == "Zoë, your £20 voucher is ready. 👍\n"


def test_unreachable_server_raises_email_error(closed_port: int) -> None:
    smtp = SMTPProvider("127.0.0.1", closed_port, timeout=2)
    with pytest.raises(EmailError, match=f"SMTP 127.0.0.1:{closed_port}"):
        smtp.send(Email(to="a@example.org", subject="s", body_text="b", sender="lep@example.org"))


def test_a_line_break_in_a_header_is_an_email_error_and_nothing_is_sent(
    smtp_server: SMTPServer,
) -> None:
    with pytest.raises(EmailError, match="cannot build"):
        provider(smtp_server).send(
            Email(
                to="a@example.org",
                subject="Hello\nBcc: victim@example.org",
                body_text="b",
                sender="lep@example.org",
            )
        )
    assert smtp_server.messages == []


def test_from_config_reads_the_smtp_settings() -> None:
    smtp = SMTPProvider.from_config(
        {
            "SMTP_HOST": "mail.example.org",
            "SMTP_PORT": "587",
            "SMTP_USERNAME": "user",
            "SMTP_PASSWORD": "pw",
            "SMTP_STARTTLS": True,
            "SMTP_TIMEOUT": "3",
        }
    )
    assert (smtp.host, smtp.port, smtp.username, smtp.password) == (
        "mail.example.org",
        587,
        "user",
        "pw",
    )
    assert smtp.starttls is True and smtp.timeout == 3.0


@pytest.mark.parametrize(
    ("sender", "domain"),
    [
        ("lep@example.org", "example.org"),
        ("Lep <lep@example.org>", "example.org"),
        ("no-domain", "localhost"),
    ],
)
def test_sender_domain(sender: str, domain: str) -> None:
    assert sender_domain(sender) == domain


# STARTTLS and login, against a server with a self-signed certificate for localhost.


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder: Path = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = "openssl req -x509 -nodes -days 1 -subj /CN=localhost -newkey ec"
    command += " -pkeyopt ec_paramgen_curve:prime256v1"
    command += " -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
    subprocess.run(
        [*command.split(), "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


LOGINS: list[tuple[str, str]] = []


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    if isinstance(data, LoginPassword):
        LOGINS.append((data.login.decode(), data.password.decode()))
        ok = (data.login, data.password) == (b"lep", b"s3cret")
        return AuthResult(success=ok, handled=False)
    return AuthResult(success=False, handled=False)


@pytest.fixture
def tls_server(certificate: tuple[str, str]) -> Iterator[SMTPServer]:
    LOGINS.clear()
    controller, server = start_server(
        tls_context=server_tls_context(*certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    try:
        yield server
    finally:
        controller.stop()


def test_starttls_refuses_a_certificate_it_cannot_verify(tls_server: SMTPServer) -> None:
    smtp = provider(tls_server, starttls=True, username="lep", password="s3cret")
    with pytest.raises(EmailError, match="CERTIFICATE_VERIFY_FAILED"):
        smtp.send(Email(to="a@example.org", subject="s", body_text="b", sender="lep@example.org"))
    assert tls_server.messages == []
    assert LOGINS == []  # the password never went to an unverified server


def test_starttls_and_login_deliver_when_the_certificate_is_trusted(
    tls_server: SMTPServer, certificate: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])  # trust the test certificate
    smtp = provider(tls_server, starttls=True, username="lep", password="s3cret")
    smtp.send(Email(to="a@example.org", subject="s", body_text="b", sender="lep@example.org"))
    [received] = tls_server.messages
    assert received.message["Subject"] == "s"
    assert LOGINS == [("lep", "s3cret")]


def test_a_wrong_password_is_an_email_error(
    tls_server: SMTPServer, certificate: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    smtp = provider(tls_server, starttls=True, username="lep", password="wrong")
    with pytest.raises(EmailError, match="535"):
        smtp.send(Email(to="a@example.org", subject="s", body_text="b", sender="lep@example.org"))
    assert tls_server.messages == []
