"""HR forms for roles, criteria, questions and rate cards.

Forms parse what people typed (hours as a decimal, closing date and time in UK time, pounds) into
what the services take (minutes, aware UTC, pence). The services own the rules and name the field
of anything they refuse; `show_errors` puts those messages at the fields.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from lep.extensions import db
from lep.forms import MultiCheckboxField, strip, whole_number
from lep.money import MoneyError, format_pounds, parse_pounds
from lep.roles import pay
from lep.roles.models import (
    AFC_BANDS,
    CRITERION_STAGES,
    ENGAGEMENT_TYPES,
    SELECTION_METHODS,
    WORK_PATTERNS,
    RateCard,
    Role,
)
from lep.roles.services import RoleInput
from lep.timeutil import LONDON

MAX_POSTS = 999
MAX_RATE_PENCE = 1_000_000  # £10,000 for an hour, half day or day: anything more is a typo
MAX_HOURS = Decimal("37.5")
HOURS_MESSAGE = "Hours a week must be more than 0 and no more than 37.5"


# --- Roles ----------------------------------------------------------------------------------


def bands_in_force(on: dt.date) -> list[pay.BandRange]:
    return [b for band in AFC_BANDS if (b := pay.band_in_force(band, on)) is not None]


def band_choices(on: dt.date) -> list[SelectChoice]:
    choices = [SelectChoice("", "Select a band")]
    for band in bands_in_force(on):
        low, high = format_pounds(band.minimum_pence), format_pounds(band.maximum_pence)
        text = (
            f"Band {band.band} ({low} a year)"
            if low == high
            else f"Band {band.band} ({low} to {high} a year)"
        )
        choices.append(SelectChoice(band.band, text))
    return choices


def rate_card_choices() -> list[SelectChoice]:
    cards = db.session.scalars(select(RateCard).order_by(RateCard.name)).all()
    return [SelectChoice("", "Select a rate card")] + [
        SelectChoice(str(c.id), c.name) for c in cards
    ]


def hours_text(minutes: int) -> Decimal:
    """450 -> Decimal('7.5'), 440 -> Decimal('7.33'): what the form shows for stored minutes."""
    text = f"{Decimal(minutes) / 60:.2f}".rstrip("0").rstrip(".")
    return Decimal(text)


class RoleForm(FlaskForm):
    title = StringField(
        "Job title",
        filters=[strip],
        validators=[
            InputRequired("Enter a job title"),
            Length(max=200, message="Job title must be 200 characters or fewer"),
        ],
    )
    team = StringField(
        "Team",
        filters=[strip],
        validators=[Length(max=200, message="Team must be 200 characters or fewer")],
    )
    summary = TextAreaField(
        "Summary",
        description="Two or three short sentences in plain English: what the role is, who for",
        filters=[strip],
        validators=[Length(max=2000, message="Summary must be 2,000 characters or fewer")],
    )
    description = TextAreaField(
        "Full description",
        filters=[strip],
        validators=[
            Length(max=20000, message="Full description must be 20,000 characters or fewer")
        ],
    )
    engagement_type = RadioField(
        "How is the role paid?",
        choices=[SelectChoice(k, v) for k, v in ENGAGEMENT_TYPES.items()],
        invalid_choice_message="Select how the role is paid",
    )
    band = SelectField(
        "Pay band",
        description="For an employed role. Only bands with a pay table in force are listed",
        validate_choice=False,
    )
    rate_card_id = SelectField(
        "Rate card", description="For a sessional role", validate_choice=False
    )
    hours_per_week = DecimalField(
        "Hours a week",
        description="For example, 7.5. Full time is 37.5",
        places=None,
        validators=[Optional()],
        invalid_value_message="Enter hours a week as a number, like 7.5",
    )
    sessions_per_month = IntegerField(
        "Sessions a month",
        description="If the role is paid by the session: about how many sessions a month",
        validators=[Optional()],
        invalid_value_message="Enter sessions a month as a whole number, like 2",
    )
    location = StringField(
        "Location",
        filters=[strip],
        validators=[Length(max=200, message="Location must be 200 characters or fewer")],
    )
    work_pattern = RadioField(
        "Where does the work happen?",
        choices=[SelectChoice(k, v) for k, v in WORK_PATTERNS.items()],
        default="on_site",
        invalid_choice_message="Select where the work happens",
    )
    posts = IntegerField(
        "Number of posts",
        default=1,
        validators=[InputRequired("Enter the number of posts")],
        invalid_value_message="Enter the number of posts as a whole number, like 1",
    )
    closing_date = DateField(
        "Closing date",
        description="UK time. Applications close at the closing time on this day",
        format=["%Y-%m-%d", "%d/%m/%Y"],
        validators=[Optional()],
        invalid_value_message="Enter a real closing date, like 2027-03-23",
    )
    closing_time = TimeField(
        "Closing time",
        description="UK time, for example 17:00",
        format=["%H:%M", "%H:%M:%S"],
        validators=[Optional()],
        invalid_value_message="Enter a real closing time, like 17:00",
    )
    contact_name = StringField(
        "Contact name",
        description="Someone applicants can talk to informally about the role",
        filters=[strip],
        validators=[Length(max=200, message="Contact name must be 200 characters or fewer")],
    )
    contact_email = EmailField(
        "Contact email address",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=320, message="Contact email address must be 320 characters or fewer"),
            Email("Enter an email address in the correct format, like name@example.com"),
        ],
    )
    contact_phone = TelField(
        "Contact phone number",
        filters=[strip],
        validators=[Length(max=40, message="Contact phone number must be 40 characters or fewer")],
    )
    selection_method = RadioField(
        "How will people be chosen?",
        choices=[SelectChoice(k, v) for k, v in SELECTION_METHODS.items()],
        default="scored",
        invalid_choice_message="Select how people will be chosen",
    )
    submit = SubmitField("Save role")

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.band.choices = band_choices(today)
        self.rate_card_id.choices = rate_card_choices()

    @classmethod
    def for_role(cls, role: Role, today: dt.date) -> RoleForm:
        """The form filled in with a role's stored values (closing time shown in UK time)."""
        data: dict[str, Any] = {
            name: getattr(role, name)
            for name in (
                "title",
                "team",
                "summary",
                "description",
                "engagement_type",
                "sessions_per_month",
                "location",
                "work_pattern",
                "posts",
                "contact_name",
                "contact_email",
                "contact_phone",
                "selection_method",
            )
        }
        data["band"] = role.band or ""
        data["rate_card_id"] = str(role.rate_card_id) if role.rate_card_id else ""
        if role.minutes_per_week is not None:
            data["hours_per_week"] = hours_text(role.minutes_per_week)
        if role.closes_at is not None:
            local = role.closes_at.astimezone(LONDON)
            data["closing_date"] = local.date()
            data["closing_time"] = local.time().replace(second=0, microsecond=0)
        return cls(data=data, today=today)

    def validate_band(self, field: Field) -> None:
        if field.data and field.data not in AFC_BANDS:
            raise ValidationError("Select a pay band from the list")

    def validate_rate_card_id(self, field: Field) -> None:
        known = {str(c.value) for c in self.rate_card_id.choices or [] if c.value}  # type: ignore[union-attr]
        if field.data and field.data not in known:
            raise ValidationError("Select a rate card from the list")

    def validate_hours_per_week(self, field: Field) -> None:
        value = field.data
        if value is None:
            return
        if not value.is_finite() or not 0 < value <= MAX_HOURS:
            raise ValidationError(HOURS_MESSAGE)

    def validate_sessions_per_month(self, field: Field) -> None:
        if field.data is not None and not 1 <= field.data <= 31:
            raise ValidationError("Sessions a month must be between 1 and 31")

    def validate_posts(self, field: Field) -> None:
        if field.data is not None and field.data > MAX_POSTS:
            raise ValidationError(f"Number of posts must be {MAX_POSTS} or fewer")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        date, time = self.closing_date, self.closing_time
        if date.data is not None and time.data is None and not time.errors:
            time.errors.append("Enter the closing time, like 17:00")
            ok = False
        if time.data is not None and date.data is None and not date.errors:
            date.errors.append("Enter the closing date")
            ok = False
        if date.data is not None and time.data is not None and self._closes_at() is None:
            date.errors.append("Enter a real closing date, like 2027-03-23")
            ok = False
        return ok

    def _closes_at(self) -> dt.datetime | None:
        """The closing date and time, typed in UK time, as an aware UTC datetime."""
        if self.closing_date.data is None or self.closing_time.data is None:
            return None
        try:
            local = dt.datetime.combine(
                self.closing_date.data, self.closing_time.data, tzinfo=LONDON
            )
            return local.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            return None

    def minutes_per_week(self) -> int | None:
        hours = self.hours_per_week.data
        if hours is None:
            return None
        return int((hours * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def to_input(self, existing: Role | None = None) -> RoleInput:
        """What the services take. An unchanged closing time keeps its stored seconds."""
        closes_at = self._closes_at()
        stored = existing.closes_at if existing is not None else None
        if stored is not None and closes_at == stored.replace(second=0, microsecond=0):
            closes_at = stored
        return RoleInput(
            title=self.title.data or "",
            engagement_type=self.engagement_type.data or "",
            team=self.team.data or "",
            summary=self.summary.data or "",
            description=self.description.data or "",
            band=self.band.data or None,
            rate_card_id=whole_number(self.rate_card_id.data),
            minutes_per_week=self.minutes_per_week(),
            sessions_per_month=self.sessions_per_month.data,
            location=self.location.data or "",
            work_pattern=self.work_pattern.data or "",
            posts=self.posts.data if self.posts.data is not None else 1,
            closes_at=closes_at,
            contact_name=self.contact_name.data or "",
            contact_email=self.contact_email.data or "",
            contact_phone=self.contact_phone.data or "",
            selection_method=self.selection_method.data or "",
        )


# The services name the closing date and time `closes_at`; the form has two fields.
ROLE_ERROR_FIELDS = {"closes_at": "closing_date"}


class CriterionForm(FlaskForm):
    text = TextAreaField(
        "Criterion",
        description="Something a person needs (essential) or that would help (desirable)",
        filters=[strip],
        validators=[Length(max=1000, message="Criterion must be 1,000 characters or fewer")],
    )
    essential = RadioField(
        "Is it essential or desirable?",
        choices=[SelectChoice("yes", "Essential"), SelectChoice("no", "Desirable")],
        default="yes",
        invalid_choice_message="Select whether it is essential or desirable",
    )
    stage = RadioField(
        "When is it assessed?",
        choices=[SelectChoice(k, v) for k, v in CRITERION_STAGES.items()],
        default="application",
        invalid_choice_message="Select when this is assessed",
    )
    submit = SubmitField("Add criterion")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "criterion")
        super().__init__(*args, **kwargs)


class QuestionForm(FlaskForm):
    text = TextAreaField(
        "Question",
        filters=[strip],
        validators=[Length(max=1000, message="Question must be 1,000 characters or fewer")],
    )
    hint = TextAreaField(
        "Hint (optional)",
        description="Help to answer it, shown under the question",
        filters=[strip],
        validators=[Length(max=1000, message="Hint must be 1,000 characters or fewer")],
    )
    word_limit = IntegerField(
        "Word limit",
        default=250,
        validators=[Optional()],
        invalid_value_message="Word limit must be a whole number from 1 to 2,000",
    )
    criteria = MultiCheckboxField(
        "Which criteria does it help assess?",
        description="Select all that apply",
        validate_choice=False,
    )
    submit = SubmitField("Add question")

    def __init__(self, *args: Any, role: Role, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "question")
        super().__init__(*args, **kwargs)
        self.criteria.choices = [
            SelectChoice(
                str(c.id),
                f"{c.text} ({'essential' if c.essential else 'desirable'}, "
                f"{CRITERION_STAGES[c.stage].lower()})",
            )
            for c in role.criteria
        ]

    def criterion_ids(self) -> list[int]:
        ids = (whole_number(v) for v in self.criteria.data or [])
        return [i for i in ids if i is not None]


class QuotaCategoryForm(FlaskForm):
    """A lottery role's quota question. The service owns the rules (required, 2 or more
    different answers of at most 100 characters each)."""

    name = StringField(
        "Name of the quota",
        description="A short name, for example Region or Age band",
        filters=[strip],
        validators=[Length(max=100, message="Name must be 100 characters or fewer")],
    )
    question = TextAreaField(
        "Question applicants will be asked",
        description="For example: Which region do you live in?",
        filters=[strip],
        validators=[Length(max=1000, message="Question must be 1,000 characters or fewer")],
    )
    why = TextAreaField(
        "Why you ask, and how the answer is used",
        description=(
            "In plain words, shown with the question. For example: We want people from every "
            "part of the county on the panel, so the lottery keeps 2 places for each region"
        ),
        filters=[strip],
        validators=[Length(max=2000, message="Why you ask must be 2,000 characters or fewer")],
    )
    options = TextAreaField(
        "Answers to choose from",
        description="One on each line, at least 2. Each answer can be up to 100 characters",
        filters=[strip],
        validators=[Length(max=10000, message="Answers must be 10,000 characters or fewer")],
    )
    submit = SubmitField("Add quota question")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "quota")
        super().__init__(*args, **kwargs)


