"""The email provider interface."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body_text: str
    sender: str
    message_id: str | None = None


class EmailError(Exception):
    """The provider could not hand the message on: it is marked failed; deliver again to retry."""


class EmailProvider(abc.ABC):
    name: str
    # False when "sending" only records the message here (the outbox): then many messages can be
    # marked sent in one transaction, as nothing outside can have happened twice.
    sends_outside: bool = True

    @classmethod
    @abc.abstractmethod
    def from_config(cls, config: Mapping[str, Any]) -> EmailProvider: ...

    @abc.abstractmethod
    def send(self, email: Email) -> None:
        """Hand one message on, or raise EmailError."""
