"""Finance keep the expense categories, the effective-dated policy and each role's expense
settings (cost code, budget holder). Each change is audited.

A policy applies from its date until the next one: one that is in force (or was) never changes,
so claims already flagged or paid under it keep their meaning. Finance change the rules by adding
a policy from today or a later date; a policy that has not started yet can still be edited.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lep import audit
from lep.accounts.models import User, UserRole
from lep.expenses.models import ExpenseCategory, ExpensePolicy, PolicyCap
from lep.expenses.services import MAX_LINE_PENCE, _clean, london_today
from lep.extensions import db
from lep.money import format_pounds
from lep.roles.models import Role
from lep.service import DomainError, commit
from lep.timeutil import format_date

CODE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_WINDOW_DAYS = 3650
MAX_WORKING_DAYS = 60
MAX_THRESHOLD_PENCE = 10_000_000  # £100,000
COST_CODE = re.compile(r"^[A-Za-z0-9 ./-]*$")
MAX_COST_CODE = 40
# Staff who may hold a role's budget (and so give first approvals on its claims).
BUDGET_HOLDER_ROLES = ("hr", "finance", "admin")


@dataclass(frozen=True)
class CategoryInput:
    name: str
    ledger_code: str = ""
    needs_receipt: bool = True
    needs_reason: bool = False
    active: bool = True


@dataclass(frozen=True)
class CapInput:
    per_line_pence: int | None = None
    per_day_pence: int | None = None
    needs_receipt: bool = True


@dataclass(frozen=True)
class PolicyInput:
    effective_from: dt.date
    claim_window_days: int
    second_approval_over_pence: int
    payment_working_days: int
    caps: dict[int, CapInput] = field(default_factory=dict)


# --- Categories -----------------------------------------------------------------------------


def category_snapshot(category: ExpenseCategory) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name,
        "ledger_code": category.ledger_code,
        "needs_receipt": category.needs_receipt,
        "needs_reason": category.needs_reason,
        "active": category.active,
    }


def _check_category(data: CategoryInput, category_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = _clean(data.name)
    if not name:
        errors["name"] = "Enter a name for the category"
    elif len(name) > 100:
        errors["name"] = "Name must be 100 characters or fewer"
    else:
        same = select(ExpenseCategory.id).where(func.lower(ExpenseCategory.name) == name.lower())
        if category_id is not None:
            same = same.where(ExpenseCategory.id != category_id)
        if db.session.scalar(same.limit(1)) is not None:
            errors["name"] = f"There is already a category called {name}"
    if len(_clean(data.ledger_code)) > 40:
        errors["ledger_code"] = "Ledger code must be 40 characters or fewer"
    return errors


def create_category(code: str, data: CategoryInput, by: Any) -> ExpenseCategory:
    code = _clean(code)
    errors = _check_category(data, None)
    if not code:
        errors["code"] = "Enter a code for the category"
    elif len(code) > 40:
        errors["code"] = "Code must be 40 characters or fewer"
    elif not CODE.match(code):
        errors["code"] = (
            "Code must start with a lower case letter and use only lower case letters, "
            "numbers and underscores, like train_fares"
        )
    elif db.session.scalar(select(ExpenseCategory.id).where(ExpenseCategory.code == code)):
        errors["code"] = f"There is already a category with the code {code}"
    if errors:
        raise DomainError(errors)
    category = ExpenseCategory(
        code=code,
        name=_clean(data.name),
        ledger_code=_clean(data.ledger_code),
        needs_receipt=data.needs_receipt,
        needs_reason=data.needs_reason,
        active=data.active,
    )
    db.session.add(category)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError({"code": f"There is already a category with the code {code}"}) from None
    audit.record(
        "expense_category.created",
        "expense_category",
        category.id,
        after=category_snapshot(category),
        actor=by,
    )
    commit()
    return category


def update_category(category: ExpenseCategory, data: CategoryInput, by: Any) -> ExpenseCategory:
    """Change a category; its code stays as it was (exports and the finance system use it)."""
    errors = _check_category(data, category.id)
    if errors:
        raise DomainError(errors)
    before = category_snapshot(category)
    category.name = _clean(data.name)
    category.ledger_code = _clean(data.ledger_code)
    category.needs_receipt = data.needs_receipt
    category.needs_reason = data.needs_reason
    category.active = data.active
    after = category_snapshot(category)
    if after != before:
        audit.record(
            "expense_category.updated",
            "expense_category",
            category.id,
            before=before,
            after=after,
            actor=by,
        )
    commit()
    return category


# --- Policy ---------------------------------------------------------------------------------


def in_force(today: dt.date | None = None) -> ExpensePolicy | None:
    return db.session.scalar(
        select(ExpensePolicy)
        .where(ExpensePolicy.effective_from <= (today or london_today()))
        .order_by(ExpensePolicy.effective_from.desc())
        .limit(1)
    )


def policy_snapshot(policy: ExpensePolicy) -> dict[str, Any]:
    return {
        "effective_from": policy.effective_from,
        "claim_window_days": policy.claim_window_days,
        "second_approval_over_pence": policy.second_approval_over_pence,
        "payment_working_days": policy.payment_working_days,
        "caps": {
            str(cap.category_id): {
                "per_line_pence": cap.per_line_pence,
                "per_day_pence": cap.per_day_pence,
                "needs_receipt": cap.needs_receipt,
            }
            for cap in sorted(policy.caps, key=lambda c: c.category_id)
        },
    }


def is_editable(policy: ExpensePolicy, today: dt.date | None = None) -> bool:
    """Only a policy that has not started yet can change."""
    return policy.effective_from > (today or london_today())


def _check_cap(errors: dict[str, str], key: str, pence: int | None, what: str) -> None:
    if pence is None:
        return
    if isinstance(pence, bool) or not isinstance(pence, int):
        raise TypeError("limits must be whole pence (an int)")
    if pence <= 0:
        errors[key] = f"The {what} must be more than £0, or blank for no limit"
    elif pence > MAX_LINE_PENCE:
        errors[key] = f"The {what} must be {format_pounds(MAX_LINE_PENCE)} or less"


def _check_policy(data: PolicyInput, policy_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    today = london_today()
    if data.effective_from < today:
        errors["effective_from"] = (
            "The date must be today or in the future: a policy already in force never changes"
        )
    else:
        same_day = select(ExpensePolicy.id).where(
            ExpensePolicy.effective_from == data.effective_from
        )
        if policy_id is not None:
            same_day = same_day.where(ExpensePolicy.id != policy_id)
        if db.session.scalar(same_day) is not None:
            errors["effective_from"] = (
                f"A policy already applies from {format_date(data.effective_from)}: "
                "choose another date, or change that policy"
            )
    if not 1 <= data.claim_window_days <= MAX_WINDOW_DAYS:
        errors["claim_window_days"] = (
            f"The claim window must be between 1 and {MAX_WINDOW_DAYS:,} days"
        )
    if not 0 <= data.second_approval_over_pence <= MAX_THRESHOLD_PENCE:
        errors["second_approval_over"] = (
            f"The second approval amount must be between £0 and "
            f"{format_pounds(MAX_THRESHOLD_PENCE)}"
        )
    if not 0 <= data.payment_working_days <= MAX_WORKING_DAYS:
        errors["payment_working_days"] = (
            f"Payment must be within 0 to {MAX_WORKING_DAYS} working days"
        )
    known = set(db.session.scalars(select(ExpenseCategory.id)))
    if set(data.caps) - known:
        errors["caps"] = "A limit was given for a category that does not exist"
    for category_id, cap in data.caps.items():
        line_key, day_key = f"cap_{category_id}_per_line", f"cap_{category_id}_per_day"
        _check_cap(errors, line_key, cap.per_line_pence, "limit for one expense")
        _check_cap(errors, day_key, cap.per_day_pence, "limit a day")
        if (
            line_key not in errors
            and day_key not in errors
            and cap.per_line_pence is not None
            and cap.per_day_pence is not None
            and cap.per_day_pence < cap.per_line_pence
        ):
            errors[day_key] = "The limit a day must be the same as or more than the limit for one"
    return errors


def _set_caps(policy: ExpensePolicy, caps: dict[int, CapInput]) -> None:
    by_category = {cap.category_id: cap for cap in policy.caps}
    for category_id, wanted in caps.items():
        cap = by_category.get(category_id)
        if cap is None:
            cap = PolicyCap(category_id=category_id)
            policy.caps.append(cap)
        cap.per_line_pence = wanted.per_line_pence
        cap.per_day_pence = wanted.per_day_pence
        cap.needs_receipt = wanted.needs_receipt


def _save(policy: ExpensePolicy) -> None:
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(
            {"effective_from": "A policy already applies from that date: choose another date"}
        ) from None


def create_policy(data: PolicyInput, by: Any) -> ExpensePolicy:
    """A new policy from today or a later date, with a cap row for each category given (the
    policy says for itself which categories need a receipt, whatever the category says later)."""
    errors = _check_policy(data, None)
    if errors:
        raise DomainError(errors)
    policy = ExpensePolicy(
        effective_from=data.effective_from,
        claim_window_days=data.claim_window_days,
        second_approval_over_pence=data.second_approval_over_pence,
        payment_working_days=data.payment_working_days,
    )
    _set_caps(policy, data.caps)
    db.session.add(policy)
    _save(policy)
    audit.record(
        "expense_policy.created",
        "expense_policy",
        policy.id,
        after=policy_snapshot(policy),
        actor=by,
    )
    commit()
    return policy


def update_policy(policy: ExpensePolicy, data: PolicyInput, by: Any) -> ExpensePolicy:
    """Change a policy that has not started yet. One in force (or past) is refused."""
    if not is_editable(policy):
        raise DomainError(
            {
                "policy": "This policy is in force or was in force, so it cannot be changed. "
                "Add a new policy from today or a later date instead"
            }
        )
    errors = _check_policy(data, policy.id)
    if errors:
        raise DomainError(errors)
    before = policy_snapshot(policy)
    policy.effective_from = data.effective_from
    policy.claim_window_days = data.claim_window_days
    policy.second_approval_over_pence = data.second_approval_over_pence
    policy.payment_working_days = data.payment_working_days
    _set_caps(policy, data.caps)
    _save(policy)
    audit.record(
        "expense_policy.updated",
        "expense_policy",
        policy.id,
        before=before,
        after=policy_snapshot(policy),
        actor=by,
    )
    commit()
    return policy


# --- Roles' expense settings ----------------------------------------------------------------


def budget_holder_choices() -> list[User]:
    """Who may hold a role's budget: active staff in HR, finance or admin, by name."""
    holders = select(UserRole.user_id).where(UserRole.role.in_(BUDGET_HOLDER_ROLES))
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.id.in_(holders))
            .order_by(User.full_name, User.id)
        )
    )


