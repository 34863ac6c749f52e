"""The public role pages in a real browser: axe-core (WCAG 2.0-2.2 A/AA) finds nothing on the list
(with roles, and filtered to nothing) or on a role page of each engagement type, open or closed.

The roles are written into the live server's own database, through its app, and removed after.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from lep.db import utcnow
from lep.extensions import db
from lep.roles import listing
from lep.roles.models import Role
from tests.browser.helpers import SUFFIX, BrowserLog, check_page
from tests.roles.public_data import load_pay_tables, make_role, ppv_card

pytestmark = pytest.mark.browser

BROWSER_CARD = "Browser test PPV"
KINDS = ("employed", "sessional", "expenses_only")


@pytest.fixture(scope="module")
def live_roles(live_app: Flask) -> Iterator[dict[str, int]]:
    """An open role of each engagement type with criteria, and a closed one, in the live DB."""
    made: dict[str, int] = {}
    with live_app.app_context():
        load_pay_tables()
        card = ppv_card(BROWSER_CARD)
        common = {
            "team": "Mental health services",
            "description": "You will work with our teams.\n\nYou will be paid for your time.",
            "criteria": True,
        }
        made["employed"] = make_role(
            "employed",
            title="Browser Lived Experience Partner",
            band="7",
            minutes_per_week=900,
            work_pattern="hybrid",
            location="Quarry House, Leeds",
            closes_in=dt.timedelta(days=10),
            **common,
        ).id
        made["sessional"] = make_role(
            "sessional",
            title="Browser patient panel member",
            rate_card_id=card.id,
            work_pattern="remote",
            location="",
            closes_in=dt.timedelta(days=11),
            selection_method="lottery",
            **common,
        ).id
        made["expenses_only"] = make_role(
            "expenses_only",
            title="Browser community listener",
            work_pattern="hybrid",
            closes_in=dt.timedelta(days=12),
            **common,
        ).id
        made["closed"] = make_role(
            "sessional",
            title="Browser closed role",
            rate_card_id=card.id,
            status="closed",
            **common,
        ).id
        db.session.remove()
    yield made
    with live_app.app_context():
        db.session.execute(delete(Role).where(Role.id.in_(made.values())))
        db.session.commit()
        db.session.remove()


def empty_filter(live_app: Flask) -> tuple[str, str]:
    """A type and place that no open role in the live database has (whoever else made roles)."""
    with live_app.app_context():
        taken = set(
            db.session.execute(
                select(Role.engagement_type, Role.work_pattern).where(
                    Role.status == "open", Role.closes_at > utcnow()
                )
            ).all()
        )
        db.session.remove()
    for pair in itertools.product(listing.TYPE_FILTERS, listing.WHERE_FILTERS):
        if pair not in taken:
            return pair
    pytest.skip("every filter combination has an open role in the live database")


def test_roles_list_is_accessible(
    page: Page, axe: Axe, log: BrowserLog, live_roles: dict[str, int]
) -> None:
    response = page.goto("/roles")
    assert response is not None and response.status == 200
    expect(page).to_have_title("Find a role" + SUFFIX)
    expect(page.locator("h1")).to_have_text("Find a role")
    for kind in KINDS:
        expect(page.locator(f'#roles a[href="/roles/{live_roles[kind]}"]')).to_have_count(1)
    expect(page.locator(f'a[href="/roles/{live_roles["closed"]}"]')).to_have_count(0)
    check_page(page, axe, log)


def test_filtering_by_ticking_boxes(
    page: Page, axe: Axe, log: BrowserLog, live_roles: dict[str, int]
) -> None:
    page.goto("/roles")
    page.get_by_label("Sessional (a fee for each session)").check()
    page.get_by_label("Remote").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"/roles\?type=sessional&where=remote$"))
    expect(page.get_by_label("Sessional (a fee for each session)")).to_be_checked()
    expect(page.locator(f'#roles a[href="/roles/{live_roles["sessional"]}"]')).to_have_count(1)
    expect(page.locator(f'#roles a[href="/roles/{live_roles["employed"]}"]')).to_have_count(0)
    check_page(page, axe, log)


def test_a_filter_with_no_results_is_accessible(
    page: Page, axe: Axe, log: BrowserLog, live_app: Flask, live_roles: dict[str, int]
) -> None:
    kind, where = empty_filter(live_app)
    response = page.goto(f"/roles?type={kind}&where={where}")
    assert response is not None and response.status == 200
    expect(page.locator("main h2", has_text="No roles match your filters")).to_be_visible()
    expect(page.locator("#roles")).to_have_count(0)
    check_page(page, axe, log)


@pytest.mark.parametrize("kind", [*KINDS, "closed"])
def test_role_page_is_accessible(
    page: Page, axe: Axe, log: BrowserLog, live_roles: dict[str, int], kind: str
) -> None:
    response = page.goto(f"/roles/{live_roles[kind]}")
    assert response is not None and response.status == 200
    heading = page.locator("h1")
    expect(heading).to_contain_text("Browser")
    expect(page).to_have_title(heading.inner_text() + SUFFIX)
    expect(page.locator("#role-facts")).to_contain_text("Pay")
    expect(page.locator("#essential")).to_be_visible()
    expect(page.locator("#support")).to_have_text("What support we offer")
    if kind == "closed":
        expect(page.get_by_text("This role has closed")).to_be_visible()
        expect(page.locator("#apply")).to_have_count(0)
    else:
        expect(page.locator("#apply")).to_contain_text("Start your application")
    check_page(page, axe, log)


def test_from_the_home_page_to_a_role_and_back(
    page: Page, axe: Axe, log: BrowserLog, live_roles: dict[str, int]
) -> None:
    page.goto("/")
    page.locator("main .nhsuk-action-link", has_text="Find a role").click()
    expect(page).to_have_url(re.compile(r"/roles$"))
    page.get_by_role("link", name="Browser Lived Experience Partner").click()
    expect(page).to_have_url(re.compile(rf"/roles/{live_roles['employed']}$"))
    expect(page.locator("#role-facts")).to_contain_text("Band 7: £47,810 to £54,710 a year")
    page.locator(".nhsuk-back-link", has_text="Find a role").click()
    expect(page).to_have_url(re.compile(r"/roles$"))
    check_page(page, axe, log)
