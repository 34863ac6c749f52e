"""A real SMTP server (aiosmtpd) on 127.0.0.1, and an app pointed at it."""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask


def free_port() -> int:
    """A port nothing listens on (the OS picks it; it stays closed until someone binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        """The decoded text, with the wire's CRLF line ends read back as newlines."""
        return str(self.message.get_content()).replace("\r\n", "\n")


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every message it is given."""

    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SMTPServer:
    host: str
    port: int
    handler: Collector

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages


def start_server(**kwargs: Any) -> tuple[Controller, SMTPServer]:
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, SMTPServer("127.0.0.1", port, handler)


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[SMTPServer]:
    controller, server = start_server()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(_smtp_server: SMTPServer) -> SMTPServer:
    """The running test SMTP server, with nothing received yet."""
    _smtp_server.messages.clear()
    return _smtp_server


@pytest.fixture
def smtp_app(app: Flask, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app sending through the test SMTP server (restored after the test)."""
    monkeypatch.setitem(app.config, "MAIL_PROVIDER", "smtp")
    monkeypatch.setitem(app.config, "SMTP_HOST", smtp_server.host)
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server.port)
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)
    monkeypatch.setitem(app.config, "SMTP_USERNAME", None)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5.0)
    return app


@pytest.fixture
def closed_port() -> int:
    return free_port()


def server_tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture(autouse=True)
def lep_loggers_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Alembic's fileConfig (run by the app fixture's upgrade()) disables every logger that
    existed then, lep's included; these tests read lep's logs, so switch them back on."""
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if (name == "lep" or name.startswith("lep.")) and isinstance(logger, logging.Logger):
            monkeypatch.setattr(logger, "disabled", False)
