"""Setting up a panel: the lead, scorers (added before the role closes, emailed), removing a scorer
who has submitted nothing, and closing scoring (the lead only)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from lep.db import utcnow
from lep.extensions import db
from lep.roles.services import close_role
from lep.service import DomainError
from lep.shortlisting import panels, scoring
from lep.shortlisting.models import Panel, PanelMember, Scorecard
from tests.applications.conftest import open_role
from tests.helpers import emails_to, link_in
from tests.shortlisting.scoring_support import audited, scores_for, sent_application


@pytest.fixture
def role():
    return open_role()


@pytest.fixture
def hr(make_user):
    return make_user("hr", full_name="Harriet Lead")


def test_the_panel_is_made_once_and_audited(role, hr):
    panel = panels.get_or_create_panel(role, hr)
    assert panels.get_or_create_panel(role, hr).id == panel.id
    assert db.session.scalar(select(func.count(Panel.id)).where(Panel.role_id == role.id)) == 1
    assert audited("panel", panel.id) == ["panel.created"]


def test_the_lead_must_be_in_hr(role, hr, make_user):
    scorer = make_user("panel")
    with pytest.raises(DomainError) as refused:
        panels.set_lead(role, scorer.id, hr)
    assert refused.value.errors == {"lead_id": "The panel lead must be a member of the HR team"}
    with pytest.raises(DomainError):
        panels.set_lead(role, None, hr)
    panel = panels.set_lead(role, hr.id, hr)
    assert panel.lead_id == hr.id
    assert "panel.lead_set" in audited("panel", panel.id)


def test_panel_members_hr_staff_and_partners_on_the_panel_can_score(role, hr, make_user):
    reviewer = make_user("panel", full_name="Rae Reviewer")
    partner_reviewer = make_user("partner", "panel")
    for user in (reviewer, hr, partner_reviewer):
        member = panels.add_scorer(role, user.id, hr)
        assert member.user_id == user.id
    panel = panels.panel_for(role)
    assert panel is not None
    assert [m.user_id for m in panel.members] == [reviewer.id, hr.id, partner_reviewer.id]
    assert audited("panel", panel.id).count("panel.scorer_added") == 3


def test_a_scorer_is_emailed_a_link_to_their_scoring_list(role, hr, make_user):
    reviewer = make_user("panel", full_name="Rae Reviewer")
    panels.add_scorer(role, reviewer.id, hr)
    (message,) = emails_to(reviewer.email)
    assert message.subject == f"You are on the panel for {role.title}"
    assert "Hello Rae Reviewer" in message.body_text
    assert link_in(message, "/panel/roles/") == f"/panel/roles/{role.id}"


@pytest.mark.parametrize("roles", [("partner",), ("applicant",), ("finance",), ("admin",)])
def test_people_without_the_panel_or_hr_role_cannot_score(role, hr, make_user, roles):
    user = make_user(*roles)
    with pytest.raises(DomainError) as refused:
        panels.add_scorer(role, user.id, hr)
    assert refused.value.errors == {
        "user_id": "Only panel members and HR staff can score applications"
    }
    assert emails_to(user.email) == []
    assert user not in panels.eligible_scorers(role)


def test_someone_who_applied_for_the_role_cannot_score_it(role, hr, make_user):
    reviewer = make_user("panel", full_name="Rae Reviewer")
    application = sent_application(role, make_user)
    application.applicant_id = reviewer.id
    db.session.commit()
    assert reviewer not in panels.eligible_scorers(role)
    with pytest.raises(DomainError) as refused:
        panels.add_scorer(role, reviewer.id, hr)
    assert refused.value.errors == {
        "user_id": "Rae Reviewer has applied for this role, so cannot score it"
    }


def test_a_scorer_is_added_once(role, hr, make_user):
    reviewer = make_user("panel", full_name="Rae Reviewer")
    panels.add_scorer(role, reviewer.id, hr)
    assert reviewer not in panels.eligible_scorers(role)
    with pytest.raises(DomainError) as refused:
        panels.add_scorer(role, reviewer.id, hr)
    assert refused.value.errors == {"user_id": "Rae Reviewer is already on this panel"}
    assert len(emails_to(reviewer.email)) == 1


def test_no_scorer_is_added_after_the_closing_time(role, hr, make_user):
    reviewer = make_user("panel")
    role.closes_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        panels.add_scorer(role, reviewer.id, hr)
    message = refused.value.errors["user_id"]
    assert message.startswith("This role closed on ")
    assert message.endswith("Scorers can only be added before it closes")
    panel = panels.panel_for(role)
    assert panel is not None and panel.members == []
    assert emails_to(reviewer.email) == []


def test_no_scorer_is_added_once_hr_closed_the_role(role, hr, make_user):
    close_role(role, hr)
    with pytest.raises(DomainError) as refused:
        panels.add_scorer(role, make_user("panel").id, hr)
    assert refused.value.errors == {
        "user_id": "This role closed. Scorers can only be added before it closes"
    }


def test_a_scorer_who_submitted_nothing_can_be_removed_with_their_drafts(role, hr, make_user):
    reviewer = make_user("panel")
    member = panels.add_scorer(role, reviewer.id, hr)
    application = sent_application(role, make_user)
    scoring.save_scorecard(role, application, reviewer, scores_for(role, 2, None), {}, False)
    panels.remove_scorer(role, member.id, hr)
    assert db.session.scalar(select(func.count(PanelMember.id))) == 0
    assert db.session.scalar(select(func.count(Scorecard.id))) == 0
    panel = panels.panel_for(role)
    assert panel is not None
    assert "panel.scorer_removed" in audited("panel", panel.id)
    assert scoring.seat(role.id, reviewer) is None


def test_a_scorer_who_submitted_stays(role, hr, make_user):
    reviewer = make_user("panel", full_name="Rae Reviewer")
    member = panels.add_scorer(role, reviewer.id, hr)
    application = sent_application(role, make_user)
    scoring.save_scorecard(role, application, reviewer, scores_for(role, 2, 1), {}, True)
    with pytest.raises(DomainError) as refused:
        panels.remove_scorer(role, member.id, hr)
    assert refused.value.errors == {
        "member_id": "Rae Reviewer has submitted scores, so they stay on the panel"
    }
    assert scoring.seat(role.id, reviewer) is not None
    with pytest.raises(DomainError):
        panels.remove_scorer(role, 999_999, hr)


def test_only_the_lead_closes_scoring_once(role, hr, make_user):
    other_hr = make_user("hr")
    with pytest.raises(DomainError) as refused:
        panels.close_scoring(role, hr)
    assert refused.value.errors == {
        "panel": "Set a panel lead first: only the lead can close scoring"
    }
    panels.set_lead(role, hr.id, hr)
    with pytest.raises(DomainError) as refused:
        panels.close_scoring(role, other_hr)
    assert refused.value.errors == {"panel": "Only the panel lead can close scoring"}
    panel = panels.panel_for(role)
    assert panel is not None and panel.scoring_closed_at is None
    panels.close_scoring(role, hr)
    assert panel.scoring_closed_at is not None
    assert "panel.scoring_closed" in audited("panel", panel.id)
    with pytest.raises(DomainError) as refused:
        panels.close_scoring(role, hr)
    assert refused.value.errors == {"panel": "Scoring is already closed"}


def test_progress_counts_each_scorers_cards(role, hr, make_user):
    one, two = make_user("panel"), make_user("panel")
    for user in (one, two):
        panels.add_scorer(role, user.id, hr)
    a, b, c = (sent_application(role, make_user) for _ in range(3))
    sent_application(role, make_user, status="draft")  # never scored
    withdrawn = sent_application(role, make_user, status="withdrawn")
    scoring.save_scorecard(role, a, one, scores_for(role, 3, 3), {}, True)
    scoring.save_scorecard(role, b, one, scores_for(role, 1, None), {}, False)
    scoring.declare_conflict(role, c, one, "My neighbour")
    scoring.save_scorecard(role, a, two, scores_for(role, 2, 2), {}, True)
    assert withdrawn.id not in {x.id for x in db.session.scalars(scoring.scorable(role.id, two.id))}
    progress = panels.progress(role, [one.id, two.id])
    assert (progress[one.id].submitted, progress[one.id].drafts, progress[one.id].conflicts) == (
        1,
        1,
        1,
    )
    assert progress[one.id].to_do == 1  # b, in progress
    assert (progress[two.id].submitted, progress[two.id].to_do) == (1, 2)


def test_the_demo_panels_are_mid_way_and_ready_for_moderation_and_seed_once(app):
    from lep.demo import seed
    from lep.shortlisting.assessment import assess
    from lep.shortlisting.demo import PARTNER, TRAINER, seed_demo_panels

    seed()
    accounts = seed_demo_panels()
    assert ("panel2@example.org", ["panel"]) in accounts
    cards_before = db.session.scalar(select(func.count(Scorecard.id)))
    seed_demo_panels()  # again: nothing more
    assert db.session.scalar(select(func.count(Scorecard.id))) == cards_before

    def role_named(title):
        from lep.roles.models import Role

        return db.session.scalar(select(Role).where(Role.title == title))

    partner = role_named(PARTNER)
    panel = panels.panel_for(partner)
    assert panel is not None and panel.lead is not None
    assert panel.lead.email == "hr@example.org"
    assert panel.scoring_closed_at is None
    emails = [m.user.email for m in panel.members]
    assert emails == ["panel@example.org", "panel2@example.org"]
    statuses = set(
        db.session.scalars(select(Scorecard.status).where(Scorecard.role_id == partner.id))
    )
    assert statuses == {"draft", "submitted", "conflict"}

    trainer = role_named(TRAINER)
    assert trainer.status == "closed"
    panel = panels.panel_for(trainer)
    assert panel is not None and panel.scoring_closed_at is not None
    cards = db.session.scalars(select(Scorecard).where(Scorecard.role_id == trainer.id)).all()
    assert len(cards) == 8 and {c.status for c in cards} == {"submitted"}
    ids = sorted({c.application_id for c in cards})
    flagged = [a for a in assess(trainer, ids).values() if a.needing_moderation]
    assert len(flagged) == 2
