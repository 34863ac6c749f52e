"""The default provider: the message is already in the outbox table; it is logged, not sent."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from lep.notifications.providers.base import Email, EmailProvider

log = logging.getLogger("lep.outbox")


class OutboxProvider(EmailProvider):
    name = "outbox"
    sends_outside = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OutboxProvider:
        return cls()

    def send(self, email: Email) -> None:
        log.info("email to %s: %s\n%s", email.to, email.subject, email.body_text)
