"""The lottery pages HR use: who may see them, the quotas form, drawing, the result with each
applicant's chance, confirming, and the history of draws."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from lep.extensions import db
from lep.shortlisting import lottery
from lep.shortlisting.models import Decision, LotteryDraw, LotteryQuota
from tests.applications.conftest import open_role
from tests.conftest import csrf_from
from tests.helpers import emails_to, error_at, summary_links
from tests.shortlisting.lottery_support import Applicants, close, lottery_role, spread, statuses


@pytest.fixture
def role():
    return lottery_role(places=3)


@pytest.fixture
def applicants(role, make_user):
    return Applicants(role, make_user)


@pytest.fixture
def hr(make_user, login):
    user = make_user("hr", full_name="Harriet HR")
    login(user)
    return user


def url(role, tail=""):
    return f"/hr/roles/{role.id}/lottery{tail}"


def text(response) -> str:
    return response.get_data(as_text=True)


def post(client, role, tail, data=None):
    token = csrf_from(text(client.get(url(role))))
    return client.post(url(role, tail), data={**(data or {}), "csrf_token": token})


def title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found
    return html.unescape(found.group(1)).strip()


def visible(page: str) -> str:
    """The page's words (without the headings small screens repeat in each table cell)."""
    page = re.sub(r'<span class="nhsuk-table-responsive__heading"[^>]*>[^<]*</span>', "", page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def boxes(role, **typed):
    data = {"places": typed.pop("places", "3")}
    for row in lottery.quota_rows(role):
        low, high = typed.get(f"{row.category.name}:{row.option}", ("0", ""))
        data[row.min_field], data[row.max_field] = low, high
    return data


# --- Who may see it ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["applicant", "panel", "finance", "partner", "admin"])
def test_only_hr_may_use_the_lottery(client, make_user, login, role, who):
    login(make_user(who))
    assert client.get(url(role)).status_code == 403
    assert client.post(url(role, "/draw"), data={}).status_code in (400, 403)
    assert db.session.scalar(select(func.count(LotteryDraw.id))) == 0


def test_signed_out_people_are_sent_to_sign_in(client, role):
    response = client.get(url(role))
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_a_role_not_chosen_by_lottery_or_a_draw_of_another_role_is_not_found(
    client, hr, role, applicants
):
    scored = open_role("Scored role")
    assert client.get(f"/hr/roles/{scored.id}/lottery").status_code == 404
    assert client.get("/hr/roles/999999/lottery").status_code == 404
    spread(applicants, 3)
    close(role)
    draw = lottery.run_draw(role, hr)
    other = lottery_role(title="Another panel")
    assert client.get(f"/hr/roles/{other.id}/lottery/draws/{draw.id}").status_code == 404
    assert client.get(url(role, f"/draws/{draw.id}")).status_code == 200
    token = csrf_from(text(client.get(url(role))))
    refused = client.post(
        f"/hr/roles/{other.id}/lottery/draws/{draw.id}/confirm", data={"csrf_token": token}
    )
    assert refused.status_code == 404
    assert db.session.scalar(select(func.count(Decision.id))) == 0


# --- The page and the quotas form ----------------------------------------------------------


def test_the_page_shows_counts_by_answer_and_who_is_not_in_the_draw(client, hr, role, applicants):
    spread(applicants, 4)
    failed = applicants.add(Region="North", Age_band="Under 25", met=False, name="Fay Failed")
    waiting = applicants.add(Region="South", Age_band="Under 25", met=None, name="Wes Waiting")
    silent = applicants.add(name="Nia Noanswer")
    page = text(client.get(url(role)))
    assert title(page).startswith("Selection by lottery - Citizens' panel - ")
    words = visible(page)
    assert "5 eligible applicants for 3 places" in words
    # North: applicants 1 and 4 of the spread; South: 2; East: 3.
    assert "2 eligible applicants chose this" in words
    assert "1 eligible applicant chose this" in words
    assert "1 eligible applicant has no answer to this question" in words
    assert f"{failed.reference} Fay Failed Did not meet an essential criterion" in words
    assert (
        f"{waiting.reference} Wes Waiting Not yet assessed: scoring or moderation is not finished"
        in words
    )
    assert silent.reference in words
    assert "still taking applications" in words  # the role is open: no draw button yet
    assert 'action="' + url(role, "/draw") not in page


def test_bad_quotas_are_shown_at_the_field_keeping_what_was_typed(client, hr, role):
    data = boxes(role, places="three", **{"Region:North": ("2", "1"), "Region:South": ("x", "")})
    response = post(client, role, "/quotas", data)
    page = text(response)
    assert response.status_code == 200
    assert title(page).startswith("Error: Selection by lottery")
    assert error_at(page, "places") == "Enter the number of places as a whole number, like 8"
    north = next(r for r in lottery.quota_rows(role) if r.label == "Region: North")
    south = next(r for r in lottery.quota_rows(role) if r.label == "Region: South")
    assert error_at(page, north.min_field) == (
        "The minimum for Region: North (2) must not be more than its maximum (1)"
    )
    assert error_at(page, south.min_field) == (
        "Enter the minimum for Region: South as a whole number, like 2"
    )
    assert ("#places", "Enter the number of places as a whole number, like 8") in summary_links(
        page
    )
    assert 'value="three"' in page and 'value="x"' in page
    assert db.session.scalar(select(func.count(LotteryQuota.id))) == 0


def test_quotas_are_saved_and_shown(client, hr, role):
    response = post(client, role, "/quotas", boxes(role, places="4", **{"Region:East": ("1", "2")}))
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Places and quotas saved." in page
    words = visible(page)
    assert "Region East 0 at least 1, at most 2" in words
    assert "Region North 0 at least 0, no maximum" in words
    db.session.expire_all()
    assert role.posts == 4


# --- Drawing and confirming -------------------------------------------------------------------


def test_drawing_shows_who_was_selected_and_everyones_chance(client, hr, role, applicants):
    made = spread(applicants, 6)
    close(role)
    response = post(client, role, "/draw", {"seed": ""})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    draw = db.session.scalar(select(LotteryDraw))
    assert draw is not None and draw.status == "drawn"
    words = visible(page)
    assert f"Draw {draw.id} made: 3 selected" in words
    assert f"Seed {draw.seed}" in words
    selected_table = page.split('id="selected"', 1)[1].split("</table>", 1)[0]
    for a in made:
        assert (a.reference in selected_table) == (a.id in draw.selected)
    chances = page.split('id="chances"', 1)[1].split("</table>", 1)[0]
    shown = re.findall(r"(\d+\.\d)%", chances)
    assert len(shown) == 6
    # 3 places among 6 with no quotas: everyone has an equal chance of 50.0%.
    assert shown == ["50.0"] * 6
    assert f"Confirm draw {draw.id}" in page


def test_a_seed_can_be_given_to_repeat_a_draw_and_a_bad_one_is_refused(
    client, hr, role, applicants
):
    spread(applicants, 8)
    close(role)
    first = lottery.run_draw(role, hr)
    bad = post(client, role, "/draw", {"seed": "twelve"})
    assert bad.status_code == 200
    page = text(bad)
    assert title(page).startswith("Error: ")
    assert error_at(page, "seed").startswith("Enter the seed as a whole number from 1 to")
    assert 'value="twelve"' in page
    assert db.session.scalar(select(func.count(LotteryDraw.id))) == 1
    again = post(client, role, "/draw", {"seed": str(first.seed), "reason": "Checking it repeats"})
    assert again.status_code == 302
    repeat = db.session.scalar(select(LotteryDraw).order_by(LotteryDraw.id.desc()))
    assert repeat.seed == first.seed and repeat.selected == first.selected


def test_an_impossible_quota_is_explained_on_the_page(client, hr, role, applicants):
    spread(applicants, 6, Region="South")
    close(role)
    lottery.save_quotas(role, "3", {**boxes(role, **{"Region:East": ("1", "")})}, hr)
    response = post(client, role, "/draw")
    page = text(client.get(response.headers["Location"]))
    words = visible(page)
    assert "the quotas cannot be met" in words.lower()
    assert "Region: East needs at least 1 but no eligible applicant chose it." in words
    assert "Confirm draw" not in page


def test_confirming_on_the_page_shortlists_and_emails_once(client, hr, role, applicants):
    made = spread(applicants, 5)
    close(role)
    draw = lottery.run_draw(role, hr)
    confirm = url(role, f"/draws/{draw.id}/confirm")
    token = csrf_from(text(client.get(url(role))))
    response = client.post(confirm, data={"csrf_token": token})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert f"Draw {draw.id} confirmed: 3 shortlisted and 2 not shortlisted" in visible(page)
    history = visible(page.split('id="history"', 1)[1])
    assert "(confirmed " in history and " by Harriet HR)" in history
    assert "Confirm draw" not in page
    assert 'action="' + url(role, "/draw") not in page  # no more drawing
    now = statuses(role)
    assert sorted(a for a, s in now.items() if s == "shortlisted") == draw.selected
    again = client.post(confirm, data={"csrf_token": token})
    page = text(client.get(again.headers["Location"]))
    assert "has been confirmed" in visible(page)
    assert statuses(role) == now
    assert all(len(emails_to(a.applicant.email)) == 1 for a in made)


def test_the_history_lists_every_draw_with_its_own_page(client, hr, role, applicants):
    spread(applicants, 4)
    close(role)
    first = lottery.run_draw(role, hr)
    second = lottery.run_draw(role, hr, reason="The places were wrong")
    page = text(client.get(url(role)))
    history = page.split('id="history"', 1)[1]
    assert f"Draw {first.id}" in history and f"Draw {second.id}" in history
    assert str(first.seed) in history
    rows = visible(history.split("</table>", 1)[0])
    assert f"Draw {second.id}" in rows and "The places were wrong" in rows
    assert f"Draw {first.id}" in rows and "First draw" in rows
    older = text(client.get(url(role, f"/draws/{first.id}")))
    assert title(older).startswith(f"Draw {first.id} - Citizens' panel")
    assert "Only the latest draw can be confirmed" in older
    assert "Confirm draw" not in older
    later = text(client.get(url(role, f"/draws/{second.id}")))
    assert f"Confirm draw {second.id}" in later
    assert "Why drawn again The places were wrong" in visible(later)


def test_drawing_again_asks_why_at_the_field_and_keeps_what_was_typed(client, hr, role, applicants):
    spread(applicants, 5)
    close(role)
    first_page = visible(text(client.get(url(role))))
    assert "Every draw is kept and shown in the history on this page" in first_page
    assert "Why are you drawing again?" not in first_page  # the first draw needs no reason
    assert post(client, role, "/draw", {"seed": ""}).status_code == 302
    page = text(client.get(url(role)))
    assert "Why are you drawing again?" in visible(page)
    assert "This role has already been drawn 1 time." in visible(page)
    refused = post(client, role, "/draw", {"seed": "12345", "reason": "  "})
    page = text(refused)
    assert refused.status_code == 200
    assert title(page).startswith("Error: Selection by lottery")
    assert error_at(page, "reason") == "Enter why you are drawing again"
    assert ("#reason", "Enter why you are drawing again") in summary_links(page)
    assert 'value="12345"' in page
    assert db.session.scalar(select(func.count(LotteryDraw.id))) == 1
    drawn = post(client, role, "/draw", {"seed": "", "reason": "Quotas corrected"})
    assert drawn.status_code == 302
    latest = db.session.scalar(select(LotteryDraw).order_by(LotteryDraw.id.desc()))
    assert latest.redraw_reason == "Quotas corrected"
    history = visible(text(client.get(url(role))).split('id="history"', 1)[1])
    assert "Quotas corrected" in history


# --- Applicants not yet assessed, and what the page says once a draw is confirmed -----------------


def test_confirming_while_anyone_is_unassessed_needs_an_explicit_choice(
    client, hr, role, applicants
):
    spread(applicants, 5)
    waiting = applicants.add(Region="South", Age_band="Under 25", met=None, name="Wes Waiting")
    close(role)
    draw = lottery.run_draw(role, hr)
    page = text(client.get(url(role)))
    # The summary and the Confirm button come before the detail (quotas, pool, chances).
    assert page.index(f"Confirm draw {draw.id}") < page.index('id="quotas"')
    unassessed = visible(page.split('id="unassessed"', 1)[1].split("</div>", 1)[0])
    assert "1 applicant is not yet assessed, so not in this draw" in unassessed
    assert f"{waiting.reference}: Wes Waiting" in unassessed
    assert "What happens to the applicants not yet assessed?" in visible(page)

    # No choice: nothing is confirmed, and the page says why at the choice.
    token = csrf_from(page)
    refused = client.post(url(role, f"/draws/{draw.id}/confirm"), data={"csrf_token": token})
    assert refused.status_code == 200
    assert error_at(text(refused), "unassessed").startswith(
        f"Choose what happens to the 1 applicant not yet assessed ({waiting.reference})"
    )
    assert lottery.confirmed_draw_id(role) is None
    assert db.session.scalar(select(func.count(Decision.id))) == 0

    # "Not yet": still nothing confirmed.
    client.post(
        url(role, f"/draws/{draw.id}/confirm"), data={"csrf_token": token, "unassessed": "wait"}
    )
    assert lottery.confirmed_draw_id(role) is None

    # Confirm without them: they stay undecided, the audit names them, the page says so.
    response = client.post(
        url(role, f"/draws/{draw.id}/confirm"),
        data={"csrf_token": token, "unassessed": lottery.LEAVE_UNDECIDED},
    )
    assert response.status_code == 302
    assert lottery.confirmed_draw_id(role) == draw.id
    assert statuses(role)[waiting.id] == "submitted"
    page = text(client.get(url(role)))
    decided = visible(page.split('id="decided"', 1)[1].split("</div>", 1)[0])
    assert f"Draw {draw.id} was confirmed" in decided and "by Harriet HR" in decided
    assert "Of the 5 eligible applicants in the draw, 3 were shortlisted and 2 not shortlisted" in (
        decided
    )
    undecided = visible(page.split('id="undecided"', 1)[1].split("</div>", 1)[0])
    assert "1 applicant was not in the draw and has no decision yet" in undecided
    assert f"{waiting.reference}: Wes Waiting" in undecided
    # Not "0 eligible applicants" once everyone in the draw has a decision.
    assert "0 eligible applicants" not in visible(page)
    assert f"Draw {draw.id} had 5 eligible applicants for 3 places" in visible(page)
