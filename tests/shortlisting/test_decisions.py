"""Decisions and their rules, outcome emails, feedback requests and interview invitations."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lep import audit
from lep.db import utcnow
from lep.extensions import db
from lep.service import DomainError
from lep.shortlisting import decisions
from lep.shortlisting.assessment import scored_criteria
from lep.shortlisting.models import Decision, Interview
from lep.shortlisting.moderation import record_moderation
from lep.timeutil import LONDON
from tests.helpers import emails_to, error_at, link_in, summary_links
from tests.shortlisting.moderation_support import (
    application_url,
    audits,
    card,
    client_for,
    count,
    make_panel,
    matrix_url,
    post_form,
    scored_role,
    sent_application,
)


@pytest.fixture
def role():
    return scored_role()


@pytest.fixture
def lead(make_user):
    return make_user("hr", full_name="Lee Lead")


@pytest.fixture
def scorers(make_user):
    return [make_user("panel") for _ in range(2)]


@pytest.fixture
def panel(role, lead, scorers):
    return make_panel(role, lead, scorers)


def scored(role, make_user, scorers, values_1, values_2, **values):
    application = sent_application(role, make_user, **values)
    card(application, scorers[0], values_1)
    card(application, scorers[1], values_2)
    return application


def fresh(application):
    db.session.expire_all()
    return application


def sent_at(*applications):  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return dict(
        db.session.execute(
            select(Decision.application_id, Decision.outcome_sent_at).where(
                Decision.application_id.in_([a.id for a in applications])
            )
        ).all()
    )


# --- Rules ------------------------------------------------------------------------------------


def test_no_decision_while_a_flagged_criterion_is_unmoderated(
    role, lead, scorers, panel, make_user
):
    application = scored(role, make_user, scorers, [2, 3], [2, 1])
    with pytest.raises(DomainError) as refused:
        decisions.decide(application, "shortlisted", "Strong answers", lead)
    assert (
        "Scorers differ by 2 or more on You can work well in a team"
        in (refused.value.errors["outcome"])
    )
    assert count(Decision) == 0
    assert fresh(application).status == "submitted"
    record_moderation(application, scored_criteria(role)[1].id, 2, "Good example", lead)
    decisions.decide(application, "shortlisted", "Strong answers", lead)
    assert fresh(application).status == "shortlisted"


def test_no_decision_without_a_reason_or_an_outcome(role, lead, scorers, panel, make_user):
    application = scored(role, make_user, scorers, [2, 2], [2, 2])
    with pytest.raises(DomainError) as refused:
        decisions.decide(application, "maybe", "  ", lead)
    assert refused.value.errors == {
        "outcome": "Select whether to shortlist this application",
        "reason": "Enter the reason for the decision",
    }
    assert count(Decision) == 0
    assert audits("shortlisting.decided") == []


def test_a_failed_essential_criterion_is_not_shortlisted_without_an_override(
    role, lead, scorers, panel, make_user
):
    application = scored(role, make_user, scorers, [0, 2], [0, 2])
    with pytest.raises(DomainError) as refused:
        decisions.decide(application, "shortlisted", "Promising", lead)
    assert (
        "scored 0 on an essential criterion (Lived experience of NHS services)"
        in (refused.value.errors["override"])
    )
    assert count(Decision) == 0
    decision = decisions.decide(
        application, "shortlisted", "Their supporting file shows it", lead, override=True
    )
    assert decision.overrode_rule is True
    [event] = audits("shortlisting.decided", application.id)
    assert event.after["overrode_rule"] is True


def test_not_shortlisting_a_failed_application_needs_no_override(
    role, lead, scorers, panel, make_user
):
    application = scored(role, make_user, scorers, [0, 2], [0, 2])
    decision = decisions.decide(application, "not_shortlisted", "No evidence of X", lead)
    assert decision.overrode_rule is False
    assert fresh(application).status == "not_shortlisted"


def test_the_guaranteed_interview_scheme_shortlists_who_meets_the_essentials(
    role, lead, scorers, panel, make_user
):
    application = scored(role, make_user, scorers, [1, 1], [1, 2], guaranteed_interview=True)
    with pytest.raises(DomainError) as refused:
        decisions.decide(application, "not_shortlisted", "Others were stronger", lead)
    assert refused.value.errors["outcome"] == (
        "This applicant is in the guaranteed interview scheme and meets every essential "
        "criterion, so they must be shortlisted"
    )
    assert count(Decision) == 0
    assert fresh(application).status == "submitted"
    decisions.decide(application, "shortlisted", "Guaranteed interview", lead)
    failing = scored(role, make_user, scorers, [0, 1], [0, 2], guaranteed_interview=True)
    decisions.decide(failing, "not_shortlisted", "No evidence of lived experience", lead)
    assert fresh(failing).status == "not_shortlisted"


def test_no_decision_before_scoring_closes_or_by_someone_else(
    role, lead, scorers, panel, make_user
):
    application = scored(role, make_user, scorers, [2, 2], [2, 2])
    with pytest.raises(DomainError) as refused:
        decisions.decide(application, "shortlisted", "Good", make_user("hr"))
    assert "Only the panel's lead" in refused.value.errors["panel"]
    panel.scoring_closed_at = None
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        decisions.decide(application, "shortlisted", "Good", lead)
    assert "Scoring is still open" in refused.value.errors["panel"]
    assert count(Decision) == 0


def test_a_decision_changes_until_the_outcome_is_sent_audited_before_and_after(
    role, lead, scorers, panel, make_user
):
    application = scored(role, make_user, scorers, [2, 2], [2, 2])
    decisions.decide(application, "shortlisted", "Good answers", lead)
    decisions.decide(application, "not_shortlisted", "Others were stronger", lead)
    assert count(Decision) == 1
    assert fresh(application).status == "not_shortlisted"
    [changed] = audits("shortlisting.decision_changed", application.id)
    assert changed.before["outcome"] == "shortlisted"
    assert changed.before["reason"] == "Good answers"
    assert changed.after["outcome"] == "not_shortlisted"
    assert changed.after["status"] == "not_shortlisted"
    decisions.send_outcomes(role, lead)
    with pytest.raises(DomainError) as refused:
        decisions.decide(application, "shortlisted", "Changed my mind", lead)
    assert "can no longer change" in refused.value.errors["application"]
    with pytest.raises(DomainError):
        record_moderation(application, scored_criteria(role)[0].id, 3, "Late", lead)
    assert db.session.scalar(select(Decision.outcome)) == "not_shortlisted"


# --- Pages ------------------------------------------------------------------------------------


def test_the_lead_decides_on_the_page_and_errors_show_at_the_field(
    app, role, lead, scorers, panel, make_user
):
    application = scored(role, make_user, scorers, [2, 2], [2, 3])
    client = client_for(app, lead)
    url = application_url(application)
    refused = post_form(client, url, f"{url}/decision", {"outcome": "shortlisted", "reason": ""})
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert "<title>Error: Application" in html
    assert error_at(html, "reason") == "Enter the reason for the decision"
    assert ("#reason", "Enter the reason for the decision") in summary_links(html)
    assert count(Decision) == 0
    done = post_form(
        client, url, f"{url}/decision", {"outcome": "shortlisted", "reason": "Clear evidence"}
    )
    assert done.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "Decision saved: Shortlisted." in html
    assert fresh(application).status == "shortlisted"


def test_the_guaranteed_rule_is_explained_on_the_page(app, role, lead, scorers, panel, make_user):
    application = scored(role, make_user, scorers, [2, 2], [2, 2], guaranteed_interview=True)
    client = client_for(app, lead)
    url = application_url(application)
    response = post_form(
        client, url, f"{url}/decision", {"outcome": "not_shortlisted", "reason": "Weaker"}
    )
    html = response.get_data(as_text=True)
    assert "guaranteed interview scheme and meets every essential criterion" in error_at(
        html, "outcome"
    )
    assert 'value="not_shortlisted" checked' in html  # what they chose is kept
    assert "Weaker" in html
    assert count(Decision) == 0


def test_hr_who_is_not_the_lead_cannot_decide(app, role, lead, scorers, panel, make_user):
    application = scored(role, make_user, scorers, [2, 2], [2, 2])
    client = client_for(app, make_user("hr"))
    url = application_url(application)
    response = post_form(
        client, url, f"{url}/decision", {"outcome": "shortlisted", "reason": "Good"}
    )
    assert response.status_code == 200
    assert "Only the panel&#39;s lead (Lee Lead)" in response.get_data(as_text=True)
    assert count(Decision) == 0


# --- Outcomes ---------------------------------------------------------------------------------


@pytest.fixture
def decided(role, lead, scorers, panel, make_user):
    yes = scored(role, make_user, scorers, [3, 3], [3, 2], email="yes@example.org")
    no = scored(role, make_user, scorers, [1, 1], [1, 1], email="no@example.org")
    undecided = scored(role, make_user, scorers, [2, 2], [2, 2], email="later@example.org")
    decisions.decide(yes, "shortlisted", "Strong on both", lead)
    decisions.decide(no, "not_shortlisted", "Limited evidence of teamwork", lead)
    return yes, no, undecided


def test_outcomes_go_once_to_every_decided_applicant(app, role, lead, decided):
    yes, no, _ = decided
    client = client_for(app, lead)
    page = client.get(matrix_url(role)).get_data(as_text=True)
    assert "2 decided applicants have not been told yet" in page
    # Nothing is sent until the lead presses the button, and the page does not say otherwise.
    assert "Sending emails each of them now" not in page
    assert "“Send outcomes” emails each of them" in page
    response = post_form(client, matrix_url(role), f"{matrix_url(role)}/outcomes", {})
    assert response.status_code == 302
    assert "Outcomes sent: 1 shortlisted, 1 not shortlisted." in client.get(
        matrix_url(role)
    ).get_data(as_text=True)
    [good] = emails_to("yes@example.org")
    assert "we would like to invite you to the next step" in good.body_text
    assert "We will be in touch about the interview" in good.body_text
    [sorry] = emails_to("no@example.org")
    assert "will not be taking your application forward" in sorry.body_text
    assert "Limited evidence of teamwork" not in sorry.body_text  # the lead did not include it
    assert f"/applications/{no.id}/feedback" in sorry.body_text
    assert emails_to("later@example.org") == []
    assert {e.subject_id for e in audits("shortlisting.outcome_sent")} == {str(yes.id), str(no.id)}
    sent = sent_at(yes, no)
    assert sent[yes.id] is not None and sent[yes.id] == sent[no.id]
    assert decisions.untold(role) == [] and decisions.untold_count(role) == 0
    [batch] = audits("shortlisting.outcomes_sent", role.id)
    assert batch.after == {"shortlisted": 1, "not_shortlisted": 1, "reasons_included": False}

    again = decisions.send_outcomes(role, lead)
    assert again.total == 0
    assert len(emails_to("yes@example.org")) == 1
    assert len(emails_to("no@example.org")) == 1
    assert len(audits("shortlisting.outcome_sent")) == 2
    assert "Every decided applicant has been told." in client.get(matrix_url(role)).get_data(
        as_text=True
    )


def test_the_reason_is_included_only_when_the_lead_chooses(role, lead, decided):
    decisions.send_outcomes(role, lead, include_reasons=True)
    [sorry] = emails_to("no@example.org")
    assert "Why: Limited evidence of teamwork" in sorry.body_text
    [good] = emails_to("yes@example.org")
    assert "Strong on both" not in good.body_text


def test_only_the_lead_sends_outcomes(app, role, make_user, decided):
    other = make_user("hr")
    with pytest.raises(DomainError):
        decisions.send_outcomes(role, other)
    client = client_for(app, other)
    page = client.get(matrix_url(role)).get_data(as_text=True)
    assert "Send outcomes" not in page
    response = post_form(client, matrix_url(role), f"{matrix_url(role)}/outcomes", {})
    assert response.status_code == 302
    assert "Only the panel&#39;s lead" in client.get(matrix_url(role)).get_data(as_text=True)
    assert emails_to("yes@example.org") == []
    assert audits("shortlisting.outcome_sent") == []
    assert decisions.untold_count(role) == 2


def test_nothing_is_sent_when_a_decision_no_longer_follows_the_rules(role, lead, decided):
    yes, _, _ = decided
    # A later moderated score fails an essential criterion the lead shortlisted on.
    record_moderation(yes, scored_criteria(role)[0].id, 0, "Re-read: no evidence", lead)
    with pytest.raises(DomainError) as refused:
        decisions.send_outcomes(role, lead)
    assert yes.reference in refused.value.errors["outcomes"]
    assert emails_to("yes@example.org") == emails_to("no@example.org") == []
    assert audits("shortlisting.outcome_sent") == []
    assert set(sent_at(*decided[:2]).values()) == {None}


def test_being_told_is_read_from_the_decision_not_from_the_audit_log(role, lead, decided):
    yes, no, _ = decided
    # An audit event alone (say, restored from an archive) tells nobody anything.
    audit.record("shortlisting.outcome_sent", "application", no.id, after={"outcome": "x"})
    db.session.commit()
    assert [a.id for a, _ in decisions.untold(role)] == sorted([yes.id, no.id])
    assert decisions.untold_count(role) == 2
    assert not decisions.may_ask_for_feedback(no)
    decisions.decide(no, "not_shortlisted", "Still limited evidence", lead)  # not final yet
    assert decisions.send_outcomes(role, lead).total == 2


def test_the_page_warns_when_a_decision_no_longer_follows_the_rules(app, role, lead, decided):
    yes, _, _ = decided
    client = client_for(app, lead)
    assert "Check this decision" not in client.get(application_url(yes)).get_data(as_text=True)
    record_moderation(yes, scored_criteria(role)[0].id, 0, "Re-read: no evidence", lead)
    html = client.get(application_url(yes)).get_data(as_text=True)
    assert "Check this decision" in html
    assert "scored 0 on an essential criterion (Lived experience of NHS services)" in html


# --- Feedback ---------------------------------------------------------------------------------


def test_the_applicant_asks_for_feedback_from_the_email(app, role, lead, decided):
    _, no, _ = decided
    decisions.send_outcomes(role, lead)
    [sorry] = emails_to("no@example.org")
    link = link_in(sorry, "/feedback")
    client = client_for(app, no.applicant)
    page = client.get(link)
    assert page.status_code == 200
    assert "<title>Ask for feedback" in page.get_data(as_text=True)
    response = post_form(client, link, link, {})
    assert response.status_code == 302
    html = client.get(link).get_data(as_text=True)
    assert "You have asked for feedback" in html
    decision = db.session.scalar(select(Decision).where(Decision.application_id == no.id))
    assert decision.feedback_requested_at is not None
    [event] = audits("shortlisting.feedback_requested", no.id)
    assert event.actor_id == no.applicant_id
    [to_contact] = emails_to(role.contact_email)
    assert no.reference in to_contact.body_text
    assert "Limited evidence of teamwork" in to_contact.body_text
    # Asking again changes nothing and sends nothing.
    assert "Ask for feedback</button>" not in html
    decisions.request_feedback(no, no.applicant)
    assert len(emails_to(role.contact_email)) == 1
    assert len(audits("shortlisting.feedback_requested")) == 1


def test_feedback_pages_are_the_applicants_own(app, role, lead, decided, make_user):
    yes, no, _ = decided
    decisions.send_outcomes(role, lead)
    stranger = client_for(app, make_user("applicant"))
    assert stranger.get(f"/applications/{no.id}/feedback").status_code == 404
    assert client_for(app, lead).get(f"/applications/{no.id}/feedback").status_code == 403
    # The shortlisted applicant has nothing to ask.
    with pytest.raises(DomainError):
        decisions.request_feedback(yes, yes.applicant)
    assert emails_to(role.contact_email) == []


def test_no_feedback_before_the_outcome_is_sent(app, role, decided):
    _, no, _ = decided
    client = client_for(app, no.applicant)
    html = client.get(f"/applications/{no.id}/feedback").get_data(as_text=True)
    assert "once we have told you the outcome" in html
    with pytest.raises(DomainError):
        decisions.request_feedback(no, no.applicant)
    assert (
        db.session.scalar(
            select(Decision.feedback_requested_at).where(Decision.application_id == no.id)
        )
        is None
    )


# --- Interviews -------------------------------------------------------------------------------


@pytest.fixture
def told(role, lead, scorers, panel, make_user):
    application = scored(
        role,
        make_user,
        scorers,
        [3, 3],
        [3, 3],
        email="sam@example.org",
        full_name="Sam Shortlisted",
        adjustments_interview="A quiet room and questions in writing",
        contact_method="phone",
        phone="07700 900123",
    )
    decisions.decide(application, "shortlisted", "Strong", lead)
    decisions.send_outcomes(role, lead)
    return application


def interview_data(when: dt.datetime, **overrides: str) -> dict[str, str]:
    local = when.astimezone(LONDON)
    return {
        "interview_date": local.strftime("%Y-%m-%d"),
        "interview_time": local.strftime("%H:%M"),
        "location": "Room 4, Trust HQ, 1 High Street",
        "organiser_email": "organiser@example.org",
        **overrides,
    }


def test_the_lead_invites_to_interview_and_the_organiser_hears_the_adjustments(
    app, role, lead, told
):
    client = client_for(app, lead)
    url = f"{application_url(told)}/interview"
    page = client.get(url).get_data(as_text=True)
    assert lead.email in page  # the organiser defaults to the lead
    response = post_form(
        client, url, url, interview_data(dt.datetime(2031, 6, 3, 14, 30, tzinfo=LONDON))
    )
    assert response.status_code == 302
    interview = db.session.scalar(select(Interview))
    assert interview.starts_at == dt.datetime(2031, 6, 3, 13, 30, tzinfo=dt.UTC)
    assert fresh(told).status == "interview"
    [event] = audits("shortlisting.interview_invited", told.id)
    assert event.after["status"] == "interview"
    invitation = emails_to("sam@example.org")[-1]
    assert "3 June 2031 at 2:30pm" in invitation.body_text
    assert "Room 4, Trust HQ" in invitation.body_text
    assert "tell us if you need anything else" in invitation.body_text.lower()
    [organiser] = emails_to("organiser@example.org")
    assert "Sam Shortlisted" in organiser.body_text
    assert told.reference in organiser.body_text
    assert "A quiet room and questions in writing" in organiser.body_text
    assert "Phone call (07700 900123)" in organiser.body_text
    assert "A quiet room" not in invitation.body_text
    html = client.get(application_url(told)).get_data(as_text=True)
    assert "Invited to interview on 3 June 2031 at 2:30pm" in html
    # The lead's page stays blind: only the organiser's email names the applicant.
    assert "Sam Shortlisted" not in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"location": ""}, "location", "Enter where the interview is, or the video call link"),
        (
            {"organiser_email": "not-an-email"},
            "organiser_email",
            "Enter the organiser's email address in the correct format, like name@example.com",
        ),
        ({"interview_date": ""}, "interview_date", "Enter the date of the interview"),
        ({"interview_time": "25:99"}, "interview_time", "Enter a real time, like 14:30"),
    ],
)
def test_bad_invitations_are_refused_at_the_field(app, lead, told, overrides, field, message):
    client = client_for(app, lead)
    url = f"{application_url(told)}/interview"
    data = interview_data(utcnow() + dt.timedelta(days=7), **overrides)
    response = post_form(client, url, url, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Error: Invite" in html
    assert error_at(html, field) == message
    if field != "location":
        assert "Room 4, Trust HQ, 1 High Street" in html  # nothing typed is lost
    assert count(Interview) == 0
    assert fresh(told).status == "shortlisted"
    assert emails_to("organiser@example.org") == []


def test_an_interview_in_the_past_is_refused(app, lead, told):
    with pytest.raises(DomainError) as refused:
        decisions.invite_to_interview(
            told, utcnow() - dt.timedelta(minutes=5), "Room 4", "organiser@example.org", lead
        )
    assert refused.value.errors["starts_at"] == "The interview must be in the future"
    client = client_for(app, lead)
    url = f"{application_url(told)}/interview"
    response = post_form(client, url, url, interview_data(utcnow() - dt.timedelta(days=1)))
    assert error_at(response.get_data(as_text=True), "interview_date") == (
        "The interview must be in the future"
    )
    assert count(Interview) == 0
    assert fresh(told).status == "shortlisted"


def test_only_a_told_shortlisted_applicant_is_invited_by_the_lead(
    role, lead, scorers, panel, make_user, told
):
    soon = utcnow() + dt.timedelta(days=3)
    with pytest.raises(DomainError):
        decisions.invite_to_interview(told, soon, "Room 4", "o@example.org", make_user("hr"))
    untold = scored(role, make_user, scorers, [3, 3], [3, 3])
    decisions.decide(untold, "shortlisted", "Strong", lead)
    with pytest.raises(DomainError) as refused:
        decisions.invite_to_interview(untold, soon, "Room 4", "o@example.org", lead)
    assert "Send the outcome" in refused.value.errors["application"]
    decisions.invite_to_interview(told, soon, "Room 4", "o@example.org", lead)
    with pytest.raises(DomainError):  # invited once only
        decisions.invite_to_interview(told, soon, "Room 5", "o@example.org", lead)
    assert count(Interview) == 1
    assert len(emails_to("o@example.org")) == 1


def test_before_any_decision_the_page_does_not_say_everyone_was_told(
    app, role, lead, make_user, scorers
):
    scored(role, make_user, scorers, [2, 2], [2, 2], email="later@example.org")
    page = client_for(app, lead).get(matrix_url(role)).get_data(as_text=True)
    assert "Every decided applicant has been told." not in page
    assert "No application has a decision yet." in page
