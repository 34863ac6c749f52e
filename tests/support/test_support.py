"""Support: induction ticked, checks with bad dates refused, reminders sent once per threshold
(the command run twice), ending an appointment (no new involvement, what is owed still paid)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from lep import service
from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.partners import involvement
from lep.service import DomainError
from lep.support import services
from lep.support.models import CheckReminder
from lep.support.reminders import send_due
from tests.helpers import emails_to
from tests.partners.test_involvement import NOW, appoint, sessional_role


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(involvement, "utcnow", lambda: NOW)
    service.freeze(NOW)
    yield
    service.freeze(None)


@pytest.fixture
def people(make_user):
    contact = make_user("hr", email="contact@example.org", full_name="Cat Contact")
    partner = make_user("partner", full_name="Sam Partner")
    other = make_user("partner", full_name="Other Partner")
    finance = make_user("finance")
    appointment = appoint(partner, sessional_role())
    return contact, partner, other, finance, appointment


def test_induction_ticked_by_the_contact_with_a_date(people):
    contact, partner, other, finance, appointment = people
    item = services.add_induction_item("sessional", "Met your contact", contact)
    services.tick(appointment, item.id, dt.date(2026, 11, 2), contact)
    steps = services.checklist(appointment)
    assert [(s.item.label, s.tick.done_on if s.tick else None) for s in steps] == [
        ("Met your contact", dt.date(2026, 11, 2))
    ]
    with pytest.raises(DomainError) as again:
        services.tick(appointment, item.id, dt.date(2026, 11, 3), contact)
    assert "already ticked" in again.value.errors["item_id"]
    for stranger in (partner, other, finance):
        with pytest.raises(DomainError):
            services.tick(appointment, item.id, dt.date(2026, 11, 2), stranger)
    assert services.may_see(appointment, partner)
    assert not services.may_see(appointment, other)
    assert not services.may_see(appointment, finance)


def test_bad_check_dates_get_a_message_at_the_field(people):
    contact, *_, appointment = people
    with pytest.raises(DomainError) as bad:
        services.record_check(
            appointment,
            kind="dbs",
            level="enhanced",
            done_on=dt.date(2026, 10, 1),
            expires_on=dt.date(2026, 9, 1),
            actor=contact,
        )
    assert bad.value.errors == {
        "expires_on": "The expiry date must be on or after the date the check was done"
    }
    with pytest.raises(DomainError) as future:
        services.record_check(
            appointment,
            kind="references",
            level="",
            done_on=dt.date(2026, 12, 1),
            expires_on=None,
            actor=contact,
        )
    assert "today or in the past" in future.value.errors["done_on"]


def test_a_dbs_check_expiring_in_30_days_is_reminded_once(people, app):
    contact, partner, *_, appointment = people
    check = services.record_check(
        appointment,
        kind="dbs",
        level="enhanced",
        done_on=dt.date(2023, 12, 20),
        expires_on=dt.date(2026, 12, 20),  # 30 days from 20 November
        actor=contact,
    )
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lep", "reminders"])
    second = runner.invoke(args=["lep", "reminders"])
    assert "Sent 1 check reminder." in first.output, first.output
    assert "Sent 0 check reminders." in second.output
    mail = emails_to(partner.email)
    assert [m.subject for m in mail] == ["Your DBS check expires on 20 December 2026"]
    assert len(emails_to("contact@example.org")) == 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(CheckReminder)
            .where(CheckReminder.check_id == check.id)
        )
        == 1
    )
    # Seven days before, the next threshold is reminded, once.
    assert send_due("2026-12-13") == 1
    assert send_due("2026-12-13") == 0
    assert send_due("2026-12-21") == 1  # expired
    assert [c.id for c in services.expired_checks(partner.id, dt.date(2026, 12, 21))] == [check.id]
    assert services.expired_checks(partner.id, dt.date(2026, 11, 20)) == []


def test_end_before_start_is_refused(people):
    contact, *_, appointment = people
    with pytest.raises(DomainError) as bad:
        services.end_appointment(
            appointment,
            reason="stepped_down",
            last_day=dt.date(2025, 1, 1),
            note="",
            exit_conversation_offered=True,
            stay_in_pool=True,
            actor=contact,
        )
    assert "on or after the start" in bad.value.errors["last_day"]
    assert appointment.ended_at is None


def test_an_ended_partner_cannot_log_new_involvement_but_is_still_owed(people):
    contact, partner, *_, appointment = people
    inv = involvement.log_involvement(
        partner,
        role_id=appointment.role_id,
        happened_on=dt.date(2026, 11, 17),
        description="Panel",
        duration_kind="hours",
        minutes=120,
        prep_minutes=0,
        fee_choice="pay",
    )
    involvement.approve(inv, contact)
    ending = services.end_appointment(
        appointment,
        reason="fixed_term",
        last_day=dt.date(2026, 11, 19),
        note="",
        exit_conversation_offered=True,
        stay_in_pool=True,
        actor=contact,
    )
    assert appointment.ended_at is not None and ending.stay_in_pool
    assert services.still_owed(partner.id).fees_pence == 4000  # 2 hours at £20
    assert involvement.places(partner) == []
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.ended"))
    assert event is not None and event.after["owed_fees_pence"] == 4000
