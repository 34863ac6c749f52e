"""Forms for offers: HR's offer form, withdrawing an offer, the interview outcome, and the
applicant's answer.

Forms check what the browser sent (a real date, whole numbers, a choice from the list) and keep
what was typed; the offer services own the rules and name the field of anything they refuse.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from lep.forms import DatePartsField, strip
from lep.money import format_pounds
from lep.roles.models import PayPoint, RateCard, Role
from lep.shortlisting.offers import MAX_REASON, OfferTerms, london_today


def _unreadable_stops(form: Any, field: Field) -> None:
    """After "enter a whole number", say nothing more about the same box."""
    if field.process_errors:
        raise StopValidation()


def _too_long(name: str) -> Length:
    return Length(max=MAX_REASON, message=f"{name} must be {MAX_REASON:,} characters or fewer")


def pay_point_text(point: PayPoint) -> str:
    return f"Point {point.point}: {format_pounds(point.annual_pence)} a year full time"


class OfferForm(FlaskForm):
    start_date = DatePartsField(
        "Start date",
        what="the start date",
        example="1 6 2026",
        id="start_date-day",  # the error summary links to the first box
        description="For example, 1 6 2026. Today or later",
    )
    pay_point_id = RadioField("Pay point", invalid_choice_message="Select a pay point")
    hours = IntegerField(
        "Hours a week",
        description="Full time is 37 hours 30 minutes",
        validators=[
            _unreadable_stops,
            NumberRange(min=0, max=37, message="Hours must be a whole number from 0 to 37"),
        ],
        invalid_value_message="Enter the hours a week as a whole number, like 15",
    )
    minutes = IntegerField(
        "And minutes",
        validators=[
            Optional(),
            _unreadable_stops,
            NumberRange(min=0, max=59, message="Minutes must be a whole number from 0 to 59"),
        ],
        invalid_value_message="Enter minutes as a whole number, like 30",
    )
    rate_card_id = RadioField("Rate card", invalid_choice_message="Select a rate card")
    sessions_per_month = IntegerField(
        "Sessions a month",
        description="About how many sessions a month",
        validators=[
            Optional(),
            _unreadable_stops,
            NumberRange(min=1, max=31, message="Sessions a month must be between 1 and 31"),
        ],
        invalid_value_message="Enter sessions a month as a whole number, like 2",
    )

    def __init__(
        self,
        *args: Any,
        role: Role,
        points: list[PayPoint],
        cards: list[RateCard],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.role = role
        # The example is a date the form would take: four weeks from today, never a past one.
        soon = london_today() + dt.timedelta(days=28)
        example = f"{soon.day} {soon.month} {soon.year}"
        self.start_date.example = example  # type: ignore[attr-defined]
        self.start_date.description = f"For example, {example}. Today or later"
        self.pay_point_id.choices = [SelectChoice(str(p.id), pay_point_text(p)) for p in points]
        self.rate_card_id.choices = [SelectChoice(str(c.id), c.name) for c in cards]
        # Only the fields for the role's kind of pay are on the page, so only they are checked.
        if role.engagement_type != "employed":
            for name in ("pay_point_id", "hours", "minutes"):
                delattr(self, name)
        if role.engagement_type != "sessional":
            for name in ("rate_card_id", "sessions_per_month"):
                delattr(self, name)

    @classmethod
    def for_role(
        cls, role: Role, points: list[PayPoint], cards: list[RateCard], posted: bool
    ) -> OfferForm:
        if posted:
            return cls(role=role, points=points, cards=cards)
        data: dict[str, Any] = {}
        if role.engagement_type == "employed":
            minutes = role.minutes_per_week or 2250
            data.update(hours=minutes // 60, minutes=minutes % 60)
        if role.engagement_type == "sessional":
            if role.rate_card_id:
                data["rate_card_id"] = str(role.rate_card_id)
            data["sessions_per_month"] = role.sessions_per_month
        return cls(formdata=None, data=data, role=role, points=points, cards=cards)

    def terms(self) -> OfferTerms:
        if self.role.engagement_type == "employed":
            point = self.pay_point_id.data
            return OfferTerms(
                start_date=self.start_date.data,
                pay_point_id=int(point) if point else None,
                minutes_per_week=(self.hours.data or 0) * 60 + (self.minutes.data or 0),
            )
        if self.role.engagement_type == "sessional":
            card = self.rate_card_id.data
            return OfferTerms(
                start_date=self.start_date.data,
                rate_card_id=int(card) if card else None,
                sessions_per_month=self.sessions_per_month.data,
            )
        return OfferTerms(start_date=self.start_date.data)


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Why is the offer being withdrawn?",
        description="We send this to the applicant, so write it for them",
        filters=[strip],
        validators=[
            InputRequired("Enter why the offer is being withdrawn"),
            _too_long("The reason"),
        ],
    )


OUTCOMES = {
    "offer": "Offer the role",
    "unsuccessful": "Not successful this time",
}


class OutcomeForm(FlaskForm):
    outcome = RadioField(
        "What is the outcome of the interview?",
        choices=[SelectChoice(k, v) for k, v in OUTCOMES.items()],
        invalid_choice_message="Select the outcome of the interview",
    )
    reason = TextAreaField(
        "If not successful, why? (kept for feedback)",
        description=(
            "We keep this to give feedback if the applicant asks for it. It is not sent to them"
        ),
        filters=[strip],
        validators=[_too_long("The reason")],
    )

    def validate_reason(self, field: Field) -> None:
        if self.outcome.data == "unsuccessful" and not field.data:
            raise StopValidation("Enter the reason, for feedback to the applicant")


ANSWERS = {"accept": "Yes, I accept the offer", "decline": "No, I decline the offer"}


class AnswerForm(FlaskForm):
    answer = RadioField(
        "Do you accept this offer?",
        choices=[SelectChoice(k, v) for k, v in ANSWERS.items()],
        invalid_choice_message="Select whether you accept the offer",
    )
    reason = TextAreaField(
        "If you are declining, would you like to tell us why? (optional)",
        description="This helps us make better offers. You do not have to say",
        filters=[strip],
        validators=[_too_long("Your reason")],
    )
