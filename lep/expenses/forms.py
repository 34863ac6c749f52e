"""Forms for the claimant's expense pages.

Forms check what the browser sent (a real date, a choice from the list, lengths) and keep what was
typed; the services own the rules (the claim window, amounts, mileage, receipts) and name the field
of anything they refuse, which `lep.forms.show_errors` puts at that field.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import Length

from lep.expenses import mileage
from lep.expenses.services import MAX_TEXT, RECEIPT_TYPES
from lep.forms import DatePartsField, strip
from lep.money import MoneyError, parse_pounds

NO_ROLE = "none"
NO_ROLE_TEXT = "Not for a particular role"

# What each kind of expense covers, shown under its radio button (the receipt rule is added).
CATEGORY_HINTS = {
    "public_transport": "Bus, train, tram or underground fares",
    "mileage": (
        "Driving your own car, van or motorcycle, or cycling: we work out the amount from the miles"
    ),
    "parking": "Car parks and parking meters",
    "taxi": "Tell us why you needed a taxi",
    "meals": "Food and drink while you were taking part",
    "overnight_stay": "A hotel or other place to stay",
    "care": "Someone to care for a person you look after, or to support you, while you took part",
    "accessibility": "For example, a sign language interpreter or equipment you needed",
}

AMOUNT_NOT_MONEY = "Enter the amount in pounds and pence, like 12.50"
PASSENGERS_TYPED = re.compile(r"-?[0-9]{1,4}")


def _too_long(name: str, limit: int = MAX_TEXT) -> Length:
    return Length(max=limit, message=f"{name} must be {limit:,} characters or fewer")


class ChooseRoleForm(FlaskForm):
    role_id = RadioField(
        "Which role are your expenses for?",
        invalid_choice_message="Select the role your expenses are for",
    )

    def __init__(self, *args: Any, roles: list[Any], partner: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [SelectChoice(str(role.id), role.title) for role in roles]
        if partner:
            choices.append(SelectChoice(NO_ROLE, NO_ROLE_TEXT))
        self.role_id.choices = choices

    def chosen_role_id(self) -> int | None:
        value = self.role_id.data
        return None if value in (None, NO_ROLE) else int(value)


class LineForm(FlaskForm):
    """One expense. Every field is on the page; which apply depends on the kind chosen."""

    spent_on = DatePartsField(
        "When did you spend the money?",
        what="the date of the expense",
        id="spent_on-day",  # the error summary links to the first box
        description="For example, 27 3 2026. For a journey, the date you travelled",
    )
    category = RadioField(
        "What kind of expense is it?",
        invalid_choice_message="Select what kind of expense it is",
    )
    description = TextAreaField(
        "What was it for?",
        description="For example, train from Leeds to York and back for the interview",
        filters=[strip],
        validators=[_too_long("What the expense was for")],
    )
    amount = StringField(
        "Amount (everything except mileage)",
        description="What you paid, like 12.50. Leave this empty for mileage",
        filters=[strip],
        validators=[_too_long("The amount", 40)],
    )
    vehicle = RadioField(
        "Which vehicle did you use? (mileage only)",
        choices=[SelectChoice(k, v) for k, v in mileage.VEHICLE_LABELS.items()],
        validate_choice=False,  # checked by the service, and only for mileage
    )
    miles = StringField(
        "How many miles? (mileage only)",
        description="The whole journey, there and back, like 12 or 12.5",
        filters=[strip],
        validators=[_too_long("The distance", 40)],
    )
    passengers = StringField(
        "How many passengers did you take? (car or van only)",
        description="People you gave a lift to who were also taking part. Leave empty for none",
        filters=[strip],
        validators=[_too_long("The number of passengers", 10)],
    )
    reason = TextAreaField(
        "Why did you need it?",
        filters=[strip],
        validators=[_too_long("The reason")],
    )
    receipt = FileField(
        "Upload a receipt",
        description=f"{RECEIPT_TYPES[0].upper()}{RECEIPT_TYPES[1:]}, 10MB at most. "
        "A photo of a paper receipt or ticket is fine",
    )
    no_receipt_reason = TextAreaField(
        "If you do not have a receipt, tell us why",
        description="For example, the ticket machine did not give one",
        filters=[strip],
        validators=[_too_long("Why you do not have a receipt")],
    )

    def __init__(self, *args: Any, categories: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice(c.code, c.name) for c in categories]

    def amount_pence(self) -> tuple[int | None, str]:
        """(pence, problem): None when empty or not money (the problem says which)."""
        text = self.amount.data or ""
        if not text:
            return None, ""
        try:
            return parse_pounds(text), ""
        except MoneyError as exc:
            return None, exc.hint or AMOUNT_NOT_MONEY

    def miles_typed(self) -> Decimal | None:
        """The distance typed, for the service to check; None when it is not a number."""
        text = self.miles.data or ""
        try:
            return mileage.parse_miles(text)
        except mileage.MileageError as exc:
            if exc.message == mileage.ENTER_MILES:
                return None
            # A number out of range: the service says why, with every other problem at once.
            cleaned = text.strip().replace(",", "")
            if cleaned.lower().endswith("miles"):
                cleaned = cleaned[: -len("miles")].strip()
            return Decimal(cleaned)

    def passengers_typed(self) -> tuple[int, str]:
        text = self.passengers.data or ""
        if not text:
            return 0, ""
        if not PASSENGERS_TYPED.fullmatch(text):
            return 0, mileage.ENTER_PASSENGERS
        return int(text), ""


class CancelForm(FlaskForm):
    reason = TextAreaField(
        "Why are you cancelling it? (optional)",
        filters=[strip],
        validators=[_too_long("The reason")],
    )


class ActionForm(FlaskForm):
    """A button that changes the claim (send, remove an expense): only its CSRF token."""
