"""Reconciliation: runs, payments and provider events for a period, with mismatches in words.

A period is two London dates, both included. In it are the runs built, sent or paid then, the
payments made, sent or paid then, and the provider events received then. Each mismatch is one SQL
expression, used both to flag a row and to count and filter them, so the page, its summary and the
CSV can never disagree:

- a run whose total does not equal the sum of its payments;
- a payment sent more than PAYMENT_CONFIRMATION_DAYS days ago (default 5) and still not confirmed
  as paid;
- a failed payment some of whose claims or fees were not picked up again by a later payment;
- a payment for a claim or fee that another live payment (not failed, in a run not cancelled)
  also pays for: the same thing paid twice;
- a provider event for a payment we do not know;
- a provider event whose amount differs from its payment's (or, for a payout, from the payments
  it should pay).

A page is a fixed number of queries (a count and the rows for the list shown, one for each
summary), however many rows there are. Never a provider event's payload: it can hold what the
provider knows about a person.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from lep import audit
from lep.accounts.models import User
from lep.db import utcnow
from lep.extensions import db
from lep.money import format_pounds
from lep.payments.models import (
    AMOUNT_DIFFERS,
    UNKNOWN_PAYMENT,
    Payment,
    PaymentItem,
    PaymentRun,
    ProviderEventRecord,
)
from lep.service import commit
from lep.timeutil import format_date, london_date_bounds, to_london

PAGE_SIZE = 50
MAX_PAGE = 100_000
DEFAULT_CONFIRMATION_DAYS = 5
LISTS = {"payments": "Payments", "runs": "Runs", "events": "Provider events"}

# Events about one payment: ours (lep.payments.providers.base) and Stripe's own names, in case a
# webhook stores those. An event of these kinds with no payment is for a payment we do not know.
PAYMENT_EVENT_TYPES = (
    "payment.sent",
    "payment.reversed",
    "transfer.created",
    "transfer.reversed",
    "transfer.updated",
)


def confirmation_days() -> int:
    """How many days a sent payment may wait for confirmation before it is flagged."""
    try:
        days = int(current_app.config.get("PAYMENT_CONFIRMATION_DAYS", DEFAULT_CONFIRMATION_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_CONFIRMATION_DAYS
    return max(days, 0)


@dataclass(frozen=True)
class Period:
    """Two London dates, both included."""

    start: dt.date
    end: dt.date

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return london_date_bounds(self.start)[0], london_date_bounds(self.end)[1]

    def holds(self, *columns: Any) -> ColumnElement[bool]:
        """SQL: any of these times falls in the period."""
        start, end = self.bounds
        return or_(*(and_(column >= start, column < end) for column in columns))


# -- The mismatches, as SQL ----------------------------------------------------------------------


def payments_sum() -> Any:
    """SQL: the sum of a run's payments (0 for none)."""
    return (
        select(func.coalesce(func.sum(Payment.amount_pence), 0))
        .where(Payment.run_id == PaymentRun.id)
        .correlate(PaymentRun)
        .scalar_subquery()
    )


def payment_count() -> Any:
    return (
        select(func.count(Payment.id))
        .where(Payment.run_id == PaymentRun.id)
        .correlate(PaymentRun)
        .scalar_subquery()
    )


def run_total_differs() -> ColumnElement[bool]:
    return PaymentRun.total_pence != payments_sum()


def not_confirmed(now: dt.datetime, days: int) -> ColumnElement[bool]:
    """SQL: sent more than `days` days ago and still not paid (nor failed)."""
    return and_(
        Payment.status == "sent",
        Payment.sent_at.is_not(None),
        Payment.sent_at < now - dt.timedelta(days=days),
    )


def item_count() -> Any:
    return (
        select(func.count(PaymentItem.id))
        .where(PaymentItem.payment_id == Payment.id)
        .correlate(Payment)
        .scalar_subquery()
    )


def items_not_picked_up() -> Any:
    """SQL: how many of a payment's claims and fees are in no later payment that still stands
    (not failed, in a run not cancelled)."""
    item = aliased(PaymentItem)
    later_item = aliased(PaymentItem)
    later = aliased(Payment)
    later_run = aliased(PaymentRun)
    picked_up = (
        exists()
        .where(
            later_item.payment_id == later.id,
            later.run_id == later_run.id,
            later.id > item.payment_id,
            later.status != "failed",
            later_run.status != "cancelled",
            or_(
                later_item.claim_id == item.claim_id,
                later_item.involvement_id == item.involvement_id,
            ),
        )
        .correlate(item)
    )
    return (
        select(func.count(item.id))
        .where(item.payment_id == Payment.id, ~picked_up)
        .correlate(Payment)
        .scalar_subquery()
    )


