"""Sends email through an SMTP server (optionally STARTTLS and login)."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from lep.notifications.providers.base import Email, EmailError, EmailProvider


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
            port=config["SMTP_PORT"],
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            starttls=config.get("SMTP_STARTTLS", False),
            timeout=config.get("SMTP_TIMEOUT", 10),
        )

    def send(self, email: Email) -> None:
        msg = EmailMessage()
        msg["From"] = email.sender
        msg["To"] = email.to
        msg["Subject"] = email.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = email.message_id or make_msgid(domain=email.sender.split("@")[-1])
        msg.set_content(email.body_text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise EmailError(f"SMTP {self.host}:{self.port}: {exc}") from exc
