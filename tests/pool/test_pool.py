"""The pool's journeys through its services: offer, interest, choose (or draw), tell once; the
register makes fees as involvement, corrected late without paying twice."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lep import service
from lep.extensions import db
from lep.partners import involvement
from lep.partners.models import Involvement
from lep.pool import services
from lep.pool.models import FeeCorrection
from lep.service import DomainError
from tests.helpers import emails_to
from tests.partners.test_involvement import appoint, sessional_role

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    service.freeze(NOW)
    monkeypatch.setattr(involvement, "utcnow", lambda: NOW)
    yield
    service.freeze(None)


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", full_name="Cora Ordinator")


def member(make_user, name, topics="mental health", regions="north_west", kinds="steering_group"):
    user = make_user("partner", full_name=name)
    services.join(user)
    services.save_profile(user, topics=topics, regions=regions, kinds=kinds)
    return user


def later(days, hours=2):
    start = NOW + dt.timedelta(days=days)
    return start, start + dt.timedelta(hours=hours)


def test_steering_group_seat_three_interested_one_chosen_others_told_once(make_user, coordinator):
    people = [member(make_user, f"Person {n}") for n in range(3)]
    elsewhere = member(make_user, "Far Away", regions="london")
    opp = services.offer(
        coordinator,
        title="Mental health steering group seat",
        places=1,
        how_chosen="chosen",
        sessions=[("First meeting", *later(10))],
        for_topic="mental health",
        for_region="north_west",
        why="Shape the crisis service",
    )
    for p in people:
        assert len(emails_to(p.email)) == 1
        services.say_interested(p, opp, "I would like this")
    assert emails_to(elsewhere.email) == []
    with pytest.raises(DomainError):
        services.say_interested(elsewhere, opp)
    services.choose(coordinator, opp, [people[1].id])
    with pytest.raises(DomainError, match="already chosen"):
        services.choose(coordinator, opp, [people[0].id])
    assert "you have been chosen" in emails_to(people[1].email)[-1].subject
    for p in (people[0], people[2]):
        told = emails_to(p.email)
        assert len(told) == 2 and "not this time" in told[-1].subject


def test_bad_input_is_named_at_its_field(coordinator):
    with pytest.raises(DomainError) as error:
        services.offer(
            coordinator,
            title="",
            places=0,
            how_chosen="lottery",
            quota_min=3,
            sessions=[("Past", NOW - dt.timedelta(days=1), NOW)],
        )
    assert set(error.value.errors) >= {"title", "places", "sessions"}
    with pytest.raises(DomainError) as error:
        services.offer(
            coordinator,
            title="X",
            places=2,
            how_chosen="lottery",
            quota_min=3,
            quota_region="north_west",
            sessions=[("S", *later(3))],
        )
    assert "only 2" in error.value.errors["quota_min"]


def test_lottery_with_a_region_quota(make_user, coordinator):
    north = [member(make_user, f"North {n}", regions="north_west") for n in range(2)]
    south = [member(make_user, f"South {n}", regions="london") for n in range(4)]
    opp = services.offer(
        coordinator,
        title="Public panel",
        places=3,
        how_chosen="lottery",
        quota_region="north_west",
        quota_min=2,
        sessions=[("S", *later(5))],
        for_kind="steering_group",
    )
    for p in north + south:
        services.say_interested(p, opp)
    chosen = services.choose(coordinator, opp, seed=7)
    assert len(chosen) == 3
    assert {p.id for p in north} <= set(chosen)


def test_training_cohort_register_makes_fees_and_a_late_correction(
    make_user, coordinator, monkeypatch
):
    role = sessional_role()  # £20 an hour
    people = [member(make_user, f"Trainee {n}", kinds="training") for n in range(3)]
    opp = services.offer(
        coordinator,
        title="Co-production cohort 3",
        places=3,
        role_id=role.id,
        sessions=[(f"Session {n}", *later(n + 1, 3)) for n in range(3)],
        for_kind="training",
    )
    for p in people:
        services.say_interested(p, opp)
    services.choose(coordinator, opp)
    first, second, _third = opp.sessions
    service.freeze(NOW + dt.timedelta(days=2))
    with pytest.raises(DomainError) as error:
        services.record_attendance(coordinator, first, {coordinator.id: ("present", None)})
    assert "not registered" in error.value.errors[f"attendance-{coordinator.id}"]
    left = first.starts_at + dt.timedelta(hours=1, minutes=30)
    services.record_attendance(
        coordinator,
        first,
        {
            people[0].id: ("present", None),
            people[1].id: ("left_early", left),
            people[2].id: ("absent", None),
        },
    )
    fees = {i.user_id: i.fee_pence for i in db.session.scalars(select(Involvement))}
    assert fees == {people[0].id: 6000, people[1].id: 3000}
    # The same register again makes no second fee.
    services.record_attendance(coordinator, first, {people[0].id: ("present", None)})
    assert db.session.scalars(select(Involvement)).all().__len__() == 2
    # The coordinator who kept the register cannot approve its fees; HR can.
    inv = db.session.scalar(select(Involvement).where(Involvement.user_id == people[0].id))
    coordinator.set_roles({"coordinator", "hr"})
    assert "someone else must approve" in involvement.approval_problem(inv, coordinator)
    hr = make_user("hr", email="contact@example.org")
    involvement.approve(inv, hr)
    db.session.execute(
        Involvement.__table__.update().where(Involvement.id == inv.id).values(status="paid")
    )
    # Late correction: person 0 actually left early; the paid fee is kept, a correction made.
    services.record_attendance(coordinator, first, {people[0].id: ("left_early", left)})
    db.session.refresh(inv)
    assert inv.fee_pence == 6000 and inv.status == "paid"
    correction = db.session.scalar(select(FeeCorrection))
    assert (correction.was_pence, correction.now_pence) == (6000, 3000)
    # Nobody types a fee for a day they were on a register.
    appoint(people[0], role)
    monkeypatch.setattr(involvement, "utcnow", lambda: NOW + dt.timedelta(days=2))
    with pytest.raises(DomainError) as typed:
        involvement.log_involvement(
            people[0],
            role_id=role.id,
            happened_on=first.starts_at.date(),
            description="x",
            duration_kind="hours",
            minutes=60,
            prep_minutes=0,
            fee_choice="pay",
        )
    assert "on the register of Session 0" in typed.value.errors["happened_on"]
    assert second is not None


def test_lived_experience_only_for_the_person_and_coordinators(make_user, coordinator):
    person = member(make_user, "Lee")
    services.save_profile(person, topics="x", lived_experience="Psychosis, carer")
    other = make_user("partner")
    assert services.lived_experience_for(person.id, person) == "Psychosis, carer"
    assert services.lived_experience_for(person.id, coordinator) == "Psychosis, carer"
    assert services.lived_experience_for(person.id, other) is None
