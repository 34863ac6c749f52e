"""The lead's matrix: applications by reference x criteria x scorers, flags, filters, pages."""

from __future__ import annotations

import re

from lep.extensions import db
from lep.shortlisting import decisions
from lep.shortlisting.assessment import scored_criteria
from lep.shortlisting.moderation import record_moderation
from tests.shortlisting.moderation_support import (
    card,
    client_for,
    make_panel,
    matrix_url,
    sent_application,
)


def rows(html: str) -> list[str]:
    """The references in the matrix, in order."""
    return re.findall(r'<th scope="row" class="nhsuk-table__cell"><a [^>]*>([^<]+)</a>', html)


def test_the_matrix_shows_scores_flags_totals_and_decisions_blind(
    app, role, lead, scorers, panel, make_user
):
    flagged = sent_application(
        role, make_user, full_name="Alex Hidden", email="alex.hidden@example.org"
    )
    card(flagged, scorers[0], [3, 3])
    card(flagged, scorers[1], [1, 2])
    calm = sent_application(role, make_user, guaranteed_interview=True)
    card(calm, scorers[0], [2, 2])
    card(calm, scorers[1], [2, 1])
    decisions.decide(calm, "shortlisted", "Good", lead)
    client = client_for(app, lead)
    response = client.get(matrix_url(role))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Shortlisting - Lived Experience Partner" in html
    assert rows(html) == [flagged.reference, calm.reference]
    assert "Alex Hidden" not in html and "alex.hidden@example.org" not in html
    assert "Scorer 1: Pat Scorer" in html and "Scorer 2: Kim Scorer" in html
    flagged_row, calm_row = html.split('<th scope="row"')[1:3]
    cells = re.findall(r'<td class="nhsuk-table__cell">(.*?)</td>', flagged_row, re.S)
    # First what the lead acts on: decision, moderation, agreed and mean totals; then guaranteed,
    # lived (3, 1, agreed), team (3, 2, agreed), and the scorers' totals 6 and 3.
    assert "Not decided" in cells[0]
    assert "Needs moderation" in cells[1]
    assert cells[2] == "None"  # no agreed total until moderated
    assert cells[3] == "4.5"
    assert cells[4] == "No"
    assert cells[5:7] == ["3", "1"]
    assert "Needs moderation" in cells[7]
    assert "Scorers differ by 2 or more" in cells[7]  # said in words, not only a colour
    assert cells[8:10] == ["3", "2"]
    assert cells[10] == "3"  # mean 2.5 rounds half up
    assert cells[11:13] == ["6", "3"]
    calm_cells = re.findall(r'<td class="nhsuk-table__cell">(.*?)</td>', calm_row, re.S)
    assert "Shortlisted" in calm_cells[0] and "Outcome not sent yet" in calm_cells[0]
    assert "No disagreements" in calm_cells[1]
    assert calm_cells[2] == "4"
    assert calm_cells[4] == "Yes"
    headers = re.findall(
        r'<th scope="col" rowspan="2" class="nhsuk-table__header">([^<]+)</th>', html
    )
    assert headers[:5] == ["Reference", "Decision", "Moderation", "Agreed total", "Mean total"]
    # The table can be wider than the screen: it scrolls in its own box and says so.
    assert 'aria-describedby="matrix-scrolls"' in html
    assert "Scroll sideways to see every column of this table." in html


def test_moderated_scores_show_on_the_matrix(app, role, lead, scorers, panel, make_user):
    application = sent_application(role, make_user)
    card(application, scorers[0], [3, 2])
    card(application, scorers[1], [1, 2])
    record_moderation(application, scored_criteria(role)[0].id, 2, "Agreed at 2", lead)
    html = client_for(app, lead).get(matrix_url(role)).get_data(as_text=True)
    assert "(moderated: scorers differed by 2 or more)" in html
    assert "Needs moderation (0)" in html
    assert "nhsuk-tag--orange" not in html


def test_cards_not_submitted_and_conflicts_are_said_in_words(
    app, role, lead, scorers, panel, make_user
):
    application = sent_application(role, make_user)
    card(application, scorers[0], [2, None], status="draft")
    card(application, scorers[1], [None, None], status="conflict")
    html = client_for(app, lead).get(matrix_url(role)).get_data(as_text=True)
    assert "In progress" in html
    assert "Conflict" in html
    assert "Not scored yet" in html