class ItemForm(FlaskForm):
    """Remove a criterion or question: its id, and the CSRF token."""

    item_id = HiddenField()

    def item(self) -> int:
        return whole_number(self.item_id.data) or 0


class ActionForm(FlaskForm):
    """A button that changes a role's status: only its CSRF token."""


# --- Rate cards -----------------------------------------------------------------------------


class RateCardForm(FlaskForm):
    name = StringField(
        "Name",
        filters=[strip],
        validators=[
            InputRequired("Enter a name for the rate card"),
            Length(max=100, message="Name must be 100 characters or fewer"),
        ],
    )
    description = TextAreaField(
        "Description (optional)",
        description="Who it is for, and the policy it comes from",
        filters=[strip],
        validators=[Length(max=2000, message="Description must be 2,000 characters or fewer")],
    )
    submit = SubmitField("Create rate card")


RATE_NAMES = {"hourly": "per hour", "half_day": "per half day", "day": "per day"}


class RatesForm(FlaskForm):
    effective_from = DateField(
        "Rates apply from",
        description="Rates already in force are never changed: new rates start on this date",
        validators=[InputRequired("Enter the date these rates apply from")],
        invalid_value_message="Enter a real date these rates apply from, like 2026-04-01",
    )
    hourly = StringField("Rate per hour (optional)", filters=[strip])
    half_day = StringField("Rate per half day (optional)", filters=[strip])
    day = StringField("Rate per day (optional)", filters=[strip])
    half_day_max_hours = IntegerField(
        "Longest half day, in hours",
        description="A session longer than this is paid as a day",
        default=4,
        validators=[InputRequired("Enter how many hours a half day can be")],
        invalid_value_message="Enter the hours a half day can be as a whole number, like 4",
    )
    submit = SubmitField("Add rates")

    def _check_pounds(self, field: Field) -> None:
        if not field.data:
            return
        name = RATE_NAMES[field.name]
        try:
            if len(field.data) > 20:
                raise MoneyError(field.data)
            pence = parse_pounds(field.data)
        except (MoneyError, ArithmeticError) as exc:
            raise ValidationError(
                getattr(exc, "hint", "")
                or f"Enter the rate {name} as an amount in pounds, like 150 or 75.50"
            ) from None
        if pence > MAX_RATE_PENCE:
            raise ValidationError(
                f"The rate {name} must be {format_pounds(MAX_RATE_PENCE)} or less"
            )

    validate_hourly = _check_pounds
    validate_half_day = _check_pounds
    validate_day = _check_pounds

    def pence(self, name: str) -> int | None:
        text = getattr(self, name).data
        return parse_pounds(text) if text else None

    def rates(self) -> dict[str, int | None]:
        return {f"{name}_pence": self.pence(name) for name in RATE_NAMES}
