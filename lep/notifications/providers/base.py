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
    """The provider could not hand the message on. It is tried again later with backoff, unless
    `permanent` (it can never be sent as it is: a bad header, a refused address)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


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

    def check(self) -> None:
        """Raise EmailError if a message sent now could not be handed on (server unreachable)."""
        return None  # the outbox can always take a message
