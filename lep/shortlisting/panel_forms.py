"""Forms for the panel pages: setting up a panel (HR), scoring and declaring a conflict (scorers).

The forms keep what was posted; the services own the rules (the scale, who may score, when) and
name the field of anything they refuse, which `lep.forms.show_errors` puts at that field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length

from lep.accounts.models import User
from lep.forms import strip, whole_number
from lep.shortlisting.models import SCALE, Score
from lep.shortlisting.scoring import MAX_COMMENT, MAX_NOTE, BlindCriterion

CHOOSE = "Select a person to add to the panel"


class ActionForm(FlaskForm):
    """A button that changes something (close scoring): only its CSRF token."""


class ScorerForm(FlaskForm):
    user_id = SelectField("Person to add", coerce=str, validate_choice=False)

    def __init__(self, *args: Any, people: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_id.choices = [SelectChoice("", "Choose a person")] + [
            SelectChoice(str(u.id), f"{u.full_name} ({u.email})") for u in people
        ]
        self.user_id.description = (
            "Panel members (staff and lived-experience reviewers) and HR staff, named with their "
            "email address. People who applied for this role are not listed"
        )

    def chosen(self) -> int | None:
        return whole_number(self.user_id.data)


class LeadForm(FlaskForm):
    lead_id = SelectField("Panel lead", coerce=str, validate_choice=False)

    def __init__(self, *args: Any, people: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lead_id.choices = [SelectChoice("", "Choose a person")] + [
            SelectChoice(str(u.id), f"{u.full_name} ({u.email})") for u in people
        ]
        self.lead_id.description = (
            "A member of the HR team: they moderate, close scoring and decide"
        )

    def chosen(self) -> int | None:
        return whole_number(self.lead_id.data)


class RemoveForm(FlaskForm):
    member_id = HiddenField()

    def chosen(self) -> int | None:
        return whole_number(self.member_id.data)


class ConflictForm(FlaskForm):
    note = TextAreaField(
        "Tell the panel lead about the conflict (optional)",
        description="For example: I know this person from a support group",
        filters=[strip],
        validators=[
            Length(max=MAX_NOTE, message=f"Your note must be {MAX_NOTE:,} characters or fewer")
        ],
    )


SCALE_CHOICES = [SelectChoice(str(v), f"{v}: {label}") for v, (label, _) in SCALE.items()]
SCALE_HINTS = {str(v): guidance for v, (_, guidance) in SCALE.items()}


class ScorecardForm(FlaskForm):
    """score_<criterion id> radios and comment_<criterion id> text, added for the role's criteria.

    The radios accept anything posted, so that the service, not the form, refuses a tampered
    value, with the same message at the field however it arrives."""

    criteria: list[BlindCriterion]

    def scores(self) -> dict[int, Any]:
        return {c.id: self[f"score_{c.id}"].data for c in self.criteria}

    def comments(self) -> dict[int, str]:
        return {c.id: self[f"comment_{c.id}"].data or "" for c in self.criteria}

    def pairs(self) -> list[tuple[BlindCriterion, Any, Any]]:
        return [(c, self[f"score_{c.id}"], self[f"comment_{c.id}"]) for c in self.criteria]


def scorecard_form(
    criteria: list[BlindCriterion], saved: Iterable[Score] | None = None, posted: bool = False
) -> ScorecardForm:
    class Form(ScorecardForm):
        pass

    for criterion in criteria:
        setattr(
            Form,
            f"score_{criterion.id}",
            RadioField(
                criterion.text,
                choices=SCALE_CHOICES,
                coerce=str,
                validate_choice=False,
            ),
        )
        setattr(
            Form,
            f"comment_{criterion.id}",
            TextAreaField(
                f"Your comment on “{criterion.text}” (optional)",
                description="What in the answers led you to this score",
                filters=[strip],
                validators=[
                    Length(
                        max=MAX_COMMENT,
                        message=f"Your comment must be {MAX_COMMENT:,} characters or fewer",
                    )
                ],
            ),
        )
    if posted:
        form = Form()
    else:
        data: dict[str, Any] = {}
        for score in saved or ():
            data[f"score_{score.criterion_id}"] = "" if score.value is None else str(score.value)
            data[f"comment_{score.criterion_id}"] = score.comment
        form = Form(formdata=None, data=data)
    form.criteria = criteria
    return form
