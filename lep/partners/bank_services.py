"""A partner's bank details for the bank-file provider: saving a change, and what the pages show.

Changing bank details is how money is stolen from someone whose account was taken over, so a
change needs a sign-in in the last few minutes, starts a hold on payments (PAYMENT_HOLD_DAYS,
applied by the bank-file provider), is audited with masked details only, and is confirmed by
email to the partner. The same details again change nothing and restart no hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from lep import audit
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.services import queue_email
from lep.partners import bank
from lep.partners.models import BankDetails
from lep.service import DomainError, commit
from lep.timeutil import format_date, format_datetime, to_london
from lep.urls import external_url

FRESH_SIGN_IN = dt.timedelta(minutes=10)
SIGN_IN_AGAIN = "For your security, sign in again to change your bank details"
DEFAULT_HOLD_DAYS = 3


class SignInAgain(DomainError):
    """The person last signed in too long ago to change bank details."""

    def __init__(self) -> None:
        super().__init__({"signed_in": SIGN_IN_AGAIN})


def may_give_bank_details(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", True) and user.has_role("partner"))


def signed_in_recently(signed_in_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """True when the sign-in was within the last FRESH_SIGN_IN (and not in the future)."""
    if signed_in_at is None:
        return False
    now = now or utcnow()
    return now - FRESH_SIGN_IN <= signed_in_at <= now + dt.timedelta(seconds=5)


def _fits_column(masked: str) -> str:
    """The masked text as the bank_details.masked column can hold it (a long name is cut short,
    visibly): the last digits always survive, since they come first."""
    length = BankDetails.__table__.c.masked.type.length or len(masked)
    return masked if len(masked) <= length else masked[: length - 1].rstrip() + "…"


def hold_days() -> int:
    return int(current_app.config.get("PAYMENT_HOLD_DAYS", DEFAULT_HOLD_DAYS))


def details_for(user_id: int) -> BankDetails | None:
    return db.session.scalar(select(BankDetails).where(BankDetails.user_id == user_id))


@dataclass(frozen=True)
class BankSummary:
    """What the partner's page shows: masked details, when they changed, and any hold."""

    masked: str
    changed_at: dt.datetime
    held_until: dt.datetime | None  # None: payments are not held


def summary(user_id: int, now: dt.datetime | None = None) -> BankSummary | None:
    details = details_for(user_id)
    if details is None:
        return None
    now = now or utcnow()
    until = details.changed_at + dt.timedelta(days=hold_days())
    return BankSummary(details.masked, details.changed_at, until if until > now else None)


@dataclass(frozen=True)
class Saved:
    details: BankDetails
    changed: bool  # False: the same details again; nothing changed, no hold restarted


def save_bank_details(
    user: Any,
    sort_code: str,
    account_number: str,
    name: str,
    by: Any,
    recently_signed_in: bool,
) -> Saved:
    """Check, encrypt and keep a partner's bank details. Raises DomainError (errors by field:
    sort_code, account_number, name; or `user` when the person may not, `signed_in` (SignInAgain)
    when they must sign in again). A refused change changes nothing."""
    if not may_give_bank_details(user):
        raise DomainError({"user": "Only lived experience partners give bank details here"})
    if by is None or getattr(by, "id", None) != user.id:
        raise DomainError({"user": "Only you can change your bank details"})
    if not recently_signed_in:
        raise SignInAgain()
    account = bank.check_account(sort_code, account_number, name)
    details = details_for(user.id)
    if details is not None and bank.decrypt(details.ciphertext) == account:
        return Saved(details, changed=False)
    now = utcnow()
    before = None if details is None else {"masked": details.masked}
    if details is None:
        details = BankDetails(user_id=user.id)
        db.session.add(details)
    details.ciphertext = bank.encrypt(account)
    details.masked = _fits_column(account.masked)
    details.changed_at = now  # starts the hold: see lep.payments.providers.bacs
    db.session.flush()
    held_until = now + dt.timedelta(days=hold_days())
    audit.record(
        "bank_details.changed",
        "bank_details",
        details.id,
        before=before,
        after={"masked": account.masked, "user_id": user.id, "payments_held_until": held_until},
        actor=by,
    )
    # Claims approved while we could not pay them are promised a date from when we can.
    from lep.expenses.services import start_payment_promises

    start_payment_promises(user.id, to_london(max(held_until, now)).date(), actor=by)
    queue_email(
        user.email,
        "Your bank details were changed",
        "bank_details_changed",
        user=user,
        masked=account.masked,
        changed_on=format_datetime(now),
        changed_date=format_date(now),
        held_until=format_datetime(held_until) if held_until > now else "",
        first_time=before is None,
        bank_details_url=external_url("partners.bank_details"),
    )
    commit()
    return Saved(details, changed=True)
