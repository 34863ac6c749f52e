"""The add-an-expense page reveals only the chosen kind's own fields (NHS.UK conditional radios):
the journey for mileage, the reason for a kind that needs one. Without JavaScript every field is
on the page, so the form still works."""

from __future__ import annotations

import re

import pytest

from tests.expenses.test_claimant_pages import new_claim, post
from tests.helpers import with_bank_details


@pytest.fixture
def partner(make_user, login):  # type: ignore[no-untyped-def]
    user = with_bank_details(make_user("partner", full_name="Sam Partner"))
    login(user)
    return user


def conditional(html: str, value: str) -> str:
    """The conditional block the radio with this value controls."""
    radio = re.search(rf'<input[^>]*value="{value}"[^>]*>', html)
    assert radio, value
    controls = re.search(r'aria-controls="([^"]+)"', radio.group(0))
    assert controls, f"{value} reveals nothing"
    start = html.index(f'id="{controls.group(1)}"')
    opening = html.rindex("<div", 0, start)
    rest = html[opening:]
    # Up to the next kind of expense, or the field after the kinds (the description).
    ends = [i for i in (rest.find('name="category"'), rest.find('id="description"')) if i > 0]
    return rest[: min(ends)]


def test_each_kind_reveals_only_its_own_fields(client, partner):
    claim = new_claim(client)
    html = client.get(f"/claims/{claim.id}/lines/new").get_data(as_text=True)
    mileage = conditional(html, "mileage")
    assert 'id="miles"' in mileage and 'id="passengers"' in mileage
    assert 'name="vehicle"' in mileage
    assert "nhsuk-radios__conditional--hidden" in mileage  # hidden until mileage is chosen
    taxi = conditional(html, "taxi")
    assert 'id="reason"' in taxi and 'id="miles"' not in taxi
    # Each field once: nothing is duplicated between kinds.
    assert html.count('id="miles"') == 1 and html.count('id="reason"') == 1
    # Kinds with no fields of their own reveal nothing.
    parking = re.search(r'<input[^>]*value="parking"[^>]*>', html)
    assert parking and "aria-controls" not in parking.group(0)


def test_a_mileage_mistake_shows_the_mileage_fields_open(client, partner):
    claim = new_claim(client)
    response = post(
        client,
        f"/claims/{claim.id}/lines/new",
        {
            "category": "mileage",
            "spent_on-day": "16",
            "spent_on-month": "11",
            "spent_on-year": "2026",
            "description": "Drove to the panel",
            "vehicle": "car_or_van",
            "miles": "lots",
        },
    )
    html = response.get_data(as_text=True)
    mileage = conditional(html, "mileage")
    assert "nhsuk-radios__conditional--hidden" not in mileage
    assert "nhsuk-error-message" in mileage
