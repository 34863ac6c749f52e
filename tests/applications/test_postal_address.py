"""'Contact me by post' asks for a UK postal address (GOV.UK's multiple-input pattern, postcode
checked for its shape), keeps it for letters, and HR see it where they contact the person."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lep.applications.address import address_problems, normal_postcode
from lep.applications.models import OtherWayRequest
from lep.extensions import db
from tests.applications.conftest import fresh, location, main_text, post, start
from tests.helpers import error_at, summary_links

ADDRESS = {
    "address_line_1": "Flat 2, 14 Church Street",
    "address_line_2": "Headingley",
    "address_town": "Leeds",
    "address_postcode": " ls6  3aa ",
}


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        (" ls6  3aa ", "LS6 3AA"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_postcodes_of_every_shape_are_kept_as_royal_mail_prints_them(typed, kept):
    assert normal_postcode(typed) == kept


@pytest.mark.parametrize(
    "typed",
    ["", "12345", "SW1A", "SW1A 1A", "1AA SW1", "SW1A 1AAA", "LS6 3A@", "\uff2c\uff336 3AA", "Q"],
)
def test_things_that_are_not_postcodes_are_refused(typed):
    assert normal_postcode(typed) is None


def test_the_missing_parts_are_named():
    assert address_problems({}) == {
        "address_line_1": "Enter address line 1, typically the building and street",
        "address_town": "Enter town or city",
        "address_postcode": "Enter postcode",
    }
    assert address_problems({**ADDRESS, "address_line_2": ""}) == {}


def test_choosing_post_on_the_support_page_asks_for_the_address(client, role, applicant):
    application = start(client, role)
    url = f"/applications/{application.id}/support"
    page = client.get(url).get_data(as_text=True)
    for label in ("Address line 1", "Address line 2 (optional)", "Town or city", "Postcode"):
        assert label in page
    assert 'autocomplete="postal-code"' in page and 'autocomplete="address-line1"' in page

    # Post without an address: an error at each missing field, everything typed kept.
    typed = {
        "contact_method": "post",
        "helped": "no",
        "contact_times": "Not on Tuesdays",
        "address_line_1": "Flat 2, 14 Church Street",
        "address_postcode": "LS6 3A",
    }
    response = post(client, url, typed)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, "address_town") == "Enter town or city"
    assert error_at(page, "address_postcode") == "Enter a real postcode, like SW1A 1AA"
    assert ("#address_postcode", "Enter a real postcode, like SW1A 1AA") in summary_links(page)
    assert "Flat 2, 14 Church Street" in page and "LS6 3A" in page and "Not on Tuesdays" in page
    assert not fresh(application).support_saved

    response = post(client, url, {"contact_method": "post", "helped": "no", **ADDRESS})
    assert response.status_code == 302
    saved = fresh(application)
    assert saved.contact_method == "post"
    assert saved.postal_address.lines == [
        "Flat 2, 14 Church Street",
        "Headingley",
        "Leeds",
        "LS6 3AA",
    ]
    # Shown again as saved when they come back to the page.
    page = client.get(url).get_data(as_text=True)
    assert 'value="LS6 3AA"' in page and 'value="Headingley"' in page

    # Choosing email instead keeps no address (nothing is kept that is not needed).
    post(client, url, {"contact_method": "email", "helped": "no", **ADDRESS})
    saved = fresh(application)
    assert saved.contact_method == "email" and saved.postal_address is None
    assert saved.address_postcode == ""


def test_hr_see_the_address_for_letters(client, role, applicant, make_user, login):
    application = start(client, role)
    for n in (1, 2):
        post(client, f"/applications/{application.id}/questions/{n}", {"answer": "My answer"})
    post(
        client,
        f"/applications/{application.id}/support",
        {"contact_method": "post", "helped": "no", **ADDRESS},
    )
    check = main_text(client.get(f"/applications/{application.id}/check").get_data(as_text=True))
    assert "Address for letters Flat 2, 14 Church Street Headingley Leeds LS6 3AA" in check
    post(client, f"/applications/{application.id}/check", {"declaration": "y"})
    assert fresh(application).status == "submitted"
    post(client, "/sign-out")
    login(make_user("hr"))
    page = main_text(client.get(f"/hr/roles/{role.id}/applications").get_data(as_text=True))
    assert "Contact by: Post" in page
    assert "Address for letters: Flat 2, 14 Church Street Headingley Leeds LS6 3AA" in page


def test_apply_another_way_by_post_asks_for_the_address(client, role, applicant):
    url = f"/roles/{role.id}/apply-another-way"
    response = post(client, url, {"method": "paper", "contact_method": "post"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, "address_line_1") == (
        "Enter address line 1, typically the building and street"
    )
    assert error_at(page, "address_town") == "Enter town or city"
    assert error_at(page, "address_postcode") == "Enter postcode"
    assert db.session.scalar(select(OtherWayRequest)) is None

    response = post(
        client,
        url,
        {"method": "paper", "contact_method": "post", "details": "Large print", **ADDRESS},
    )
    assert location(response) == f"/roles/{role.id}/apply-another-way/requested"
    request_ = db.session.scalar(select(OtherWayRequest))
    assert request_.postal_address.lines == [
        "Flat 2, 14 Church Street",
        "Headingley",
        "Leeds",
        "LS6 3AA",
    ]
    text = main_text(client.get(location(response)).get_data(as_text=True))
    assert "contact you by post" in text
    assert "Flat 2, 14 Church Street" in text and "LS6 3AA" in text

    # Another way of contact keeps no address.
    post(client, url, {"method": "phone", "contact_method": "phone", "phone": "0113 496 0000"})
    latest = db.session.scalars(select(OtherWayRequest).order_by(OtherWayRequest.id)).all()[-1]
    assert latest.contact_method == "phone" and latest.postal_address is None


def test_the_persons_data_download_includes_the_address(client, role, applicant):
    application = start(client, role)
    post(
        client,
        f"/applications/{application.id}/support",
        {"contact_method": "post", "helped": "no", **ADDRESS},
    )
    post(
        client,
        f"/roles/{role.id}/apply-another-way",
        {"method": "paper", "contact_method": "post", **ADDRESS},
    )
    data = client.get("/account/my-data.json").get_json()
    lines = ["Flat 2, 14 Church Street", "Headingley", "Leeds", "LS6 3AA"]
    assert data["applications"][0]["contact"]["address"] == lines
    assert data["requests_to_apply_another_way"][0]["address"] == lines