def failed_not_picked_up() -> ColumnElement[bool]:
    return and_(Payment.status == "failed", items_not_picked_up() > 0)


def _live(payment: Any, run: Any) -> ColumnElement[bool]:
    """SQL: the payment stands (not failed, in a run not cancelled), whatever its items say."""
    return and_(payment.status != "failed", run.status != "cancelled")


def in_two_live_payments() -> ColumnElement[bool]:
    """SQL: the payment stands, and a claim or fee of it is also in another payment that stands.

    Read from payment and run statuses, not from payment_item.released_at (which the database's
    one-live-payment index is built on), so this checks that index rather than trusting it."""
    item = aliased(PaymentItem)
    other_item = aliased(PaymentItem)
    other = aliased(Payment)
    other_run = aliased(PaymentRun)
    this_run = aliased(PaymentRun)
    doubled = (
        exists()
        .where(
            item.payment_id == Payment.id,
            other_item.payment_id == other.id,
            other.run_id == other_run.id,
            other.id != Payment.id,
            _live(other, other_run),
            or_(
                other_item.claim_id == item.claim_id,
                other_item.involvement_id == item.involvement_id,
            ),
        )
        .correlate(Payment)
    )
    stands = (
        exists()
        .where(this_run.id == Payment.run_id, this_run.status != "cancelled")
        .correlate(Payment)
    )
    return and_(Payment.status != "failed", stands, doubled)


def payment_mismatch(now: dt.datetime, days: int) -> ColumnElement[bool]:
    return or_(not_confirmed(now, days), failed_not_picked_up(), in_two_live_payments())


def unknown_payment() -> ColumnElement[bool]:
    """SQL: an event about a payment that names none we know."""
    return and_(
        ProviderEventRecord.payment_id.is_(None),
        or_(
            ProviderEventRecord.type.in_(PAYMENT_EVENT_TYPES),
            func.lower(ProviderEventRecord.outcome).contains(UNKNOWN_PAYMENT),
        ),
    )


def amount_differs() -> ColumnElement[bool]:
    """SQL (with Payment outer-joined on the event): the event's amount is not its payment's, or
    the webhook found no payments it adds up to (a payout, say)."""
    return or_(
        and_(
            ProviderEventRecord.payment_id.is_not(None),
            ProviderEventRecord.amount_pence.is_not(None),
            ProviderEventRecord.amount_pence != Payment.amount_pence,
        ),
        func.lower(ProviderEventRecord.outcome).contains(AMOUNT_DIFFERS),
    )


def event_mismatch() -> ColumnElement[bool]:
    return or_(unknown_payment(), amount_differs())


# -- Rows, as people read them -------------------------------------------------------------------


def _pounds(pence: int) -> str:
    return format_pounds(pence, always_pence=True)


@dataclass(frozen=True)
class RunRow:
    run: PaymentRun
    payments_pence: int
    payment_count: int
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    item_count: int
    not_picked_up: int
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EventRow:
    event: ProviderEventRecord
    payment: Payment | None
    flags: list[str] = field(default_factory=list)


def _run_flags(run: PaymentRun, payments_pence: int) -> list[str]:
    if run.total_pence == payments_pence:
        return []
    return [
        f"The run's total, {_pounds(run.total_pence)}, does not equal the sum of its payments, "
        f"{_pounds(payments_pence)}"
    ]


def _payment_flags(
    payment: Payment,
    overdue: bool,
    failed_unpicked: bool,
    items: int,
    unpicked: int,
    now: dt.datetime,
    days: int,
    doubled: bool = False,
) -> list[str]:
    flags = []
    if doubled:
        flags.append(
            "Pays for a claim or fee that another payment also pays for: the same thing is "
            "in two live payments"
        )
    if overdue and payment.sent_at is not None:
        ago = (now - payment.sent_at).days
        flags.append(
            f"Sent {ago} days ago, on {format_date(payment.sent_at)}, and not confirmed as paid "
            f"(confirmation is expected within {days} days)"
        )
    if failed_unpicked:
        what = f"its {items} items" if items != 1 else "its 1 item"
        verb = "has" if unpicked == 1 else "have"
        flags.append(
            f"Failed, and {unpicked} of {what} {verb} not been picked up again by a later payment"
        )
    return flags


def _event_flags(
    event: ProviderEventRecord, payment: Payment | None, unknown: bool, differs: bool
) -> list[str]:
    flags = []
    if unknown:
        flags.append("An event for a payment we do not know")
    if differs:
        amount = _pounds(event.amount_pence) if event.amount_pence is not None else "no amount"
        if payment is not None:
            flags.append(
                f"The event's amount, {amount}, differs from the payment's, "
                f"{_pounds(payment.amount_pence)}"
            )
        else:
            flags.append(f"The event's amount, {amount}, does not match the payments we sent")
    return flags


