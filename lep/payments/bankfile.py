"""The bulk payment file for a bank-file (bacs) run that has been sent: what finance uploads to
the organisation's bank.

A CSV with a header and one row per sent payment: sort code (6 digits), account number (8 digits),
account name (upper case, in Bacs's characters, at most 18), amount in pounds with two decimals
written from whole pence, and the payment's reference. Before it is handed over, the file's total
(read back from the rows) must equal the run's total of sent payments to the penny, and each row
must match the provider's own instruction for that payment: otherwise it is refused. Bank details
are decrypted here and nowhere else; every download is audited (never with account numbers).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from lep import audit
from lep.accounts.models import User
from lep.expenses.schemas import safe_cell
from lep.extensions import db
from lep.partners import bank
from lep.partners.models import BankDetails
from lep.payments.models import BacsInstruction, Payment, PaymentRun
from lep.payments.providers.bacs import CHUNK, BacsProvider
from lep.service import DomainError, commit

HEADER = ("Sort code", "Account number", "Account name", "Amount", "Reference")
NAME_LENGTH = 18  # what Bacs carries of the payee's name
SENT_STATUSES = ("sent", "paid")  # paid payments were sent in this file too
NOT_BACS_NAME = re.compile(r"[^A-Z0-9 .&/-]")


def bacs_name(name: str) -> str:
    """'Siân O'Brien-Smith' -> 'SIAN OBRIEN-SMITH': upper case, accents dropped, only the
    characters Bacs accepts, no leading punctuation (nothing a spreadsheet could run), at most 18
    characters with no space left dangling at the end."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).upper()
    plain = NOT_BACS_NAME.sub("", plain)
    plain = " ".join(plain.split())
    plain = re.sub(r"^[^A-Z0-9]+", "", plain)
    return plain[:NAME_LENGTH].rstrip()


def pounds_text(pence: int) -> str:
    """1234 -> '12.34': two decimals from whole pence, never through a float."""
    if isinstance(pence, bool) or not isinstance(pence, int) or pence <= 0:
        raise ValueError("a payment in the bank file must be a positive number of whole pence")
    pounds, rest = divmod(pence, 100)
    return f"{pounds}.{rest:02d}"


def _pence_from_text(text: str) -> int:
    value = Decimal(text) * 100
    if value != value.to_integral_value():
        raise ValueError(text)
    return int(value)


@dataclass(frozen=True)
class BankFile:
    filename: str
    body: str
    rows: int
    total_pence: int


def _refuse(message: str) -> DomainError:
    return DomainError({"bank_file": message})


def sent_total(run: PaymentRun) -> int:
    """The run's total of sent payments, asked of the database on its own."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_pence), 0)).where(
            Payment.run_id == run.id, Payment.status.in_(SENT_STATUSES)
        )
    )
    return int(total or 0)


def available(run: PaymentRun) -> bool:
    """Whether the run has a bank file at all (a bacs run that has been sent)."""
    return run.provider == "bacs" and run.status in SENT_STATUSES


def build(run: PaymentRun) -> BankFile:
    """The file's rows and checks. Raises DomainError (key `bank_file`) and writes nothing."""
    if run.provider != "bacs":
        raise _refuse("This run was paid through the payment provider: it has no bank file")
    if run.status not in SENT_STATUSES:
        raise _refuse(
            f"The bank file is ready once the run has been sent: it is {run.status_text.lower()}"
        )
    # Plain rows, not ORM objects: a run of 10,000 payees is read in a few quick queries.
    payments = db.session.execute(
        select(
            Payment.key,
            Payment.user_id,
            Payment.amount_pence,
            Payment.reference,
            User.full_name,
        )
        .join(User, User.id == Payment.user_id)
        .where(Payment.run_id == run.id, Payment.status.in_(SENT_STATUSES))
        .order_by(Payment.id)
    ).all()
    if not payments:
        raise _refuse("No payment in this run was sent, so there is nothing to pay")
    keys = [p.key for p in payments]
    user_ids = sorted({p.user_id for p in payments})
    instructions: dict[str, tuple[int, str]] = {}
    details: dict[int, str] = {}
    for start in range(0, len(keys), CHUNK):  # a bounded IN list, however large the run
        for key, sent_pence, payee in db.session.execute(
            select(
                BacsInstruction.key, BacsInstruction.amount_pence, BacsInstruction.payee_reference
            ).where(BacsInstruction.key.in_(keys[start : start + CHUNK]))
        ):
            instructions[key] = (sent_pence, payee)
    for start in range(0, len(user_ids), CHUNK):
        for user_id, sealed in db.session.execute(
            select(BankDetails.user_id, BankDetails.ciphertext).where(
                BankDetails.user_id.in_(user_ids[start : start + CHUNK])
            )
        ):
            details[user_id] = sealed
    statuses = BacsProvider().payee_statuses(sorted({str(p.user_id) for p in payments}))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    file_total = 0
    for payment in payments:
        who = payment.full_name
        instruction = instructions.get(payment.key)
        if instruction is None or instruction != (payment.amount_pence, str(payment.user_id)):
            raise _refuse(
                f"The payment {payment.reference} to {who} does not match what was sent: "
                "contact the system administrator before paying this file"
            )
        ciphertext = details.get(payment.user_id)
        if ciphertext is None:
            raise _refuse(f"{who} has no bank details now: the file cannot be made")
        status = statuses[str(payment.user_id)]
        if not status.can_be_paid:
            # Changed since the run was sent: a change that was not theirs must not be paid.
            raise _refuse(f"{who}: {status.reason}. The file can be made after that")
        try:
            stored = bank.decrypt(ciphertext)
            account = bank.check_account(stored.sort_code, stored.account_number, stored.name)
        except (DomainError, RuntimeError) as exc:
            raise _refuse(f"{who}'s bank details are not valid: the file cannot be made") from exc
        name = bacs_name(account.name)
        if not name:
            raise _refuse(f"{who}'s name on the account has no letters Bacs can carry")
        amount = pounds_text(payment.amount_pence)
        file_total += _pence_from_text(amount)
        writer.writerow(
            [
                account.sort_code,
                account.account_number,
                safe_cell(name),
                amount,
                safe_cell(payment.reference),
            ]
        )
    expected = sent_total(run)
    if file_total != expected or file_total != sum(p.amount_pence for p in payments):
        raise _refuse(
            "The file's total does not match the run's sent payments to the penny: "
            "it cannot be made"
        )
    return BankFile(
        filename=f"{run.reference or run.id}-bank-file.csv",
        body=out.getvalue(),
        rows=len(payments),
        total_pence=file_total,
    )


def download(run: PaymentRun, by: Any) -> BankFile:
    """The file, audited as taken by `by` (finance only)."""
    if not by.has_role("finance"):
        raise DomainError({"run": "Only the finance team can download the bank file"})
    made = build(run)
    audit.record(
        "payment_run.bank_file_downloaded",
        "payment_run",
        run.id,
        after={
            "reference": run.reference,
            "rows": made.rows,
            "total_pence": made.total_pence,
        },
        actor=by,
    )
    commit()
    return made
