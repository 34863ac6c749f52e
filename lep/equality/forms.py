"""The applicant's equality monitoring form: every question optional, as NHS.UK radios."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SubmitField
from wtforms.validators import Optional

from lep.equality.models import QUESTIONS
from lep.equality.services import choices


class EqualityForm(FlaskForm):
    """One radio group per question (see QUESTIONS), then the button. The service checks the
    answers, so a value that is not on the list gets its message at its question."""

    def answers(self) -> dict[str, str | None]:
        return {key: self[key].data or None for key in QUESTIONS}

    def show_errors(self, errors: Mapping[str, str]) -> None:
        for key, message in errors.items():
            if key in QUESTIONS:
                field = self[key]
                field.errors = [*field.errors, message]
            else:
                self.form_errors.append(message)


for _key, (_question, _) in QUESTIONS.items():
    setattr(
        EqualityForm,
        _key,
        RadioField(
            _question,
            choices=[SelectChoice(value, text) for value, text in choices(_key).items()],
            validate_choice=False,
            validators=[Optional()],
        ),
    )
EqualityForm.submit = SubmitField("Save my answers")  # type: ignore[attr-defined]
