"""Time to pay: working days from approval to paid, by London month paid, against the promise."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from lep.expenses.models import Claim, ExpensePolicy
from lep.extensions import db
from lep.partners.models import Involvement
from lep.payments import timetopay
from lep.payments.models import Payment, PaymentItem, PaymentRun
from lep.payments.timetopay import Month, nearest_rank, working_days_between
from lep.roles.models import Role
from tests.helpers import error_at

PAGE = "/finance/payments/reports/time-to-pay"
UTC = dt.UTC
_ids = itertools.count(1)


def at(day: dt.date, hour: int = 11, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


@pytest.fixture
def finance(make_user):
    return make_user("finance", full_name="Fran Finance")


@pytest.fixture
def sam(make_user):
    return make_user("partner", full_name="Sam Partner")


@pytest.fixture
def role():
    role = Role(title="Community panel member", engagement_type="sessional", status="open")
    db.session.add(role)
    db.session.flush()
    return role


@pytest.fixture
def paid(finance, sam, role):
    """paid(approved_at, paid_at, kind, status): one claim or fee in a payment of its own."""
    run = PaymentRun(provider="bacs", status="paid", total_pence=0, created_by_id=finance.id)
    db.session.add(run)
    db.session.flush()

    def make(
        approved_at: dt.datetime,
        paid_at: dt.datetime,
        kind: str = "claim",
        status: str = "paid",
    ) -> Payment:
        n = next(_ids)
        item = PaymentItem(amount_pence=1000, description=f"thing {n}")
        if kind == "claim":
            claim = Claim(
                claimant_id=sam.id,
                status="paid",
                reference=f"EXP-2026-8{n:05d}",
                decided_at=approved_at,
                total_claimed_pence=1000,
                total_approved_pence=1000,
            )
            db.session.add(claim)
            db.session.flush()
            item.claim_id = claim.id
        else:
            fee = Involvement(
                user_id=sam.id,
                role_id=role.id,
                happened_on=approved_at.date() - dt.timedelta(days=3),
                description="Patient panel",
                duration_kind="half_day",
                fee_pence=1000,
                status="paid",
                approved_at=approved_at,
            )
            db.session.add(fee)
            db.session.flush()
            item.involvement_id = fee.id
        payment = Payment(
            run_id=run.id,
            user_id=sam.id,
            amount_pence=1000,
            key=f"ttp-{n}",
            reference=f"LEP PAY X{n:05d}",
            status=status,
            sent_at=paid_at,
            paid_at=paid_at if status == "paid" else None,
        )
        payment.items.append(item)
        db.session.add(payment)
        db.session.flush()
        return payment

    return make


# Working days before Friday 31 July 2026 (no bank holidays in July): paid on the 31st after
# approval on this day is that many working days.
JULY_31 = dt.date(2026, 7, 31)
BEFORE_JULY_31 = {
    1: dt.date(2026, 7, 30),
    2: dt.date(2026, 7, 29),
    3: dt.date(2026, 7, 28),
    4: dt.date(2026, 7, 27),
    5: dt.date(2026, 7, 24),
    6: dt.date(2026, 7, 23),
    7: dt.date(2026, 7, 22),
    9: dt.date(2026, 7, 20),
    11: dt.date(2026, 7, 16),
    12: dt.date(2026, 7, 15),
}


def row_for(rows: list[timetopay.MonthRow], year: int, month: int) -> timetopay.MonthRow:
    return next(r for r in rows if r.month == Month(year, month))


# -- The arithmetic ------------------------------------------------------------------------------


def test_nearest_rank_at_small_counts():
    assert (nearest_rank([7], 50), nearest_rank([7], 90)) == (7, 7)
    assert (nearest_rank([8, 3], 50), nearest_rank([8, 3], 90)) == (3, 8)
    ten = [3, 12, 1, 7, 5, 9, 2, 11, 4, 6]
    assert (nearest_rank(ten, 50), nearest_rank(ten, 90)) == (5, 11)
    assert nearest_rank(list(range(1, 12)), 90) == 10  # rank ceil(9.9) = 10 of 11
    with pytest.raises(ValueError):
        nearest_rank([], 50)


def test_working_days_skip_weekends_and_bank_holidays():
    # Approved Friday 18 December 2026; Christmas, Boxing Day (substitute Monday 28th) and New
    # Year's Day are bank holidays: Wednesday 6 January 2027 is the 10th working day.
    assert working_days_between(dt.date(2026, 12, 18), dt.date(2027, 1, 6)) == 10
    assert working_days_between(dt.date(2026, 12, 18), dt.date(2027, 1, 7)) == 11
    assert working_days_between(dt.date(2026, 7, 31), dt.date(2026, 7, 31)) == 0
    # Paid on Saturday 1 August counts on Monday 3 August.
    assert working_days_between(dt.date(2026, 7, 30), dt.date(2026, 8, 1)) == 2


# -- By month ------------------------------------------------------------------------------------


def test_one_two_and_ten_paid_in_a_month(paid):
    # May: one claim, approved Friday 22 May 2026, paid Friday 29th over the bank holiday on the
    # 25th: 4 working days.
    paid(at(dt.date(2026, 5, 22)), at(dt.date(2026, 5, 29)))
    # June: a claim 3 and a fee 8 working days before Tuesday 30 June.
    paid(at(dt.date(2026, 6, 25)), at(dt.date(2026, 6, 30)))
    paid(at(dt.date(2026, 6, 18)), at(dt.date(2026, 6, 30)), kind="fee")
    # July: ten, waiting 1, 2, 3, 4, 5, 6, 7, 9, 11 and 12 working days.
    for days, approved in BEFORE_JULY_31.items():
        paid(at(approved, 9), at(JULY_31, 15), kind="claim" if days % 2 else "fee")
    # Neither a failed payment nor one not paid yet counts.
    paid(at(dt.date(2026, 7, 1)), at(JULY_31), status="failed")
    paid(at(dt.date(2026, 7, 1)), at(JULY_31), status="sent")
    db.session.commit()
    rows = timetopay.report(Month(2026, 7))
    assert [r.month for r in rows[:3]] == [Month(2026, 7), Month(2026, 6), Month(2026, 5)]
    assert len(rows) == 12 and rows[-1].month == Month(2025, 8)
    may, june, july = row_for(rows, 2026, 5), row_for(rows, 2026, 6), row_for(rows, 2026, 7)
    assert (may.count, may.median, may.p90, may.within, may.within_percent) == (1, 4, 4, 1, 100)
    assert (june.claims, june.fees) == (1, 1)
    assert (june.median, june.p90, june.within_percent) == (3, 8, 100)
    assert (july.claims, july.fees) == (6, 4)  # odd waits were claims
    assert (july.median, july.p90) == (5, 11)
    assert (july.within, july.within_percent) == (8, 80)
    assert july.promise_text == "10 working days"
    empty = row_for(rows, 2026, 4)
    assert (empty.count, empty.median, empty.p90, empty.within_percent) == (0, None, None, None)


def test_months_are_london_months(paid):
    # 23:30 UTC on Tuesday 30 June 2026 is 00:30 on Wednesday 1 July in London (BST): July.
    paid(at(dt.date(2026, 6, 30), 9), at(dt.date(2026, 6, 30), 23, 30))
    # 23:30 UTC on Saturday 31 October 2026 is still 31 October in London (GMT again): October,
    # and a Saturday, so it counts on Monday 2 November: 1 working day after Friday 30th.
    paid(at(dt.date(2026, 10, 30), 9), at(dt.date(2026, 10, 31), 23, 30))
    # Approved at 23:30 UTC on Thursday 2 July (00:30 Friday 3 July in London), paid Friday 3rd:
    # the day of approval is the London day, so 0 working days.
    paid(at(dt.date(2026, 7, 2), 23, 30), at(dt.date(2026, 7, 3), 14))
    db.session.commit()
    rows = timetopay.report(Month(2026, 11))
    assert row_for(rows, 2026, 6).count == 0
    july = row_for(rows, 2026, 7)
    assert (july.count, sorted([july.median, july.p90])) == (2, [0, 1])
    october = row_for(rows, 2026, 10)
    assert (october.count, october.median) == (1, 1)
    assert row_for(rows, 2026, 11).count == 0


def test_the_promise_is_the_policy_in_force_on_the_day_of_approval(paid):
    db.session.add(ExpensePolicy(effective_from=dt.date(2026, 7, 20), payment_working_days=5))
    db.session.flush()
    paid(at(BEFORE_JULY_31[7]), at(JULY_31))  # approved 22 July: promised 5, waited 7
    paid(at(BEFORE_JULY_31[9]), at(JULY_31))  # approved 20 July: promised 5, waited 9
    paid(at(BEFORE_JULY_31[11]), at(JULY_31))  # approved 16 July: promised 10, waited 11
    paid(at(BEFORE_JULY_31[2]), at(JULY_31))  # approved 29 July: promised 5, waited 2
    db.session.commit()
    july = row_for(timetopay.report(Month(2026, 7)), 2026, 7)
    assert july.promise_text == "5 to 10 working days"
    assert (july.within, july.count, july.within_percent) == (1, 4, 25)
    assert timetopay.current_promise(dt.date(2026, 8, 1)) == 5
    assert timetopay.current_promise(dt.date(2026, 7, 1)) == 10


def test_a_share_is_rounded_down(paid):
    for days in (1, 2, 11):
        paid(at(BEFORE_JULY_31[days]), at(JULY_31))
    db.session.commit()
    july = row_for(timetopay.report(Month(2026, 7)), 2026, 7)
    assert (july.within, july.count, july.within_percent) == (2, 3, 66)


# -- The page ------------------------------------------------------------------------------------


def row_text(page: str, row_id: str) -> str:
    match = re.search(rf'<tr class="nhsuk-table__row" id="{row_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row {row_id}"
    text = re.sub(r'<span class="nhsuk-table-responsive__heading"[^>]*>.*?</span>', "", match[1])
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()


def test_finance_see_the_months_with_the_method_said(client, login, finance, paid, make_user):
    for days in (1, 2, 11):
        paid(at(BEFORE_JULY_31[days]), at(JULY_31))
    db.session.commit()
    login(finance)
    page = client.get(PAGE, query_string={"month": "2026-07"}).get_data(as_text=True)
    assert row_text(page, "month-2026-07") == "July 2026 3 0 2 11 10 working days 2 of 3 (66%)"
    assert row_text(page, "month-2026-06") == "June 2026 0 0 Nothing paid this month"
    assert 'id="month-2025-08"' in page and 'id="month-2025-07"' not in page
    assert "nearest-rank method" in page and "whole number of days" in page
    assert "We promise to pay within 10 working days of approval" in page


@pytest.mark.parametrize(
    "typed", ["2026-13", "July", "26-07", "1999-12", "2026-7-1", "\uff12\uff10\uff12\uff16-07"]
)
def test_a_month_that_is_not_one_is_shown_at_the_field(client, login, finance, typed):
    login(finance)
    response = client.get(PAGE, query_string={"month": typed})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, "month") == (
        "Enter the month as year and month from 2000 to 2099, like 2026-11"
    )
    assert f'value="{typed}"' in page
    assert 'id="months"' not in page


def test_only_finance_see_time_to_pay(app, client, make_user):
    from tests.conftest import sign_in

    assert client.get(PAGE).status_code == 302
    for role in ("hr", "partner", "admin", "finance"):
        browser = app.test_client()
        sign_in(browser, make_user(role).email)
        assert browser.get(PAGE).status_code == (200 if role == "finance" else 403), role
