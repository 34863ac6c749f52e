"""Roles for the public pages and API tests: pay tables, the PPV rate card, roles of each type.

Plain functions (not fixtures) so the browser tests can call them inside the live server's app.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import select

from lep.db import utcnow
from lep.extensions import db
from lep.roles import paytables
from lep.roles.models import Criterion, PayPoint, RateCard, Role
from lep.roles.services import (
    RoleInput,
    add_criterion,
    add_question,
    create_role,
    publish_role,
)

PPV = "NHS England PPV"
PAY_YEAR_START = dt.date(2025, 4, 1)
_numbers = itertools.count(1)


def load_pay_tables() -> None:
    """The 2025/26 Agenda for Change table (idempotent)."""
    if db.session.scalar(select(PayPoint.id).limit(1)) is None:
        paytables.import_pay_table(paytables.REFERENCE_TABLE.read_text(), source="test")


def ppv_card(name: str = PPV) -> RateCard:
    """NHS England PPV: £150 a day, £75 a half day (of up to 4 hours)."""
    card = db.session.scalar(select(RateCard).where(RateCard.name == name))
    if card is None:
        card = paytables.create_rate_card(name, "Patient and public voice partners")
        paytables.add_rates(card, PAY_YEAR_START, day_pence=15000, half_day_pence=7500)
    return card


def pay_setup() -> RateCard:
    load_pay_tables()
    return ppv_card()


DEFAULTS: dict[str, dict[str, Any]] = {
    "employed": {"band": "7", "minutes_per_week": 15 * 60},
    "sessional": {"sessions_per_month": 2},
    "expenses_only": {"sessions_per_month": 1},
}


def make_role(
    engagement_type: str = "employed",
    *,
    status: str = "open",
    closes_in: dt.timedelta = dt.timedelta(days=30),
    criteria: bool = False,
    **fields: Any,
) -> Role:
    """A role written straight to the database (no audit): fast, for lists of many roles."""
    n = next(_numbers)
    values: dict[str, Any] = {
        "title": f"Role {n}",
        "team": "Patient experience team",
        "summary": f"Summary of role {n}.",
        "description": "",
        "engagement_type": engagement_type,
        "location": "Leeds",
        "work_pattern": "hybrid",
        "posts": 1,
        "closes_at": utcnow() + closes_in,
        "status": status,
        "contact_name": "Priya Shah",
        "contact_email": "priya.shah@example.org",
        "contact_phone": "0113 496 0000",
        "published_at": None if status == "draft" else utcnow(),
        **DEFAULTS[engagement_type],
    }
    if engagement_type == "sessional" and "rate_card_id" not in fields:
        values["rate_card_id"] = ppv_card().id
    values.update(fields)
    role = Role(**values)
    if criteria:
        role.criteria = [
            Criterion(text="Lived experience of mental health services", essential=True),
            Criterion(text="Experience of sitting on a panel", essential=False, stage="interview"),
        ]
    db.session.add(role)
    db.session.commit()
    return role


def published_role(engagement_type: str, **fields: Any) -> Role:
    """A role made the way HR makes one: create, criteria, a question, publish (all audited)."""
    pay_setup()
    data = RoleInput(
        title=fields.pop("title", "Lived Experience Partner"),
        engagement_type=engagement_type,
        team=fields.pop("team", "Mental health services"),
        summary=fields.pop(
            "summary", "Help us make our services better for the people who use them."
        ),
        description=fields.pop("description", "You will work with our teams.\n\nYou will be paid."),
        location=fields.pop("location", "Quarry House, Leeds"),
        work_pattern=fields.pop("work_pattern", "hybrid"),
        closes_at=fields.pop("closes_at", utcnow() + dt.timedelta(days=21)),
        contact_name=fields.pop("contact_name", "Priya Shah"),
        contact_email=fields.pop("contact_email", "priya.shah@example.org"),
        contact_phone=fields.pop("contact_phone", "0113 496 0000"),
        **({"rate_card_id": ppv_card().id} if engagement_type == "sessional" else {}),
        **{**DEFAULTS[engagement_type], **fields},
    )
    role = create_role(data, by=None)
    essential = add_criterion(
        role, "Lived experience of using NHS services", True, "application", by=None
    )
    add_criterion(role, "You can work well in a team", True, "interview", by=None)
    add_criterion(role, "Experience of sitting on a panel", False, "application", by=None)
    add_question(role, "Tell us about your experience", "", 300, [essential.id], by=None)
    return publish_role(role, by=None)


class _Text(HTMLParser):
    """The words on a page: no tags, scripts or title; whitespace collapsed. Visually hidden text
    is kept, as a screen reader reads it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "title"}:
            self._skip += 1
        if tag in {"p", "li", "br", "dt", "dd", "h1", "h2", "h3", "td", "th", "div"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "title"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()


def main_text(html: str) -> str:
    """Only the <main> part of the page."""
    start, end = html.index("<main"), html.index("</main>")
    return page_text(html[start:end])


def listed_role_ids(html: str) -> list[int]:
    """The roles linked from the results list, in order."""
    start = html.find('id="roles"')
    if start < 0:
        return []
    block = html[start : html.index("</ul>", start)]
    return [int(n) for n in re.findall(r'href="/roles/(\d+)"', block)]
