"""Role rules in the services: what can be saved, and when a role can be published."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.roles import readability, services
from lep.roles.models import Role
from lep.roles.paytables import REFERENCE_TABLE, add_rates, create_rate_card, import_pay_table
from lep.roles.services import RoleInput
from lep.service import DomainError


@pytest.fixture(autouse=True)
def pay_table():
    import_pay_table(REFERENCE_TABLE.read_text())


def employed(**changes) -> RoleInput:
    data = RoleInput(
        title="Lived Experience Partner",
        engagement_type="employed",
        band="7",
        minutes_per_week=900,
        closes_at=utcnow() + dt.timedelta(days=14),
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def ready_role(make_user) -> tuple[Role, object]:
    hr = make_user("hr")
    role = services.create_role(employed(), hr)
    essential = services.add_criterion(
        role, "Lived experience of services", True, "application", hr
    )
    services.add_criterion(role, "Able to challenge kindly", True, "interview", hr)
    services.add_question(role, "Tell us about it", "", 300, [essential.id], hr)
    return role, hr


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"minutes_per_week": 2251}, "hours_per_week", "no more than 37.5"),
        ({"minutes_per_week": 0}, "hours_per_week", "more than 0"),
        ({"minutes_per_week": None}, "hours_per_week", "Enter the hours a week"),
        ({"closes_at": utcnow() - dt.timedelta(minutes=1)}, "closes_at", "must be in the future"),
        ({"band": None}, "band", "Select the pay band"),
        ({"band": "1"}, "band", "no pay table for Band 1"),
        ({"title": "  "}, "title", "Enter a job title"),
        ({"posts": 0}, "posts", "1 or more"),
        ({"engagement_type": "casual"}, "engagement_type", "Select how the role is paid"),
        ({"engagement_type": "sessional"}, "rate_card_id", "Select the rate card"),
    ],
)
def test_bad_role_input_names_the_field_and_saves_nothing(make_user, changes, field, message):
    with pytest.raises(DomainError) as caught:
        services.create_role(employed(**changes), make_user("hr"))
    assert message in caught.value.errors[field]
    assert db.session.scalar(select(Role)) is None


def test_create_and_update_are_audited_with_what_changed(make_user):
    hr = make_user("hr")
    role = services.create_role(employed(), hr)
    assert role.status == "draft" and role.band == "7"
    services.update_role(
        role, employed(minutes_per_week=1200, title="Senior partner", closes_at=role.closes_at), hr
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.updated"))
    assert event.before == {"minutes_per_week": 900, "title": "Lived Experience Partner"}
    assert event.after == {"minutes_per_week": 1200, "title": "Senior partner"}
    assert event.actor_id == hr.id


def test_switching_to_sessional_drops_the_band(make_user):
    hr = make_user("hr")
    card = create_rate_card("NHS England PPV")
    add_rates(card, dt.date(2021, 4, 1), day_pence=15000, half_day_pence=7500)
    role = services.create_role(employed(), hr)
    services.update_role(role, employed(engagement_type="sessional", rate_card_id=card.id), hr)
    assert (role.band, role.rate_card_id) == (None, card.id)


def test_publishing_needs_an_essential_criterion(make_user):
    hr = make_user("hr")
    role = services.create_role(employed(), hr)
    services.add_criterion(role, "Nice to have", False, "application", hr)
    with pytest.raises(DomainError) as caught:
        services.publish_role(role, hr)
    assert caught.value.errors["criteria"] == "Add at least one essential criterion"
    assert role.status == "draft"


def test_publishing_needs_a_question_for_each_application_stage_essential(make_user):
    hr = make_user("hr")
    role = services.create_role(employed(), hr)
    services.add_criterion(role, "Lived experience of services", True, "application", hr)
    services.add_criterion(role, "Able to challenge kindly", True, "interview", hr)
    with pytest.raises(DomainError) as caught:
        services.publish_role(role, hr)
    problem = caught.value.errors["questions"]
    assert "Lived experience of services" in problem
    assert "challenge kindly" not in problem  # assessed at interview: no question needed


def test_publishing_needs_a_closing_date_in_the_future(make_user):
    role, hr = ready_role(make_user)
    role.closes_at = None
    with pytest.raises(DomainError) as caught:
        services.publish_role(role, hr)
    assert caught.value.errors == {"closes_at": "Set a closing date"}
    role.closes_at = utcnow() - dt.timedelta(hours=1)
    with pytest.raises(DomainError) as caught:
        services.publish_role(role, hr)
    assert caught.value.errors == {"closes_at": "The closing date must be in the future"}


def test_publish_close_and_fill(make_user):
    role, hr = ready_role(make_user)
    services.publish_role(role, hr)
    assert role.status == "open" and role.published_at is not None
    services.close_role(role, hr)
    assert role.status == "closed"
    with pytest.raises(DomainError):
        services.close_role(role, hr)
    with pytest.raises(DomainError):
        services.add_criterion(role, "Late addition", True, "application", hr)
    services.mark_filled(role, hr)
    assert role.status == "filled"
    with pytest.raises(DomainError):
        services.update_role(role, employed(), hr)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "role").order_by(AuditEvent.id)
    ).all()
    assert actions[-3:] == ["role.published", "role.closed", "role.filled"]


def test_open_roles_close_themselves_after_the_closing_time(make_user):
    role, hr = ready_role(make_user)
    services.publish_role(role, hr)
    role.closes_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert services.close_expired_roles() == 1
    assert role.status == "closed"
    assert services.close_expired_roles() == 0


def test_close_roles_command(app, make_user):
    role, hr = ready_role(make_user)
    services.publish_role(role, hr)
    role.closes_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["lep", "close-roles"])
    assert result.output.strip() == "Closed 1 roles."
    db.session.expire_all()
    assert db.session.get(Role, role.id).status == "closed"


def test_questions_must_cover_a_criterion_and_have_a_sensible_word_limit(make_user):
    role, hr = ready_role(make_user)
    with pytest.raises(DomainError) as caught:
        services.add_question(role, "", "", 0, [], hr)
    assert set(caught.value.errors) == {"text", "word_limit", "criteria"}


PLAIN = (
    "You will join a panel of patients and carers. We meet online twice a month. "
    "We pay you for your time and your expenses."
)
HARD = (
    "The postholder will operationalise multidisciplinary co-production methodologies, "
    "facilitating the systematic incorporation of experiential intelligence into strategic "
    "transformation programmes across the integrated care system's constituent organisations, "
    "notwithstanding considerable organisational heterogeneity and competing "
    "institutional priorities."
)


def test_readability_warns_on_hard_text_and_shows_the_longest_sentence():
    plain = readability.check(PLAIN)
    assert plain.score > 60 and not plain.hard_to_read
    hard = readability.check(PLAIN + " " + HARD)
    assert hard.hard_to_read
    assert hard.long_sentences[0].startswith("The postholder will operationalise")
    assert readability.check("Too short").score is None
