"""Approvers' and finance's forms: queue filters, decisions on a claim, cancelling an approved
claim, categories, policy, and a role's expense settings.

Forms parse what people typed (pounds, whole numbers, dates) into what the services take (pence,
ints, dates); the services own the rules and name the field of anything they refuse.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError

from lep.expenses import queue, services
from lep.expenses.models import Claim, ExpenseCategory, ExpensePolicy
from lep.expenses.policy_services import MAX_COST_CODE, CapInput, CategoryInput, PolicyInput
from lep.forms import strip, whole_number
from lep.money import MoneyError, format_pounds, parse_pounds

MAX_POUNDS_TEXT = 20
MAX_FILTER_PENCE = 100_000_000  # £1,000,000: far beyond any claim


def pounds_or_none(text: str | None) -> int | None:
    """Pence from what was typed, or None when nothing was typed. MoneyError if not money."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_POUNDS_TEXT:
        raise MoneyError(text)
    try:
        return parse_pounds(text)
    except ArithmeticError as exc:
        raise MoneyError(text) from exc


def pounds_text(pence: int | None) -> str:
    """What a pounds field shows for an amount: 8.50, 1234.00."""
    if pence is None:
        return ""
    return format_pounds(pence, always_pence=True).replace("£", "").replace(",", "")


# --- The queue ------------------------------------------------------------------------------


class QueueFilterForm(FlaskForm):
    """The queue's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[SelectChoice(k, v) for k, v in queue.STATUS_FILTERS.items()],
        default="submitted",
        validate_choice=False,
    )
    role = SelectField("Role", default="", validate_choice=False)
    claimant = StringField(
        "Claimant (name or email contains)",
        filters=[strip],
        validators=[Length(max=200, message="Claimant must be 200 characters or fewer")],
    )
    flag = SelectField(
        "Policy flag",
        choices=[
            SelectChoice("", "Any claim"),
            SelectChoice(queue.ANY_FLAG, "Any flag"),
            *(SelectChoice(k, v) for k, v in services.FLAG_TEXT.items()),
        ],
        default="",
        validate_choice=False,
    )
    amount_from = StringField("Total claimed from", filters=[strip])
    amount_to = StringField("Total claimed up to", filters=[strip])

    def __init__(self, *args: Any, roles: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [
            SelectChoice("", "Any role"),
            SelectChoice(queue.NO_ROLE, "No role (partner expenses)"),
            *(SelectChoice(str(role_id), title) for role_id, title in roles),
        ]

    def validate_status(self, field: Field) -> None:
        if field.data not in queue.STATUS_FILTERS:
            raise ValidationError("Select a status from the list")

    def validate_role(self, field: Field) -> None:
        if field.data not in {choice.value for choice in self.role.choices}:
            raise ValidationError("Select a role from the list")

    def validate_flag(self, field: Field) -> None:
        if field.data not in {choice.value for choice in self.flag.choices}:
            raise ValidationError("Select a flag from the list")

    def _check_amount(self, field: Field) -> None:
        which = "from" if field.name == "amount_from" else "up to"
        try:
            pence = pounds_or_none(field.data)
        except MoneyError as exc:
            raise ValidationError(
                exc.hint
                or f"Enter the total claimed {which} as an amount in pounds, like 25 or 12.50"
            ) from None
        if pence is not None and not 0 <= pence <= MAX_FILTER_PENCE:
            raise ValidationError(
                f"The total claimed {which} must be between £0 and "
                f"{format_pounds(MAX_FILTER_PENCE)}"
            )

    validate_amount_from = _check_amount
    validate_amount_to = _check_amount

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if valid:
            low, high = self.filters().amount_from_pence, self.filters().amount_to_pence
            if low is not None and high is not None and high < low:
                self.amount_to.errors = [
                    "The total claimed up to must be the same as or more than the amount from"
                ]
                return False
        return valid

    def filters(self) -> queue.QueueFilters:
        return queue.QueueFilters(
            role=self.role.data or "",
            claimant=self.claimant.data or "",
            flag=self.flag.data or "",
            amount_from_pence=pounds_or_none(self.amount_from.data),
            amount_to_pence=pounds_or_none(self.amount_to.data),
            status=self.status.data or "submitted",
        )

    def args(self) -> dict[str, str]:
        """The filters as query string values, for the pager's links."""
        return {
            name: value
            for name in ("status", "role", "claimant", "flag", "amount_from", "amount_to")
            if (value := self[name].data or "")
        }


