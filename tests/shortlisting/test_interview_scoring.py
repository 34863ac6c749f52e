"""Interview scoring through the pages: two panel members score the interview criteria on the
same scorecard as shortlisting, the lead moderates the disagreement, sees the agreed interview
total on the outcome page and decides."""

from __future__ import annotations

import datetime as dt

import pytest

from lep import service
from lep.db import utcnow
from lep.extensions import db
from lep.roles.models import Criterion
from lep.shortlisting.models import Scorecard
from tests.shortlisting.moderation_support import client_for, make_panel, post_form
from tests.shortlisting.offer_support import application_at, person, role_paid


@pytest.fixture
def setup(app):  # type: ignore[no-untyped-def]
    role = role_paid()
    for n, (text, essential) in enumerate(
        [("Listens and reflects", True), ("Works with the panel", False)]
    ):
        db.session.add(
            Criterion(
                role_id=role.id, text=text, essential=essential, stage="interview", position=90 + n
            )
        )
    db.session.commit()
    lead = person("hr", full_name="Harriet Lead")
    pat = person("panel", full_name="Pat Scorer")
    kim = person("panel", full_name="Kim Scorer")
    make_panel(role, lead, [pat, kim])
    application = application_at(role, "interview", by=lead)
    criteria = [c.id for c in role.criteria if c.stage == "interview"]
    yield role, lead, pat, kim, application, criteria
    service.freeze(None)


def _score(client, application, values, submit=True):  # type: ignore[no-untyped-def]
    url = f"/panel/roles/{application.role_id}/interviews/{application.id}"
    data = {f"score_{cid}": str(v) for cid, v in values.items()}
    data["submit_scores" if submit else "save_draft"] = ""
    return post_form(client, url, url, data)


def test_two_panel_members_score_the_interview_and_the_lead_moderates_and_decides(app, setup):  # type: ignore[no-untyped-def]
    role, lead, pat, kim, application, (listens, works) = setup
    pat_client, kim_client = client_for(app, pat), client_for(app, kim)

    panel_page = pat_client.get(f"/panel/roles/{role.id}").get_data(as_text=True)
    assert "Interviews to score" in panel_page
    assert f'href="/panel/roles/{role.id}/interviews/{application.id}"' in panel_page
    assert application.applicant.full_name not in panel_page

    # Before the interview: refused, nothing saved.
    early = _score(pat_client, application, {listens: 3, works: 3})
    assert "The interview has not happened yet" in early.get_data(as_text=True)
    assert db.session.query(Scorecard).filter_by(stage="interview").count() == 0

    service.freeze(utcnow() + dt.timedelta(days=4))
    card_page = pat_client.get(f"/panel/roles/{role.id}/interviews/{application.id}")
    card_text = card_page.get_data(as_text=True)
    assert "Listens and reflects" in card_text and 'name="submit_scores"' in card_text
    # Who they are and what adjustments they asked for stay with the organiser.
    assert application.applicant.full_name not in card_text
    assert "adjustment" not in card_text.lower()
    # A draft, then the final scores.
    assert _score(pat_client, application, {listens: 3}, submit=False).status_code == 302
    assert _score(pat_client, application, {listens: 3, works: 3}).status_code == 302
    assert _score(kim_client, application, {listens: 1, works: 3}).status_code == 302
    again = _score(kim_client, application, {listens: 2, works: 2})
    assert again.status_code == 200  # read-only now: the page shows the card, no form
    assert 'name="submit_scores"' not in again.get_data(as_text=True)
    cards = db.session.query(Scorecard).filter_by(application_id=application.id).all()
    assert sorted((c.stage, c.status) for c in cards) == [
        ("interview", "submitted"),
        ("interview", "submitted"),
    ]

    lead_client = client_for(app, lead)
    page_url = f"/hr/roles/{role.id}/shortlisting/applications/{application.id}"
    page = lead_client.get(page_url).get_data(as_text=True)
    assert "Interview scores" in page
    assert "Listens and reflects" in page

    outcome_url = f"/hr/applications/{application.id}/interview-outcome"
    outcome = lead_client.get(outcome_url).get_data(as_text=True)
    assert "Needs moderation" in outcome  # 3 and 1 are two apart
    assert "Agreed interview total: not agreed yet" in outcome

    moderated = post_form(
        lead_client,
        page_url,
        f"{page_url}/criteria/{listens}",
        {
            f"criterion{listens}-value": "2",
            f"criterion{listens}-reason": "Agreed: a good example, little reflection",
        },
    )
    assert moderated.status_code == 302
    outcome = lead_client.get(outcome_url).get_data(as_text=True)
    assert "2 (moderated)" in outcome
    assert "Agreed interview total: 5 out of 6" in outcome

    decided = post_form(
        lead_client,
        outcome_url,
        outcome_url,
        {"outcome": "unsuccessful", "reason": "Another interviewee scored higher at interview"},
    )
    assert decided.status_code == 302
    db.session.refresh(application)
    assert application.status == "unsuccessful"


def test_only_the_panel_sees_an_interview_scorecard(app, setup):  # type: ignore[no-untyped-def]
    role, _lead, _pat, _kim, application, _criteria = setup
    outsider = client_for(app, person("panel", full_name="Not On Panel"))
    url = f"/panel/roles/{role.id}/interviews/{application.id}"
    assert outsider.get(url).status_code == 404


def test_an_applicant_not_at_interview_cannot_be_scored(app, setup):  # type: ignore[no-untyped-def]
    role, lead, pat, _kim, _application, (listens, works) = setup
    shortlisted = application_at(role, "shortlisted", by=lead)
    service.freeze(utcnow() + dt.timedelta(days=4))
    response = _score(client_for(app, pat), shortlisted, {listens: 3, works: 3})
    assert "This applicant is not at interview" in response.get_data(as_text=True)
    assert db.session.query(Scorecard).filter_by(application_id=shortlisted.id).count() == 0