# -- Statements ----------------------------------------------------------------------------------


def runs_statement(period: Period, only_mismatches: bool = False) -> Select[Any]:
    stmt = select(PaymentRun, payments_sum(), payment_count()).where(
        period.holds(PaymentRun.created_at, PaymentRun.sent_at, PaymentRun.paid_at)
    )
    if only_mismatches:
        stmt = stmt.where(run_total_differs())
    return stmt.order_by(PaymentRun.created_at.desc(), PaymentRun.id.desc())


def payments_statement(
    period: Period, now: dt.datetime, days: int, only_mismatches: bool = False
) -> Select[Any]:
    stmt = (
        select(
            Payment,
            not_confirmed(now, days).label("overdue"),
            failed_not_picked_up().label("failed_unpicked"),
            item_count(),
            items_not_picked_up(),
            in_two_live_payments().label("doubled"),
        )
        .join(Payment.run)
        .join(User, User.id == Payment.user_id)
        .options(contains_eager(Payment.run), contains_eager(Payment.user))
        .where(period.holds(Payment.created_at, Payment.sent_at, Payment.paid_at))
    )
    if only_mismatches:
        stmt = stmt.where(payment_mismatch(now, days))
    return stmt.order_by(PaymentRun.created_at.desc(), Payment.run_id.desc(), Payment.id)


def events_statement(period: Period, only_mismatches: bool = False) -> Select[Any]:
    stmt: Any = (
        select(
            ProviderEventRecord,
            Payment,
            unknown_payment().label("unknown"),
            amount_differs().label("differs"),
        )
        .outerjoin(Payment, Payment.id == ProviderEventRecord.payment_id)
        .where(period.holds(ProviderEventRecord.received_at))
    )
    if only_mismatches:
        stmt = stmt.where(event_mismatch())
    return stmt.order_by(ProviderEventRecord.received_at.desc(), ProviderEventRecord.id.desc())


def _run_rows(rows: Sequence[Any]) -> list[RunRow]:
    return [
        RunRow(run, int(total or 0), int(count or 0), _run_flags(run, int(total or 0)))
        for run, total, count in rows
    ]


def _payment_rows(rows: Sequence[Any], now: dt.datetime, days: int) -> list[PaymentRow]:
    result = []
    for payment, overdue, failed_unpicked, items, unpicked, doubled in rows:
        flags = _payment_flags(
            payment,
            bool(overdue),
            bool(failed_unpicked),
            int(items),
            int(unpicked),
            now,
            days,
            bool(doubled),
        )
        result.append(PaymentRow(payment, int(items), int(unpicked), flags))
    return result


def _event_rows(rows: Sequence[Any]) -> list[EventRow]:
    return [
        EventRow(event, payment, _event_flags(event, payment, bool(unknown), bool(differs)))
        for event, payment, unknown, differs in rows
    ]


# -- The page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a list: what macros/pagination.jinja needs."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


@dataclass(frozen=True)
class Summary:
    runs: int
    payments: int
    events: int
    run_totals: int
    not_confirmed: int
    failed_not_picked_up: int
    unknown_payments: int
    amounts_differ: int
    in_two_payments: int = 0

    @property
    def mismatches(self) -> int:
        return (
            self.run_totals
            + self.not_confirmed
            + self.failed_not_picked_up
            + self.unknown_payments
            + self.amounts_differ
            + self.in_two_payments
        )


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def summary(period: Period, now: dt.datetime, days: int) -> Summary:
    """How many of each there are in the period, and how many of each mismatch (three queries)."""
    runs, run_totals = db.session.execute(
        select(func.count(PaymentRun.id), _count_if(run_total_differs())).where(
            period.holds(PaymentRun.created_at, PaymentRun.sent_at, PaymentRun.paid_at)
        )
    ).one()
    payments, overdue, unpicked, doubled = db.session.execute(
        select(
            func.count(Payment.id),
            _count_if(not_confirmed(now, days)),
            _count_if(failed_not_picked_up()),
            _count_if(in_two_live_payments()),
        ).where(period.holds(Payment.created_at, Payment.sent_at, Payment.paid_at))
    ).one()
    events, unknown, differs = db.session.execute(
        select(
            func.count(ProviderEventRecord.id),
            _count_if(unknown_payment()),
            _count_if(amount_differs()),
        )
        .select_from(ProviderEventRecord)
        .outerjoin(Payment, Payment.id == ProviderEventRecord.payment_id)
        .where(period.holds(ProviderEventRecord.received_at))
    ).one()
    return Summary(
        int(runs),
        int(payments),
        int(events),
        int(run_totals),
        int(overdue),
        int(unpicked),
        int(unknown),
        int(differs),
        int(doubled),
    )


