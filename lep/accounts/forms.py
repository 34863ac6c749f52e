"""Account forms. Messages follow the NHS.UK design system's error message style."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from lep.access import ROLES
from lep.accounts.models import ROLE_LABELS
from lep.forms import MultiCheckboxField, strip

PASSWORD_MIN = 10


def email_field(label: str = "Email address") -> EmailField:
    return EmailField(
        label,
        filters=[strip],
        validators=[
            InputRequired("Enter your email address"),
            Length(max=320, message="Email address must be 320 characters or fewer"),
            Email("Enter an email address in the correct format, like name@example.com"),
        ],
    )


def new_password_field(label: str = "Create a password") -> PasswordField:
    return PasswordField(
        label,
        description=(
            f"Use at least {PASSWORD_MIN} characters. "
            "A few words together are easy to remember and hard to guess."
        ),
        validators=[
            InputRequired("Enter a password"),
            Length(min=PASSWORD_MIN, message=f"Password must be {PASSWORD_MIN} characters or more"),
            Length(max=256, message="Password must be 256 characters or fewer"),
        ],
    )


def confirm_password_field() -> PasswordField:
    return PasswordField(
        "Confirm password",
        validators=[
            InputRequired("Enter your password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )


class RegisterForm(FlaskForm):
    full_name = StringField(
        "Full name",
        filters=[strip],
        validators=[
            InputRequired("Enter your full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
    )
    email = email_field()
    password = new_password_field()
    confirm_password = confirm_password_field()
    submit = SubmitField("Create account")

    def validate_password(self, field: PasswordField) -> None:
        if (
            self.email.data
            and field.data
            and field.data.strip().lower() == self.email.data.strip().lower()
        ):
            raise ValidationError("Password must not be your email address")


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField("Password", validators=[InputRequired("Enter your password")])
    submit = SubmitField("Sign in")


class ForgotPasswordForm(FlaskForm):
    email = email_field()
    submit = SubmitField("Send reset link")


class ResetPasswordForm(FlaskForm):
    password = new_password_field("New password")
    confirm_password = confirm_password_field()
    submit = SubmitField("Save password")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password")]
    )
    password = new_password_field("New password")
    confirm_password = confirm_password_field()
    submit = SubmitField("Change password")


class ResendConfirmationForm(FlaskForm):
    submit = SubmitField("Send the link again")


class ApiTokenForm(FlaskForm):
    name = StringField(
        "Token name",
        description="Say what will use it, for example: payroll export",
        validators=[
            InputRequired("Enter a name for the token"),
            Length(max=100, message="Token name must be 100 characters or fewer"),
        ],
    )
    submit = SubmitField("Create token")


STAFF_ROLE_CHOICES = [SelectChoice(r, ROLE_LABELS[r]) for r in ROLES if r != "applicant"]


class InviteForm(FlaskForm):
    full_name = StringField(
        "Full name",
        filters=[strip],
        validators=[
            InputRequired("Enter their full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
    )
    email = EmailField(
        "Email address",
        filters=[strip],
        validators=[
            InputRequired("Enter their email address"),
            Length(max=320, message="Email address must be 320 characters or fewer"),
            Email("Enter an email address in the correct format, like name@example.com"),
        ],
    )
    roles = MultiCheckboxField(
        "Roles",
        description="Select all that apply",
        choices=STAFF_ROLE_CHOICES,
        validators=[InputRequired("Select at least one role")],
    )
    submit = SubmitField("Send invitation")


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(
        "Roles",
        description="Select all that apply",
        choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES],
        validators=[InputRequired("Select at least one role")],
    )
    submit = SubmitField("Save roles")


class ConfirmForm(FlaskForm):
    """A form with only a button: its CSRF token protects a state-changing POST."""

    submit = SubmitField("Confirm")
