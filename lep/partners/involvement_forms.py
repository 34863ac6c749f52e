"""Forms for involvement: logging it, the fee choice, decisions, paid another way, the weekly
amount and the payroll dates. Forms check what the browser sent and keep what was typed; the
services own the rules and name the field of anything they refuse."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from lep.forms import DatePartsField, strip
from lep.money import MoneyError, parse_pounds
from lep.partners.involvement import MAX_TEXT

CHOICE_LABELS = {
    "pay": "Pay me",
    "decline": "I do not want to be paid for this (my expenses are still paid)",
    "other_way": "Pay me another way (arranged with the finance team)",
}
DURATION_LABELS = {
    "hours": "Hours and minutes",
    "half_day": "Half a day",
    "day": "A whole day",
}
BENEFITS_WARNING = (
    "Gift vouchers and other ways of paying count as income for benefits and tax, just like "
    "money. If you receive benefits, you may want advice before choosing. We never ask which "
    "benefits you receive."
)
WHOLE = re.compile(r"[0-9]{1,3}")


def _too_long(name: str, limit: int = MAX_TEXT) -> Length:
    return Length(max=limit, message=f"{name} must be {limit:,} characters or fewer")


def _choice_field(label: str = "How do you want to be paid for this?") -> RadioField:
    return RadioField(
        label,
        choices=[SelectChoice(k, v) for k, v in CHOICE_LABELS.items()],
        invalid_choice_message="Select how you want to be paid for this",
    )


def minutes_from(hours: str, minutes: str, prefix: str = "") -> tuple[int, str, str]:
    """(minutes, field in error, problem) from an hours box and a minutes box; empty is 0."""
    hours, minutes = hours or "", minutes or ""
    if hours and not WHOLE.fullmatch(hours):
        return 0, "hours", f"{prefix}hours must be a whole number, like 2".capitalize()
    if minutes and not WHOLE.fullmatch(minutes):
        return 0, "minutes", f"{prefix}minutes must be a whole number, like 30".capitalize()
    whole_minutes = int(minutes or 0)
    if whole_minutes > 59:
        return 0, "minutes", f"{prefix}minutes must be 59 or fewer".capitalize()
    return int(hours or 0) * 60 + whole_minutes, "", ""


class InvolvementForm(FlaskForm):
    happened_on = DatePartsField(
        "When was it?",
        what="the date of the involvement",
        id="happened_on-day",
        description="For example, 27 3 2026",
    )
    role_id = RadioField(
        "Which role was it for?", invalid_choice_message="Select the role it was for"
    )
    description = TextAreaField(
        "What was it?",
        description="For example, reading group on the new leaflet for outpatients",
        filters=[strip],
        validators=[InputRequired("Enter what the involvement was"), _too_long("What it was")],
    )
    duration_kind = RadioField(
        "How long did it take?",
        choices=[SelectChoice(k, v) for k, v in DURATION_LABELS.items()],
        invalid_choice_message="Select how long it took",
    )
    hours = StringField("Hours", filters=[strip], validators=[_too_long("Hours", 10)])
    minutes = StringField("Minutes", filters=[strip], validators=[_too_long("Minutes", 10)])
    prep_hours = StringField(
        "Preparation hours", filters=[strip], validators=[_too_long("Hours", 10)]
    )
    prep_minutes = StringField(
        "Preparation minutes", filters=[strip], validators=[_too_long("Minutes", 10)]
    )
    fee_choice = _choice_field()

    def __init__(self, *args: Any, places: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role_id.choices = [SelectChoice(str(p.role.id), p.label) for p in places]
        if len(places) <= 1:
            self.role_id.validate_choice = False

    def chosen_role_id(self) -> int | None:
        value = self.role_id.data
        return int(value) if value and str(value).isdigit() else None

    def time_minutes(self) -> tuple[int, str, str]:
        return minutes_from(self.hours.data or "", self.minutes.data or "")

    def prep_time_minutes(self) -> tuple[int, str, str]:
        minutes, where, problem = minutes_from(
            self.prep_hours.data or "", self.prep_minutes.data or "", "preparation "
        )
        return minutes, f"prep_{where}" if where else "", problem


class ChoiceForm(FlaskForm):
    fee_choice = _choice_field()


class DecisionForm(FlaskForm):
    decision = RadioField(
        "Your decision",
        choices=[
            SelectChoice("approve", "Approve"),
            SelectChoice("reject", "Do not approve"),
        ],
        invalid_choice_message="Select whether you approve it",
    )
    note = TextAreaField(
        "Note for the partner",
        description="Needed if you do not approve it: say why. The partner will see this",
        filters=[strip],
        validators=[_too_long("The note")],
    )


class OtherWayForm(FlaskForm):
    note = TextAreaField(
        "How was it paid?",
        description="For example, £75 in high street gift vouchers, posted on 3 March",
        filters=[strip],
        validators=[InputRequired("Enter how it was paid"), _too_long("How it was paid")],
    )


class WeeklyAmountForm(FlaskForm):
    amount = StringField(
        "Your weekly amount",
        description="In pounds, like 150. We warn you when approved fees would take you over it",
        filters=[strip],
        validators=[_too_long("The amount", 20)],
    )

    def amount_pence(self) -> tuple[int | None, str]:
        text = self.amount.data or ""
        if not text:
            return None, "Enter an amount in pounds, like 150, or clear the amount instead"
        try:
            return parse_pounds(text), ""
        except MoneyError as exc:
            return None, exc.hint or "Enter the amount in pounds and pence, like 150 or 150.50"


class ClearForm(FlaskForm):
    """The 'clear my amount' button: only its CSRF token."""


class PayrollForm(FlaskForm):
    class Meta:
        csrf = False

    worked_from = DateField(
        "From",
        description="UK date, for example 2026-11-01",
        format=["%Y-%m-%d", "%d/%m/%Y"],
        validators=[InputRequired("Enter the first date of the period, like 2026-11-01")],
        invalid_value_message="Enter a real date for from, like 2026-11-01",
    )
    worked_to = DateField(
        "To",
        description="UK date, for example 2026-11-30",
        format=["%Y-%m-%d", "%d/%m/%Y"],
        validators=[InputRequired("Enter the last date of the period, like 2026-11-30")],
        invalid_value_message="Enter a real date for to, like 2026-11-30",
    )
    submit = SubmitField("Download CSV")

    def validate_worked_to(self, field: DateField) -> None:
        start = self.worked_from.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError("The last date must be the same as or after the first date")

    def was_sent(self) -> bool:
        return any(name in request.args for name in ("worked_from", "worked_to", "submit"))
