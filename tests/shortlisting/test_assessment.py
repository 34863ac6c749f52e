"""Agreed scores, disagreement flags and the essential-criteria rule, from submitted cards."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy import event

from lep.applications.models import Application
from lep.extensions import db
from lep.shortlisting.assessment import assess, round_half_up, scored_criteria
from lep.shortlisting.models import ModeratedScore, Score, Scorecard
from tests.applications.conftest import open_role


@pytest.fixture
def role():
    return open_role(questions=2)


def application(role, make_user) -> Application:
    app_ = Application(role=role, applicant_id=make_user("applicant").id, status="submitted")
    db.session.add(app_)
    db.session.flush()
    return app_


def card(application, scorer, values, status="submitted") -> Scorecard:
    card = Scorecard(
        application=application, scorer_id=scorer.id, role_id=application.role_id, status=status
    )
    criteria = scored_criteria(application.role)
    card.scores = [Score(criterion_id=c.id, value=v) for c, v in zip(criteria, values, strict=True)]
    db.session.add(card)
    db.session.flush()
    return card


def test_only_criteria_a_question_covers_are_scored(role):
    assert [c.text for c in scored_criteria(role)] == [
        "Lived experience of NHS services",
        "You can work well in a team",
    ]
    one_question = open_role(questions=1)
    assert [c.text for c in scored_criteria(one_question)] == ["Lived experience of NHS services"]


def test_the_mean_is_rounded_half_up_without_floats():
    assert [round_half_up(Fraction(n, 2)) for n in range(7)] == [0, 1, 1, 2, 2, 3, 3]
    assert round_half_up(Fraction(4, 3)) == 1


def test_agreed_scores_totals_and_flags(role, make_user):
    a = application(role, make_user)
    s1, s2, s3 = (make_user("panel") for _ in range(3))
    card(a, s1, [1, 3])
    card(a, s2, [2, 1])
    card(a, s3, [3, 3], status="draft")  # a draft does not count
    result = assess(role, [a.id])[a.id]
    lived, team = scored_criteria(role)
    assert result.scorer_totals == {s1.id: 4, s2.id: 3}
    assert result.mean_total == Fraction(7, 2)
    assert result.criteria[lived.id].agreed == 2  # mean 1.5 rounds half up
    assert not result.criteria[lived.id].flagged
    assert result.criteria[team.id].flagged  # 3 and 1 differ by 2
    assert result.needing_moderation == [team.id]
    assert result.agreed_total is None
    assert result.essential_met is None  # the team criterion is essential and unresolved
    db.session.add(
        ModeratedScore(
            application_id=a.id, criterion_id=team.id, value=2, reason="Good example", by_id=s1.id
        )
    )
    db.session.flush()
    result = assess(role, [a.id])[a.id]
    assert result.needing_moderation == []
    assert result.criteria[team.id].moderation_reason == "Good example"
    assert result.agreed_total == 4
    assert result.essential_met is True


def test_a_zero_on_an_essential_criterion_fails(role, make_user):
    a = application(role, make_user)
    lead = make_user("hr")
    card(a, make_user("panel"), [0, 2])
    card(a, make_user("panel"), [1, 2])
    result = assess(role, [a.id])[a.id]
    lived = scored_criteria(role)[0]
    assert result.criteria[lived.id].agreed == 1  # mean 0.5 rounds up: not a fail
    db.session.add(
        ModeratedScore(
            application_id=a.id, criterion_id=lived.id, value=0, reason="No evidence", by_id=lead.id
        )
    )
    db.session.flush()
    result = assess(role, [a.id])[a.id]
    assert result.failed_essential == [lived.id]
    assert result.essential_met is False


def test_an_application_with_no_submitted_cards_is_not_assessed_yet(role, make_user):
    a = application(role, make_user)
    result = assess(role, [a.id])[a.id]
    assert result.essential_met is None
    assert result.mean_total is None


def test_the_query_count_does_not_grow_with_applications(role, make_user):
    scorer = make_user("panel")
    few = [application(role, make_user) for _ in range(2)]
    many = few + [application(role, make_user) for _ in range(30)]
    for a in many:
        card(a, scorer, [2, 2])
    counts = []
    for ids in ([a.id for a in few], [a.id for a in many]):
        statements: list[str] = []
        conn = db.session.connection()
        listener = lambda *args, seen=statements: seen.append(args[2])  # noqa: E731
        event.listen(conn, "before_cursor_execute", listener)
        try:
            result = assess(role, ids)
        finally:
            event.remove(conn, "before_cursor_execute", listener)
        assert all(r.agreed_total == 4 for r in result.values())
        counts.append(len(statements))
    assert counts[0] == counts[1] == 2
