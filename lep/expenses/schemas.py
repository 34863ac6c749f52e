"""Expense claims as they leave the system, one schema per audience.

- `FinanceClaimSchema` (and its summary for lists): what finance needs to check and pay a claim,
  through the API: the claimant's name and id (no email, address or anything else about them),
  the role and its cost code, every line with its amounts in pence, mileage and policy flags,
  and who decided what.
- `MyClaimSchema`: a claimant's own claim, as they see it (no ledger codes, no approvers' names).
- `ExportRowSchema`: one approved line of a claim as a row of the CSV for the finance system.

Every amount is whole pence (an integer, its name ending _pence), except in the CSV, where the
finance system wants pounds with two decimals, written from the pence without a float. Never a
receipt's storage key.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from lep.accounts.models import User
from lep.applications.schemas import Derived
from lep.expenses import services
from lep.expenses.mileage import VEHICLE_LABELS
from lep.expenses.models import APPROVAL_DECISIONS, CLAIM_STATUSES, Claim, ClaimLine
from lep.extensions import db
from lep.timeutil import to_london

# -- Helpers ---------------------------------------------------------------------------------------


def miles_text(tenths: int) -> str:
    """125 -> '12.5' (whole tenths of a mile, no float)."""
    return f"{tenths // 10}.{tenths % 10}"


def pounds_text(pence: int) -> str:
    """1250 -> '12.50', 5 -> '0.05': pounds with two decimals for a CSV, no float, no symbol."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}{pounds}.{rest:02d}"


def name_approvers(claims: list[Claim]) -> None:
    """Give each approval of these claims its approver's name (one query for them all)."""
    approvals = [a for claim in claims for a in claim.approvals]
    ids = {a.approver_id for a in approvals}
    names: dict[int, str] = {}
    if ids:
        rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
        names = {user_id: name for user_id, name in rows}
    for approval in approvals:
        # A plain attribute for ClaimApprovalSchema: ClaimApproval has no relationship to User.
        setattr(approval, "approver_name", names.get(approval.approver_id, ""))  # noqa: B010


def _flags(line: ClaimLine) -> list[dict[str, str]]:
    return [{"code": code, "text": services.FLAG_TEXT.get(code, code)} for code in line.flags or []]


def _claim_flags(claim: Claim) -> list[str]:
    return sorted({code for line in claim.lines for code in line.flags or []})


def _mileage(line: ClaimLine) -> dict[str, Any] | None:
    if line.miles_tenths is None:
        return None
    return {
        "vehicle": line.vehicle,
        "vehicle_text": VEHICLE_LABELS.get(line.vehicle or "", line.vehicle),
        "miles": miles_text(line.miles_tenths),
        "miles_tenths": line.miles_tenths,
        "passengers": line.passengers or 0,
        "working": line.mileage_working,
    }


# -- Nested parts ----------------------------------------------------------------------------------


class ClaimPersonSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(attribute="full_name", dump_only=True)


class ClaimRoleSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)


class ClaimFinanceRoleSchema(ClaimRoleSchema):
    cost_code = fields.String(
        dump_only=True, metadata={"description": "Finance's cost centre for the role; may be empty"}
    )


class ClaimCategorySchema(Schema):
    code = fields.String(dump_only=True, metadata={"description": "e.g. mileage, parking, taxi"})
    name = fields.String(dump_only=True)


class ClaimFinanceCategorySchema(ClaimCategorySchema):
    ledger_code = fields.String(
        dump_only=True, metadata={"description": "The finance system's account; may be empty"}
    )


class ClaimMileageSchema(Schema):
    vehicle = fields.String(dump_only=True, metadata={"description": "car_or_van, motorcycle..."})
    vehicle_text = fields.String(dump_only=True)
    miles = fields.String(dump_only=True, metadata={"description": "Exact, e.g. 12.5"})
    miles_tenths = fields.Integer(dump_only=True, metadata={"description": "125 = 12.5 miles"})
    passengers = fields.Integer(dump_only=True)
    working = fields.String(
        dump_only=True, metadata={"description": "How the amount was worked out, in words"}
    )


class ClaimFlagSchema(Schema):
    code = fields.String(dump_only=True, metadata={"description": "over_line_cap, no_receipt..."})
    text = fields.String(dump_only=True)


class ClaimReceiptSchema(Schema):
    """A receipt, described: never where it is kept."""

    id = fields.Integer(dump_only=True)
    original_name = fields.String(dump_only=True)
    content_type = fields.String(dump_only=True)
    size_bytes = fields.Integer(dump_only=True)
    uploaded_at = fields.AwareDateTime(attribute="created_at", dump_only=True, allow_none=True)


class ClaimLineSchema(Schema):
    id = fields.Integer(dump_only=True)
    spent_on = fields.Date(dump_only=True)
    category = fields.Nested(ClaimCategorySchema, dump_only=True)
    description = fields.String(dump_only=True)
    amount_pence = fields.Integer(
        dump_only=True, metadata={"description": "Claimed; for mileage, worked out from the miles"}
    )
    approved_pence = fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "None until decided"}
    )
    mileage = Derived(
        ClaimMileageSchema,
        _mileage,
        dump_only=True,
        allow_none=True,
        metadata={"description": "For mileage only: how the amount was worked out"},
    )
    reason = fields.String(dump_only=True, metadata={"description": "Why, e.g. why a taxi"})
    no_receipt_reason = fields.String(dump_only=True)
    receipts = fields.List(fields.Nested(ClaimReceiptSchema), dump_only=True)


class ClaimFinanceLineSchema(ClaimLineSchema):
    category = fields.Nested(ClaimFinanceCategorySchema, dump_only=True)
    flags = Derived(
        ClaimFlagSchema,
        _flags,
        many=True,
        dump_only=True,
        metadata={"description": "Policy flags for the approver: flagged, never blocked"},
    )


