"""The bank-file provider (the default): finance pays from its own bank with a Bacs bulk file.

"Sending" a payment records a BacsInstruction (one per key); the payment file is built from those
and handed to the bank by the finance team, who then mark the run paid. Payees are the users
themselves, payable once they have bank details that have not changed too recently. Everything
happens in the caller's transaction: this module flushes and never commits.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import current_app, has_app_context
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from lep.db import utcnow
from lep.extensions import db
from lep.partners.models import BankDetails
from lep.payments.models import BacsInstruction
from lep.payments.providers.base import (
    SENT,
    PayeeDetails,
    PayeeRegistration,
    PayeeStatus,
    PaymentProvider,
    PaymentRequest,
    PaymentResult,
    ProviderError,
    ProviderEvent,
    WebhookError,
)
from lep.timeutil import format_datetime

NO_BANK_DETAILS = "No bank details yet"
CHUNK = 1_000  # ids in one IN (...) list
DEFAULT_HOLD_DAYS = 3
# What a Bacs reference may hold (the payee sees it on their statement): 18 characters at most.
BACS_REFERENCE = re.compile(r"[A-Za-z0-9 .&/-]{1,18}")


class BacsProvider(PaymentProvider):
    name = "bacs"
    settled_by_finance = True

    def __init__(self, hold_days: int | None = None) -> None:
        # None: PAYMENT_HOLD_DAYS from the app's config, read when asked.
        self._hold_days = hold_days

    @property
    def hold_days(self) -> int:
        if self._hold_days is not None:
            return self._hold_days
        if has_app_context():
            return int(current_app.config.get("PAYMENT_HOLD_DAYS", DEFAULT_HOLD_DAYS))
        return DEFAULT_HOLD_DAYS

    def register_payee(
        self, payee: PayeeDetails, return_url: str, existing_reference: str = ""
    ) -> PayeeRegistration:
        # Bank details are entered on our own page (partners), so there is nowhere else to go.
        return PayeeRegistration(reference=str(payee.user_id), onboarding_url=None)

    def payee_status(self, reference: str) -> PayeeStatus:
        return self.payee_statuses([reference])[reference]

    def payee_statuses(self, references: list[str]) -> dict[str, PayeeStatus]:
        """Every reference's status from one query per thousand (the changed_at column only)."""
        ids = {ref: _user_id(ref) for ref in references}
        wanted = sorted({i for i in ids.values() if i is not None})
        changed: dict[int, dt.datetime] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            rows = db.session.execute(
                select(BankDetails.user_id, BankDetails.changed_at).where(
                    BankDetails.user_id.in_(chunk)
                )
            )
            changed.update((user_id, changed_at) for user_id, changed_at in rows)
        return {ref: self._status(ids[ref], changed) for ref in references}

    def _status(self, user_id: int | None, changed: dict[int, dt.datetime]) -> PayeeStatus:
        if user_id is None:
            return PayeeStatus(False, "Not a payee of the bank file")
        changed_at = changed.get(user_id)
        if changed_at is None:
            return PayeeStatus(False, NO_BANK_DETAILS)
        hold = dt.timedelta(days=self.hold_days)
        if hold and changed_at > utcnow() - hold:
            # A change that was not the partner's own (a takeover of their account) must not
            # send their money elsewhere before they have seen the confirmation email.
            return PayeeStatus(
                False,
                f"Bank details changed on {format_datetime(changed_at)}: held until "
                f"{format_datetime(changed_at + hold)}",
            )
        return PayeeStatus(True)

    def send_payment(self, request: PaymentRequest) -> PaymentResult:
        existing = self._instruction(request.key)
        if existing is not None:
            return _same_payment(existing, request)
        self._check(request, self.payee_status(request.payee_reference))
        instruction = BacsInstruction(
            key=request.key,
            group=request.group,
            payee_reference=request.payee_reference,
            amount_pence=request.amount_pence,
            reference=request.reference,
            state=SENT,
        )
        try:
            # A savepoint: if another worker recorded this key first, the caller's transaction
            # survives the duplicate and we answer with what the other worker recorded.
            with db.session.begin_nested():
                db.session.add(instruction)
        except IntegrityError:
            existing = self._instruction(request.key)
            if existing is None:
                raise
            return _same_payment(existing, request)
        return _result(instruction)

    @staticmethod
    def _check(request: PaymentRequest, status: PayeeStatus) -> None:
        if request.currency.upper() != "GBP":
            raise ProviderError("The bank file pays in pounds (GBP) only", code="currency")
        if not BACS_REFERENCE.fullmatch(request.reference):
            raise ProviderError(
                "A Bacs reference is 1 to 18 letters, digits, spaces or . & / -",
                code="reference",
            )
        if not status.can_be_paid:
            raise ProviderError(status.reason, code="payee_not_ready")

    def find_payment(self, key: str, group: str = "") -> PaymentResult | None:
        instruction = self._instruction(key)
        return None if instruction is None else _result(instruction)

    def send_many(self, requests: list[PaymentRequest]) -> dict[str, PaymentResult | ProviderError]:
        """The same rules as send_payment for each request, in a few queries for the lot: the
        keys already recorded, the payees' statuses, then one insert of the new instructions."""
        results: dict[str, PaymentResult | ProviderError] = {}
        keys = [r.key for r in requests]
        existing: dict[str, BacsInstruction] = {}
        for start in range(0, len(keys), CHUNK):
            for row in db.session.scalars(
                select(BacsInstruction).where(BacsInstruction.key.in_(keys[start : start + CHUNK]))
            ):
                existing[row.key] = row
        statuses = self.payee_statuses(
            sorted({r.payee_reference for r in requests if r.key not in existing})
        )
        new: dict[str, dict[str, object]] = {}
        for request in requests:
            try:
                if request.key in existing:
                    results[request.key] = _same_payment(existing[request.key], request)
                    continue
                if request.key in new:  # the same key twice in one call pays once
                    first = new[request.key]
                    if (first["amount_pence"], first["payee_reference"]) != (
                        request.amount_pence,
                        request.payee_reference,
                    ):
                        raise ProviderError(
                            f"Payment key {request.key} was already used for a different "
                            "amount or payee",
                            code="key_reused",
                        )
                    continue
                self._check(request, statuses[request.payee_reference])
            except ProviderError as exc:
                results[request.key] = exc
                continue
            new[request.key] = {
                "key": request.key,
                "group": request.group,
                "payee_reference": request.payee_reference,
                "amount_pence": request.amount_pence,
                "reference": request.reference,
                "state": SENT,
            }
        if new:
            # Rows, not ORM objects: the driver's executemany needs no ids back (thousands of
            # objects each returning its id cost seconds); the ids are read after, by key.
            try:
                with db.session.begin_nested():
                    db.session.execute(insert(BacsInstruction), list(new.values()))
            except IntegrityError:
                # Another worker recorded some of these keys first: one by one, which answers
                # each with what was recorded.
                return super().send_many(requests)
            keys = list(new)
            for start in range(0, len(keys), CHUNK):
                for found in db.session.execute(
                    select(BacsInstruction.key, BacsInstruction.id).where(
                        BacsInstruction.key.in_(keys[start : start + CHUNK])
                    )
                ):
                    results[found.key] = PaymentResult(
                        key=found.key, state=SENT, provider_reference=str(found.id)
                    )
        return results

    def parse_webhook(self, body: bytes, headers: dict[str, str]) -> list[ProviderEvent]:
        raise WebhookError("The bank file has no webhooks", code="no_webhooks")

    @staticmethod
    def _instruction(key: str) -> BacsInstruction | None:
        return db.session.scalar(select(BacsInstruction).where(BacsInstruction.key == key))


def _user_id(reference: str) -> int | None:
    return int(reference) if reference.isascii() and reference.isdigit() else None


def _result(instruction: BacsInstruction) -> PaymentResult:
    return PaymentResult(
        key=instruction.key, state=instruction.state, provider_reference=str(instruction.id)
    )


def _same_payment(existing: BacsInstruction, request: PaymentRequest) -> PaymentResult:
    """The result already recorded for this key, if the request is the same payment."""
    if (
        existing.amount_pence != request.amount_pence
        or existing.payee_reference != request.payee_reference
    ):
        raise ProviderError(
            f"Payment key {request.key} was already used for a different amount or payee",
            code="key_reused",
        )
    return _result(existing)
