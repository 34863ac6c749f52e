"""The panel pages as people use them: HR set up the panel and close scoring; scorers see
applications by reference only, score, submit, declare conflicts, and see others' scores only
once they have submitted their own for every application."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lep.applications.models import SupportingFile
from lep.db import utcnow
from lep.extensions import db
from lep.shortlisting import panels, scoring
from lep.shortlisting.models import Panel, PanelMember, Scorecard
from tests.applications.conftest import open_role
from tests.conftest import csrf_from
from tests.helpers import emails_to, error_at, summary_links
from tests.shortlisting.scoring_support import (
    application_url,
    criteria_ids,
    post_scores,
    scores_for,
    seat_panel,
    sent_application,
    token,
)

NAME = "Anne-Marie O'Neil"
EMAIL = "anne.marie.oneil@example.org"
PHONE = "07700 900123"
FILE_NAME = "annemarie-cv-final.pdf"
ADJUSTMENTS = "Large print and a BSL interpreter please"
INTERVIEW_ADJUSTMENTS = "A quiet room with breaks"


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def title(page: str) -> str:
    match = re.search(r"<title>(.*?)</title>", page, re.S)
    assert match
    return " ".join(match.group(1).split())


@pytest.fixture
def role():
    return open_role()


@pytest.fixture
def lead(make_user):
    return make_user("hr", full_name="Harriet Lead")


@pytest.fixture
def scorer(make_user):
    return make_user("panel", full_name="Rae Reviewer")


@pytest.fixture
def panel(role, lead, scorer):
    return seat_panel(role, scorer, lead=lead)


@pytest.fixture
def application(role, make_user):
    application = sent_application(
        role,
        make_user,
        full_name=NAME,
        email=EMAIL,
        answers=[
            f"I am {NAME} and I used NHS services for ten years.",
            f"Email {EMAIL} or call {PHONE}. Anne ran a carers group.",
        ],
        phone=PHONE,
        adjustments_application=ADJUSTMENTS,
        adjustments_interview=INTERVIEW_ADJUSTMENTS,
        helped_by="My support worker Jo",
        contact_times="Mornings",
        guaranteed_interview=True,
    )
    db.session.add(
        SupportingFile(
            application_id=application.id,
            storage_key="k" * 32,
            original_name=FILE_NAME,
            content_type="application/pdf",
            kind="pdf",
            size_bytes=100,
        )
    )
    db.session.commit()
    return application


def assert_blind(page: str) -> None:
    """Nothing on the page says who the applicant is or what support they asked for."""
    lowered = page.lower()
    for secret in (
        "anne-marie",
        "o&#39;neil",
        "o'neil",
        "oneil",
        EMAIL,
        PHONE,
        "900123",
        FILE_NAME,
        ADJUSTMENTS.lower(),
        INTERVIEW_ADJUSTMENTS.lower(),
        "support worker jo",
        "guaranteed interview",
        "mornings",
    ):
        assert secret.lower() not in lowered, secret


# --- Scorers ---------------------------------------------------------------------------------


def test_my_panels_lists_the_roles_i_score(client, login, role, panel, scorer, application):
    login(scorer)
    page = text(client.get("/panel"))
    assert title(page).startswith("Your shortlisting panels - ")
    assert role.title in page
    assert f'href="/panel/roles/{role.id}"' in page


def test_someone_not_on_a_panel_sees_none(client, login, make_user, role, panel, application):
    login(make_user("panel"))
    assert "You are not on any shortlisting panels" in text(client.get("/panel"))
    assert client.get(f"/panel/roles/{role.id}").status_code == 404
    assert client.get(application_url(application)).status_code == 404
    assert client.get(f"/panel/roles/{role.id}/scores").status_code == 404
    assert client.get(application_url(application) + "/conflict").status_code == 404


@pytest.mark.parametrize("roles", [("applicant",), ("partner",), ("finance",), ("hr",)])
def test_other_people_get_404_for_a_panels_pages(
    client, login, make_user, role, panel, application, roles
):
    login(make_user(*roles))
    for url in (f"/panel/roles/{role.id}", application_url(application)):
        assert client.get(url).status_code == 404
    response = post_scores(client, application, scores_for(role, 3, 3), submit=True)
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(Scorecard.id))) == 0


def test_the_applicant_never_shows_on_the_scorers_pages(
    client, login, role, panel, scorer, application
):
    login(scorer)
    listing = text(client.get(f"/panel/roles/{role.id}"))
    assert application.reference in listing
    assert "Not started" in listing
    assert_blind(listing)
    page = text(client.get(application_url(application)))
    assert title(page).startswith(f"Application {application.reference} - {role.title} - ")
    assert "I am [name] and I used NHS services for ten years." in page
    assert "Email [email] or call [phone]. [name] ran a carers group." in page
    assert_blind(page)
    assert_blind(text(client.get(application_url(application) + "/conflict")))
    assert_blind(text(client.get("/panel")))


def test_the_scale_and_its_guidance_are_shown_for_each_criterion(
    client, login, role, panel, scorer, application
):
    login(scorer)
    page = text(client.get(application_url(application)))
    lived, team = criteria_ids(role)
    for criterion_id in (lived, team):
        for value in range(4):
            assert f'name="score_{criterion_id}" type="radio" value="{value}"' in page
    assert "0: No evidence" in page and "3: Strong evidence" in page
    assert "Clear, relevant evidence with an example." in page
    assert "Covered by question 2" in page


def test_a_draft_is_saved_and_shown_again(client, login, role, panel, scorer, application):
    login(scorer)
    lived, _ = criteria_ids(role)
    response = post_scores(client, application, {lived: 2}, {lived: "A good example"})
    assert response.status_code == 302
    page = text(client.get(application_url(application)))
    assert "Draft scores for" in page
    assert re.search(
        rf'id="score_{lived}-3" name="score_{lived}" type="radio" value="2" checked', page
    )
    assert "A good example" in page
    assert "In progress" in text(client.get(f"/panel/roles/{role.id}"))


def test_submitting_without_every_score_shows_the_error_at_the_field(
    client, login, role, panel, scorer, application
):
    login(scorer)
    lived, team = criteria_ids(role)
    response = post_scores(
        client, application, {lived: 3}, {lived: "My careful comment"}, submit=True
    )
    assert response.status_code == 200
    page = text(response)
    assert title(page).startswith("Error: Application ")
    message = "Select a score for “You can work well in a team”"
    assert error_at(page, f"score_{team}") == message
    assert summary_links(page) == [(f"#score_{team}", message)]
    assert "My careful comment" in page  # nothing typed is lost
    assert re.search(rf'name="score_{lived}" type="radio" value="3" checked', page)
    assert db.session.scalar(select(func.count(Scorecard.id))) == 0


@pytest.mark.parametrize("bad", ["4", "-1", "three", "2.5"])
def test_a_tampered_score_is_refused_at_the_field(
    client, login, role, panel, scorer, application, bad
):
    login(scorer)
    lived, team = criteria_ids(role)
    response = post_scores(client, application, {lived: 1, team: bad}, {team: "Kept"})
    assert response.status_code == 200
    page = text(response)
    assert error_at(page, f"score_{team}") == (
        "Select a score from 0 to 3 for “You can work well in a team”"
    )
    assert "Kept" in page
    assert db.session.scalar(select(func.count(Scorecard.id))) == 0


def test_submitted_scores_are_read_only(client, login, role, panel, scorer, application):
    login(scorer)
    lived, team = criteria_ids(role)
    response = post_scores(client, application, {lived: 3, team: 1}, {team: "Thin"}, submit=True)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/panel/roles/{role.id}")
    page = text(client.get(application_url(application)))
    assert "You submitted your scores on" in page
    assert "3: Strong evidence" in page and "1: Limited evidence" in page
    assert 'type="radio"' not in page
    assert "declare a conflict of interest" not in page
    response = post_scores(client, application, {lived: 0, team: 0}, submit=True)
    assert "You have submitted your scores for this application: they are final" in text(response)
    card = scoring.card_of(application.id, scorer.id)
    assert card is not None and [s.value for s in card.scores] == [3, 1]


def test_declaring_a_conflict_hides_the_application(
    client, login, role, panel, scorer, application
):
    login(scorer)
    url = application_url(application) + "/conflict"
    page = text(client.get(url))
    assert title(page).startswith("Declare a conflict of interest - ")
    response = client.post(url, data={"csrf_token": csrf_from(page), "note": "We met at a group"})
    assert response.status_code == 302
    listing = text(client.get(f"/panel/roles/{role.id}"))
    assert "Conflict of interest declared" in listing
    assert 'id="applications"' not in listing  # nothing left to score
    assert "You declared a conflict of interest for 1 more" in listing
    page = text(client.get(application_url(application)))
    assert "You declared a conflict of interest" in page
    assert "ten years" not in page and "carers group" not in page
    response = post_scores(client, application, scores_for(role, 3, 3), submit=True)
    page = text(response)
    assert title(page).startswith("Error: ")
    assert scoring.CONFLICTED in page
    assert "ten years" not in page
    card = scoring.card_of(application.id, scorer.id)
    assert card is not None and card.status == "conflict" and card.scores == []


def test_a_long_conflict_note_is_refused_and_kept(client, login, role, panel, scorer, application):
    login(scorer)
    url = application_url(application) + "/conflict"
    note = "x" * 2_001
    response = client.post(url, data={"csrf_token": token(client), "note": note})
    page = text(response)
    assert error_at(page, "note") == "Your note must be 2,000 characters or fewer"
    assert note in page
    assert db.session.scalar(select(func.count(Scorecard.id))) == 0


def test_after_the_lead_closes_scoring_nothing_is_saved(
    client, login, role, panel, scorer, lead, application
):
    login(scorer)
    lived, team = criteria_ids(role)
    panels.close_scoring(role, lead)
    page = text(client.get(application_url(application)))
    assert "Scoring closed on" in page
    assert 'type="radio"' not in page
    response = post_scores(client, application, {lived: 2, team: 2}, {lived: "Late"}, submit=True)
    page = text(response)
    assert title(page).startswith("Error: ")
    assert f"Scoring for {role.title} has closed, so scores can no longer be saved" in page
    assert "Late" in page
    assert db.session.scalar(select(func.count(Scorecard.id))) == 0


def test_an_application_of_another_role_is_404(client, login, role, panel, scorer, make_user):
    other = sent_application(open_role("Another role"), make_user)
    login(scorer)
    assert client.get(f"/panel/roles/{role.id}/applications/{other.id}").status_code == 404
    draft = sent_application(role, make_user, status="draft")
    assert client.get(application_url(draft)).status_code == 404
    withdrawn = sent_application(role, make_user, status="withdrawn")
    assert client.get(application_url(withdrawn)).status_code == 404


def test_others_scores_only_after_submitting_every_application(
    client, login, role, lead, make_user
):
    one = make_user("panel", full_name="Olu One")
    two = make_user("panel", full_name="Tam Two")
    seat_panel(role, one, two, lead=lead)
    a = sent_application(role, make_user)
    b = sent_application(role, make_user)
    scoring.save_scorecard(role, a, two, scores_for(role, 1, 2), {}, True)
    scoring.save_scorecard(role, b, two, scores_for(role, 0, 1), {}, True)

    login(one)
    listing = text(client.get(f"/panel/roles/{role.id}"))
    assert "See every scorer's scores" not in listing
    assert "once you have submitted yours for every application" in listing
    page = text(client.get(f"/panel/roles/{role.id}/scores"))
    assert "You will see other scorers' scores once you have submitted" in page
    assert f'id="scores-{a.id}"' not in page
    post_scores(client, a, scores_for(role, 3, 3), submit=True)
    page = text(client.get(f"/panel/roles/{role.id}/scores"))
    assert f'id="scores-{a.id}"' not in page  # b is still to do

    post_scores(client, b, scores_for(role, 2, 2), submit=True)
    listing = text(client.get(f"/panel/roles/{role.id}"))
    assert "See every scorer's scores" in listing
    page = text(client.get(f"/panel/roles/{role.id}/scores"))
    assert title(page).startswith("Every scorer's scores - ")
    table = page.split(f'id="scores-{a.id}"')[1].split("</table>")[0]
    assert ">You<" in table and ">Scorer 2<" in table
    cells = re.findall(r'nhsuk-table__cell--numeric">(?:<strong>)?(\S+?)(?:</strong>)?</td>', table)
    assert cells == ["3", "1", "3", "2", "6", "3"]
    assert "Tam Two" not in page  # the other scorer is a number, not a name


# --- HR -----------------------------------------------------------------------------------------


def hr_post(client, url: str, **data):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": token(client), **data})


def test_only_hr_see_the_panel_set_up(client, login, make_user, role):
    for roles in (("panel",), ("applicant",), ("finance",), ("partner",)):
        login(make_user(*roles))
        assert client.get(f"/hr/roles/{role.id}/panel").status_code == 403
        client.post("/sign-out", data={"csrf_token": token(client)})
    login(make_user("hr"))
    assert client.get("/hr/roles/999999/panel").status_code == 404


def test_hr_set_the_lead_and_add_and_remove_scorers(client, login, role, lead, make_user):
    reviewer = make_user("panel", full_name="Rae Reviewer", email="rae@example.org")
    partner = make_user("partner", full_name="Pam Partner")
    login(lead)
    url = f"/hr/roles/{role.id}/panel"
    page = text(client.get(url))
    assert title(page).startswith(f"Panel and scoring - {role.title} - ")
    assert "Rae Reviewer (rae@example.org)" in page
    assert "Pam Partner" not in page  # not a panel member
    assert db.session.scalar(select(func.count(Panel.id))) == 0  # looking changes nothing

    assert hr_post(client, url + "/lead", lead_id=str(lead.id)).status_code == 302
    response = hr_post(client, url + "/scorers", user_id=str(reviewer.id))
    assert response.status_code == 302
    page = text(client.get(url))
    assert "Rae Reviewer added to the panel and sent an email." in page
    assert "Harriet Lead (" in page
    assert re.search(r'id="scorer-\d+"', page)
    assert len(emails_to("rae@example.org")) == 1

    response = hr_post(client, url + "/scorers", user_id="")
    page = text(response)
    assert title(page).startswith("Error: ")
    assert error_at(page, "user_id") == "Select a person to add to the panel"
    response = hr_post(client, url + "/scorers", user_id=str(partner.id))
    assert error_at(text(response), "user_id") == (
        "Only panel members and HR staff can score applications"
    )
    response = hr_post(client, url + "/lead", lead_id=str(reviewer.id))
    assert error_at(text(response), "lead_id") == "The panel lead must be a member of the HR team"

    member = db.session.scalar(select(PanelMember).where(PanelMember.user_id == reviewer.id))
    assert member is not None
    response = hr_post(client, url + "/scorers/remove", member_id=str(member.id))
    assert "Scorer removed from the panel." in text(client.get(response.headers["Location"]))
    assert db.session.scalar(select(func.count(PanelMember.id))) == 0


def test_progress_and_a_scorer_who_submitted_cannot_be_removed(
    client, login, role, lead, scorer, panel, make_user
):
    a, b = sent_application(role, make_user), sent_application(role, make_user)
    scoring.save_scorecard(role, a, scorer, scores_for(role, 1, 1), {}, True)
    scoring.declare_conflict(role, b, scorer, "")
    login(lead)
    url = f"/hr/roles/{role.id}/panel"
    page = text(client.get(url))
    row = page.split(f'id="scorer-{scorer.id}"')[1].split("</tr>")[0]
    cells = re.findall(r"</span>(\d+)", row)
    assert cells == ["1", "0", "1"]  # submitted, to do, conflicts
    assert "Remove" not in row
    member = panel.members[0]
    response = hr_post(client, url + "/scorers/remove", member_id=str(member.id))
    page = text(client.get(response.headers["Location"]))
    assert "Rae Reviewer has submitted scores, so they stay on the panel" in page
    assert scoring.seat(role.id, scorer) is not None


def test_no_scorers_are_added_once_the_role_has_closed(client, login, role, lead, make_user):
    reviewer = make_user("panel")
    role.closes_at = utcnow()
    db.session.commit()
    login(lead)
    url = f"/hr/roles/{role.id}/panel"
    assert "This role has closed, so scorers can no longer be added." in text(client.get(url))
    response = hr_post(client, url + "/scorers", user_id=str(reviewer.id))
    assert "Scorers can only be added before it closes" in error_at(text(response), "user_id")
    assert db.session.scalar(select(func.count(PanelMember.id))) == 0
    assert emails_to(reviewer.email) == []


def test_the_lead_closes_scoring_after_confirming(client, login, role, lead, panel, make_user):
    other_hr = make_user("hr")
    url = f"/hr/roles/{role.id}/panel/close"
    login(other_hr)
    page = text(client.get(url))
    assert "Only the panel lead can close scoring." in page
    response = hr_post(client, url)
    assert "Only the panel lead can close scoring" in text(response)
    db.session.refresh(panel)
    assert panel.scoring_closed_at is None
    client.post("/sign-out", data={"csrf_token": token(client)})

    login(lead)
    assert 'id="close-link"' in text(client.get(f"/hr/roles/{role.id}/panel"))
    page = text(client.get(url))
    assert title(page).startswith("Are you sure you want to close scoring? - ")
    assert "Rae Reviewer: 0 submitted, 0 to do" in page
    response = client.post(url, data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Scoring closed. No more scores can be saved." in page
    assert "Scoring closed</strong> on" in page
    db.session.refresh(panel)
    assert panel.scoring_closed_at is not None
