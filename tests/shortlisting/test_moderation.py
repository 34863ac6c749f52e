"""Moderation: who may act for a role, the lead's moderated scores, and the application page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lep.extensions import db
from lep.service import DomainError
from lep.shortlisting.assessment import scored_criteria
from lep.shortlisting.models import ModeratedScore
from lep.shortlisting.moderation import can_moderate, record_moderation
from tests.helpers import error_at, summary_links
from tests.shortlisting.moderation_support import (
    application_url,
    audits,
    card,
    client_for,
    count,
    make_panel,
    post_form,
    scored_role,
    sent_application,
)


@pytest.fixture
def setting(make_user):
    """A role, its lead, two scorers and one application they disagree on (teamwork 3 vs 1)."""
    role = scored_role()
    lead = make_user("hr", full_name="Lee Lead")
    scorers = [make_user("panel", full_name=f"Scorer {n}") for n in (1, 2)]
    panel = make_panel(role, lead, scorers)
    application = sent_application(
        role, make_user, full_name="Alex Hidden", email="alex.hidden@example.org"
    )
    card(application, scorers[0], [2, 3], comments=["Clear example", "Led a group well"])
    card(application, scorers[1], [2, 1], comments=["Good", "Thin evidence"])
    lived, team = scored_criteria(role)
    return {
        "role": role,
        "lead": lead,
        "scorers": scorers,
        "panel": panel,
        "application": application,
        "lived": lived,
        "team": team,
    }


def test_the_lead_moderates_or_any_hr_user_when_no_lead_is_set(setting, make_user):
    panel, lead = setting["panel"], setting["lead"]
    other_hr = make_user("hr")
    scorer_only = make_user("panel")
    assert can_moderate(lead, panel)
    assert not can_moderate(other_hr, panel)
    assert not can_moderate(scorer_only, panel)
    panel.lead_id = None
    db.session.commit()
    assert can_moderate(other_hr, panel)
    assert can_moderate(lead, panel)
    assert not can_moderate(scorer_only, panel)
    assert can_moderate(other_hr, None)
    assert not can_moderate(scorer_only, None)


def test_the_lead_records_a_moderated_score_with_a_reason_audited(setting):
    application, team, lead = setting["application"], setting["team"], setting["lead"]
    record_moderation(application, team.id, "2", "Good example of teamwork", lead)
    saved = db.session.scalar(select(ModeratedScore))
    assert (saved.value, saved.reason, saved.by_id) == (2, "Good example of teamwork", lead.id)
    [event] = audits("shortlisting.moderated", application.id)
    assert event.actor_id == lead.id
    assert event.before is None
    assert event.after == {
        "criterion_id": team.id,
        "value": 2,
        "reason": "Good example of teamwork",
    }
    record_moderation(application, team.id, 1, "On reflection, limited", lead)
    assert count(ModeratedScore) == 1
    assert db.session.scalar(select(ModeratedScore.value)) == 1
    second = audits("shortlisting.moderated", application.id)[1]
    assert second.before == {"value": 2, "reason": "Good example of teamwork"}
    assert second.after["value"] == 1


@pytest.mark.parametrize(
    ("value", "reason", "field", "message"),
    [
        ("2", "", "reason", "Enter the reason for the moderated score"),
        ("2", "   ", "reason", "Enter the reason for the moderated score"),
        ("4", "Too high", "value", "Select a moderated score from 0 to 3"),
        ("-1", "Too low", "value", "Select a moderated score from 0 to 3"),
        (None, "No score", "value", "Select a moderated score from 0 to 3"),
        ("2", "x" * 2001, "reason", "The reason must be 2,000 characters or fewer"),
    ],
)
def test_bad_moderation_is_refused_and_changes_nothing(setting, value, reason, field, message):
    with pytest.raises(DomainError) as refused:
        record_moderation(
            setting["application"], setting["team"].id, value, reason, setting["lead"]
        )
    assert refused.value.errors[field] == message
    assert count(ModeratedScore) == 0
    assert audits("shortlisting.moderated") == []


def test_moderation_waits_until_scoring_is_closed(setting):
    setting["panel"].scoring_closed_at = None
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        record_moderation(setting["application"], setting["team"].id, 2, "Fine", setting["lead"])
    assert "Scoring is still open" in refused.value.errors["panel"]
    assert count(ModeratedScore) == 0


def test_only_the_lead_moderates_when_a_lead_is_set(setting, make_user):
    with pytest.raises(DomainError) as refused:
        record_moderation(setting["application"], setting["team"].id, 2, "Fine", make_user("hr"))
    assert "Only the panel's lead (Lee Lead)" in refused.value.errors["panel"]
    assert count(ModeratedScore) == 0
    assert audits("shortlisting.moderated") == []


def test_a_criterion_not_scored_at_shortlisting_is_refused(setting, make_user):
    other_role = scored_role("Another role")
    foreign = scored_criteria(other_role)[0]
    with pytest.raises(DomainError):
        record_moderation(setting["application"], foreign.id, 2, "Fine", setting["lead"])
    assert count(ModeratedScore) == 0


# --- The application page ---------------------------------------------------------------------


def test_the_application_page_is_blind_and_shows_answers_scores_and_comments(app, setting):
    client = client_for(app, setting["lead"])
    page = client.get(application_url(setting["application"]))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"<title>Application {setting['application'].reference} - Shortlisting" in html
    assert "My answer to question 1 about working together" in html
    assert "Led a group well" in html and "Thin evidence" in html
    assert "Scorer 1" in html and "Scorer 2" in html
    assert "Needs moderation" in html
    assert "Alex Hidden" not in html
    assert "alex.hidden@example.org" not in html
    assert "Guaranteed interview scheme" in html


def test_the_lead_moderates_on_the_page(app, setting):
    application, team = setting["application"], setting["team"]
    client = client_for(app, setting["lead"])
    url = application_url(application)
    response = post_form(
        client,
        url,
        f"{url}/criteria/{team.id}",
        {f"criterion{team.id}-value": "2", f"criterion{team.id}-reason": "A good example"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url)
    html = client.get(url).get_data(as_text=True)
    assert "Moderated score saved." in html
    assert "A good example" in html
    assert "Needs moderation" not in html


def test_a_missing_reason_is_shown_at_the_field_keeping_the_score(app, setting):
    application, team = setting["application"], setting["team"]
    client = client_for(app, setting["lead"])
    url = application_url(application)
    response = post_form(
        client, url, f"{url}/criteria/{team.id}", {f"criterion{team.id}-value": "3"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Error: Application" in html
    assert (
        error_at(html, f"criterion{team.id}-reason") == "Enter the reason for the moderated score"
    )
    assert (f"#criterion{team.id}-reason", "Enter the reason for the moderated score") in (
        summary_links(html)
    )
    chosen = f'id="criterion{team.id}-value-4" name="criterion{team.id}-value" type="radio"'
    assert f'{chosen} value="3" checked>' in html
    assert count(ModeratedScore) == 0


def test_hr_who_is_not_the_lead_reads_but_cannot_moderate(app, setting, make_user):
    application, team = setting["application"], setting["team"]
    client = client_for(app, make_user("hr"))
    url = application_url(application)
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Only the panel&#39;s lead (Lee Lead) can moderate and decide" in html
    assert "Save moderated score" not in html
    response = post_form(
        client,
        url,
        f"{url}/criteria/{team.id}",
        {f"criterion{team.id}-value": "2", f"criterion{team.id}-reason": "Sneaky"},
    )
    assert response.status_code == 200
    assert "Only the panel&#39;s lead (Lee Lead)" in response.get_data(as_text=True)
    assert count(ModeratedScore) == 0


def test_a_scorer_with_only_the_panel_role_is_refused(app, setting):
    client = client_for(app, setting["scorers"][0])
    url = application_url(setting["application"])
    assert client.get(url).status_code == 403
    assert client.get(f"/hr/roles/{setting['role'].id}/shortlisting").status_code == 403


def test_another_roles_or_a_draft_application_is_not_found(app, setting, make_user):
    client = client_for(app, setting["lead"])
    role = setting["role"]
    elsewhere = sent_application(scored_role("Elsewhere"), make_user)
    draft = sent_application(role, make_user, status="draft")
    withdrawn = sent_application(role, make_user, status="withdrawn")
    for other in (elsewhere, draft, withdrawn):
        url = f"/hr/roles/{role.id}/shortlisting/applications/{other.id}"
        assert client.get(url).status_code == 404
    assert client.get(f"/hr/roles/{role.id}/shortlisting/applications/999999").status_code == 404


def test_while_scoring_is_open_the_page_says_so_and_offers_no_forms(app, setting):
    setting["panel"].scoring_closed_at = None
    db.session.commit()
    client = client_for(app, setting["lead"])
    html = client.get(application_url(setting["application"])).get_data(as_text=True)
    assert "Scoring is still open" in html
    assert "Save moderated score" not in html
    assert "Save decision" not in html