def test_twenty_five_applications_a_page(app, role, lead, scorers, panel, make_user):
    applications = [sent_application(role, make_user) for _ in range(27)]
    client = client_for(app, lead)
    first = client.get(matrix_url(role)).get_data(as_text=True)
    assert rows(first) == [a.reference for a in applications[:25]]
    assert "page 1 of 2" in first
    assert f"/hr/roles/{role.id}/shortlisting?page=2&amp;show=all" in first
    second = client.get(matrix_url(role, page=2)).get_data(as_text=True)
    assert rows(second) == [a.reference for a in applications[25:]]
    beyond = client.get(matrix_url(role, page=99))
    assert beyond.status_code == 200
    assert rows(beyond.get_data(as_text=True)) == []


def test_filters_needs_moderation_and_undecided(app, role, lead, scorers, panel, make_user):
    flagged = sent_application(role, make_user)
    card(flagged, scorers[0], [3, 3])
    card(flagged, scorers[1], [1, 3])
    decided = sent_application(role, make_user)
    card(decided, scorers[0], [2, 2])
    card(decided, scorers[1], [2, 2])
    decisions.decide(decided, "shortlisted", "Good", lead)
    waiting = sent_application(role, make_user)
    sent_application(role, make_user, status="withdrawn")
    sent_application(role, make_user, status="draft")
    client = client_for(app, lead)
    everything = client.get(matrix_url(role)).get_data(as_text=True)
    assert rows(everything) == [flagged.reference, decided.reference, waiting.reference]
    assert '<strong aria-current="page">All (3)</strong>' in everything
    assert "Needs moderation (1)" in everything
    assert "Not decided (2)" in everything
    moderation = client.get(matrix_url(role, show="moderation")).get_data(as_text=True)
    assert rows(moderation) == [flagged.reference]
    assert '<strong aria-current="page">Needs moderation (1)</strong>' in moderation
    undecided = client.get(matrix_url(role, show="undecided")).get_data(as_text=True)
    assert rows(undecided) == [flagged.reference, waiting.reference]
    record_moderation(flagged, scored_criteria(role)[0].id, 2, "Agreed", lead)
    after = client.get(matrix_url(role, show="moderation")).get_data(as_text=True)
    assert rows(after) == []
    assert "No application needs moderation." in after
    unknown = client.get(matrix_url(role, show="nonsense")).get_data(as_text=True)
    assert len(rows(unknown)) == 3


def test_who_may_see_the_matrix(app, role, lead, scorers, panel, make_user):
    sent_application(role, make_user)
    url = matrix_url(role)
    assert app.test_client().get(url).status_code == 302  # to sign in
    assert client_for(app, scorers[0]).get(url).status_code == 403
    assert client_for(app, make_user("applicant")).get(url).status_code == 403
    assert client_for(app, make_user("finance")).get(url).status_code == 403
    other_hr = client_for(app, make_user("hr")).get(url)
    assert other_hr.status_code == 200
    assert "Only the panel&#39;s lead (Lee Lead) can moderate" in other_hr.get_data(as_text=True)
    assert client_for(app, lead).get("/hr/roles/999999/shortlisting").status_code == 404


def test_a_role_without_a_panel_links_to_the_panel_page(app, role, make_user):
    sent_application(role, make_user)
    html = client_for(app, make_user("hr")).get(matrix_url(role)).get_data(as_text=True)
    assert "no panel has been set up yet" in html
    assert f'href="/hr/roles/{role.id}/panel"' in html


def test_no_lead_means_any_hr_user_acts(app, role, scorers, make_user):
    make_panel(role, None, scorers)
    application = sent_application(role, make_user)
    card(application, scorers[0], [2, 2])
    card(application, scorers[1], [2, 2])
    someone = make_user("hr")
    decisions.decide(application, "shortlisted", "Good", someone)
    html = client_for(app, someone).get(matrix_url(role)).get_data(as_text=True)
    assert "no lead is set, so any HR user can moderate and decide" in html
    assert "Send outcomes" in html
    db.session.expire_all()
    assert application.status == "shortlisted"
