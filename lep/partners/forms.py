"""Forms for the partner's own pages: bank details.

The form keeps what was typed and checks only lengths; `lep.partners.bank.check_account` owns the
format rules and names the field of anything it refuses (shown there by `show_errors`).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from lep.forms import strip
from lep.partners.bank import NAME_MAX

# Generous: spaces and dashes are allowed in what is typed; the service checks the digits.
MAX_TYPED = 30


class BankDetailsForm(FlaskForm):
    name = StringField(
        "Name on the account",
        filters=[strip],
        validators=[
            Length(max=200, message=f"Name on the account must be {NAME_MAX} characters or fewer")
        ],
    )
    sort_code = StringField(
        "Sort code",
        description="Must be 6 digits long",
        filters=[strip],
        validators=[
            Length(max=MAX_TYPED, message="Enter a valid sort code like 309430"),
        ],
    )
    account_number = StringField(
        "Account number",
        description="Must be 8 digits long",
        filters=[strip],
        validators=[
            Length(max=MAX_TYPED, message="Enter a valid account number like 00733445"),
        ],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token is posted."""