class ClaimDecisionSchema(Schema):
    level = fields.Integer(dump_only=True, metadata={"description": "1, or 2 for a final approval"})
    decision = fields.String(
        dump_only=True, metadata={"description": "One of: " + ", ".join(APPROVAL_DECISIONS)}
    )
    decided_at = fields.AwareDateTime(dump_only=True)
    note = fields.String(dump_only=True, metadata={"description": "The question, or the reason"})


class ClaimApprovalSchema(ClaimDecisionSchema):
    approver = Derived(
        ClaimPersonSchema,
        lambda a: {"id": a.approver_id, "full_name": getattr(a, "approver_name", "")},
        dump_only=True,
        metadata={"description": "Who decided"},
    )


# -- Claims ----------------------------------------------------------------------------------------


class _ClaimBase(Schema):
    id = fields.Integer(dump_only=True)
    reference = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "e.g. EXP-2026-000123"}
    )
    status = fields.String(
        dump_only=True, metadata={"description": "One of: " + ", ".join(CLAIM_STATUSES)}
    )
    status_text = fields.String(dump_only=True, metadata={"description": "The status in words"})
    submitted_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    decided_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    expected_payment_date = fields.Date(
        dump_only=True, allow_none=True, metadata={"description": "Set when approved"}
    )
    total_claimed_pence = fields.Integer(dump_only=True)
    total_approved_pence = fields.Integer(dump_only=True, allow_none=True)
    query_text = fields.String(dump_only=True, metadata={"description": "The latest question"})
    cancel_reason = fields.String(dump_only=True)


class FinanceClaimSummarySchema(_ClaimBase):
    """A claim in the finance list: no lines, but their flags and how many there are."""

    claimant = fields.Nested(ClaimPersonSchema, dump_only=True)
    role = fields.Nested(ClaimFinanceRoleSchema, dump_only=True, allow_none=True)
    updated_at = fields.AwareDateTime(dump_only=True)
    line_count = fields.Function(lambda c: len(c.lines), dump_only=True)
    flags = fields.Function(
        _claim_flags, dump_only=True, metadata={"description": "Every flag on any of its lines"}
    )
    awaiting_second_approval = fields.Function(
        services.awaiting_second,
        dump_only=True,
        metadata={"description": "A first approval is in; the final one is awaited"},
    )


class FinanceClaimSchema(FinanceClaimSummarySchema):
    """One claim in full, for finance."""

    lines = fields.List(fields.Nested(ClaimFinanceLineSchema), dump_only=True)
    approvals = fields.List(
        fields.Nested(ClaimApprovalSchema),
        dump_only=True,
        metadata={"description": "Every decision, oldest first"},
    )


class MyClaimSchema(_ClaimBase):
    """One claim, for the person who made it."""

    role = fields.Nested(ClaimRoleSchema, dump_only=True, allow_none=True)
    started_at = fields.AwareDateTime(attribute="created_at", dump_only=True, allow_none=True)
    lines = fields.List(fields.Nested(ClaimLineSchema), dump_only=True)
    decisions = fields.List(
        fields.Nested(ClaimDecisionSchema),
        attribute="approvals",
        dump_only=True,
        metadata={"description": "Each decision on the claim, oldest first"},
    )


SENT_STATUSES = [status for status in CLAIM_STATUSES if status != "draft"]


class ClaimQuerySchema(Schema):
    status = fields.List(
        fields.String(validate=validate.OneOf(SENT_STATUSES)),
        load_default=list,
        metadata={
            "description": "Only claims in this status (repeat for several). Drafts are never "
            "listed: they are the claimant's alone"
        },
    )
    submitted_from = fields.Date(
        load_default=None, metadata={"description": "Sent on or after this day (UK date)"}
    )
    submitted_to = fields.Date(
        load_default=None, metadata={"description": "Sent on or before this day (UK date)"}
    )

    @validates_schema
    def _dates_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start is not None and end is not None and start > end:
            raise ValidationError(
                "The to date must be the same as or after the from date", "submitted_to"
            )


# -- The CSV export --------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _london_date(value: Any) -> str:
    return to_london(value).date().isoformat() if value is not None else ""


class ExportRowSchema(Schema):
    """One approved line of an approved (or partly approved) claim. data_key is the CSV header."""

    claim_reference = fields.String(attribute="claim.reference", data_key="Claim reference")
    claimant_name = fields.String(attribute="claim.claimant.full_name", data_key="Claimant name")
    claimant_id = fields.Integer(attribute="claim.claimant_id", data_key="Claimant ID")
    role_title = fields.Function(
        lambda line: line.claim.role.title if line.claim.role else "", data_key="Role"
    )
    cost_code = fields.Function(
        lambda line: line.claim.role.cost_code if line.claim.role else "", data_key="Cost code"
    )
    category = fields.String(attribute="category.name", data_key="Category")
    ledger_code = fields.String(attribute="category.ledger_code", data_key="Ledger code")
    spent_on = fields.Date(data_key="Date spent")
    description = fields.String(data_key="Description")
    claimed = fields.Function(lambda line: pounds_text(line.amount_pence), data_key="Claimed GBP")
    approved = fields.Function(
        lambda line: pounds_text(line.approved_pence or 0), data_key="Approved GBP"
    )
    approved_on = fields.Function(
        lambda line: _london_date(line.claim.decided_at), data_key="Approved on"
    )
    expected_payment_date = fields.Date(
        attribute="claim.expected_payment_date", data_key="Expected payment date"
    )

    def headers(self) -> list[str]:
        return [f.data_key or name for name, f in self.dump_fields.items()]
