"""The approval queue: one query for a page of claims, whatever the number of claims.

Finance see every sent claim (submitted by default); a budget holder who is not in finance sees
only the claims for their roles that wait for a first approval. A page is two queries (a count
and the rows, with claimant and role joined) plus two for its lines and approvals (eager), so the
number of queries does not grow with the number of claims.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, String, cast, exists, not_, or_, select
from sqlalchemy.orm import aliased, contains_eager, selectinload
from sqlalchemy.sql import Select

from lep.accounts.models import User
from lep.expenses import paydates, services
from lep.expenses.models import Claim, ClaimApproval, ClaimLine
from lep.extensions import db
from lep.roles.models import Role
from lep.timeutil import LONDON

PAGE_SIZE = 50
MAX_PAGE = 100_000

# The status filter: the plain words an approver reads.
STATUS_FILTERS = {
    "submitted": "Waiting for approval",
    "second": "Waiting for a second approval",
    "queried": "Queried: waiting for the claimant",
    "approved": "Approved",
    "partly_approved": "Partly approved",
    "rejected": "Not approved",
    "scheduled": "Scheduled for payment",
    "paid": "Paid",
    "cancelled": "Cancelled",
    "all": "Any status",
}
ANY_FLAG = "any"
NO_ROLE = "none"


@dataclass(frozen=True)
class QueueFilters:
    role: str = ""  # "", NO_ROLE or a role id
    claimant: str = ""  # name or email contains
    flag: str = ""  # "", ANY_FLAG or one of services.FLAG_TEXT
    amount_from_pence: int | None = None
    amount_to_pence: int | None = None
    status: str = "submitted"


@dataclass(frozen=True)
class QueueRow:
    claim: Claim
    flags: list[str]  # in words, each once
    awaiting_second: bool
    working_days_waiting: int | None  # for claims waiting for a decision


def first_approval_in() -> ColumnElement[bool]:
    """SQL: a level 1 approval is in for the claim as it now stands (no query since)."""
    approval = aliased(ClaimApproval)
    later_query = aliased(ClaimApproval)
    return exists().where(
        approval.claim_id == Claim.id,
        approval.level == 1,
        approval.decision == "approve",
        not_(
            exists().where(
                later_query.claim_id == Claim.id,
                later_query.decision == "query",
                later_query.id > approval.id,
            )
        ),
    )


def has_flag(flag: str) -> ColumnElement[bool]:
    """SQL: any line of the claim carries the flag (or any flag at all)."""
    # Flags are a JSON list of short codes: matched as text, the same on SQLite and PostgreSQL.
    text = cast(ClaimLine.flags, String)
    match = text.like('%"%') if flag == ANY_FLAG else text.like(f'%"{flag}"%')
    return exists().where(ClaimLine.claim_id == Claim.id, match)


def budget_roles(viewer: Any) -> Select[int]:
    return select(Role.id).where(Role.budget_holder_id == viewer.id)


def queue_statement(viewer: Any, filters: QueueFilters) -> Select[tuple[Claim]]:
    stmt = (
        select(Claim)
        .join(User, User.id == Claim.claimant_id)
        .outerjoin(Role, Role.id == Claim.role_id)
        .options(
            contains_eager(Claim.claimant),
            contains_eager(Claim.role),
            selectinload(Claim.lines),
            selectinload(Claim.approvals),
        )
        .where(Claim.submitted_at.is_not(None))
    )
    if viewer.has_role("finance"):
        if filters.status == "second":
            stmt = stmt.where(Claim.status == "submitted", first_approval_in())
        elif filters.status != "all":
            stmt = stmt.where(Claim.status == filters.status)
    else:
        # A budget holder gives first approvals for their roles, and sees nothing else here.
        stmt = stmt.where(
            Claim.role_id.in_(budget_roles(viewer)),
            Claim.status == "submitted",
            not_(first_approval_in()),
        )
    if filters.role == NO_ROLE:
        stmt = stmt.where(Claim.role_id.is_(None))
    elif filters.role:
        stmt = stmt.where(Claim.role_id == int(filters.role))
    if filters.claimant:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", filters.claimant) + "%"
        stmt = stmt.where(
            or_(
                User.full_name.ilike(pattern, escape="\\"),
                User.email.ilike(pattern, escape="\\"),
            )
        )
    if filters.flag:
        stmt = stmt.where(has_flag(filters.flag))
    if filters.amount_from_pence is not None:
        stmt = stmt.where(Claim.total_claimed_pence >= filters.amount_from_pence)
    if filters.amount_to_pence is not None:
        stmt = stmt.where(Claim.total_claimed_pence <= filters.amount_to_pence)
    return stmt.order_by(Claim.submitted_at, Claim.id)


def role_choices(viewer: Any) -> list[tuple[int, str]]:
    """The roles an approver can filter by: every role for finance, their own for a budget
    holder."""
    stmt = select(Role.id, Role.title).order_by(Role.title, Role.id)
    if not viewer.has_role("finance"):
        stmt = stmt.where(Role.budget_holder_id == viewer.id)
    return [(role_id, title) for role_id, title in db.session.execute(stmt)]


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when sent today)."""
    days = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if paydates.is_working_day(day):
            days += 1
    return days


def _row(claim: Claim, today: dt.date) -> QueueRow:
    codes: list[str] = []
    for line in claim.lines:
        codes.extend(code for code in (line.flags or []) if code not in codes)
    waiting = None
    if claim.status == "submitted" and claim.submitted_at is not None:
        waiting = working_days_between(claim.submitted_at.astimezone(LONDON).date(), today)
    return QueueRow(
        claim=claim,
        flags=[services.FLAG_TEXT.get(code, code) for code in codes],
        awaiting_second=services.awaiting_second(claim),
        working_days_waiting=waiting,
    )


def queue_page(
    viewer: Any, filters: QueueFilters, page: int = 1
) -> tuple[Pagination, list[QueueRow]]:
    """A page of the queue, oldest sent first, and its rows ready to show."""
    page = min(max(page, 1), MAX_PAGE)
    pagination = db.paginate(
        queue_statement(viewer, filters), page=page, per_page=PAGE_SIZE, error_out=False
    )
    today = services.london_today()
    return pagination, [_row(claim, today) for claim in pagination.items]


def may_see(viewer: Any, claim: Claim) -> bool:
    """Finance see any sent claim; a budget holder the sent claims for their roles."""
    if claim.status == "draft" or not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.has_role("finance"):
        return True
    return claim.role is not None and claim.role.budget_holder_id == viewer.id
