"""Forms for the applicant's journey.

Forms check what the browser sent (lengths, choices) and keep what was typed; the services own the
rules (word limits, what a file really is, what must be done before sending) and name the field of
anything they refuse, which `lep.roles.forms.show_errors` puts at that field.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Length, ValidationError

from lep.applications.address import FIELDS as ADDRESS_FIELDS
from lep.applications.address import LINE_MAX, POSTCODE_MAX, address_problems
from lep.applications.models import CONTACT_METHODS, OTHER_WAYS, Application
from lep.applications.services import MAX_FIELD
from lep.forms import strip
from lep.roles.models import QuotaCategory

PHONE_MAX = 40
CONTACT_CHOICES = [SelectChoice(k, v) for k, v in CONTACT_METHODS.items()]
PHONE_NEEDED = "Enter a phone number so we can call or text you"


def _too_long(name: str, limit: int = MAX_FIELD) -> Length:
    return Length(max=limit, message=f"{name} must be {limit:,} characters or fewer")


class AnswerForm(FlaskForm):
    """One question a page: the label is the question (set by the view), shown as the heading."""

    answer = TextAreaField("Your answer", filters=[strip])

    def __init__(self, *args: Any, question_text: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answer.label.text = question_text

    def text(self) -> str:
        return self.answer.data or ""


class FileForm(FlaskForm):
    file = FileField(
        "Upload a file (optional)",
        description=(
            "A PDF, a Word document, a picture (JPG, PNG, GIF) or a sound recording "
            "(MP3, WAV, M4A, OGG), 10MB at most. A new file replaces the one you have added"
        ),
    )


class ItemForm(FlaskForm):
    """A button that acts on one thing (a file to remove): its id, and the CSRF token."""

    item_id = HiddenField()


class ActionForm(FlaskForm):
    """A button that changes the application (withdraw, delete): only its CSRF token."""


class AddressForm(FlaskForm):
    """The postal address fields (GOV.UK's multiple-input address), needed when post is chosen.
    The rules are lep.applications.address's, so the page and the service say the same."""

    address_line_1 = StringField(
        "Address line 1", filters=[strip], validators=[_too_long("Address line 1", LINE_MAX)]
    )
    address_line_2 = StringField(
        "Address line 2 (optional)",
        filters=[strip],
        validators=[_too_long("Address line 2", LINE_MAX)],
    )
    address_town = StringField(
        "Town or city", filters=[strip], validators=[_too_long("Town or city", LINE_MAX)]
    )
    address_postcode = StringField(
        "Postcode", filters=[strip], validators=[_too_long("Postcode", POSTCODE_MAX)]
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.data.get("contact_method") != "post":
            return valid
        for name, message in address_problems(self.data).items():
            field = self[name]
            if not field.errors:
                field.errors = [*field.errors, message]
                valid = False
        return valid

    def address_fields(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in ADDRESS_FIELDS}


class SupportForm(AddressForm):
    adjustments_application = TextAreaField(
        "What would help you to apply? (optional)",
        description=(
            "For example, information in large print, Easy Read or another language, more time, "
            "or someone to talk the questions through with you"
        ),
        filters=[strip],
        validators=[_too_long("What would help you to apply")],
    )
    adjustments_interview = TextAreaField(
        "What would help you at an interview? (optional)",
        description=(
            "For example, the questions in advance, breaks, a quiet room, a video call instead "
            "of meeting in person, or bringing someone with you"
        ),
        filters=[strip],
        validators=[_too_long("What would help you at an interview")],
    )
    contact_method = RadioField(
        "How would you like us to contact you?",
        choices=CONTACT_CHOICES,
        invalid_choice_message="Select how you would like us to contact you",
    )
    phone = TelField(
        "Phone number",
        description="We need this if you would like a phone call or a text message",
        filters=[strip],
        validators=[_too_long("Phone number", PHONE_MAX)],
    )
    contact_times = TextAreaField(
        "When is a good time to contact you? (optional)",
        description="For example, weekday mornings, or not on Tuesdays",
        filters=[strip],
        validators=[_too_long("When is a good time to contact you")],
    )
    helped = RadioField(
        "Is someone helping you to apply?",
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
        invalid_choice_message="Select yes if someone is helping you to apply",
    )
    helped_by = StringField(
        "Who is helping you? (if someone is)",
        description="For example, a friend, a family member or a support worker",
        filters=[strip],
        validators=[_too_long("Who is helping you")],
    )
    guaranteed_interview = BooleanField(
        "I am disabled and I would like to be considered under the guaranteed interview scheme"
    )

    @classmethod
    def for_application(cls, application: Application) -> SupportForm:
        data: dict[str, Any] = {
            "adjustments_application": application.adjustments_application,
            "adjustments_interview": application.adjustments_interview,
            "contact_method": application.contact_method,
            "phone": application.phone,
            **{name: getattr(application, name) for name in ADDRESS_FIELDS},
            "contact_times": application.contact_times,
            "helped_by": application.helped_by,
            "guaranteed_interview": application.guaranteed_interview,
        }
        if application.support_saved:
            data["helped"] = "yes" if application.helped_by else "no"
        return cls(formdata=None, data=data)

    def validate_phone(self, field: Field) -> None:
        if self.contact_method.data in {"phone", "text"} and not field.data:
            raise ValidationError(PHONE_NEEDED)

    def validate_helped_by(self, field: Field) -> None:
        if self.helped.data == "yes" and not field.data:
            raise ValidationError("Tell us who is helping you, for example “a support worker”")

    def fields_for_service(self) -> dict[str, Any]:
        return {
            "adjustments_application": self.adjustments_application.data or "",
            "adjustments_interview": self.adjustments_interview.data or "",
            "contact_method": self.contact_method.data or None,
            "phone": self.phone.data or "",
            **self.address_fields(),
            "contact_times": self.contact_times.data or "",
            "helped_by": (self.helped_by.data or "") if self.helped.data == "yes" else "",
            "guaranteed_interview": bool(self.guaranteed_interview.data),
        }


def quota_form(
    categories: list[QuotaCategory], application: Application | None = None
) -> FlaskForm:
    """A form with one set of radios for each of a lottery role's quota questions, named
    quota_<category id> (the names the service gives its errors). The options are the role's,
    as given."""

    class QuotaForm(FlaskForm):
        pass

    for category in categories:
        setattr(
            QuotaForm,
            f"quota_{category.id}",
            RadioField(
                category.question,
                choices=[SelectChoice(option, option) for option in category.options],
                invalid_choice_message=f"Select an answer for {category.name.lower()}",
            ),
        )
    if application is None:
        return QuotaForm()
    saved = {f"quota_{a.category_id}": a.value for a in application.quota_answers}
    return QuotaForm(formdata=None, data=saved)


def quota_answers(form: FlaskForm, categories: list[QuotaCategory]) -> dict[int, str]:
    answers = {}
    for category in categories:
        value = form[f"quota_{category.id}"].data
        if value:
            answers[category.id] = value
    return answers


class CheckForm(FlaskForm):
    declaration = BooleanField("I confirm the information I have given is true")


class OtherWayForm(AddressForm):
    method = RadioField(
        "How would you like to apply?",
        choices=[SelectChoice(k, v) for k, v in OTHER_WAYS.items()],
        invalid_choice_message="Select how you would like to apply",
    )
    details = TextAreaField(
        "Tell us anything that would help us arrange it (optional)",
        description=(
            "For example, the language you would like to use, who will help you, "
            "or times that suit you"
        ),
        filters=[strip],
        validators=[_too_long("What you tell us")],
    )
    contact_method = RadioField(
        "How would you like us to contact you?",
        choices=CONTACT_CHOICES,
        invalid_choice_message="Select how you would like us to contact you",
    )
    phone = TelField(
        "Phone number",
        description="We need this if you would like a phone call or a text message",
        filters=[strip],
        validators=[_too_long("Phone number", PHONE_MAX)],
    )

    def validate_phone(self, field: Field) -> None:
        if self.contact_method.data in {"phone", "text"} and not field.data:
            raise ValidationError(PHONE_NEEDED)
