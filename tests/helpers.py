"""Small helpers the tests share: reading emails from the outbox and links from them."""

from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser

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


# Markup that reached a page as text (an `html` value escaped on its way into an NHS.UK
# component): `<a `, `<p>`, any closing tag, `<br>`.
ESCAPED_MARKUP = re.compile(r"&lt;(?:a\s|p&gt;|/|br)", re.I)


def escaped_markup(page: str) -> list[str]:
    """Each place the page shows markup as text, with a little of what is around it."""
    return [
        page[max(m.start() - 60, 0) : m.end() + 60].replace("\n", " ")
        for m in ESCAPED_MARKUP.finditer(page)
    ]


class _Elements(HTMLParser):
    def __init__(self, tag: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tag = tag
        self.found: list[tuple[dict[str, str | None], str]] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == self.tag:
            self.found.append((dict(attrs), ""))
            self.depth += 1
        elif tag == "br":
            self.handle_data(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == self.tag and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            attrs, text = self.found[-1]
            self.found[-1] = (attrs, text + data)


def elements(page: str, tag: str) -> list[tuple[dict[str, str | None], str]]:
    """(attributes, text) of each real `tag` element on the page, as a browser parses it."""
    parser = _Elements(tag)
    parser.feed(page)
    return [(attrs, " ".join(text.split())) for attrs, text in parser.found]


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
