"""Email providers, chosen by MAIL_PROVIDER: "outbox" (the default) or "smtp"."""

from __future__ import annotations

from flask import Flask

from lep.notifications.providers.base import Email, EmailError, EmailProvider
from lep.notifications.providers.outbox import OutboxProvider
from lep.notifications.providers.smtp import SMTPProvider

PROVIDERS: dict[str, type[EmailProvider]] = {"outbox": OutboxProvider, "smtp": SMTPProvider}


def provider_for(app: Flask) -> EmailProvider:
    name = app.config["MAIL_PROVIDER"]
    if name not in PROVIDERS:
        raise RuntimeError(f"unknown MAIL_PROVIDER {name!r}: use one of {sorted(PROVIDERS)}")
    return PROVIDERS[name].from_config(app.config)


__all__ = ["PROVIDERS", "Email", "EmailError", "EmailProvider", "provider_for"]
