"""Payment runs and payments as they leave the system, one schema per audience.

- `PaymentRunSchema`: a run for finance through the API: its status, totals in pence, how many
  payments and how many payees were held back (never who, or why: the run page says that).
- `PaymentSchema`: a payment for finance: the run, the payee's name and id, the amount in pence,
  its status and the provider's reference, and what it paid for.
- `MyPaymentSchema`: a payee's own payment, as they see it: what it paid for and when.
- `ReconciliationRowSchema`: one run, payment or provider event as a row of the reconciliation
  CSV (pounds with two decimals written from pence, UK dates).

Never bank details, a payment's idempotency key, or a provider event's payload (it can hold what
the provider knows about a person): these schemas have no field for any of them.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from lep.expenses.schemas import pounds_text
from lep.payments.models import PAYMENT_STATUSES, RUN_STATUSES, PaymentItem, PaymentRun

# -- Nested parts ----------------------------------------------------------------------------------


def _kind(item: PaymentItem) -> str:
    return "claim" if item.claim_id is not None else "fee"


class PaymentItemSchema(Schema):
    """What a payment paid for: an expense claim or an involvement fee."""

    kind = fields.Function(_kind, dump_only=True, metadata={"description": "claim or fee"})
    claim_id = fields.Integer(dump_only=True, allow_none=True)
    claim_reference = fields.Function(
        lambda item: item.claim.reference if item.claim is not None else None,
        dump_only=True,
        allow_none=True,
        metadata={"description": "e.g. EXP-2026-000123, for a claim"},
    )
    involvement_id = fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "The involvement, for a fee"}
    )
    description = fields.String(dump_only=True)
    amount_pence = fields.Integer(dump_only=True)


class PaymentRunRefSchema(Schema):
    id = fields.Integer(dump_only=True)
    reference = fields.String(dump_only=True, allow_none=True, metadata={"description": "RUN-..."})


class PayeeSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(attribute="full_name", dump_only=True)


# -- Runs ------------------------------------------------------------------------------------------


def _held_pence(run: PaymentRun) -> int:
    return sum(int(h.get("amount_pence") or 0) for h in run.held or [])


class PaymentRunSchema(Schema):
    id = fields.Integer(dump_only=True)
    reference = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "e.g. RUN-2026-000012"}
    )
    provider = fields.String(dump_only=True, metadata={"description": "bacs or stripe"})
    status = fields.String(
        dump_only=True, metadata={"description": "One of: " + ", ".join(RUN_STATUSES)}
    )
    status_text = fields.String(dump_only=True)
    total_pence = fields.Integer(dump_only=True)
    payment_count = fields.Function(
        lambda run: getattr(run, "payment_count", 0),
        dump_only=True,
        metadata={"description": "How many payments it makes"},
    )
    held_count = fields.Function(
        lambda run: len(run.held or []),
        dump_only=True,
        metadata={"description": "Payees held back when it was built (paid in a later run)"},
    )
    held_pence = fields.Function(
        _held_pence, dump_only=True, metadata={"description": "What those payees were owed"}
    )
    created_at = fields.AwareDateTime(dump_only=True)
    approved_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    sent_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    paid_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class RunQuerySchema(Schema):
    status = fields.List(
        fields.String(validate=validate.OneOf(list(RUN_STATUSES))),
        load_default=list,
        metadata={"description": "Only runs in this status (repeat for several)"},
    )


# -- Payments --------------------------------------------------------------------------------------


class _PaymentBase(Schema):
    id = fields.Integer(dump_only=True)
    reference = fields.String(
        dump_only=True, metadata={"description": "On the payee's bank statement"}
    )
    amount_pence = fields.Integer(dump_only=True)
    status = fields.String(
        dump_only=True, metadata={"description": "One of: " + ", ".join(PAYMENT_STATUSES)}
    )
    status_text = fields.String(dump_only=True)
    failure_reason = fields.String(dump_only=True, metadata={"description": "Why it failed"})
    sent_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    paid_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    items = fields.List(fields.Nested(PaymentItemSchema), dump_only=True)


class PaymentSchema(_PaymentBase):
    """A payment, for finance."""

    run = fields.Nested(PaymentRunRefSchema, dump_only=True)
    payee = fields.Nested(PayeeSchema, attribute="user", dump_only=True)
    provider_reference = fields.String(
        dump_only=True, metadata={"description": "The provider's id for it (a transfer, say)"}
    )
    created_at = fields.AwareDateTime(dump_only=True)


class MyPaymentSchema(_PaymentBase):
    """A payment, for the person it pays."""


class PaymentQuerySchema(Schema):
    status = fields.List(
        fields.String(validate=validate.OneOf(list(PAYMENT_STATUSES))),
        load_default=list,
        metadata={"description": "Only payments in this status (repeat for several)"},
    )
    run_id = fields.Integer(
        load_default=None,
        strict=False,
        validate=validate.Range(min=1, max=2_147_483_647, error="Must be a run's ID"),
        metadata={"description": "Only payments in this run"},
    )


class MyPaymentQuerySchema(Schema):
    status = fields.List(
        fields.String(validate=validate.OneOf(list(PAYMENT_STATUSES))),
        load_default=list,
        metadata={"description": "Only payments in this status (repeat for several)"},
    )


# -- The reconciliation CSV ------------------------------------------------------------------------


def _pounds_or_blank(key: str) -> Any:
    def get(row: dict[str, Any]) -> str:
        pence = row.get(key)
        return "" if pence is None else pounds_text(pence)

    return get


class ReconciliationRowSchema(Schema):
    """One run, payment or provider event. data_key is the CSV header."""

    record = fields.String(data_key="Record")
    run = fields.String(data_key="Run")
    payment = fields.String(data_key="Payment reference")
    payee_id = fields.Integer(data_key="Payee ID", allow_none=True)
    payee = fields.String(data_key="Payee")
    status = fields.String(data_key="Status or event type")
    amount = fields.Function(_pounds_or_blank("amount_pence"), data_key="Amount GBP")
    compare = fields.Function(
        _pounds_or_blank("compare_pence"), data_key="Sum of payments or payment amount GBP"
    )
    built_on = fields.Date(data_key="Built", allow_none=True)
    sent_on = fields.Date(data_key="Sent", allow_none=True)
    paid_on = fields.Date(data_key="Paid", allow_none=True)
    received_on = fields.Date(data_key="Event received", allow_none=True)
    event_id = fields.String(data_key="Event ID")
    provider_reference = fields.String(data_key="Provider reference")
    outcome = fields.String(data_key="Outcome or failure reason")
    mismatches = fields.Function(
        lambda row: "; ".join(row.get("mismatches") or []), data_key="Mismatch"
    )

    def headers(self) -> list[str]:
        return [f.data_key or name for name, f in self.dump_fields.items()]
