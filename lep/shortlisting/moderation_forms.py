"""Forms for the lead's pages: a moderated score, a decision, sending outcomes, an interview
invitation; and the applicant's one-button request for feedback.

Forms parse; the services in moderation.py and decisions.py own the rules and name the field of
anything they refuse (show_errors puts the message there)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectChoice,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Length, Optional

from lep.forms import strip
from lep.roles.models import Criterion
from lep.shortlisting.models import OUTCOMES, SCALE
from lep.timeutil import LONDON

REASON_LIMIT = Length(max=2000, message="The reason must be 2,000 characters or fewer")


class ModerationForm(FlaskForm):
    value = RadioField(
        "Moderated score",
        choices=[SelectChoice(str(n), f"{n}: {label}") for n, (label, _) in SCALE.items()],
        validate_choice=False,  # the service refuses anything off the scale, at this field
    )
    reason = TextAreaField(
        "Reason for the moderated score",
        description="Kept with the decision. Say what the evidence shows",
        filters=[strip],
        validators=[REASON_LIMIT],
    )
    submit = SubmitField("Save moderated score")


def moderation_form(criterion: Criterion, posted: bool = False, **data: Any) -> ModerationForm:
    """One form per criterion on the page: its own prefix (ids) and a legend naming it."""
    prefix = f"criterion{criterion.id}"
    form = (
        ModerationForm(prefix=prefix)
        if posted
        else ModerationForm(formdata=None, prefix=prefix, data=data)
    )
    form.value.label.text = f"Moderated score for: {criterion.text}"
    return form


class DecisionForm(FlaskForm):
    outcome = RadioField(
        "Decision",
        choices=[SelectChoice(k, v) for k, v in OUTCOMES.items()],
        validate_choice=False,
    )
    reason = TextAreaField(
        "Reason for the decision",
        description="Kept for feedback. If the applicant asks, this is what they will be told",
        filters=[strip],
        validators=[REASON_LIMIT],
    )
    override = BooleanField(
        "Shortlist despite a score of 0 on an essential criterion (the reason above says why)"
    )
    submit = SubmitField("Save decision")


class OutcomesForm(FlaskForm):
    include_reasons = BooleanField(
        "Include the reason for the decision in the emails to people not shortlisted"
    )
    submit = SubmitField("Send outcomes")


class InterviewForm(FlaskForm):
    interview_date = DateField(
        "Date of the interview",
        description="For example, 2027-03-23",
        format=["%Y-%m-%d", "%d/%m/%Y"],
        validators=[Optional()],
        invalid_value_message="Enter a real date, like 2027-03-23",
    )
    interview_time = TimeField(
        "Time of the interview",
        description="UK time, for example 14:30",
        format=["%H:%M", "%H:%M:%S"],
        validators=[Optional()],
        invalid_value_message="Enter a real time, like 14:30",
    )
    location = TextAreaField(
        "Where the interview is, or the video call link",
        filters=[strip],
        validators=[Length(max=1000, message="The location must be 1,000 characters or fewer")],
    )
    organiser_email = EmailField(
        "Organiser's email address",
        description="They are sent the applicant's name and the adjustments they asked for",
        filters=[strip],
        validators=[Length(max=320, message="The email address must be 320 characters or fewer")],
    )
    submit = SubmitField("Send invitation")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        date, time = self.interview_date, self.interview_time
        if date.data is None and not date.errors:
            date.errors = [*date.errors, "Enter the date of the interview"]
            ok = False
        if time.data is None and not time.errors:
            time.errors = [*time.errors, "Enter the time of the interview"]
            ok = False
        return ok

    def starts_at(self) -> dt.datetime | None:
        """The date and time, typed in UK time, as an aware UTC datetime."""
        if self.interview_date.data is None or self.interview_time.data is None:
            return None
        try:
            local = dt.datetime.combine(
                self.interview_date.data, self.interview_time.data, tzinfo=LONDON
            )
            return local.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            return None


class FeedbackForm(FlaskForm):
    submit = SubmitField("Ask for feedback")


# The services name the interview time `starts_at`; the form has two fields.
INTERVIEW_ERROR_FIELDS = {"starts_at": "interview_date"}
