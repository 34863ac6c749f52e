"""What a partner was paid this week and this tax year (London dates, at the boundaries), what is
approved and waiting, the personal weekly amount and its warning, and the tax-year statement."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from lep.audit.models import AuditEvent
from lep.expenses.models import Claim
from lep.extensions import db
from lep.partners import statements
from lep.partners.models import Involvement
from lep.payments.models import Payment, PaymentItem, PaymentRun
from lep.service import DomainError

LONDON = ZoneInfo("Europe/London")
_numbers = itertools.count(1)


def london(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON).astimezone(dt.UTC)


def fee(user, pence: int, status: str = "paid", description: str = "Panel meeting", **kw):  # type: ignore[no-untyped-def]
    from tests.partners.test_involvement import sessional_role

    role = kw.pop("role", None) or sessional_role()
    inv = Involvement(
        user_id=user.id,
        role_id=role.id,
        happened_on=dt.date(2026, 1, 5),
        description=description,
        duration_kind="hours",
        minutes=60,
        prep_minutes=0,
        fee_pence=pence,
        fee_working="",
        fee_choice=kw.pop("choice", "pay"),
        status=status,
        decision_note="",
        **kw,
    )
    db.session.add(inv)
    db.session.commit()
    return inv


def claim(user, pence: int, status: str = "paid") -> Claim:  # type: ignore[no-untyped-def]
    n = next(_numbers)
    row = Claim(
        claimant_id=user.id,
        status=status,
        reference=f"EXP-2026-{800000 + n:06d}",
        total_claimed_pence=pence,
        total_approved_pence=pence,
    )
    db.session.add(row)
    db.session.commit()
    return row


def paid(
    user,
    at: dt.datetime,
    fees: tuple[int, ...] = (),
    expenses: tuple[int, ...] = (),
    status: str = "paid",
) -> Payment:  # type: ignore[no-untyped-def]
    n = next(_numbers)
    run = PaymentRun(provider="bacs", status="paid", created_by_id=user.id, reference=f"RUN-T-{n}")
    db.session.add(run)
    db.session.flush()
    items = [
        PaymentItem(
            involvement_id=fee(user, p).id, amount_pence=p, description=f"Involvement fee {p}"
        )
        for p in fees
    ] + [
        PaymentItem(claim_id=claim(user, p).id, amount_pence=p, description=f"Expenses {p}")
        for p in expenses
    ]
    payment = Payment(
        run_id=run.id,
        user_id=user.id,
        amount_pence=sum(fees) + sum(expenses),
        key=f"test-{n}",
        reference=f"LEP PAY {n:06d}",
        status=status,
        paid_at=at if status == "paid" else None,
        items=items,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


@pytest.fixture
def partner(make_user):
    return make_user("partner", full_name="Sam Partner")


# --- Weeks and tax years ------------------------------------------------------------------------


def test_weeks_run_monday_to_sunday_and_tax_years_6_april_to_5_april():
    assert statements.week_of(dt.date(2026, 11, 22)) == (
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 22),
    )
    assert statements.week_of(dt.date(2026, 11, 23)) == (
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 29),
    )
    assert statements.tax_year_of(dt.date(2026, 4, 5)) == 2025
    assert statements.tax_year_of(dt.date(2026, 4, 6)) == 2026
    assert statements.tax_year_label(2025) == "2025/26"


def test_this_week_starts_at_midnight_on_monday_in_london(partner):
    paid(partner, london(2026, 11, 22, 23, 59), fees=(1000,))  # Sunday night: last week
    paid(partner, london(2026, 11, 23, 0, 0), fees=(2000,), expenses=(450,))  # Monday
    paid(partner, london(2026, 11, 29, 23, 59), fees=(300,))  # Sunday: still this week
    paid(partner, london(2026, 11, 30, 0, 0), fees=(7,))  # next Monday
    view = statements.overview(partner, now=london(2026, 11, 25, 12, 0))
    assert (view.week_start, view.week_end) == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert (view.week.fees_pence, view.week.expenses_pence) == (2300, 450)


def test_a_monday_in_summer_time_starts_at_11pm_sunday_utc(partner):
    paid(partner, dt.datetime(2026, 5, 31, 22, 59, tzinfo=dt.UTC), fees=(100,))  # Sun 23:59 BST
    paid(partner, dt.datetime(2026, 5, 31, 23, 0, tzinfo=dt.UTC), fees=(200,))  # Mon 00:00 BST
    view = statements.overview(partner, now=london(2026, 6, 1, 9, 0))
    assert view.week.fees_pence == 200


def test_the_tax_year_turns_at_midnight_on_6_april_in_london(partner):
    paid(partner, london(2026, 4, 5, 23, 59), fees=(5000,))  # last minute of 2025/26
    paid(partner, london(2026, 4, 6, 0, 0), fees=(7500,), expenses=(1234,))  # first of 2026/27
    paid(partner, london(2026, 4, 7, 9, 0), fees=(99,), status="sent")  # sent, not yet paid
    on_5th = statements.overview(partner, now=london(2026, 4, 5, 23, 59))
    assert (on_5th.tax_year_label, on_5th.year.fees_pence) == ("2025/26", 5000)
    on_6th = statements.overview(partner, now=london(2026, 4, 6, 0, 0))
    assert (on_6th.tax_year_label, on_6th.year.fees_pence) == ("2026/27", 7500)
    assert on_6th.year.expenses_pence == 1234
    assert on_6th.year.total_pence == 8734


def test_someone_else_payments_are_not_counted(partner, make_user):
    other = make_user("partner")
    paid(other, london(2026, 11, 24, 12, 0), fees=(5000,))
    view = statements.overview(partner, now=london(2026, 11, 25, 12, 0))
    assert view.week.total_pence == 0 and view.year.total_pence == 0


# --- Waiting, the weekly amount and its warning --------------------------------------------------


def test_approved_and_waiting_counts_fees_to_be_paid_only(partner):
    fee(partner, 7500, status="approved")
    fee(partner, 2000, status="scheduled")
    fee(partner, 9999, status="submitted")  # not approved yet
    fee(partner, 15000, status="declined", choice="decline")
    fee(partner, 3000, status="other_way", choice="other_way")
    claim(partner, 1250, status="approved")
    view = statements.overview(partner, now=london(2026, 11, 25, 12, 0))
    assert view.waiting_fees_pence == 9500
    assert view.waiting_expenses_pence == 1250


def test_the_warning_shows_when_waiting_plus_this_week_would_go_over(partner):
    paid(partner, london(2026, 11, 23, 10, 0), fees=(6000,), expenses=(5000,))
    fee(partner, 4000, status="approved")
    now = london(2026, 11, 25, 12, 0)
    statements.set_weekly_amount(partner, 10000)
    assert statements.overview(partner, now=now).warning == ""  # exactly £100: not over
    statements.set_weekly_amount(partner, 9999)
    assert statements.overview(partner, now=now).warning == (
        "If all of this is paid this week you would go over the £99.99 you set"
    )
    statements.set_weekly_amount(partner, None)
    assert statements.overview(partner, now=now).warning == ""
    assert list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "user", AuditEvent.subject_id == str(partner.id))
            .order_by(AuditEvent.id)
        )
    )[-3:] == [
        "partner.weekly_amount_set",
        "partner.weekly_amount_set",
        "partner.weekly_amount_cleared",
    ]


@pytest.mark.parametrize(
    ("pence", "message"),
    [(0, "The amount must be more than £0"), (-100, "The amount must be more than £0")],
)
def test_a_weekly_amount_must_be_more_than_nothing(partner, pence, message):
    with pytest.raises(DomainError) as caught:
        statements.set_weekly_amount(partner, pence)
    assert caught.value.errors == {"amount": message}
    assert statements.weekly_amount(partner.id) is None


# --- The statement ------------------------------------------------------------------------------


def test_the_statement_lists_each_payment_of_the_tax_year_and_the_total(partner):
    paid(partner, london(2026, 4, 5, 23, 59), fees=(5000,))  # 2025/26
    first = paid(partner, london(2026, 4, 6, 0, 0), fees=(7500,), expenses=(1234,))
    second = paid(partner, london(2027, 4, 5, 12, 0), fees=(15000,))
    paid(partner, london(2027, 4, 6, 0, 0), fees=(1,))  # 2027/28
    result = statements.statement(partner, 2026)
    assert result.label == "2026/27"
    assert [(line.paid_on, line.reference, line.amount_pence) for line in result.lines] == [
        (dt.date(2026, 4, 6), first.reference, 8734),
        (dt.date(2027, 4, 5), second.reference, 15000),
    ]
    assert result.lines[0].what_for == ["Involvement fee 7500", "Expenses 1234"]
    assert (result.total_pence, result.fees_pence, result.expenses_pence) == (23734, 22500, 1234)
