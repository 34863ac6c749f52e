"""Forms for selection by lottery. They collect what HR typed; the service checks it (so every
message is in the lottery's own words and nothing typed is lost)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField

from lep.forms import strip
from lep.shortlisting.lottery import LEAVE_UNDECIDED, QuotaRow

WAIT = "wait"


class QuotasForm(FlaskForm):
    places = StringField(
        "Number of places",
        description="How many people the draw chooses.",
        filters=[strip],
    )


def quotas_form(rows: list[QuotaRow], places: int | None = None, *, posted: bool) -> QuotasForm:
    """The places, and an "at least" and "at most" box for each option of each quota question.

    Posted: read from the request. Otherwise filled with what is saved (a blank maximum is no
    maximum)."""

    class Form(QuotasForm):
        pass

    for row in rows:
        setattr(Form, row.min_field, StringField(f"{row.option}: at least", filters=[strip]))
        setattr(Form, row.max_field, StringField(f"{row.option}: at most", filters=[strip]))
    if posted:
        return Form()
    data: dict[str, object] = {"places": str(places) if places else ""}
    for row in rows:
        data[row.min_field] = str(row.min_places)
        data[row.max_field] = "" if row.max_places is None else str(row.max_places)
    return Form(formdata=None, data=data)


def typed_limits(form: QuotasForm, rows: list[QuotaRow]) -> dict[str, str]:
    values: dict[str, str] = {}
    for row in rows:
        for name in (row.min_field, row.max_field):
            values[name] = form[name].data or ""
    return values


class DrawForm(FlaskForm):
    seed = StringField(
        "Seed (optional)",
        description=(
            "Leave this blank for a new draw: a random seed is chosen and recorded. To repeat an "
            "earlier draw exactly, enter its seed."
        ),
        filters=[strip],
    )
    # Shown only once the role has a draw: the service requires it for every later draw.
    reason = TextAreaField(
        "Why are you drawing again?",
        description=(
            "For example, the quotas were wrong and have been corrected. Every draw is kept and "
            "shown in the history with this reason, so anyone reviewing the decision can see it."
        ),
        filters=[strip],
    )


class ConfirmForm(FlaskForm):
    """The CSRF token, and HR's choice for anyone not yet assessed (asked only when there are
    any; the service refuses to confirm without it)."""

    unassessed = RadioField(
        "What happens to the applicants not yet assessed?",
        choices=[
            SelectChoice(
                LEAVE_UNDECIDED,
                "Confirm the draw without them: they stay undecided, and you decide on each of "
                "them yourself later",
            ),
            SelectChoice(
                WAIT,
                "Do not confirm yet: finish their scoring or moderation, then draw again so "
                "that they are in the draw",
            ),
        ],
        validate_choice=False,
    )
