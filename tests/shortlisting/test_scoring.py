"""Blind scoring as services: what a scorer can score and see, drafts and submitting, conflicts,
every refusal (with nothing changed), and when others' scores become visible."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lep.extensions import db
from lep.roles.services import add_criterion
from lep.service import DomainError
from lep.shortlisting import panels, scoring
from lep.shortlisting.models import Score, Scorecard
from tests.applications.conftest import open_role
from tests.shortlisting.scoring_support import (
    audited,
    criteria_ids,
    scores_for,
    seat_panel,
    sent_application,
)


@pytest.fixture
def role():
    return open_role()


@pytest.fixture
def lead(make_user):
    return make_user("hr")


@pytest.fixture
def scorer(make_user):
    return make_user("panel", full_name="Rae Reviewer")


@pytest.fixture
def panel(role, lead, scorer):
    return seat_panel(role, scorer, lead=lead)


def cards() -> int:
    return db.session.scalar(select(func.count(Scorecard.id))) or 0


def values_of(card: Scorecard) -> list[int | None]:
    db.session.refresh(card)
    return [s.value for s in card.scores]


def test_a_scorer_scores_sent_applications_but_not_drafts_withdrawn_or_their_own(
    role, panel, scorer, make_user
):
    sent = sent_application(role, make_user)
    under_review = sent_application(role, make_user, status="under_review")
    sent_application(role, make_user, status="draft")
    sent_application(role, make_user, status="withdrawn")
    own = sent_application(role, make_user)
    own.applicant_id = scorer.id
    db.session.commit()
    sent_application(open_role("Another role"), make_user)
    ids = [a.id for a in db.session.scalars(scoring.scorable(role.id, scorer.id))]
    assert sorted(ids) == sorted([sent.id, under_review.id])
    assert scoring.scorable_application(role, scorer, own.id) is None


def test_only_panel_members_with_the_panel_or_hr_role_have_a_seat(role, panel, scorer, make_user):
    assert scoring.seat(role.id, scorer) is not None
    assert scoring.seat(role.id, make_user("panel")) is None
    scorer.set_roles({"applicant"})  # no longer a panel member
    db.session.commit()
    assert scoring.seat(role.id, scorer) is None
    assert scoring.my_panels(scorer) == []


def test_the_blind_view_shows_the_reference_questions_redacted_answers_and_criteria(
    role, panel, make_user
):
    add_criterion(role, "Able to challenge kindly", True, "interview", None)
    add_criterion(role, "Not asked about", True, "application", None)
    application = sent_application(
        role,
        make_user,
        full_name="Anne-Marie O'Neil",
        email="amo@example.org",
        answers=["I'm Anne-Marie (amo@example.org).", "Call 07700 900123, ask for Anne."],
        phone="07700 900123",
        adjustments_application="Large print",
        guaranteed_interview=True,
    )
    blind = scoring.blind_view(application)
    assert blind.reference == application.reference
    assert [(q.number, q.answer) for q in blind.questions] == [
        (1, "I'm [name] ([email])."),
        (2, "Call [phone], ask for [name]."),
    ]
    assert blind.questions[0].criteria == ["Lived experience of NHS services"]
    # Interview criteria and criteria no question covers are not scored from the application.
    assert [(c.text, c.questions) for c in blind.criteria] == [
        ("Lived experience of NHS services", [1]),
        ("You can work well in a team", [2]),
    ]
    assert not hasattr(blind, "applicant")


def test_a_draft_keeps_partial_work_and_can_be_changed(role, panel, scorer, make_user):
    application = sent_application(role, make_user)
    lived, team = criteria_ids(role)
    card = scoring.save_scorecard(
        role, application, scorer, {lived: "2"}, {lived: "A clear example"}, False
    )
    assert card.status == "draft"
    assert values_of(card) == [2, None]
    assert card.scores[0].comment == "A clear example"
    scoring.save_scorecard(role, application, scorer, {lived: "3", team: "1"}, {}, False)
    assert values_of(card) == [3, 1]
    assert cards() == 1
    assert audited("scorecard", card.id) == ["scorecard.saved", "scorecard.saved"]


def test_submitting_needs_every_criterion_then_is_final(role, panel, scorer, make_user):
    application = sent_application(role, make_user)
    lived, team = criteria_ids(role)
    card = scoring.save_scorecard(role, application, scorer, {lived: "2"}, {}, False)
    with pytest.raises(DomainError) as refused:
        scoring.save_scorecard(role, application, scorer, {lived: "3"}, {}, True)
    assert refused.value.errors == {
        f"score_{team}": "Select a score for “You can work well in a team”"
    }
    assert card.status == "draft" and values_of(card) == [2, None]  # nothing changed

    scoring.save_scorecard(role, application, scorer, {lived: 3, team: 0}, {}, True)
    db.session.refresh(card)
    assert card.status == "submitted" and card.submitted_at is not None
    assert values_of(card) == [3, 0]
    assert audited("scorecard", card.id)[-1] == "scorecard.submitted"
    for submit in (False, True):
        with pytest.raises(DomainError) as refused:
            scoring.save_scorecard(role, application, scorer, {lived: 1, team: 1}, {}, submit)
        assert refused.value.errors == {
            "scorecard": "You have submitted your scores for this application: they are final"
        }
    assert values_of(card) == [3, 0]


@pytest.mark.parametrize("bad", ["4", "-1", "7", "two", "1.5", "٣", "03x", 9, True])
def test_a_score_outside_the_scale_is_refused_and_nothing_is_saved(
    role, panel, scorer, make_user, bad
):
    application = sent_application(role, make_user)
    lived, team = criteria_ids(role)
    with pytest.raises(DomainError) as refused:
        scoring.save_scorecard(role, application, scorer, {lived: "1", team: bad}, {}, False)
    assert refused.value.errors == {
        f"score_{team}": "Select a score from 0 to 3 for “You can work well in a team”"
    }
    assert cards() == 0


def test_a_score_with_spaces_round_it_is_read_as_the_number():
    assert scoring.parse_score(" 2 ") == 2
    assert scoring.parse_score("") is None
    assert scoring.parse_score(None) is None


def test_a_long_comment_is_refused(role, panel, scorer, make_user):
    application = sent_application(role, make_user)
    lived, _ = criteria_ids(role)
    with pytest.raises(DomainError) as refused:
        scoring.save_scorecard(role, application, scorer, {}, {lived: "x" * 5_001}, False)
    assert f"comment_{lived}" in refused.value.errors
    assert cards() == 0


def test_nobody_scores_after_the_lead_closes_scoring(role, panel, scorer, lead, make_user):
    application = sent_application(role, make_user)
    card = scoring.save_scorecard(role, application, scorer, scores_for(role, 1, None), {}, False)
    panels.close_scoring(role, lead)
    for submit in (False, True):
        with pytest.raises(DomainError) as refused:
            scoring.save_scorecard(role, application, scorer, scores_for(role, 3, 3), {}, submit)
        assert refused.value.errors == {
            "scorecard": f"Scoring for {role.title} has closed, so scores can no longer be saved"
        }
    assert card.status == "draft" and values_of(card) == [1, None]
    with pytest.raises(DomainError):
        scoring.declare_conflict(role, sent_application(role, make_user), scorer, "")
    assert cards() == 1


def test_a_scorer_not_on_the_panel_cannot_score(role, panel, make_user):
    application = sent_application(role, make_user)
    stranger = make_user("panel")
    with pytest.raises(DomainError) as refused:
        scoring.save_scorecard(role, application, stranger, scores_for(role, 1, 1), {}, True)
    assert refused.value.errors == {"scorecard": "You are not on the panel for this role"}
    other_role = open_role("Another role")
    other = sent_application(other_role, make_user)
    assert scoring.scorable_application(role, stranger, other.id) is None
    assert cards() == 0


def test_a_declared_conflict_hides_the_application_and_refuses_scores(
    role, panel, scorer, make_user
):
    application = sent_application(role, make_user)
    card = scoring.save_scorecard(role, application, scorer, scores_for(role, 2, 2), {}, False)
    scoring.declare_conflict(role, application, scorer, "  I know them from a support group ")
    db.session.refresh(card)
    assert card.status == "conflict"
    assert card.conflict_note == "I know them from a support group"
    assert db.session.scalar(select(func.count(Score.id))) == 0  # the draft's scores are gone
    assert application.id not in [
        a.id for a in db.session.scalars(scoring.scorable(role.id, scorer.id))
    ]
    for submit in (False, True):
        with pytest.raises(DomainError) as refused:
            scoring.save_scorecard(role, application, scorer, scores_for(role, 3, 3), {}, submit)
        assert refused.value.errors == {"scorecard": scoring.CONFLICTED}
    db.session.refresh(card)
    assert card.status == "conflict" and card.scores == []
    assert audited("scorecard", card.id)[-1] == "scorecard.conflict_declared"


def test_no_conflict_after_submitting_and_a_long_note_is_refused(role, panel, scorer, make_user):
    application = sent_application(role, make_user)
    with pytest.raises(DomainError) as refused:
        scoring.declare_conflict(role, application, scorer, "x" * 2_001)
    assert refused.value.errors == {"note": "Your note must be 2,000 characters or fewer"}
    assert cards() == 0
    card = scoring.save_scorecard(role, application, scorer, scores_for(role, 2, 2), {}, True)
    with pytest.raises(DomainError) as refused:
        scoring.declare_conflict(role, application, scorer, "")
    assert "Tell the panel lead" in refused.value.errors["note"]
    db.session.refresh(card)
    assert card.status == "submitted"


def test_others_scores_are_hidden_until_every_card_is_submitted(role, lead, make_user):
    one, two = make_user("panel"), make_user("panel")
    panel = seat_panel(role, one, two, lead=lead)
    a, b, c = (sent_application(role, make_user) for _ in range(3))
    scoring.save_scorecard(role, a, two, scores_for(role, 1, 3), {}, True)
    assert not scoring.others_unlocked(role, one)
    scoring.save_scorecard(role, a, one, scores_for(role, 3, 3), {}, True)
    scoring.save_scorecard(role, b, one, scores_for(role, 2, 2), {}, False)  # a draft
    scoring.declare_conflict(role, c, one, "")
    assert not scoring.others_unlocked(role, one)
    scoring.save_scorecard(role, b, one, scores_for(role, 2, 1), {}, True)
    assert scoring.others_unlocked(role, one)  # c is a conflict: not theirs to score
    assert not scoring.others_unlocked(role, two)

    others = scoring.others_scores(role, panel, one, 1)
    assert others.columns == [(1, "You"), (2, "Scorer 2")]
    rows = {r.id: r for r in others.rows}
    assert set(rows) == {a.id, b.id}  # not c, which they declared a conflict for
    lived, team = criteria_ids(role)
    assert rows[a.id].scores == {lived: {1: 3, 2: 1}, team: {1: 3, 2: 3}}
    assert rows[a.id].totals == {1: 6, 2: 4}
    assert rows[b.id].totals == {1: 3}

    # A new application locks the view again until it is scored.
    sent_application(role, make_user)
    assert not scoring.others_unlocked(role, one)


def test_nothing_to_score_is_not_an_unlock(role, panel, scorer):
    assert not scoring.others_unlocked(role, scorer)


def test_my_panels_counts_my_work(role, panel, scorer, make_user):
    a, b, c = (sent_application(role, make_user) for _ in range(3))
    scoring.save_scorecard(role, a, scorer, scores_for(role, 1, 1), {}, True)
    scoring.save_scorecard(role, b, scorer, scores_for(role, 1, None), {}, False)
    (seat,) = scoring.my_panels(scorer)
    assert seat.role.id == role.id
    assert (seat.to_do, seat.drafts, seat.submitted, seat.conflicts) == (1, 1, 1, 0)
    assert c.id not in {a.id, b.id}
