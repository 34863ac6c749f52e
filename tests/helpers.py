"""Small helpers the tests share: reading emails from the outbox and links from them."""

from __future__ import annotations

import html as htmllib
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


def error_at(page: str, field_id: str) -> str:
    """The error message shown at a field (NHS.UK error message), as plain text."""
    match = re.search(
        rf'<span class="nhsuk-error-message" id="{re.escape(field_id)}-error">(.*?)</span>\s*'
        r"(.*?)\s*</span>",
        page,
        re.S,
    )
    assert match, f"no error shown at {field_id}"
    return htmllib.unescape(match.group(2)).strip()


def summary_links(page: str) -> list[tuple[str, str]]:
    """(href, text) of each error summary item."""
    body = page.split('class="nhsuk-error-summary"', 1)
    assert len(body) == 2, "no error summary"
    items = re.findall(r'<a href="([^"]*)">(.*?)</a>', body[1].split("</ul>", 1)[0], re.S)
    return [(href, htmllib.unescape(text).strip()) for href, text in items]


def with_bank_details(user, changed_at=None):  # type: ignore[no-untyped-def]
    """Give a partner bank details for the bank-file provider, changed long enough ago (by
    default 1 January 2026) that nothing holds their payments back."""
    import datetime as dt

    from lep.partners import bank
    from lep.partners.models import BankDetails

    account = bank.check_account("309430", "00733445", user.full_name)
    db.session.add(
        BankDetails(
            user_id=user.id,
            ciphertext=bank.encrypt(account),
            masked=account.masked,
            changed_at=changed_at or dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    )
    db.session.commit()
    return user
