"""Expense claims as functions with guards. Each owns its transaction and audits.

A claimant builds a draft claim line by line (mileage is worked out, never typed), attaches
receipts and sends it. Finance approves line by line (never more than claimed), rejects with a
reason, or queries with a question (the claimant can then change it and send it again).

Separation of duties is enforced here, not just in the pages: only finance approves, nobody decides
on a claim they made, and a claim above the policy threshold needs a second approval by a
different person. Policy breaches (caps, no receipt) are flagged on the line, never blocked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from lep import audit
from lep.applications.files import MAX_FILE_BYTES, extension_for, sniff
from lep.applications.models import Application
from lep.db import utcnow
from lep.expenses import mileage, paydates
from lep.expenses.models import (
    Claim,
    ClaimApproval,
    ClaimLine,
    ClaimReceipt,
    ExpenseCategory,
    ExpensePolicy,
)
from lep.extensions import db
from lep.forms import strip
from lep.money import format_pounds
from lep.notifications.models import OutboxMessage
from lep.notifications.services import queue_email
from lep.payments import readiness
from lep.roles.models import Role
from lep.service import DomainError, commit
from lep.storage import clean_file_name, download_name, get_storage
from lep.timeutil import LONDON, format_date
from lep.urls import external_url

MAX_LINE_PENCE = 1_000_000  # £10,000 in one line: far beyond any real expense, refused above
MAX_TEXT = 2_000
EDITABLE = ("draft", "queried")
CLAIMANT_CANCELS = ("draft", "submitted", "queried")
FINANCE_CANCELS = ("approved", "partly_approved")
# Applications whose applicant was invited to interview (or went further): they may claim the
# interview's costs for that role.
INTERVIEWED = ("interview", "offered", "appointed", "unsuccessful")
NOT_COUNTED = ("rejected", "cancelled")  # claims whose lines do not count towards anything
RECEIPT_KINDS = ("pdf", "image")
RECEIPT_TYPES = "a PDF or a picture (JPG, PNG, GIF or WEBP)"

# Policy flags on a line, for the approver.
OVER_LINE_CAP = "over_line_cap"
OVER_DAY_CAP = "over_day_cap"
NO_RECEIPT = "no_receipt"
FLAG_TEXT = {
    OVER_LINE_CAP: "Over the limit for one expense of this kind",
    OVER_DAY_CAP: "Over the daily limit for this kind of expense",
    NO_RECEIPT: "No receipt: the claimant gave a reason",
}
# The same flags, for the claimant: what will happen, not what to look at.
CLAIMANT_FLAG_TEXT = {
    OVER_LINE_CAP: "Over the limit for one expense of this kind: the finance team will check it",
    OVER_DAY_CAP: "Over the daily limit for this kind of expense: the finance team will check it",
    NO_RECEIPT: "No receipt: you told us why",
}


def london_today() -> dt.date:
    return utcnow().astimezone(LONDON).date()


def policy_on(day: dt.date, *, caps: bool = True) -> ExpensePolicy:
    """The policy in force on a London date: the latest effective on or before it. Without
    `caps` its limits are not read with it (they load if asked for)."""
    stmt = (
        select(ExpensePolicy)
        .where(ExpensePolicy.effective_from <= day)
        .order_by(ExpensePolicy.effective_from.desc())
        .limit(1)
    )
    if not caps:
        stmt = stmt.options(lazyload(ExpensePolicy.caps))
    policy = db.session.scalar(stmt)
    if policy is None:
        raise RuntimeError(f"no expense policy in force on {day}")
    return policy


def reference_for(claim: Claim) -> str:
    year = (claim.submitted_at or utcnow()).astimezone(LONDON).year
    return f"EXP-{year}-{claim.id:06d}"


def receipt_required(policy: ExpensePolicy, category: ExpenseCategory) -> bool:
    cap = policy.cap_for(category.id)
    return cap.needs_receipt if cap is not None else category.needs_receipt


def _clean(text: str | None) -> str:
    # The one text filter the forms use: trims and drops stray control characters.
    return str(strip(text or ""))


def _editable(claim: Claim) -> None:
    if claim.status not in EDITABLE:
        raise DomainError({"claim": "This claim has been sent and cannot be changed"})


def _recount(claim: Claim) -> None:
    claim.total_claimed_pence = sum(line.amount_pence for line in claim.lines)


def _line_summary(line: ClaimLine) -> dict[str, Any]:
    return {
        "line_id": line.id,
        "spent_on": line.spent_on,
        "category": line.category.code,
        "amount_pence": line.amount_pence,
        "miles_tenths": line.miles_tenths,
        "flags": list(line.flags or []),
    }


# -- The claimant ---------------------------------------------------------------------------------


def claim_roles(user: Any) -> list[Role]:
    """The roles a person may claim expenses for: those they were invited to interview for (or
    went further in)."""
    return list(
        db.session.scalars(
            select(Role)
            .join(Application, Application.role_id == Role.id)
            .where(Application.applicant_id == user.id, Application.status.in_(INTERVIEWED))
            .distinct()
            .order_by(Role.title, Role.id)
        )
    )


def may_claim(user: Any) -> bool:
    """Partners, and applicants invited to interview (for the interview's costs)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.has_role("partner") or claim_roles(user))


def start_claim(claimant: Any, role_id: int | None = None) -> Claim:
    if not may_claim(claimant):
        raise DomainError(
            {"claimant": "Only partners and people invited to interview can claim expenses"}
        )
    # A partner may claim for no particular role; anyone else claims for a role they were
    # invited to interview for (or went further in).
    allowed = {role.id for role in claim_roles(claimant)}
    if role_id not in allowed and not (role_id is None and claimant.has_role("partner")):
        raise DomainError({"role_id": "Select the role your expenses are for"})
    claim = Claim(claimant_id=claimant.id, role_id=role_id, status="draft")
    db.session.add(claim)
    db.session.flush()
    audit.record("claim.started", "claim", claim.id, after={"role_id": role_id}, actor=claimant)
    commit()
    return claim


def car_miles_this_tax_year(claimant_id: int, on: dt.date) -> Decimal:
    """Car or van miles the claimant has claimed in the tax year of `on` (claims not rejected
    or cancelled), in the order they were claimed: the line being added comes after them."""
    tenths = db.session.scalar(
        select(func.coalesce(func.sum(ClaimLine.miles_tenths), 0))
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .where(
            Claim.claimant_id == claimant_id,
            Claim.status.not_in(NOT_COUNTED),
            ClaimLine.vehicle == mileage.CAR_OR_VAN,
            ClaimLine.spent_on >= mileage.tax_year_start(on),
            ClaimLine.spent_on <= mileage.tax_year_end(on),
        )
    )
    return Decimal(int(tenths or 0)) / 10


def _check_receipt_file(filename: str, data: bytes) -> tuple[str, str]:
    """(content type, clean name) or DomainError at the receipt field."""
    if not data:
        raise DomainError({"receipt": "The selected file is empty"})
    if len(data) > MAX_FILE_BYTES:
        raise DomainError({"receipt": "The selected file must be smaller than 10MB"})
    kind = sniff(data)
    if kind is None or kind.kind not in RECEIPT_KINDS:
        raise DomainError({"receipt": f"The selected file must be {RECEIPT_TYPES}"})
    # Shown to finance, never used to serve the file (receipt_download_name is).
    return kind.content_type, clean_file_name(filename, "receipt")


def receipt_download_name(claim: Claim, receipt: ClaimReceipt) -> str:
    """The name a receipt is served under: receipt-EXP-2026-000012-3.pdf (the claim, the receipt,
    the detected type), never the name it came with."""
    reference = claim.reference or f"draft-{claim.id}"
    return download_name(
        "receipt", reference, str(receipt.id), extension=extension_for(receipt.content_type)
    )


def _check_line(
    claim: Claim,
    *,
    category: ExpenseCategory | None,
    spent_on: dt.date | None,
    description: str,
    amount_pence: int | None,
    vehicle: str | None,
    miles: Decimal | None,
    passengers: int,
    reason: str,
    no_receipt_reason: str,
    has_receipt: bool,
) -> tuple[dict[str, str], mileage.MileageAmount | None]:
    """Every problem with a line, by field, and the mileage worked out (when it could be)."""
    if claim.status not in EDITABLE:
        return {"claim": "This claim has been sent and cannot be changed"}, None
    errors: dict[str, str] = {}
    today = london_today()
    policy = policy_on(today)
    description = _clean(description)

    if category is not None and not category.active:
        errors["category"] = "Select a kind of expense"
    if not description:
        errors["description"] = "Enter what the expense was for"
    elif len(description) > MAX_TEXT:
        errors["description"] = f"What the expense was for must be {MAX_TEXT:,} characters or fewer"

    earliest = today - dt.timedelta(days=policy.claim_window_days)
    if spent_on is None:
        pass  # the form could not read a date, and says so
    elif spent_on > today:
        errors["spent_on"] = "The date must be today or in the past"
    elif spent_on < earliest:
        errors["spent_on"] = (
            f"Expenses must be claimed within {policy.claim_window_days} days: "
            f"the date must be on or after {format_date(earliest)}"
        )

    amount: mileage.MileageAmount | None = None
    if category is None:
        pass  # what applies depends on the kind of expense
    elif category.code == "mileage":
        if miles is None:
            errors["miles"] = mileage.ENTER_MILES
        else:
            try:
                # Without a date the tax year is unknown: check what was typed all the same.
                already = (
                    car_miles_this_tax_year(claim.claimant_id, spent_on)
                    if spent_on is not None
                    else Decimal(0)
                )
                amount = mileage.mileage_pence(vehicle or "", miles, passengers, already)
            except mileage.MileageError as exc:
                errors[exc.field] = exc.message
    elif amount_pence is None:
        errors["amount"] = "Enter the amount, like 12.50"
    elif isinstance(amount_pence, bool) or not isinstance(amount_pence, int):
        raise TypeError("amount_pence must be whole pence (an int)")
    elif amount_pence <= 0:
        errors["amount"] = "The amount must be more than £0"
    elif amount_pence > MAX_LINE_PENCE:
        errors["amount"] = (
            f"The amount must be {format_pounds(MAX_LINE_PENCE)} or less. "
            "For a larger cost, contact the finance team"
        )

    if category is not None:
        if category.needs_reason and not _clean(reason):
            errors["reason"] = f"Enter why you needed a {category.name.lower()}"
        needs_receipt = receipt_required(policy, category)
        if needs_receipt and not has_receipt and not _clean(no_receipt_reason):
            errors["no_receipt_reason"] = "Add a receipt, or tell us why you do not have one"
    return errors, amount


def line_problems(
    claim: Claim,
    *,
    category: ExpenseCategory | None,
    spent_on: dt.date | None,
    description: str,
    amount_pence: int | None,
    vehicle: str | None,
    miles: Decimal | None,
    passengers: int,
    reason: str,
    no_receipt_reason: str,
    has_receipt: bool,
) -> dict[str, str]:
    """What add_line would refuse, by field, without saving anything.

    A date or kind the form could not read is None: the checks that need it are skipped (the form
    says what is wrong with it), so every other problem can be shown at the same time. The
    receipt's file is checked only when it is added.
    """
    errors, _amount = _check_line(
        claim,
        category=category,
        spent_on=spent_on,
        description=description,
        amount_pence=amount_pence,
        vehicle=vehicle,
        miles=miles,
        passengers=passengers,
        reason=reason,
        no_receipt_reason=no_receipt_reason,
        has_receipt=has_receipt,
    )
    return errors


def add_line(
    claim: Claim,
    *,
    category: ExpenseCategory,
    spent_on: dt.date,
    description: str,
    amount_pence: int | None = None,
    vehicle: str | None = None,
    miles: Decimal | None = None,
    passengers: int = 0,
    reason: str = "",
    no_receipt_reason: str = "",
    receipt: tuple[str, bytes] | None = None,
) -> ClaimLine:
    """Add a line to a draft (or queried) claim. Every problem is reported at its field at once.

    For mileage the amount is worked out from the vehicle, miles and passengers; any amount given
    is ignored. `receipt` is (file name, bytes), checked by content.
    """
    _editable(claim)
    errors, amount = _check_line(
        claim,
        category=category,
        spent_on=spent_on,
        description=description,
        amount_pence=amount_pence,
        vehicle=vehicle,
        miles=miles,
        passengers=passengers,
        reason=reason,
        no_receipt_reason=no_receipt_reason,
        has_receipt=receipt is not None,
    )
    if receipt is not None:
        try:
            content_type, name = _check_receipt_file(*receipt)
        except DomainError as exc:
            errors.update(exc.errors)
    if errors:
        raise DomainError(errors)

    description = _clean(description)
    reason = _clean(reason)
    no_receipt_reason = _clean(no_receipt_reason)
    pence = amount.total_pence if amount is not None else (amount_pence or 0)
    line = ClaimLine(
        claim=claim,
        spent_on=spent_on,
        category=category,
        description=description,
        amount_pence=pence,
        reason=reason[:MAX_TEXT],
        no_receipt_reason="" if receipt is not None else no_receipt_reason[:MAX_TEXT],
        flags=[],
    )
    if amount is not None:
        line.vehicle = amount.vehicle
        line.miles_tenths = int(amount.miles * 10)
        line.passengers = amount.passengers
        line.mileage_working = amount.working
    db.session.add(line)
    if receipt is not None:
        db.session.add(
            ClaimReceipt(
                line=line,
                storage_key=get_storage().save(receipt[1]),
                original_name=name,
                content_type=content_type,
                size_bytes=len(receipt[1]),
            )
        )
    _recount(claim)
    db.session.flush()
    _refresh_flags(claim)
    audit.record("claim.line_added", "claim", claim.id, after=_line_summary(line))
    commit()
    return line


def remove_line(claim: Claim, line_id: int) -> None:
    _editable(claim)
    line = next((x for x in claim.lines if x.id == line_id), None)
    if line is None:
        raise DomainError({"line": "That expense is not part of this claim"})
    before = _line_summary(line)
    keys = [r.storage_key for r in line.receipts]
    claim.lines.remove(line)
    _recount(claim)
    db.session.flush()
    _refresh_flags(claim)
    audit.record("claim.line_removed", "claim", claim.id, before=before)
    commit()
    storage = get_storage()
    for key in keys:
        storage.delete(key)


def attach_receipt(line: ClaimLine, filename: str, data: bytes) -> ClaimReceipt:
    """Add a receipt to a line (PDF or picture, judged by content; 10MB at most)."""
    _editable(line.claim)
    content_type, name = _check_receipt_file(filename, data)
    record = ClaimReceipt(
        line=line,
        storage_key=get_storage().save(data),
        original_name=name,
        content_type=content_type,
        size_bytes=len(data),
    )
    db.session.add(record)
    line.no_receipt_reason = ""
    db.session.flush()
    _refresh_flags(line.claim)
    audit.record(
        "claim.receipt_attached",
        "claim",
        line.claim_id,
        after={"line_id": line.id, "receipt_id": record.id, "size_bytes": len(data)},
    )
    commit()
    return record


# -- Policy flags ---------------------------------------------------------------------------------


def policy_flags(line: ClaimLine) -> list[str]:
    """What the approver should look at on a line. Flagged, never blocked."""
    policy = policy_on(line.spent_on)
    cap = policy.cap_for(line.category_id)
    flags: list[str] = []
    if (
        cap is not None
        and cap.per_line_pence is not None
        and line.amount_pence > cap.per_line_pence
    ):
        flags.append(OVER_LINE_CAP)
    if cap is not None and cap.per_day_pence is not None:
        that_day = db.session.scalar(
            select(func.coalesce(func.sum(ClaimLine.amount_pence), 0))
            .join(Claim, Claim.id == ClaimLine.claim_id)
            .where(
                Claim.claimant_id == line.claim.claimant_id,
                Claim.status.not_in(NOT_COUNTED),
                ClaimLine.category_id == line.category_id,
                ClaimLine.spent_on == line.spent_on,
            )
        )
        if int(that_day or 0) > cap.per_day_pence:
            flags.append(OVER_DAY_CAP)
    if receipt_required(policy, line.category) and not line.receipts:
        flags.append(NO_RECEIPT)
    return flags


def _refresh_flags(claim: Claim) -> None:
    db.session.flush()
    for line in claim.lines:
        flags = policy_flags(line)
        if list(line.flags or []) != flags:
            line.flags = flags


# -- Status changes -------------------------------------------------------------------------------


def approval_notes(claim: Claim) -> list[str]:
    """What the finance team wrote when approving, in order: the form tells them the claimant
    sees it."""
    approvals = sorted(claim.approvals, key=lambda a: a.level)
    return [a.note for a in approvals if a.decision == "approve" and a.note]


def _email(claim: Claim, subject: str, template: str, **context: Any) -> OutboxMessage:
    return queue_email(
        claim.claimant.email,
        subject,
        template,
        claim=claim,
        claimant=claim.claimant,
        format_pounds=format_pounds,
        format_date=format_date,
        dashboard_url=external_url("main.dashboard"),
        claim_url=external_url("expenses.show", claim_id=claim.id),
        **context,
    )


def _claim_columns() -> list[Any]:
    return [getattr(Claim, attr.key) for attr in sa_inspect(Claim).column_attrs]


def _guard(claim: Claim, expected: tuple[str, ...], **values: Any) -> None:
    """Move the claim on only if nobody else did first (one guarded UPDATE; the row is locked
    until commit). Otherwise tell the person the claim changed.

    The UPDATE returns the row as it now is, and the claim takes those values as loaded (as a
    refresh would, without a second query; its lines and approvals stay as they were read:
    nothing can change them while the guard holds)."""
    columns = _claim_columns()
    found = db.session.execute(
        update(Claim)
        .where(
            Claim.id == claim.id,
            Claim.status.in_(expected),
            Claim.updated_at == claim.updated_at,
        )
        .values(updated_at=utcnow(), **values)
        .returning(*columns)
        .execution_options(synchronize_session=False)
    ).all()
    if len(found) != 1:
        db.session.rollback()
        raise DomainError(
            {"claim": "This claim has changed since you opened it. Reload it to see what changed"}
        )
    for column, value in zip(columns, found[0], strict=True):
        set_committed_value(claim, column.key, value)


def submit_claim(claim: Claim) -> Claim:
    """Send a draft (or a queried claim, changed or not) for approval."""
    _editable(claim)
    if not claim.lines:
        raise DomainError({"lines": "Add at least one expense before you send the claim"})
    before = claim.status
    now = utcnow()
    _guard(claim, EDITABLE, status="submitted", submitted_at=now)
    if claim.reference is None:
        claim.reference = reference_for(claim)
    _recount(claim)
    _refresh_flags(claim)
    audit.record(
        "claim.submitted",
        "claim",
        claim.id,
        before={"status": before},
        after={
            "status": "submitted",
            "reference": claim.reference,
            "total_claimed_pence": claim.total_claimed_pence,
        },
    )
    _email(claim, f"We have your expenses claim: {claim.reference}", "claim_submitted")
    commit()
    return claim


def is_approver(user: Any) -> bool:
    """Finance, or the budget holder of any role (who gives first approvals for it)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role("finance"):
        return True
    holds = select(Role.id).where(Role.budget_holder_id == user.id).limit(1)
    return db.session.scalar(holds) is not None


def needs_two_approvals(claim: Claim, policy: ExpensePolicy | None = None) -> bool:
    """Above the policy threshold (on the total claimed), or for a role with a budget holder."""
    if claim.role is not None and claim.role.budget_holder_id is not None:
        return True
    policy = policy or policy_on(london_today(), caps=False)  # the threshold, not the caps
    return claim.total_claimed_pence > policy.second_approval_over_pence


def awaiting_second(claim: Claim) -> bool:
    return claim.status == "submitted" and first_approval(claim) is not None


def decision_problem(claim: Claim, approver: Any, decision: str = "approve") -> dict[str, str]:
    """Why this person may not make this decision on this claim now (empty when they may).

    Level 1 (the first decision) is for finance or the role's budget holder; the final approval
    of a claim that needs two is for a different person with the finance role.
    """
    if approver.id == claim.claimant_id:
        return {"approver": "You cannot decide on your own expenses claim"}
    if claim.status != "submitted":
        return {"claim": f"This claim cannot be decided now: it is {claim.status_text.lower()}"}
    first = first_approval(claim)
    is_finance = approver.has_role("finance")
    holder = claim.role is not None and claim.role.budget_holder_id == approver.id
    if first is None:
        if not (is_finance or holder):
            return {"approver": "Only the finance team can decide on expense claims"}
        return {}
    if not is_finance:
        return {"approver": "The first approval is in. The final decision is for the finance team"}
    if decision == "approve" and first.approver_id == approver.id:
        return {
            "approver": "You gave the first approval on this claim. "
            "A different person in the finance team must give the second"
        }
    return {}


def can_decide(user: Any, claim: Claim, decision: str = "approve") -> bool:
    return getattr(user, "is_authenticated", False) and not decision_problem(claim, user, decision)


def _check_decider(claim: Claim, approver: Any, decision: str) -> None:
    problem = decision_problem(claim, approver, decision)
    if problem:
        raise DomainError(problem)


def first_approval(claim: Claim) -> ClaimApproval | None:
    """The level 1 approval of the claim as it now stands (a query starts the approvals again)."""
    current: ClaimApproval | None = None
    for approval in claim.approvals:
        if approval.decision == "query":
            current = None
        elif approval.decision == "approve" and approval.level == 1:
            current = approval
    return current


def query_claim(claim: Claim, approver: Any, question: str) -> Claim:
    """Send the claim back to the claimant with a question; they can change it and resend."""
    _check_decider(claim, approver, "query")
    question = _clean(question)
    if not question:
        raise DomainError({"question": "Enter your question for the claimant"})
    if len(question) > MAX_TEXT:
        raise DomainError({"question": f"The question must be {MAX_TEXT:,} characters or fewer"})
    level = 2 if first_approval(claim) is not None else 1
    _guard(claim, ("submitted",), status="queried", query_text=question)
    db.session.add(
        ClaimApproval(
            claim=claim, approver_id=approver.id, level=level, decision="query", note=question
        )
    )
    audit.record(
        "claim.queried",
        "claim",
        claim.id,
        before={"status": "submitted"},
        after={"status": "queried", "question": question, "level": level},
        actor=approver,
    )
    _email(claim, f"A question about your expenses claim {claim.reference}", "claim_queried")
    commit()
    return claim


def approve_claim(
    claim: Claim, approver: Any, approved_pence_by_line: dict[int, int], note: str = ""
) -> Claim:
    """Approve line by line: each amount from 0 to what was claimed, never more.

    Above the policy threshold the first approval (level 1) leaves the claim waiting for a second,
    by a different person with the finance role (level 2), who makes the final decision.
    Nothing changes if anything is refused.
    """
    _check_decider(claim, approver, "approve")
    first = first_approval(claim)
    errors: dict[str, str] = {}
    amounts: dict[int, int] = {}
    for line in claim.lines:
        value = approved_pence_by_line.get(line.id)
        field = f"line_{line.id}"
        if value is None:
            errors[field] = "Enter the amount to approve for this expense"
        elif isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("approved amounts must be whole pence (an int)")
        elif value < 0:
            errors[field] = "The amount to approve must be £0 or more"
        elif value > line.amount_pence:
            errors[field] = (
                f"You cannot approve more than the {format_pounds(line.amount_pence)} claimed"
            )
        else:
            amounts[line.id] = value
    unknown = set(approved_pence_by_line) - {line.id for line in claim.lines}
    if unknown:
        errors["lines"] = "An amount was given for an expense that is not part of this claim"
    total = sum(amounts.values())
    if not errors and total == 0:
        errors["lines"] = "To approve nothing, reject the claim and give a reason"
    note = _clean(note)[:MAX_TEXT]
    if errors:
        raise DomainError(errors)

    now = utcnow()
    # The threshold and the working days to pay: not the caps.
    policy = policy_on(now.astimezone(LONDON).date(), caps=False)
    needs_second = needs_two_approvals(claim, policy)
    level = 2 if first is not None else 1
    before = {
        "status": claim.status,
        "approved_pence_by_line": {line.id: line.approved_pence for line in claim.lines},
        "total_approved_pence": claim.total_approved_pence,
    }

    if level == 1 and needs_second:
        _guard(claim, ("submitted",))  # one of two approvers acting at once wins
        for line in claim.lines:
            line.approved_pence = amounts[line.id]
        db.session.add(
            ClaimApproval(
                claim=claim, approver_id=approver.id, level=1, decision="approve", note=note
            )
        )
        audit.record(
            "claim.first_approval",
            "claim",
            claim.id,
            before=before,
            after={
                "status": claim.status,
                "approved_pence_by_line": amounts,
                "total_approved_pence": total,
                "level": 1,
                "waiting_for": "second approval",
            },
            actor=approver,
        )
        commit(keep_loaded=True)
        return claim

    status = "approved" if total == claim.total_claimed_pence else "partly_approved"
    # The promise starts when the claimant can be paid: today, the day a hold on new bank
    # details ends, or (no bank details yet) not until they can be (start_payment_promises).
    payable_from = readiness.can_be_paid_from(claim.claimant, now)
    pay_by = (
        paydates.expected_payment_date(payable_from, policy.payment_working_days)
        if payable_from is not None
        else None
    )
    _guard(
        claim,
        ("submitted",),
        status=status,
        decided_at=now,
        total_approved_pence=total,
        expected_payment_date=pay_by,
    )
    for line in claim.lines:
        line.approved_pence = amounts[line.id]
    db.session.add(
        ClaimApproval(
            claim=claim, approver_id=approver.id, level=level, decision="approve", note=note
        )
    )
    audit.record(
        "claim.approved",
        "claim",
        claim.id,
        before=before,
        after={
            "status": status,
            "approved_pence_by_line": amounts,
            "total_approved_pence": total,
            "level": level,
            "expected_payment_date": pay_by,
        },
        actor=approver,
    )
    cannot_pay = readiness.blocker(claim.claimant, now)
    _email(
        claim,
        f"Your expenses claim {claim.reference} is {claim.status_text.lower()}",
        "claim_approved",
        notes=approval_notes(claim),
        blocker=cannot_pay,
        blocker_url=cannot_pay.email_url if cannot_pay else "",
        payment_days=policy.payment_working_days,
    )
    commit(keep_loaded=True)
    return claim


def start_payment_promises(
    user_id: int, can_be_paid_on: dt.date, *, actor: Any = None, actor_label: str | None = None
) -> list[Claim]:
    """The claimant can now be paid (from `can_be_paid_on`, a London date): their approved
    claims that were promised no date get one, counted from then. Audited; the caller commits.

    Called by whoever makes a person payable (bank details saved, a payee's set-up finished)."""
    claims = list(
        db.session.scalars(
            select(Claim).where(
                Claim.claimant_id == user_id,
                Claim.status.in_(("approved", "partly_approved")),
                Claim.expected_payment_date.is_(None),
            )
        )
    )
    if not claims:
        return []
    days = policy_on(can_be_paid_on, caps=False).payment_working_days
    pay_by = paydates.expected_payment_date(can_be_paid_on, days)
    for claim in claims:
        claim.expected_payment_date = pay_by
        audit.record(
            "claim.payment_promised",
            "claim",
            claim.id,
            before={"expected_payment_date": None},
            after={"expected_payment_date": pay_by, "can_be_paid_on": can_be_paid_on},
            actor=actor,
            actor_label=actor_label,
        )
    return claims


def reject_claim(claim: Claim, approver: Any, reason: str) -> Claim:
    _check_decider(claim, approver, "reject")
    reason = _clean(reason)
    if not reason:
        raise DomainError({"reason": "Enter why the claim is not approved"})
    if len(reason) > MAX_TEXT:
        raise DomainError({"reason": f"The reason must be {MAX_TEXT:,} characters or fewer"})
    level = 2 if first_approval(claim) is not None else 1
    before = {"status": claim.status, "total_approved_pence": claim.total_approved_pence}
    _guard(claim, ("submitted",), status="rejected", decided_at=utcnow(), total_approved_pence=0)
    for line in claim.lines:
        line.approved_pence = 0
    db.session.add(
        ClaimApproval(
            claim=claim, approver_id=approver.id, level=level, decision="reject", note=reason
        )
    )
    audit.record(
        "claim.rejected",
        "claim",
        claim.id,
        before=before,
        after={"status": "rejected", "reason": reason, "level": level},
        actor=approver,
    )
    _email(
        claim,
        f"Your expenses claim {claim.reference} is not approved",
        "claim_rejected",
        reason=reason,
    )
    commit()
    return claim


def cancel_problem(claim: Claim, by: Any) -> dict[str, str]:
    """Why this person may not cancel this claim now (empty when they may). The claimant may
    cancel their own until it is decided; finance may cancel an approved claim before it is
    scheduled for payment."""
    allowed: tuple[str, ...]
    if by.id == claim.claimant_id:
        allowed = CLAIMANT_CANCELS
    elif by.has_role("finance"):
        allowed = FINANCE_CANCELS
    else:
        return {"approver": "Only the claimant or the finance team can cancel a claim"}
    if claim.status not in allowed:
        return {"claim": f"This claim cannot be cancelled now: it is {claim.status_text.lower()}"}
    return {}


def finance_may_cancel(user: Any, claim: Claim) -> bool:
    """Finance (not the claimant) may cancel this claim now, from the finance claim page."""
    return (
        getattr(user, "is_authenticated", False)
        and user.has_role("finance")
        and user.id != claim.claimant_id
        and not cancel_problem(claim, user)
    )


def cancel_claim(claim: Claim, by: Any, reason: str = "") -> Claim:
    """Withdraw a claim. The claimant may cancel their own until it is decided (a reason is
    optional); finance may cancel an approved claim before it is scheduled for payment (say why:
    a duplicate, say). Nothing else can cancel a claim."""
    reason = _clean(reason)
    if len(reason) > MAX_TEXT:
        raise DomainError({"reason": f"The reason must be {MAX_TEXT:,} characters or fewer"})
    problem = cancel_problem(claim, by)
    if problem:
        raise DomainError(problem)
    by_claimant = by.id == claim.claimant_id
    if not by_claimant and not reason:
        raise DomainError({"reason": "Enter why the claim is cancelled"})
    expected = CLAIMANT_CANCELS if by_claimant else FINANCE_CANCELS
    before = claim.status
    _guard(claim, expected, status="cancelled", cancel_reason=reason, decided_at=utcnow())
    audit.record(
        "claim.cancelled",
        "claim",
        claim.id,
        before={"status": before},
        after={"status": "cancelled", "reason": reason},
        actor=by,
    )
    if before != "draft":
        _email(
            claim,
            f"Your expenses claim {claim.reference} is cancelled",
            "claim_cancelled",
            reason=reason,
            by_claimant=by_claimant,
        )
    commit()
    return claim
