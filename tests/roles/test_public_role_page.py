"""/roles/<id>: everything a person needs to decide whether to apply, and how to get help."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from lep.extensions import db
from lep.roles import listing
from lep.roles.services import close_role, mark_filled
from tests.roles.public_data import (
    main_text,
    make_role,
    page_text,
    pay_setup,
    published_role,
)

BAND_7_15_HOURS = (
    "Band 7: £47,810 to £54,710 a year (2025/26 pay). This role is 15 hours a week, "
    "so you would be paid £19,124 to £21,884 a year."
)
PPV_STATEMENT = "£150 for a day, £75 for half a day, plus your expenses."


@pytest.fixture(autouse=True)
def pay_tables() -> None:
    pay_setup()


def get_page(client, role_id: int, status: int = 200) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/roles/{role_id}")
    assert response.status_code == status
    return response.get_data(as_text=True)


def table_text(html: str, table_id: str) -> str:
    start = html.index(f'id="{table_id}"')
    return page_text(html[start : html.index("</table>", start)].split(">", 1)[1])


def test_an_employed_role_page(client):
    role = published_role(
        "employed",
        title="Lived Experience Partner",
        team="Mental health services",
        summary="Bring your experience to how we plan services.",
        band="7",
        minutes_per_week=15 * 60,
        location="Quarry House, Leeds",
        work_pattern="hybrid",
        posts=2,
        closes_at=dt.datetime(2027, 3, 20, 16, 0, tzinfo=dt.UTC),
    )
    html = get_page(client, role.id)
    assert "<title>Lived Experience Partner - " in html
    assert "<h1>Lived Experience Partner</h1>" in html
    text = main_text(html)
    assert "Mental health services Lived Experience Partner" in text
    assert "Bring your experience to how we plan services." in text
    assert f"Pay {BAND_7_15_HOURS}" in text
    assert "Time 15 hours a week" in text
    assert "Where Hybrid: Quarry House, Leeds" in text
    assert "Number of posts 2" in text
    assert "Closing date 20 March 2027 at 4pm (UK time)" in text
    # Pay in full: the statement and the hourly equivalent of the band's lowest point.
    # £47,810 / 52.143 / 37.5 = £24.45 an hour.
    assert f"Pay {BAND_7_15_HOURS} The lowest pay point of Band 7 is £24.45 an hour." in text
    assert "sessions" not in text.split("What we are looking for")[0].split("Pay", 2)[2]


def test_a_sessional_ppv_role_page(client):
    role = published_role("sessional", title="Patient panel member", sessions_per_month=2)
    text = main_text(get_page(client, role.id))
    assert f"Pay {PPV_STATEMENT}" in text
    assert "A half day is 4 hours or less; a day is more than 4 hours." in text
    assert "Time 2 sessions a month" in text
    assert "an hour." not in text  # no hourly equivalent of a band
    assert "being paid may affect them" in text


def test_a_voluntary_role_page(client):
    role = published_role("expenses_only", title="Community listener", sessions_per_month=1)
    text = main_text(get_page(client, role.id))
    assert "Pay This is a voluntary role. It is not paid, but we pay your expenses." in text
    assert "Time 1 session a month" in text
    assert "Band" not in text


def test_criteria_are_split_essential_and_desirable_with_when_they_are_assessed(client):
    role = published_role("employed")
    html = get_page(client, role.id)
    essential = table_text(html, "essential")
    desirable = table_text(html, "desirable")
    assert essential.startswith("Essential What you need When we check it")
    assert "Lived experience of using NHS services In your application" in essential
    assert "You can work well in a team At interview" in essential
    assert "Experience of sitting on a panel" not in essential
    assert desirable == (
        "Desirable What you need When we check it Experience of sitting on a panel "
        "In your application"
    )
    assert "You do not need to meet the desirable criteria to apply." in main_text(html)


def test_the_support_we_offer(client):
    role = published_role(
        "sessional",
        contact_name="Priya Shah",
        contact_email="priya.shah@example.org",
        contact_phone="0113 496 0000",
    )
    html = get_page(client, role.id)
    text = main_text(html)
    support = text[text.index("What support we offer") : text.index("How people are chosen")]
    assert "We pay your expenses for taking part" in support
    assert "We will make reasonable adjustments." in support
    assert (
        "If you would like to talk about the role before you decide, contact Priya Shah. "
        "Email: priya.shah@example.org Phone: 0113 496 0000"
    ) in support
    assert (
        "You can apply: by phone on paper in an audio or video recording with someone's help "
        "Contact Priya Shah to arrange this."
    ) in support.replace("&#39;", "'")
    assert 'href="mailto:priya.shah@example.org"' in html
    assert 'href="tel:01134960000"' in html


def test_without_contact_details_it_names_the_recruitment_team(client):
    role = make_role("expenses_only", contact_name="", contact_email="", contact_phone="")
    text = main_text(get_page(client, role.id))
    assert "contact the recruitment team" in text
    assert "Email:" not in text and "Phone:" not in text


@pytest.mark.parametrize(
    ("method", "interview", "expected"),
    [
        ("scored", False, listing.SELECTION_IN_PLAIN_WORDS["scored"]),
        ("lottery", False, listing.SELECTION_IN_PLAIN_WORDS["lottery"]),
        ("scored", True, listing.SELECTION_WITH_INTERVIEW["scored"]),
        ("lottery", True, listing.SELECTION_WITH_INTERVIEW["lottery"]),
    ],
)
def test_how_people_are_chosen_in_plain_words(client, method, interview, expected):
    role = make_role(selection_method=method, criteria=interview)  # criteria: one at interview
    text = main_text(get_page(client, role.id))
    assert f"How people are chosen {expected}" in text
    chosen = text.split("How people are chosen", 1)[1]
    assert ("random draw" in chosen) == (method == "lottery")
    assert ("scores it against the criteria" in chosen) == (method == "scored")
    assert ("invited to an interview" in chosen) == interview


def test_an_open_role_has_a_start_button_and_other_ways_to_apply(client):
    role = published_role("employed", contact_name="Priya Shah")
    html = get_page(client, role.id)
    text = main_text(html)
    assert "How to apply" in text
    assert "Applications open soon" not in text
    start = re.search(r'<a class="nhsuk-button"[^>]*>\s*Start your application\s*</a>', html)
    assert start and f'href="/roles/{role.id}/apply"' in start.group(0)
    assert f'href="/roles/{role.id}/apply-another-way"' in html
    assert (
        "Apply another way (by phone, on paper, in a recording, or with someone's help)"
        in text.replace("&#39;", "'")
    )
    # The contact details are still there, for people who want to talk first.
    assert "To find out more before you apply, contact Priya Shah." in text
    assert 'id="apply-contact"' in html
    assert "This role has closed" not in text


@pytest.mark.parametrize("how", ["closed", "filled", "past its closing date"])
def test_a_closed_or_filled_role_says_so_with_no_way_to_apply(client, how):
    role = published_role("sessional")
    if how == "closed":
        close_role(role, by=None)
    elif how == "filled":
        mark_filled(role, by=None)
    else:
        role.closes_at = role.closes_at - dt.timedelta(days=30)  # type: ignore[operator]
        db.session.commit()
    text = main_text(get_page(client, role.id))
    assert "This role has closed" in text
    assert "We are no longer taking applications for this role." in text
    assert "How to apply" not in text
    assert "Start your application" not in text
    assert "Closing date" not in text
    # The rest of the advert is still there to read.
    assert PPV_STATEMENT in text


def test_a_draft_role_is_not_found(client):
    role = make_role(status="draft", title="Secret draft")
    html = get_page(client, role.id, status=404)
    assert "Secret draft" not in html
    assert "Page not found" in html


def test_an_unknown_role_is_not_found(client):
    get_page(client, 987654, status=404)
    assert client.get("/roles/abc").status_code == 404
    assert client.get("/roles/-1").status_code == 404


def test_the_description_becomes_paragraphs_and_html_is_escaped(client):
    role = make_role(
        title="<b>Bold</b> & brave",
        summary="<script>alert(1)</script>",
        description=(
            "First paragraph\nwith a second line.\n\n"
            "  \n\n<img src=x onerror=alert(1)>\r\n\r\nLast & least."
        ),
    )
    html = get_page(client, role.id)
    block = html[
        html.index('id="description"') : html.index("</div>", html.index('id="description"'))
    ]
    paragraphs = re.findall(r"<p>(.*?)</p>", block, re.S)
    assert paragraphs == [
        "First paragraph<br>with a second line.",
        "&lt;img src=x onerror=alert(1)&gt;",
        "Last &amp; least.",
    ]
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt; &amp; brave" in html
    assert "<script>alert(1)</script>" not in html


def test_a_role_with_no_description_has_no_empty_section(client):
    role = make_role(description="   \n\n  ")
    assert "About the role" not in main_text(get_page(client, role.id))


def test_the_role_page_links_back_to_the_list(client):
    role = make_role()
    html = get_page(client, role.id)
    assert re.search(
        r'class="nhsuk-back-link"[^>]*href="/roles"|href="/roles"[^>]*class="nhsuk-back-link"', html
    )
