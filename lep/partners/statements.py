"""What a partner has been paid: this week (Monday to Sunday, London), this tax year (6 April to
5 April), what is approved and waiting, their own weekly amount, and a statement for a tax year.

Everything paid comes from payments marked paid (by their paid_at, in London time). Fees and
expenses repaid are counted apart: repaid expenses are not income. Fees paid another way (recorded
by finance) are listed on the statement too, since they count as income just the same.
The system never asks which benefits anyone receives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import selectinload

from lep import audit
from lep.db import utcnow
from lep.expenses.models import Claim
from lep.extensions import db
from lep.money import format_pounds
from lep.partners.models import Appointment, Involvement, PartnerSettings
from lep.payments.models import Payment, PaymentItem
from lep.service import DomainError, commit
from lep.timeutil import LONDON, london_date_bounds, to_london

MAX_WEEKLY_PENCE = 10_000_000  # £100,000 a week: anything above is a typing slip


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the week a London date is in."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def tax_year_of(day: dt.date) -> int:
    """The year a tax year starts in: 5 April 2026 is in 2025/26, 6 April 2026 in 2026/27."""
    return day.year if (day.month, day.day) >= (4, 6) else day.year - 1


def tax_year_dates(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 4, 6), dt.date(year + 1, 4, 5)


def tax_year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def _utc_range(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return london_date_bounds(first)[0], london_date_bounds(last)[1]


@dataclass(frozen=True)
class Paid:
    fees_pence: int = 0
    expenses_pence: int = 0

    @property
    def total_pence(self) -> int:
        return self.fees_pence + self.expenses_pence


def paid_between(user_id: int, first: dt.date, last: dt.date) -> Paid:
    """Fees and expenses in this person's paid payments, paid from `first` to `last` (London)."""
    start, end = _utc_range(first, last)
    is_fee = PaymentItem.involvement_id.is_not(None)
    fees, expenses = db.session.execute(
        select(
            func.coalesce(func.sum(case((is_fee, PaymentItem.amount_pence), else_=0)), 0),
            func.coalesce(func.sum(case((is_fee, 0), else_=PaymentItem.amount_pence)), 0),
        )
        .join(Payment, Payment.id == PaymentItem.payment_id)
        .where(
            Payment.user_id == user_id,
            Payment.status == "paid",
            Payment.paid_at >= start,
            Payment.paid_at < end,
        )
    ).one()
    return Paid(int(fees), int(expenses))


def _employed() -> Any:
    return (
        select(Appointment.id)
        .where(Appointment.id == Involvement.appointment_id)
        .where(Appointment.engagement_type == "employed")
        .exists()
    )


def waiting_fees(user_id: int) -> list[Involvement]:
    """Approved fees this person wants paid that have not been paid yet (not payroll)."""
    return list(
        db.session.scalars(
            select(Involvement)
            .where(
                Involvement.user_id == user_id,
                Involvement.status.in_(("approved", "scheduled")),
                Involvement.fee_choice == "pay",
                Involvement.fee_pence > 0,
                ~_employed(),
            )
            .order_by(Involvement.happened_on, Involvement.id)
        )
    )


def waiting_expenses_pence(user_id: int) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(Claim.total_approved_pence), 0)).where(
            Claim.claimant_id == user_id,
            Claim.status.in_(("approved", "partly_approved", "scheduled")),
        )
    )
    return int(total or 0)


def weekly_amount(user_id: int) -> int | None:
    return db.session.scalar(
        select(PartnerSettings.weekly_warning_pence).where(PartnerSettings.user_id == user_id)
    )


@dataclass
class Overview:
    today: dt.date
    week_start: dt.date
    week_end: dt.date
    week: Paid
    tax_year: int
    year: Paid
    waiting: list[Involvement]
    waiting_expenses_pence: int
    weekly_pence: int | None

    @property
    def tax_year_label(self) -> str:
        return tax_year_label(self.tax_year)

    @property
    def waiting_fees_pence(self) -> int:
        return sum(i.fee_pence for i in self.waiting)

    @property
    def warning(self) -> str:
        """Shown when the fees waiting, paid this week on top of this week's, would go over."""
        if self.weekly_pence is None:
            return ""
        if self.week.fees_pence + self.waiting_fees_pence <= self.weekly_pence:
            return ""
        return (
            "If all of this is paid this week you would go over the "
            f"{format_pounds(self.weekly_pence, always_pence=True)} you set"
        )


def overview(user: Any, now: dt.datetime | None = None) -> Overview:
    today = (now or utcnow()).astimezone(LONDON).date()
    monday, sunday = week_of(today)
    year = tax_year_of(today)
    first, last = tax_year_dates(year)
    return Overview(
        today=today,
        week_start=monday,
        week_end=sunday,
        week=paid_between(user.id, monday, sunday),
        tax_year=year,
        year=paid_between(user.id, first, last),
        waiting=waiting_fees(user.id),
        waiting_expenses_pence=waiting_expenses_pence(user.id),
        weekly_pence=weekly_amount(user.id),
    )


