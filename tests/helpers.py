"""Small helpers the tests share: reading emails from the outbox and links from them."""

from __future__ import annotations

import re

from sqlalchemy import select

from lep.extensions import db
from lep.notifications.models import OutboxMessage


def emails_to(address: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id)
        )
    )


def link_in(message: OutboxMessage, path: str) -> str:
    """The path (without host) of the first link in the email that contains `path`."""
    match = re.search(r"http://localhost(\S*" + re.escape(path) + r"\S*)", message.body_text)
    assert match, f"no {path} link in: {message.body_text}"
    return match.group(1)