# --- Deciding a claim -----------------------------------------------------------------------


def seen_text(claim: Claim) -> str:
    """The version of the claim the approver sees, carried by each decision form."""
    return claim.updated_at.isoformat()


def parse_seen(text: str | None) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


class DecisionForm(FlaskForm):
    # The claim's updated_at as the approver saw it: a stale form loses (services._guard).
    seen = HiddenField()


class ApproveFormBase(DecisionForm):
    note = TextAreaField(
        "Note (optional)",
        description="For example, why an amount is less than claimed. The claimant sees it",
        filters=[strip],
        validators=[
            Length(max=services.MAX_TEXT, message="The note must be 2,000 characters or fewer")
        ],
    )
    approve = SubmitField("Approve these amounts")

    line_ids: list[int] = []

    def amounts(self) -> dict[int, int]:
        """Pence to approve by line: only called when every amount parsed."""
        return {
            line_id: pounds_or_none(self[f"line_{line_id}"].data) or 0 for line_id in self.line_ids
        }


def _check_line_amount(form: FlaskForm, field: Field) -> None:
    try:
        pence = pounds_or_none(field.data)
    except MoneyError as exc:
        raise ValidationError(
            exc.hint or "Enter the amount to approve in pounds, like 8.50 (or 0 for nothing)"
        ) from None
    if pence is None:
        raise ValidationError("Enter the amount to approve for this expense")


def approve_form(claim: Claim, **kwargs: Any) -> ApproveFormBase:
    """A form with one "amount to approve" per line, named line_<id> as the services name it."""
    fields: dict[str, Any] = {"line_ids": [line.id for line in claim.lines]}
    data: dict[str, str] = {"seen": seen_text(claim)}
    second = services.awaiting_second(claim)
    for number, line in enumerate(claim.lines, start=1):
        fields[f"line_{line.id}"] = StringField(
            f"Amount to approve for expense {number}",
            description=f"Claimed {format_pounds(line.amount_pence, always_pence=True)}",
            filters=[strip],
            validators=[_check_line_amount],
        )
        start = line.approved_pence if second and line.approved_pence is not None else None
        data[f"line_{line.id}"] = pounds_text(start if start is not None else line.amount_pence)
    form_class = type("ApproveForm", (ApproveFormBase,), fields)
    form: ApproveFormBase = form_class(data=data, **kwargs)
    return form


class RejectForm(DecisionForm):
    reason = TextAreaField(
        "Why is the claim not approved?",
        description="The claimant sees this in their email",
        filters=[strip],
        validators=[
            Length(max=services.MAX_TEXT, message="The reason must be 2,000 characters or fewer")
        ],
    )
    reject = SubmitField("Reject the claim")


class QueryForm(DecisionForm):
    question = TextAreaField(
        "Your question for the claimant",
        description="The claim goes back to them to answer, change it if need be, and send again",
        filters=[strip],
        validators=[
            Length(max=services.MAX_TEXT, message="The question must be 2,000 characters or fewer")
        ],
    )
    query = SubmitField("Send the question")


class CancelClaimForm(DecisionForm):
    """Finance cancel an approved claim before it is scheduled for payment."""

    reason = TextAreaField(
        "Why are you cancelling it?",
        description="For example, it was claimed twice. The claimant sees this in their email",
        filters=[strip],
        validators=[
            Length(max=services.MAX_TEXT, message="The reason must be 2,000 characters or fewer")
        ],
    )
    cancel = SubmitField("Cancel this claim")


def decision_forms(claim: Claim) -> dict[str, FlaskForm]:
    """Blank decision forms for the claim as it is now (none of them was sent)."""
    seen = {"seen": seen_text(claim)}
    return {
        "approve": approve_form(claim, formdata=None),
        "reject": RejectForm(formdata=None, data=seen),
        "query": QueryForm(formdata=None, data=seen),
        "cancel": CancelClaimForm(formdata=None, data=seen),
    }