def _paged(stmt: Select[Any], page: int) -> tuple[list[Any], int, int]:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = min(max(page, 1), MAX_PAGE)
    first = (page - 1) * PAGE_SIZE
    if first >= total:
        return [], int(total), page
    rows = db.session.execute(stmt.offset(first).limit(PAGE_SIZE)).unique().all()
    return list(rows), int(total), page


def page_of(
    period: Period,
    show: str = "payments",
    page: int = 1,
    only_mismatches: bool = False,
    now: dt.datetime | None = None,
) -> Page:
    """A page of runs, payments or provider events in the period (a count and one query)."""
    now = now or utcnow()
    days = confirmation_days()
    if show == "runs":
        rows, total, page = _paged(runs_statement(period, only_mismatches), page)
        return Page(_run_rows(rows), page, PAGE_SIZE, total)
    if show == "events":
        rows, total, page = _paged(events_statement(period, only_mismatches), page)
        return Page(_event_rows(rows), page, PAGE_SIZE, total)
    rows, total, page = _paged(payments_statement(period, now, days, only_mismatches), page)
    return Page(_payment_rows(rows, now, days), page, PAGE_SIZE, total)


# -- The CSV -------------------------------------------------------------------------------------


def _london_day(value: dt.datetime | None) -> dt.date | None:
    return to_london(value).date() if value is not None else None


def csv_rows(period: Period, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every run, payment and event in the period, one dict each, for schemas.ReconciliationRow
    (three queries, however many there are)."""
    now = now or utcnow()
    days = confirmation_days()
    rows: list[dict[str, Any]] = []
    for r in _run_rows(db.session.execute(runs_statement(period)).all()):
        run = r.run
        rows.append(
            {
                "record": "Run",
                "run": run.reference or str(run.id),
                "status": run.status_text,
                "amount_pence": run.total_pence,
                "compare_pence": r.payments_pence,
                "built_on": _london_day(run.created_at),
                "sent_on": _london_day(run.sent_at),
                "paid_on": _london_day(run.paid_at),
                "mismatches": r.flags,
            }
        )
    payment_rows = db.session.execute(payments_statement(period, now, days)).unique().all()
    for p in _payment_rows(payment_rows, now, days):
        payment = p.payment
        rows.append(
            {
                "record": "Payment",
                "run": payment.run.reference or str(payment.run_id),
                "payment": payment.reference,
                "payee_id": payment.user_id,
                "payee": payment.user.full_name,
                "status": payment.status_text,
                "amount_pence": payment.amount_pence,
                "built_on": _london_day(payment.created_at),
                "sent_on": _london_day(payment.sent_at),
                "paid_on": _london_day(payment.paid_at),
                "provider_reference": payment.provider_reference,
                "outcome": payment.failure_reason,
                "mismatches": p.flags,
            }
        )
    for e in _event_rows(db.session.execute(events_statement(period)).all()):
        event, linked = e.event, e.payment
        rows.append(
            {
                "record": "Provider event",
                "payment": linked.reference if linked is not None else "",
                "payee_id": linked.user_id if linked is not None else None,
                "status": event.type,
                "amount_pence": event.amount_pence,
                "compare_pence": linked.amount_pence if linked is not None else None,
                "received_on": _london_day(event.received_at),
                "event_id": f"{event.provider}:{event.event_id}",
                "outcome": event.outcome,
                "mismatches": e.flags,
            }
        )
    return rows


def to_csv(rows: list[dict[str, Any]]) -> str:
    from lep.expenses.schemas import safe_cell
    from lep.payments.schemas import ReconciliationRowSchema

    schema = ReconciliationRowSchema()
    headers = schema.headers()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in schema.dump(rows, many=True):
        writer.writerow([safe_cell("" if row.get(h) is None else row[h]) for h in headers])
    return out.getvalue()


def export_csv(by: Any, period: Period, now: dt.datetime | None = None) -> tuple[str, int]:
    """The CSV for the period and how many rows it has; audited as taken by `by`."""
    rows = csv_rows(period, now)
    body = to_csv(rows)
    audit.record(
        "payments.reconciliation_exported",
        "payment_reconciliation",
        None,
        after={
            "format": "csv",
            "rows": len(rows),
            "mismatches": sum(1 for row in rows if row["mismatches"]),
            "from": period.start,
            "to": period.end,
        },
        actor=by,
    )
    commit()
    return body, len(rows)