def may_hold_budget(user: User | None) -> bool:
    return user is not None and user.active and user.has_role(*BUDGET_HOLDER_ROLES)


def role_expense_snapshot(role: Role) -> dict[str, Any]:
    return {"cost_code": role.cost_code, "budget_holder_id": role.budget_holder_id}


def set_role_expense_settings(
    role: Role, cost_code: str, budget_holder_id: int | None, by: Any
) -> Role:
    """Set the cost centre a role's expenses are charged to and, optionally, its budget holder,
    who gives the first approval on its claims (finance gives the final one). Nobody ever decides
    their own claim: the approval services refuse that, whoever holds the budget."""
    errors: dict[str, str] = {}
    cost_code = _clean(cost_code)
    if len(cost_code) > MAX_COST_CODE:
        errors["cost_code"] = f"Cost code must be {MAX_COST_CODE} characters or fewer"
    elif not COST_CODE.match(cost_code):
        errors["cost_code"] = (
            "Cost code must use only letters, numbers, spaces, hyphens (-), "
            "slashes (/) and full stops (.)"
        )
    if budget_holder_id is not None:
        if isinstance(budget_holder_id, bool) or not isinstance(budget_holder_id, int):
            raise TypeError("budget_holder_id must be a user id (an int) or None")
        holder = db.session.get(User, budget_holder_id)
        if holder is None:
            errors["budget_holder_id"] = "Select a budget holder from the list"
        elif not may_hold_budget(holder):
            errors["budget_holder_id"] = (
                f"{holder.full_name} cannot hold a budget: choose an active member of staff "
                "in HR, finance or admin, or no budget holder"
            )
    if errors:
        raise DomainError(errors)
    before = role_expense_snapshot(role)
    role.cost_code = cost_code
    role.budget_holder_id = budget_holder_id
    after = role_expense_snapshot(role)
    if after != before:
        audit.record(
            "role.expense_settings_updated", "role", role.id, before=before, after=after, actor=by
        )
    commit()
    return role
