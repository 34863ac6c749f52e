"""Time to pay: how long people wait from approval to being paid, month by month.

For each London calendar month, the claims and fees whose payment was paid in that month: the
median and the 90th percentile of working days from approval (a claim's decided_at, a fee's
approved_at) to paid (the payment's paid_at), and the share paid within the organisation's promise.

- Working days are counted as the claimant's expected payment date is (lep.expenses.paydates):
  the working days after the day of approval, up to and including the day paid; weekends and
  England and Wales bank holidays do not count, and a payment that arrives on one counts on the
  next working day. Paid on the day of approval is 0.
- The promise is the expense policy's payment_working_days in force on the day of approval (10
  when there is no policy): what the person was told. Paid within the promise means paid on or
  before that many working days after approval.
- Percentiles are by the nearest-rank method: the value at rank ceil(p / 100 x n) of the n days
  sorted, so always one of the real waits and a whole number of days. Shares are whole percents,
  rounded down, so a promise is never shown as kept more often than it was.

Reading a year is two queries, however many payments there are.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from lep.expenses import paydates
from lep.expenses.models import Claim, ExpensePolicy
from lep.extensions import db
from lep.partners.models import Involvement
from lep.payments.models import Payment, PaymentItem
from lep.timeutil import LONDON, to_london

MONTHS_SHOWN = 12


def nearest_rank(values: list[int], percent: int) -> int:
    """The nearest-rank percentile of whole numbers: the value at rank ceil(percent/100 x n)."""
    if not values:
        raise ValueError("no values")
    if not 0 < percent <= 100:
        raise ValueError("percent must be more than 0 and at most 100")
    ordered = sorted(values)
    rank = -(-percent * len(ordered) // 100)  # ceil, in whole numbers
    return ordered[max(rank, 1) - 1]


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when `end` is not after it).

    An `end` on a weekend or bank holiday counts as the next working day, as the promise does:
    promised by Friday and paid on Saturday is late."""
    while end > start and not paydates.is_working_day(end):
        end += dt.timedelta(days=1)
    days = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if paydates.is_working_day(day):
            days += 1
    return days


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def label(self) -> str:
        return f"{self.first_day:%B %Y}"

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The UTC instants the London month starts and the next one starts."""
        start = dt.datetime.combine(self.first_day, dt.time.min, tzinfo=LONDON)
        end = dt.datetime.combine(self.next().first_day, dt.time.min, tzinfo=LONDON)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    @classmethod
    def of(cls, when: dt.datetime) -> Month:
        local = to_london(when)
        return cls(local.year, local.month)


@dataclass(frozen=True)
class Wait:
    """One claim or fee: how long from approval to paid, against the promise made."""

    kind: str  # "claim" or "fee"
    approved_on: dt.date
    paid_on: dt.date
    working_days: int
    promise: int

    @property
    def within_promise(self) -> bool:
        return self.working_days <= self.promise


@dataclass(frozen=True)
class MonthRow:
    month: Month
    claims: int
    fees: int
    median: int | None
    p90: int | None
    within: int
    promises: tuple[int, ...]  # the promises in force for what was paid (usually one)

    @property
    def count(self) -> int:
        return self.claims + self.fees

    @property
    def within_percent(self) -> int | None:
        """Whole percent paid within the promise, rounded down."""
        return self.within * 100 // self.count if self.count else None

    @property
    def promise_text(self) -> str:
        if not self.promises:
            return ""
        low, high = min(self.promises), max(self.promises)
        if low == high:
            return f"{low} working days"
        return f"{low} to {high} working days"


class Promises:
    """The promise in force on a day, from every policy (read once)."""

    def __init__(self) -> None:
        rows = db.session.execute(
            select(ExpensePolicy.effective_from, ExpensePolicy.payment_working_days).order_by(
                ExpensePolicy.effective_from
            )
        ).all()
        self.days = [day for day, _ in rows]
        self.promises = [int(n) for _, n in rows]

    def on(self, day: dt.date) -> int:
        at = bisect.bisect_right(self.days, day)
        if at == 0:
            return self.promises[0] if self.promises else paydates.DEFAULT_WORKING_DAYS
        return self.promises[at - 1]


def waits(first: Month, last: Month) -> dict[Month, list[Wait]]:
    """Every claim and fee paid from the start of `first` to the end of `last`, by month paid."""
    start, _ = first.bounds()
    _, end = last.bounds()
    promises = Promises()
    rows = db.session.execute(
        select(PaymentItem.claim_id, Payment.paid_at, Claim.decided_at, Involvement.approved_at)
        .join(Payment, Payment.id == PaymentItem.payment_id)
        .outerjoin(Claim, Claim.id == PaymentItem.claim_id)
        .outerjoin(Involvement, Involvement.id == PaymentItem.involvement_id)
        .where(Payment.status == "paid", Payment.paid_at >= start, Payment.paid_at < end)
        .order_by(Payment.paid_at, PaymentItem.id)
    ).all()
    found: dict[Month, list[Wait]] = defaultdict(list)
    for claim_id, paid_at, decided_at, approved_at in rows:
        approved = decided_at if claim_id is not None else approved_at
        if approved is None or paid_at is None:
            continue  # no approval time recorded: nothing to measure
        approved_on = to_london(approved).date()
        paid_on = to_london(paid_at).date()
        found[Month.of(paid_at)].append(
            Wait(
                kind="claim" if claim_id is not None else "fee",
                approved_on=approved_on,
                paid_on=paid_on,
                working_days=working_days_between(approved_on, paid_on),
                promise=promises.on(approved_on),
            )
        )
    return found


def month_row(month: Month, found: list[Wait]) -> MonthRow:
    days = [w.working_days for w in found]
    return MonthRow(
        month=month,
        claims=sum(1 for w in found if w.kind == "claim"),
        fees=sum(1 for w in found if w.kind == "fee"),
        median=nearest_rank(days, 50) if days else None,
        p90=nearest_rank(days, 90) if days else None,
        within=sum(1 for w in found if w.within_promise),
        promises=tuple(sorted({w.promise for w in found})),
    )


def months_up_to(last: Month, count: int = MONTHS_SHOWN) -> list[Month]:
    """`count` months ending with `last`, newest first."""
    months = [last]
    while len(months) < count:
        months.append(months[-1].previous())
    return months


def report(last: Month, count: int = MONTHS_SHOWN) -> list[MonthRow]:
    """A row for each of `count` months ending with `last`, newest first."""
    months = months_up_to(last, count)
    found = waits(months[-1], months[0])
    return [month_row(month, found.get(month, [])) for month in months]


def current_promise(today: dt.date) -> int:
    return Promises().on(today)
