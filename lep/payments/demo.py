"""Demo payment runs: one already paid, one waiting for a second finance approval.

Each run pays demo partners of its own, with bank details given a month ago, so the other demo
partners' approved claims and fees stay approved (they have no bank details, so a new run holds
them back with that reason). Idempotent: nothing is added once the demo runs exist.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from lep.accounts.models import User
from lep.db import utcnow
from lep.demo import demo_user
from lep.expenses import services as expenses
from lep.expenses.models import Claim, ExpenseCategory
from lep.extensions import db
from lep.partners import bank
from lep.partners.models import BankDetails
from lep.payments import runs
from lep.payments.models import PaymentRun
from lep.service import commit

PAID_PARTNER = ("paid@example.org", "Pat Payee", "60-16-13", "31926819")
WAITING_PARTNER = ("waiting@example.org", "Robin Waiting", "20-00-00", "55779911")
DEMO_NOTE = "Demo run"


def _bank_details(user: User, sort_code: str, account_number: str) -> None:
    if db.session.scalar(select(BankDetails).where(BankDetails.user_id == user.id)):
        return
    account = bank.check_account(sort_code, account_number, user.full_name)
    db.session.add(
        BankDetails(
            user_id=user.id,
            ciphertext=bank.encrypt(account),
            masked=account.masked[:80],
            changed_at=utcnow() - dt.timedelta(days=30),
        )
    )


def _approved_claim(user: User, finance: User, lines: list[tuple[str, str, int]]) -> Claim:
    claim = expenses.start_claim(user)
    today = expenses.london_today()
    for days_ago, (code, description, pence) in enumerate(lines, start=3):
        category = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.code == code))
        assert category is not None
        expenses.add_line(
            claim,
            category=category,
            spent_on=today - dt.timedelta(days=days_ago),
            description=description,
            amount_pence=pence,
            no_receipt_reason="Demo data: no receipt",
        )
    expenses.submit_claim(claim)
    return expenses.approve_claim(
        claim, finance, {line.id: line.amount_pence for line in claim.lines}
    )


def seed_demo_payments() -> list[tuple[str, list[str]]]:
    accounts = [(PAID_PARTNER[0], ["partner"]), (WAITING_PARTNER[0], ["partner"])]
    if db.session.scalar(select(PaymentRun.id).limit(1)) is not None:
        return accounts
    finance = demo_user("finance@example.org", "Fran Finance", {"finance"})
    finance2 = demo_user("finance2@example.org", "Femi Finance", {"finance"})
    paid = demo_user(PAID_PARTNER[0], PAID_PARTNER[1], {"partner"})
    waiting = demo_user(WAITING_PARTNER[0], WAITING_PARTNER[1], {"partner"})
    _bank_details(paid, PAID_PARTNER[2], PAID_PARTNER[3])
    commit()

    # A run already paid: built, sent (the bank file), and marked paid by finance.
    _approved_claim(
        paid,
        finance,
        [("public_transport", "Train to the panel meeting", 2_340), ("parking", "Parking", 450)],
    )
    first = runs.build_run(finance)
    runs.start_sending(first, finance)
    runs.send_run(first.id)  # with a queue, the worker may not have run yet
    db.session.refresh(first)
    runs.mark_run_paid(first, finance2)

    # A run waiting for a second finance approval (this one's total is over the demo's £50).
    _bank_details(waiting, WAITING_PARTNER[2], WAITING_PARTNER[3])
    commit()
    _approved_claim(
        waiting,
        finance,
        [("overnight_stay", "Hotel the night before the workshop", 8_900)],
    )
    runs.build_run(finance, approval_over_pence=5_000)
    return accounts
