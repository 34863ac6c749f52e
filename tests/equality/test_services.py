"""Saving equality answers: optional, replaceable, only the applicant's own sent application."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lep.applications import services as applications
from lep.audit.models import AuditEvent
from lep.equality import reporting
from lep.equality.models import PREFER_NOT, QUESTIONS, EqualityResponse
from lep.equality.services import save_equality
from lep.extensions import db
from lep.service import DomainError


def responses() -> int:
    return db.session.scalar(select(func.count(EqualityResponse.id))) or 0


def test_save_then_save_again_replaces_the_answers(role, make_user, sent_application):
    person = make_user("applicant")
    application = sent_application(role, person)

    first = save_equality(
        application, {"age_band": "25_34", "region": "london", "sexual_orientation": PREFER_NOT}
    )
    assert first.role_id == role.id
    assert (first.age_band, first.region, first.sexual_orientation) == (
        "25_34",
        "london",
        PREFER_NOT,
    )

    again = save_equality(application, {"region": "yorkshire"})
    assert again.id == first.id and responses() == 1
    assert again.region == "yorkshire"
    # A question left out the second time is no longer answered.
    assert again.age_band is None and again.sexual_orientation is None


def test_every_question_can_be_prefer_not_to_say_or_blank(role, make_user, sent_application):
    application = sent_application(role, make_user("applicant"))
    saved = save_equality(application, dict.fromkeys(QUESTIONS, PREFER_NOT))
    assert all(getattr(saved, key) == PREFER_NOT for key in QUESTIONS)
    blank = save_equality(application, dict.fromkeys(QUESTIONS, ""))
    assert all(getattr(blank, key) is None for key in QUESTIONS)


@pytest.mark.parametrize(
    "answers",
    [
        {"region": "atlantis"},
        {"sex": "Female"},  # the label, not the value
        {"age_band": ["25_34"]},
        {"favourite_colour": "blue"},
    ],
)
def test_unknown_values_are_refused_at_their_question(role, make_user, sent_application, answers):
    application = sent_application(role, make_user("applicant"))
    with pytest.raises(DomainError) as caught:
        save_equality(application, {"carer": "yes", **answers})
    assert set(caught.value.errors) == set(answers)
    assert responses() == 0  # nothing saved, not even the good answer


def test_a_draft_cannot_have_answers(role, make_user, sent_application):
    application = sent_application(role, make_user("applicant"), status="draft")
    with pytest.raises(DomainError):
        save_equality(application, {"region": "london"})
    assert responses() == 0


def test_only_the_applicant_can_answer(role, make_user, sent_application):
    application = sent_application(role, make_user("applicant"))
    someone_else = make_user("applicant")
    with pytest.raises(DomainError):
        save_equality(application, {"region": "london"}, someone_else)
    with pytest.raises(DomainError):
        save_equality(application, {"region": "london"}, make_user("hr"))
    assert responses() == 0


def test_saving_is_audited_without_the_answers(role, make_user, sent_application):
    person = make_user("applicant")
    application = sent_application(role, person)
    save_equality(application, {"sexual_orientation": "bisexual", "religion": "sikh"})
    save_equality(application, {"sexual_orientation": "gay_lesbian"})
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "equality.saved").order_by(AuditEvent.id)
    ).all()
    assert [e.after["replaced"] for e in events] == [False, True]
    for event in events:
        assert event.actor_id == person.id
        assert event.after["application_id"] == application.id
        recorded = repr(event.before) + repr(event.after)
        for word in ("bisexual", "sikh", "gay_lesbian", "sexual_orientation", "religion"):
            assert word not in recorded


def test_after_the_real_journey(role, make_user):
    """An application sent through the journey's services can be answered."""
    person = make_user("applicant")
    application = applications.start_application(role, person)
    for question in role.questions:
        applications.save_answer(application, question, "I learned a lot from my own care.")
    applications.submit(application, True)
    saved = save_equality(application, {"carer": "yes"})
    assert saved.carer == "yes"


def test_a_person_gets_only_their_own_answers(role, roles, make_user, sent_application):
    person, other = make_user("applicant"), make_user("applicant")
    mine = sent_application(role, person)
    also_mine = sent_application(roles[1], person)
    theirs = sent_application(role, other)
    save_equality(mine, {"region": "london"})
    save_equality(also_mine, {"carer": PREFER_NOT})
    save_equality(theirs, {"region": "wales"})

    answers = reporting.answers_for_person(person.id)
    assert [a["application_reference"] for a in answers] == [mine.reference, also_mine.reference]
    assert answers[0]["region"] == "london" and answers[0]["role_id"] == role.id
    assert answers[1]["carer"] == PREFER_NOT and answers[1]["region"] is None
    assert set(QUESTIONS) <= set(answers[0])
    assert reporting.answers_for_person(make_user("applicant").id) == []