def set_weekly_amount(user: Any, pence: int | None) -> None:
    """Set (or, with None, clear) the partner's own weekly amount. Audited."""
    if pence is not None:
        if isinstance(pence, bool) or not isinstance(pence, int):
            raise TypeError("pence must be whole pence (an int)")
        if pence <= 0:
            raise DomainError({"amount": "The amount must be more than £0"})
        if pence > MAX_WEEKLY_PENCE:
            raise DomainError(
                {"amount": f"The amount must be {format_pounds(MAX_WEEKLY_PENCE)} or less"}
            )
    settings = db.session.scalar(select(PartnerSettings).where(PartnerSettings.user_id == user.id))
    before = settings.weekly_warning_pence if settings else None
    if settings is None:
        settings = PartnerSettings(user_id=user.id)
        db.session.add(settings)
    settings.weekly_warning_pence = pence
    db.session.flush()
    audit.record(
        "partner.weekly_amount_set" if pence is not None else "partner.weekly_amount_cleared",
        "user",
        user.id,
        before={"weekly_warning_pence": before},
        after={"weekly_warning_pence": pence},
        actor=user,
    )
    commit()


# -- The statement for a tax year -----------------------------------------------------------------


@dataclass
class StatementLine:
    paid_on: dt.date
    reference: str
    what_for: list[str]
    amount_pence: int
    fees_pence: int


@dataclass
class OtherWayLine:
    paid_on: dt.date
    what_for: str
    amount_pence: int


@dataclass
class Statement:
    year: int
    first: dt.date
    last: dt.date
    lines: list[StatementLine] = field(default_factory=list)
    other_way: list[OtherWayLine] = field(default_factory=list)

    @property
    def label(self) -> str:
        return tax_year_label(self.year)

    @property
    def total_pence(self) -> int:
        return sum(line.amount_pence for line in self.lines)

    @property
    def fees_pence(self) -> int:
        return sum(line.fees_pence for line in self.lines)

    @property
    def expenses_pence(self) -> int:
        return self.total_pence - self.fees_pence

    @property
    def other_way_pence(self) -> int:
        return sum(line.amount_pence for line in self.other_way)


def statement(user: Any, year: int) -> Statement:
    """Every payment made to this person in the tax year starting 6 April `year`."""
    first, last = tax_year_dates(year)
    start, end = _utc_range(first, last)
    result = Statement(year, first, last)
    payments = db.session.scalars(
        select(Payment)
        .where(
            Payment.user_id == user.id,
            Payment.status == "paid",
            Payment.paid_at >= start,
            Payment.paid_at < end,
        )
        .options(selectinload(Payment.items))
        .order_by(Payment.paid_at, Payment.id)
    )
    for payment in payments:
        assert payment.paid_at is not None
        result.lines.append(
            StatementLine(
                paid_on=to_london(payment.paid_at).date(),
                reference=payment.reference,
                what_for=[item.description for item in payment.items],
                amount_pence=payment.amount_pence,
                fees_pence=sum(i.amount_pence for i in payment.items if i.involvement_id),
            )
        )
    # Fees paid another way: marked paid by finance (the row is not changed after that).
    other = db.session.scalars(
        select(Involvement)
        .where(
            Involvement.user_id == user.id,
            Involvement.status == "paid",
            Involvement.fee_choice == "other_way",
            and_(Involvement.updated_at >= start, Involvement.updated_at < end),
        )
        .order_by(Involvement.updated_at, Involvement.id)
    )
    for inv in other:
        result.other_way.append(
            OtherWayLine(
                paid_on=to_london(inv.updated_at).date(),
                what_for=f"Involvement fee: {inv.description[:80]}",
                amount_pence=inv.fee_pence,
            )
        )
    return result


def years_with_payments(user: Any, today: dt.date) -> list[int]:
    """Tax years to offer a statement for: this one, and each earlier one with a payment."""
    first_paid = db.session.scalar(
        select(func.min(Payment.paid_at)).where(
            Payment.user_id == user.id, Payment.status == "paid"
        )
    )
    current = tax_year_of(today)
    earliest = tax_year_of(to_london(first_paid).date()) if first_paid else current
    return list(range(current, min(earliest, current) - 1, -1))


@dataclass(frozen=True)
class PaidPayment:
    """One payment made to this person, for "Your payments": when, its reference, how much."""

    id: int
    paid_on: dt.date
    reference: str
    amount_pence: int
    what_for: list[str]


def paid_payments(user: Any) -> list[PaidPayment]:
    """Every payment made to this person, newest first (each has its remittance advice)."""
    payments = db.session.scalars(
        select(Payment)
        .where(Payment.user_id == user.id, Payment.status == "paid", Payment.paid_at.is_not(None))
        .options(selectinload(Payment.items))
        .order_by(Payment.paid_at.desc(), Payment.id.desc())
    )
    return [
        PaidPayment(
            id=p.id,
            paid_on=to_london(p.paid_at).date(),  # type: ignore[arg-type]
            reference=p.reference,
            amount_pence=p.amount_pence,
            what_for=[item.description for item in p.items],
        )
        for p in payments
    ]


# Tagged PDF for assistive technology (PDF/UA-1): WeasyPrint writes the structure tree, the
# document's language from <html lang> and its title from <title>, shown as the window title.
PDF_VARIANT = "pdf/ua-1"


def pdf_from_html(html: str, base_url: str | None = None) -> bytes | None:
    """The page as a tagged, accessible PDF (PDF/UA-1) with WeasyPrint; None when WeasyPrint is
    not installed or cannot run."""
    try:
        import weasyprint  # type: ignore[import-untyped,unused-ignore]
    except (ImportError, OSError):
        return None
    try:
        document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=_no_fetching)
        return bytes(document.write_pdf(pdf_variant=PDF_VARIANT))
    except OSError:
        return None


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The documents are self-contained: WeasyPrint fetches nothing (no requests to anywhere,
    whatever a URL in the text might say)."""
    raise ValueError(f"not fetched: {url[:80]}")