# --- Categories -----------------------------------------------------------------------------


class CategoryForm(FlaskForm):
    name = StringField(
        "Name",
        description="What claimants see, like Parking",
        filters=[strip],
        validators=[
            InputRequired("Enter a name for the category"),
            Length(max=100, message="Name must be 100 characters or fewer"),
        ],
    )
    ledger_code = StringField(
        "Ledger code",
        description="The finance system's account code for this kind of expense, like 5420",
        filters=[strip],
        validators=[Length(max=40, message="Ledger code must be 40 characters or fewer")],
    )
    needs_receipt = BooleanField(
        "A receipt is needed",
        description="Used unless the policy in force says otherwise for this category",
    )
    needs_reason = BooleanField("The claimant must say why (as for a taxi)")
    active = BooleanField("Claimants can choose this category", default=True)
    submit = SubmitField("Save category")

    def to_input(self) -> CategoryInput:
        return CategoryInput(
            name=self.name.data or "",
            ledger_code=self.ledger_code.data or "",
            needs_receipt=bool(self.needs_receipt.data),
            needs_reason=bool(self.needs_reason.data),
            active=bool(self.active.data),
        )

    @classmethod
    def for_category(cls, category: ExpenseCategory) -> CategoryForm:
        return cls(
            data={
                "name": category.name,
                "ledger_code": category.ledger_code,
                "needs_receipt": category.needs_receipt,
                "needs_reason": category.needs_reason,
                "active": category.active,
            }
        )


class NewCategoryForm(CategoryForm):
    code = StringField(
        "Code",
        description=(
            "A short name for the finance system and exports: lower case letters, numbers and "
            "underscores, like train_fares. It cannot be changed later"
        ),
        filters=[strip],
        validators=[
            InputRequired("Enter a code for the category"),
            Length(max=40, message="Code must be 40 characters or fewer"),
        ],
    )
    submit = SubmitField("Add category")


# --- Policy ---------------------------------------------------------------------------------


class PolicyFormBase(FlaskForm):
    effective_from = DateField(
        "Applies from",
        description=(
            "Today or a later date. A policy already in force never changes: "
            "a new one takes over from its date"
        ),
        validators=[InputRequired("Enter the date this policy applies from")],
        invalid_value_message="Enter a real date this policy applies from, like 2027-04-01",
    )
    claim_window_days = IntegerField(
        "Claim window, in days",
        description="How long after spending the money someone can claim it",
        validators=[InputRequired("Enter the claim window in days")],
        invalid_value_message="Enter the claim window as a whole number of days, like 90",
    )
    second_approval_over = StringField(
        "Second approval needed above",
        description="A claim whose total is more than this needs a second finance approver",
        filters=[strip],
    )
    payment_working_days = IntegerField(
        "Pay within, in working days",
        description="The date claimants are told to expect payment, counted from approval",
        validators=[InputRequired("Enter how many working days payment takes")],
        invalid_value_message="Enter the working days as a whole number, like 10",
    )
    submit = SubmitField("Save policy")

    categories: list[ExpenseCategory] = []

    def validate_second_approval_over(self, field: Field) -> None:
        try:
            pence = pounds_or_none(field.data)
        except MoneyError as exc:
            raise ValidationError(
                exc.hint or "Enter the second approval amount in pounds, like 250 or 250.00"
            ) from None
        if pence is None:
            raise ValidationError("Enter the amount above which a second approval is needed")

    def to_input(self) -> PolicyInput:
        caps: dict[int, CapInput] = {}
        for category in self.categories:
            caps[category.id] = CapInput(
                per_line_pence=pounds_or_none(self[f"cap_{category.id}_per_line"].data),
                per_day_pence=pounds_or_none(self[f"cap_{category.id}_per_day"].data),
                needs_receipt=bool(self[f"cap_{category.id}_receipt"].data),
            )
        return PolicyInput(
            effective_from=self.effective_from.data or dt.date.min,
            claim_window_days=self.claim_window_days.data or 0,
            second_approval_over_pence=pounds_or_none(self.second_approval_over.data) or 0,
            payment_working_days=self.payment_working_days.data
            if self.payment_working_days.data is not None
            else -1,
            caps=caps,
        )


