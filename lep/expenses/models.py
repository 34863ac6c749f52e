"""Expense claims: categories, effective-dated policy with caps, claims, lines, receipts, approvals.

Money is integer pence; distances are whole tenths of a mile (no floats anywhere).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lep.accounts.models import User
from lep.db import TimestampMixin, UTCDateTime, one_of, utcnow
from lep.expenses.mileage import VEHICLES
from lep.extensions import db
from lep.roles.models import Role

# Statuses a claimant sees, in plain words.
CLAIM_STATUSES = {
    "draft": "Not sent yet",
    "submitted": "Sent: waiting for approval",
    "queried": "We have a question for you",
    "approved": "Approved",
    "partly_approved": "Partly approved",
    "rejected": "Not approved",
    "scheduled": "Scheduled for payment",
    "paid": "Paid",
    "cancelled": "Cancelled",
}
APPROVAL_DECISIONS = {"approve": "Approved", "reject": "Rejected", "query": "Queried"}


class ExpenseCategory(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "expense_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    needs_receipt: Mapped[bool] = mapped_column(default=True)
    needs_reason: Mapped[bool] = mapped_column(default=False)  # taxi: why not public transport
    ledger_code: Mapped[str] = mapped_column(String(40), default="")  # the finance system's account
    active: Mapped[bool] = mapped_column(default=True)


class ExpensePolicy(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """The policy in force on a date is the one with the latest effective_from on or before it."""

    __tablename__ = "expense_policy"
    __table_args__ = (
        CheckConstraint("claim_window_days > 0", name="claim_window"),
        CheckConstraint("second_approval_over_pence >= 0", name="threshold"),
        CheckConstraint("payment_working_days >= 0", name="working_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[dt.date] = mapped_column(Date, unique=True)
    claim_window_days: Mapped[int] = mapped_column(default=90)
    second_approval_over_pence: Mapped[int] = mapped_column(default=25_000)
    payment_working_days: Mapped[int] = mapped_column(default=10)

    caps: Mapped[list[PolicyCap]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", lazy="selectin"
    )

    def cap_for(self, category_id: int) -> PolicyCap | None:
        return next((c for c in self.caps if c.category_id == category_id), None)


class PolicyCap(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "policy_cap"
    __table_args__ = (
        UniqueConstraint("policy_id", "category_id", name="one_cap_per_category"),
        CheckConstraint("per_line_pence IS NULL OR per_line_pence > 0", name="per_line"),
        CheckConstraint("per_day_pence IS NULL OR per_day_pence > 0", name="per_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("expense_policy.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("expense_category.id"))
    per_line_pence: Mapped[int | None] = mapped_column()
    per_day_pence: Mapped[int | None] = mapped_column()
    needs_receipt: Mapped[bool] = mapped_column(default=True)

    policy: Mapped[ExpensePolicy] = relationship(back_populates="caps")
    category: Mapped[ExpenseCategory] = relationship()


class Claim(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "claim"
    __table_args__ = (
        CheckConstraint(one_of("status", CLAIM_STATUSES), name="status"),
        CheckConstraint("total_claimed_pence >= 0", name="claimed"),
        CheckConstraint(
            "total_approved_pence IS NULL OR total_approved_pence >= 0", name="approved"
        ),
        Index("ix_claim_status_submitted_at", "status", "submitted_at"),
        Index("ix_claim_role_status", "role_id", "status"),
        # The approval queue's count of sent claims by status: an index-only scan of small,
        # deduplicated entries (queue._statements).
        Index(
            "ix_claim_sent_status",
            "status",
            postgresql_where=text("submitted_at IS NOT NULL"),
            sqlite_where=text("submitted_at IS NOT NULL"),
        ),
        # The queue for any status, oldest sent first, without sorting every sent claim.
        Index("ix_claim_submitted_at_id", "submitted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    claimant_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role_id: Mapped[int | None] = mapped_column(ForeignKey("role.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    query_text: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    expected_payment_date: Mapped[dt.date | None] = mapped_column(Date)
    total_claimed_pence: Mapped[int] = mapped_column(default=0)
    total_approved_pence: Mapped[int | None] = mapped_column()

    claimant: Mapped[User] = relationship()
    role: Mapped[Role | None] = relationship()
    lines: Mapped[list[ClaimLine]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="ClaimLine.id"
    )
    approvals: Mapped[list[ClaimApproval]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="ClaimApproval.id"
    )

    @property
    def status_text(self) -> str:
        return CLAIM_STATUSES[self.status]


class ClaimLine(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "claim_line"
    __table_args__ = (
        CheckConstraint("amount_pence > 0", name="amount"),
        CheckConstraint(
            "approved_pence IS NULL OR (approved_pence >= 0 AND approved_pence <= amount_pence)",
            name="approved",
        ),
        CheckConstraint("vehicle IS NULL OR " + one_of("vehicle", VEHICLES), name="vehicle"),
        CheckConstraint("miles_tenths IS NULL OR miles_tenths > 0", name="miles"),
        CheckConstraint("passengers IS NULL OR passengers >= 0", name="passengers"),
        Index("ix_claim_line_spent_on", "spent_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"), index=True)
    spent_on: Mapped[dt.date] = mapped_column(Date)
    category_id: Mapped[int] = mapped_column(ForeignKey("expense_category.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    amount_pence: Mapped[int] = mapped_column()  # computed for mileage, never typed
    vehicle: Mapped[str | None] = mapped_column(String(20))
    miles_tenths: Mapped[int | None] = mapped_column()  # 125 = 12.5 miles
    passengers: Mapped[int | None] = mapped_column()
    mileage_working: Mapped[str] = mapped_column(Text, default="")
    no_receipt_reason: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # why a taxi, for example
    approved_pence: Mapped[int | None] = mapped_column()
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)

    claim: Mapped[Claim] = relationship(back_populates="lines")
    category: Mapped[ExpenseCategory] = relationship()
    receipts: Mapped[list[ClaimReceipt]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="ClaimReceipt.id"
    )


class ClaimReceipt(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A receipt kept in private storage under a random key."""

    __tablename__ = "claim_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(
        ForeignKey("claim_line.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column()

    line: Mapped[ClaimLine] = relationship(back_populates="receipts")


class ClaimApproval(db.Model):  # type: ignore[name-defined,misc]
    """One decision on a claim by one person: level 1, or level 2 above the policy threshold."""

    __tablename__ = "claim_approval"
    __table_args__ = (
        CheckConstraint("level IN (1, 2)", name="level"),
        CheckConstraint(one_of("decision", APPROVAL_DECISIONS), name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"), index=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    level: Mapped[int] = mapped_column()
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decision: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")

    claim: Mapped[Claim] = relationship(back_populates="approvals")
    approver: Mapped[User] = relationship()
