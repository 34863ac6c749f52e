"""Sends email through an SMTP server (optionally STARTTLS and login)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from lep.notifications.providers.base import Email, EmailError, EmailProvider


def sender_domain(sender: str) -> str:
    """The domain of an address, also when it comes with a display name ("Lep <a@b.org>")."""
    address = parseaddr(sender)[1] or sender
    _, at, domain = address.rpartition("@")
    return domain.strip("<> ") if at and domain.strip("<> ") else "localhost"


class SMTPProvider(EmailProvider):
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10,
    ) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SMTPProvider:
        return cls(
            host=config["SMTP_HOST"],
            port=int(config["SMTP_PORT"]),
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            starttls=bool(config.get("SMTP_STARTTLS", False)),
            timeout=float(config.get("SMTP_TIMEOUT", 10)),
        )

    def build(self, email: Email) -> EmailMessage:
        """The message as it goes on the wire. ValueError if a header cannot be encoded safely."""
        msg = EmailMessage()
        msg["From"] = email.sender
        msg["To"] = email.to
        msg["Subject"] = email.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = email.message_id or make_msgid(domain=sender_domain(email.sender))
        msg.set_content(email.body_text)
        return msg

    def send(self, email: Email) -> None:
        try:
            msg = self.build(email)
        except (ValueError, TypeError) as exc:  # e.g. a line break in a header
            raise EmailError(f"cannot build the message: {exc}", permanent=True) from exc
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    # The default context checks the server's certificate and name; smtplib's
                    # own default does not, which would hand the login to any interceptor.
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            # 5xx: the server will never take this address; 4xx: it may later.
            permanent = all(code >= 500 for code, _ in exc.recipients.values())
            raise EmailError(f"SMTP {self.host}:{self.port}: {exc}", permanent=permanent) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise EmailError(f"SMTP {self.host}:{self.port}: {exc}") from exc

    def check(self) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.noop()
        except (OSError, smtplib.SMTPException) as exc:
            raise EmailError(f"SMTP {self.host}:{self.port}: {exc}") from exc