def _check_cap(form: FlaskForm, field: Field) -> None:
    try:
        pounds_or_none(field.data)
    except MoneyError as exc:
        raise ValidationError(
            exc.hint or "Enter the limit in pounds, like 20 or 7.50, or leave it blank"
        ) from None


def policy_form(
    categories: list[ExpenseCategory],
    source: ExpensePolicy | None,
    effective_from: dt.date | None,
    **kwargs: Any,
) -> PolicyFormBase:
    """A policy form with a limit for one expense, a limit a day and "receipt needed" for each
    category, prefilled from `source` (the policy in force, or the one being changed)."""
    fields: dict[str, Any] = {"categories": categories}
    data: dict[str, Any] = {"effective_from": effective_from}
    if source is not None:
        data.update(
            claim_window_days=source.claim_window_days,
            second_approval_over=pounds_text(source.second_approval_over_pence),
            payment_working_days=source.payment_working_days,
        )
    for category in categories:
        fields[f"cap_{category.id}_per_line"] = StringField(
            "Limit for one expense (optional)",
            filters=[strip],
            validators=[_check_cap],
        )
        fields[f"cap_{category.id}_per_day"] = StringField(
            "Limit a day (optional)", filters=[strip], validators=[_check_cap]
        )
        fields[f"cap_{category.id}_receipt"] = BooleanField("A receipt is needed")
        cap = source.cap_for(category.id) if source is not None else None
        data[f"cap_{category.id}_per_line"] = pounds_text(cap.per_line_pence if cap else None)
        data[f"cap_{category.id}_per_day"] = pounds_text(cap.per_day_pence if cap else None)
        data[f"cap_{category.id}_receipt"] = (
            cap.needs_receipt if cap is not None else category.needs_receipt
        )
    form_class = type("PolicyForm", (PolicyFormBase,), fields)
    form: PolicyFormBase = form_class(data=data, **kwargs)
    return form


# --- A role's expense settings --------------------------------------------------------------

NO_HOLDER = ""
MAX_ID = 2**31 - 1  # ids are 32-bit
NO_HOLDER_TEXT = "No budget holder"


class RoleExpenseForm(FlaskForm):
    cost_code = StringField(
        "Cost code",
        description=(
            "The cost centre this role's expenses are charged to, like 1A2-3456. Letters, "
            "numbers, spaces, hyphens, slashes and full stops"
        ),
        filters=[strip],
        validators=[
            Length(
                max=MAX_COST_CODE,
                message=f"Cost code must be {MAX_COST_CODE} characters or fewer",
            )
        ],
    )
    budget_holder_id = SelectField(
        "Budget holder (optional)",
        description=(
            "Gives the first approval on this role's expense claims; finance gives the final one"
        ),
        default=NO_HOLDER,
        validate_choice=False,  # the service says who may hold a budget
    )
    submit = SubmitField("Save expense settings")

    def __init__(self, *args: Any, holders: list[Any], current: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [SelectChoice(NO_HOLDER, NO_HOLDER_TEXT)]
        choices += [SelectChoice(str(u.id), f"{u.full_name} ({u.email})") for u in holders]
        if current is not None and current.id not in {u.id for u in holders}:
            # Still shown (and refused if saved), so that nobody is removed without being told.
            choices.append(
                SelectChoice(
                    str(current.id),
                    f"{current.full_name} ({current.email}): cannot hold a budget now",
                )
            )
        self.budget_holder_id.choices = choices

    def validate_budget_holder_id(self, field: Field) -> None:
        if (field.data or NO_HOLDER) == NO_HOLDER:
            return
        value = whole_number(field.data)
        if value is None or not 0 < value <= MAX_ID:
            raise ValidationError("Select a budget holder from the list")

    def holder_id(self) -> int | None:
        """The chosen person's id, or None for no budget holder (only once validated)."""
        return whole_number(self.budget_holder_id.data or NO_HOLDER)

    @classmethod
    def for_role(cls, role: Any, holders: list[Any]) -> RoleExpenseForm:
        return cls(
            holders=holders,
            current=role.budget_holder,
            data={
                "cost_code": role.cost_code,
                "budget_holder_id": str(role.budget_holder_id or NO_HOLDER),
            },
        )
