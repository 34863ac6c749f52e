"""Involvement fees: pricing to the penny, logging (and refusing), approvals and who may give them,
the partner's fee choices."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy import select

from lep.accounts.models import User
from lep.applications.models import Application
from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.partners import involvement as services
from lep.partners.involvement import Rates, price_fee
from lep.partners.models import Appointment, Involvement
from lep.payments import runs
from lep.roles import paytables
from lep.roles.models import RateCard, Role
from lep.service import DomainError
from lep.shortlisting.models import Offer, Panel, PanelMember
from tests.helpers import emails_to
from tests.roles.public_data import load_pay_tables, make_role

# Friday 20 November 2026, midday in London (GMT).
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: NOW)


# --- Builders (shared with the other involvement tests) -----------------------------------------


def rate_card(
    *rates: tuple[dt.date, dict[str, int]], name: str | None = None, max_hours: int = 4
) -> RateCard:
    card = paytables.create_rate_card(name or f"Card {next(_numbers)}")
    for effective_from, amounts in rates:
        paytables.add_rates(card, effective_from, half_day_max_hours=max_hours, **amounts)
    return card


def hourly_card(pence: int = 2000, since: dt.date = dt.date(2025, 4, 1)) -> RateCard:
    return rate_card((since, {"hourly_pence": pence}))


def ppv() -> RateCard:
    return rate_card((dt.date(2025, 4, 1), {"half_day_pence": 7500, "day_pence": 15000}))


def appoint(
    user: User,
    role: Role,
    *,
    card: RateCard | None = None,
    engagement: str | None = None,
    starts_on: dt.date = dt.date(2026, 1, 5),
) -> Appointment:
    application = Application(
        role_id=role.id,
        applicant_id=user.id,
        status="appointed",
        submitted_at=NOW - dt.timedelta(days=300),
        reference=f"LEP-2026-{700000 + next(_numbers):06d}",
    )
    db.session.add(application)
    db.session.flush()
    engagement = engagement or role.engagement_type
    offer = Offer(
        application_id=application.id,
        role_id=role.id,
        engagement_type=engagement,
        rate_card_id=card.id if card else role.rate_card_id,
        start_date=starts_on,
        status="accepted",
        made_by_id=user.id,
    )
    if engagement == "employed":
        load_pay_tables()
        from lep.roles.models import PayPoint

        offer.pay_point_id = db.session.scalar(select(PayPoint.id).where(PayPoint.band == "7"))
    db.session.add(offer)
    db.session.flush()
    appointment = Appointment(
        user_id=user.id,
        role_id=role.id,
        offer_id=offer.id,
        engagement_type=engagement,
        starts_on=starts_on,
    )
    db.session.add(appointment)
    db.session.commit()
    return appointment


def sessional_role(card: RateCard | None = None, **fields: Any) -> Role:
    card = card or hourly_card()
    fields.setdefault("contact_email", "contact@example.org")
    return make_role("sessional", rate_card_id=card.id, **fields)


def employed_role(**fields: Any) -> Role:
    load_pay_tables()
    fields.setdefault("contact_email", "contact@example.org")
    return make_role("employed", **fields)


def seat(user: User, role: Role) -> PanelMember:
    panel = db.session.scalar(select(Panel).where(Panel.role_id == role.id))
    if panel is None:
        panel = Panel(role_id=role.id)
        db.session.add(panel)
        db.session.flush()
    member = PanelMember(panel_id=panel.id, user_id=user.id)
    db.session.add(member)
    db.session.commit()
    return member


def log(user: User, role: Role | None = None, **overrides: Any) -> Involvement:
    values: dict[str, Any] = {
        "role_id": role.id if role else None,
        "happened_on": TODAY - dt.timedelta(days=3),
        "description": "Patient panel meeting",
        "duration_kind": "hours",
        "minutes": 180,
        "prep_minutes": 0,
        "fee_choice": "pay",
    }
    values.update(overrides)
    return services.log_involvement(user, **values)


def refused(user: User, role: Role | None = None, **overrides: Any) -> dict[str, str]:
    with pytest.raises(DomainError) as caught:
        log(user, role, **overrides)
    return caught.value.errors


def actions(inv: Involvement) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "involvement", AuditEvent.subject_id == str(inv.id))
            .order_by(AuditEvent.id)
        )
    )


# --- Pricing (pure) -----------------------------------------------------------------------------

HOURLY = Rates(hourly_pence=2000, half_day_pence=None, day_pence=None)
SESSIONS = Rates(hourly_pence=None, half_day_pence=7500, day_pence=15000)
BOTH = Rates(hourly_pence=1850, half_day_pence=7500, day_pence=15000)


def test_hours_at_the_hourly_rate_with_preparation():
    priced = price_fee(HOURLY, "hours", 180, 60)
    assert priced.fee_pence == 8000
    assert priced.working == ("3 hours at £20.00 an hour, plus 1 hour's preparation: £80.00")


@pytest.mark.parametrize(
    ("rate", "minutes", "pence"),
    [
        (2000, 150, 5000),  # 2.5 hours
        (1385, 20, 462),  # 461.67 -> 462
        (1389, 30, 695),  # 694.5 -> 695: a half penny rounds up
        (1387, 30, 694),  # 693.5 -> 694
        (1001, 1, 17),  # 16.68 -> 17
        (999, 45, 749),  # 749.25 -> 749
    ],
)
def test_hourly_fees_round_half_up_to_the_penny(rate, minutes, pence):
    rates = Rates(hourly_pence=rate, half_day_pence=None, day_pence=None)
    assert price_fee(rates, "hours", minutes, 0).fee_pence == pence


def test_time_and_preparation_are_rounded_once_together():
    # 20 + 20 minutes at £13.85: 923.33p, not 462 + 462 = 924.
    rates = Rates(hourly_pence=1385, half_day_pence=None, day_pence=None)
    assert price_fee(rates, "hours", 20, 20).fee_pence == 923


def test_half_day_and_day_are_the_session_rates():
    assert price_fee(SESSIONS, "half_day", 0, 0).fee_pence == 7500
    assert price_fee(SESSIONS, "half_day", 0, 0).working == "Half a day at £75.00: £75.00"
    assert price_fee(SESSIONS, "day", 0, 0).fee_pence == 15000
    assert price_fee(SESSIONS, "day", 0, 0).working == "A day at £150.00: £150.00"


def test_with_no_hourly_rate_hours_become_a_half_day_or_a_day():
    four = price_fee(SESSIONS, "hours", 240, 0)
    assert (four.fee_pence, four.working) == (
        7500,
        "4 hours is a half day (up to 4 hours) at £75.00: £75.00",
    )
    more = price_fee(SESSIONS, "hours", 241, 0)
    assert more.fee_pence == 15000
    assert more.working.startswith("4.02 hours is more than half a day (4 hours), so a day")


def test_preparation_is_paid_hourly_or_said_to_be_in_the_session_rate():
    with_hourly = price_fee(BOTH, "half_day", 0, 90)
    assert with_hourly.fee_pence == 7500 + 2775
    assert with_hourly.working == (
        "Half a day at £75.00, plus 1.5 hours' preparation at £18.50 an hour: £102.75"
    )
    without = price_fee(SESSIONS, "day", 0, 90)
    assert without.fee_pence == 15000
    assert without.working == (
        "A day at £150.00: £150.00. Preparation time is included in the session rate"
    )


def test_a_kind_of_time_the_card_has_no_rate_for_is_refused():
    with pytest.raises(DomainError) as caught:
        price_fee(HOURLY, "day", 0, 0)
    assert caught.value.errors == {
        "duration_kind": "The rate card has no day rate: enter the time in hours instead"
    }
    only_half = Rates(hourly_pence=None, half_day_pence=7500, day_pence=None)
    with pytest.raises(DomainError):
        price_fee(only_half, "hours", 300, 0)


# --- Logging ------------------------------------------------------------------------------------


def test_a_partner_logs_involvement_priced_by_the_offer_rate_card_and_frozen(make_user):
    partner = make_user("partner")
    role = sessional_role(hourly_card(1500))
    appoint(partner, role, card=hourly_card(2000))  # the offer's card wins over the role's
    inv = log(partner, prep_minutes=60)
    assert inv.fee_pence == 8000
    assert inv.fee_working == "3 hours at £20.00 an hour, plus 1 hour's preparation: £80.00"
    assert (inv.hourly_pence, inv.status, inv.fee_choice) == (2000, "submitted", "pay")
    assert actions(inv) == ["involvement.logged"]


def test_a_rate_change_leaves_earlier_activity_at_the_earlier_rates(make_user):
    partner = make_user("partner")
    card = rate_card(
        (dt.date(2025, 4, 1), {"hourly_pence": 2000}),
        (dt.date(2026, 11, 16), {"hourly_pence": 2200}),
    )
    appoint(partner, sessional_role(card))
    before = log(partner, happened_on=dt.date(2026, 11, 15), minutes=60)
    on_the_day = log(partner, happened_on=dt.date(2026, 11, 16), minutes=60)
    assert (before.fee_pence, before.hourly_pence) == (2000, 2000)
    assert (on_the_day.fee_pence, on_the_day.hourly_pence) == (2200, 2200)
    # A later change to the card never changes a fee already logged.
    paytables.add_rates(card, dt.date(2026, 11, 18), hourly_pence=9900)
    db.session.expire_all()
    assert db.session.get(Involvement, before.id).fee_pence == 2000


def test_no_rate_in_force_on_the_day_is_refused_with_the_reason(make_user):
    partner = make_user("partner")
    card = rate_card((dt.date(2026, 11, 1), {"hourly_pence": 2000}), name="Research rates")
    appoint(partner, sessional_role(card))
    assert refused(partner, happened_on=dt.date(2026, 10, 30)) == {
        "happened_on": "No rate on the Research rates rate card was in force on 30 October 2026, "
        "so this cannot be priced. Ask the role's contact"
    }
    assert db.session.scalar(select(Involvement.id)) is None


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (TODAY + dt.timedelta(days=1), "The date must be today or in the past"),
        (
            TODAY - dt.timedelta(days=91),
            "Involvement must be logged within 90 days: the date must be on or after "
            "22 August 2026",
        ),
        (None, "Enter the date of the involvement"),
    ],
)
def test_dates_in_the_future_or_outside_the_window_are_refused(make_user, day, message):
    partner = make_user("partner")
    appoint(partner, sessional_role())
    assert refused(partner, happened_on=day) == {"happened_on": message}


def test_the_oldest_date_in_the_window_and_today_are_accepted(make_user):
    partner = make_user("partner")
    appoint(partner, sessional_role(), starts_on=dt.date(2026, 1, 1))
    assert log(partner, happened_on=TODAY - dt.timedelta(days=90)).fee_pence == 6000
    assert log(partner, happened_on=TODAY).fee_pence == 6000


def test_every_problem_is_reported_at_once(make_user):
    partner = make_user("partner")
    appoint(partner, sessional_role())
    errors = refused(partner, description="  ", minutes=0, fee_choice="vouchers")
    assert errors == {
        "description": "Enter what the involvement was",
        "minutes": "Enter how long it took, in hours and minutes",
        "fee_choice": "Select how you want to be paid for this",
    }
    assert refused(partner, minutes=24 * 60 + 1) == {
        "minutes": "The time must be 24 hours or less: log each day separately"
    }


def test_people_with_no_role_to_log_for_are_refused(make_user):
    applicant = make_user("applicant")
    assert refused(applicant) == {
        "role_id": "Only partners and panel reviewers can log involvement"
    }
    partner = make_user("partner")
    appoint(partner, sessional_role())
    other = sessional_role()
    assert refused(partner, other) == {"role_id": "Select the role the involvement was for"}


def test_a_lived_experience_reviewer_logs_panel_time_at_the_role_rate(make_user):
    reviewer = make_user("panel")
    role = sessional_role(ppv())
    seat(reviewer, role)
    inv = log(reviewer, role, duration_kind="half_day", minutes=0, prep_minutes=60)
    assert inv.appointment_id is None
    assert inv.fee_pence == 7500
    assert inv.fee_working.endswith("Preparation time is included in the session rate")
    # A role with no rate card: panel time cannot be priced, and says so.
    unpaid = make_role("expenses_only", contact_email="contact@example.org")
    seat(reviewer, unpaid)
    assert refused(reviewer, unpaid) == {
        "role_id": "Panel time for this role has no rate card, so no fee can be paid for it. "
        "Ask the role's contact if you think this is wrong"
    }


def test_staff_on_a_panel_are_not_paid_fees_for_it(make_user):
    staff = make_user("panel", "hr")
    role = sessional_role()
    seat(staff, role)
    assert services.places(staff) == []


def test_employed_partners_log_hours_for_payroll(make_user):
    partner = make_user("partner")
    appoint(partner, employed_role())
    inv = log(partner, minutes=150, prep_minutes=30)
    assert inv.fee_pence == 0
    assert inv.fee_working == (
        "Paid through payroll at your salary: 2.5 hours, plus 0.5 hours' preparation"
    )
    assert refused(partner, duration_kind="day", minutes=0) == {
        "duration_kind": "Enter the time in hours: your hours go to payroll"
    }
    assert refused(partner, fee_choice="other_way") == {
        "fee_choice": "Your pay for this role goes through payroll: "
        "choose to be paid or not to be paid"
    }


# --- Approvals ----------------------------------------------------------------------------------


@pytest.fixture
def contact(make_user):
    return make_user("hr", email="contact@example.org", full_name="Casey Contact")


def test_the_role_contact_approves_and_the_partner_is_told(make_user, contact):
    partner = make_user("partner", full_name="Sam Partner")
    appoint(partner, sessional_role())
    inv = log(partner)
    other_hr = make_user("hr")
    assert services.approval_queue(contact) == [inv]
    assert services.approval_queue(other_hr) == []  # the contact is staff: only they approve
    with pytest.raises(DomainError) as caught:
        services.approve(inv, other_hr)
    assert caught.value.errors == {
        "decision": "Only the role's staff contact can approve involvement for this role"
    }
    services.approve(inv, contact, "Thank you")
    assert (inv.status, inv.decided_by_id) == ("approved", contact.id)
    assert actions(inv) == ["involvement.logged", "involvement.approved"]
    [email] = emails_to(partner.email)
    assert "We will pay you £60.00 in our next payment run." in email.body_text
    # Approved fees the partner wants paid go to the next payment run.
    assert [f.id for f in runs._approved_fees()] == [inv.id]


def test_any_hr_user_approves_when_no_staff_user_is_the_contact(make_user):
    partner = make_user("partner")
    appoint(partner, sessional_role(contact_email="outside@example.org"))
    inv = log(partner)
    hr, finance = make_user("hr"), make_user("finance")
    assert services.approval_queue(hr) == [inv]
    assert services.approval_queue(finance) == []
    services.approve(inv, hr)
    assert inv.status == "approved"


def test_a_partner_cannot_approve_their_own_even_as_hr_or_the_contact(make_user):
    partner = make_user("partner", "hr", email="contact@example.org")
    appoint(partner, sessional_role())
    inv = log(partner)
    assert services.approval_queue(partner) == []
    with pytest.raises(DomainError) as caught:
        services.approve(inv, partner)
    assert caught.value.errors == {"decision": "You cannot approve your own involvement"}
    with pytest.raises(DomainError):
        services.reject(inv, partner, "No")
    db.session.expire_all()
    assert db.session.get(Involvement, inv.id).status == "submitted"
    # With the partner as the only contact, any other hr user may approve.
    other = make_user("hr")
    assert services.approval_queue(other) == [inv]


def test_rejecting_needs_a_reason_which_the_partner_is_sent(make_user, contact):
    partner = make_user("partner")
    appoint(partner, sessional_role())
    inv = log(partner)
    with pytest.raises(DomainError) as caught:
        services.reject(inv, contact, "  ")
    assert caught.value.errors == {
        "note": "Enter why it is not approved: the partner will see this"
    }
    assert inv.status == "submitted"
    services.reject(inv, contact, "The meeting was cancelled")
    assert inv.status == "rejected"
    [email] = emails_to(partner.email)
    assert "Why: The meeting was cancelled" in email.body_text
    with pytest.raises(DomainError):
        services.approve(inv, contact)


def test_approval_follows_the_partner_choice(make_user, contact):
    decliner, other, employed = (make_user("partner") for _ in range(3))
    role = sessional_role()
    appoint(decliner, role)
    appoint(other, role)
    appoint(employed, employed_role())
    declined = log(decliner, fee_choice="decline")
    other_way = log(other, fee_choice="other_way")
    payroll = log(employed)
    for inv in (declined, other_way, payroll):
        services.approve(inv, contact)
    assert [declined.status, other_way.status, payroll.status] == [
        "declined",
        "other_way",
        "payroll",
    ]
    assert runs._approved_fees() == []  # none of them goes to a payment run
    assert "no fee will be paid" in emails_to(decliner.email)[0].body_text
    assert "paid with your salary" in emails_to(employed.email)[0].body_text


def test_finance_records_a_fee_paid_another_way(make_user, contact):
    partner = make_user("partner")
    appoint(partner, sessional_role())
    inv = log(partner, fee_choice="other_way")
    services.approve(inv, contact)
    finance = make_user("finance")
    assert services.other_way_waiting() == [inv]
    with pytest.raises(DomainError) as caught:
        services.record_paid_other_way(inv, finance, "")
    assert caught.value.errors == {"note": "Enter how it was paid, for example the voucher's value"}
    with pytest.raises(DomainError):
        services.record_paid_other_way(inv, contact, "Vouchers")  # hr, not finance
    services.record_paid_other_way(inv, finance, "£60 in gift vouchers, posted")
    assert inv.status == "paid"
    assert "Paid another way on 20 November 2026: £60 in gift vouchers, posted" in (
        inv.decision_note
    )
    assert actions(inv)[-1] == "involvement.paid_other_way"
    assert "How it was paid: £60 in gift vouchers, posted" in emails_to(partner.email)[-1].body_text


# --- Choices ------------------------------------------------------------------------------------


def test_a_choice_can_change_until_the_fee_is_scheduled(make_user, contact):
    partner = make_user("partner")
    appoint(partner, sessional_role())
    inv = log(partner)
    services.change_choice(inv, partner, "decline")
    assert (inv.fee_choice, inv.status) == ("decline", "submitted")
    services.approve(inv, contact)
    assert inv.status == "declined"
    services.change_choice(inv, partner, "pay")
    assert (inv.fee_choice, inv.status) == ("pay", "approved")
    assert "involvement.choice_changed" in actions(inv)
    db.session.execute(
        Involvement.__table__.update().where(Involvement.id == inv.id).values(status="scheduled")
    )
    db.session.commit()
    db.session.expire_all()
    inv = db.session.get(Involvement, inv.id)
    with pytest.raises(DomainError) as caught:
        services.change_choice(inv, partner, "decline")
    assert caught.value.errors == {
        "involvement": "This can no longer be changed: it is scheduled for payment"
    }
    assert inv.fee_choice == "pay"


def test_nobody_else_changes_a_partner_choice(make_user):
    partner, other = make_user("partner"), make_user("partner")
    appoint(partner, sessional_role())
    inv = log(partner)
    with pytest.raises(DomainError):
        services.change_choice(inv, other, "decline")
    assert inv.fee_choice == "pay"
