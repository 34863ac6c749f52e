"""Account forms. Messages follow the NHS.UK design system's error message style."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from lep.access import ROLES
from lep.accounts import passwords
from lep.accounts.models import ROLE_LABELS
from lep.forms import MultiCheckboxField, strip

PASSWORD_MIN = passwords.PUBLIC_MIN


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


def _password_hint(minimum: int) -> str:
    return (
        f"Use at least {minimum} characters. "
        "A few words together are easy to remember and hard to guess. "
        "Do not use your name, your email address or a common password."
    )


def new_password_field(label: str = "Create a password") -> PasswordField:
    # Length and the other rules are checked by NewPasswordRules, which knows whose password it is.
    return PasswordField(
        label,
        description=_password_hint(PASSWORD_MIN),
        validators=[InputRequired("Enter a password")],
    )


class NewPasswordRules:
    """For a form with a `password` field: the rules for this person (lep.accounts.passwords).

    Pass the account whose password this is (`account=`), or leave it out for a new applicant,
    whose name and email come from the form's own fields."""

    password: PasswordField

    def __init__(self, *args, account=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.account = account
        self.password.description = _password_hint(
            passwords.minimum_length(account.roles if account is not None else set())
        )

    def validate_password(self, field: PasswordField) -> None:
        if self.account is not None:
            roles, name, email = self.account.roles, self.account.full_name, self.account.email
        else:
            roles = set()
            name = self.full_name.data or ""  # type: ignore[attr-defined]
            email = self.email.data or ""  # type: ignore[attr-defined]
        problem = passwords.password_problem(
            field.data or "", roles=roles, full_name=name, email=email
        )
        if problem:
            raise ValidationError(problem)


def confirm_password_field() -> PasswordField:
    return PasswordField(
        "Confirm password",
        validators=[
            InputRequired("Enter your password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )


class RegisterForm(NewPasswordRules, FlaskForm):
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


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField("Password", validators=[InputRequired("Enter your password")])
    submit = SubmitField("Sign in")


class ForgotPasswordForm(FlaskForm):
    email = email_field()
    submit = SubmitField("Send reset link")


class ResetPasswordForm(NewPasswordRules, FlaskForm):
    password = new_password_field("New password")
    confirm_password = confirm_password_field()
    submit = SubmitField("Save password")


class ChangePasswordForm(NewPasswordRules, FlaskForm):
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


class SecurityCodeForm(FlaskForm):
    code = StringField(
        "Security code",
        description="The 6-digit code your authenticator app shows for this account now",
        filters=[strip],
        validators=[
            InputRequired("Enter the 6-digit code from your authenticator app"),
            Length(max=20, message="Enter the 6-digit code from your authenticator app"),
        ],
    )
    submit = SubmitField("Continue")


class RecoveryCodeForm(FlaskForm):
    code = StringField(
        "Recovery code",
        description="One of the codes you saved when you set up your app, like abcde-fghjk",
        filters=[strip],
        validators=[
            InputRequired("Enter one of your recovery codes"),
            Length(max=40, message="Recovery codes are 10 letters and numbers, like abcde-fghjk"),
        ],
    )
    submit = SubmitField("Continue")
