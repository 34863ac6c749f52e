"""The approval queue: one query for a page of claims, whatever the number of claims.

Finance see every sent claim (submitted by default); a budget holder who is not in finance sees
only the claims for their roles that wait for a first approval. A page is two queries: a count
(of the claims table alone, an index-only scan, unless a filter needs the claimant), and the
page's rows with only the columns the page shows (claimant's name and role's title joined, its
lines' flags, whether a first approval is in), so the number of queries does not grow with the
number of claims.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    bindparam,
    cast,
    exists,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from lep.accounts.models import User
from lep.db import KnownPage
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
    """What the queue shows of one claim."""

    id: int
    reference: str | None
    claimant_name: str
    role_title: str | None  # None for a claim with no role (partner expenses)
    submitted_at: dt.datetime | None
    status: str
    total_claimed_pence: int
    flags: list[str]  # in words, each once
    awaiting_second: bool
    working_days_waiting: int | None  # for claims waiting for a decision


@cache
def first_approval_in() -> ColumnElement[bool]:
    """SQL: services.first_approval(claim) is not None (a level 1 approval with no query after
    it), as a condition or as a column of a claim's row. Correlated to the claim explicitly: as
    a column, and for the inner EXISTS, it would not correlate to the claim of its own accord
    (the inner one once counted a query on any claim). Built once."""
    approval = aliased(ClaimApproval)
    later_query = aliased(ClaimApproval)
    return (
        exists()
        .where(
            approval.claim_id == Claim.id,
            approval.level == 1,
            approval.decision == "approve",
            not_(
                exists()
                .where(
                    later_query.claim_id == Claim.id,
                    later_query.decision == "query",
                    later_query.id > approval.id,
                )
                .correlate(Claim, approval)
            ),
        )
        .correlate(Claim)
    )


def has_flag(flag: str) -> ColumnElement[bool]:
    """SQL: any line of the claim carries the flag (or any flag at all)."""
    # Flags are a JSON list of short codes: matched as text, the same on SQLite and PostgreSQL.
    text = cast(ClaimLine.flags, String)
    match = text.like('%"%') if flag == ANY_FLAG else text.like(f'%"{flag}"%')
    return exists().where(ClaimLine.claim_id == Claim.id, match)


@dataclass(frozen=True)
class _Shape:
    """Which conditions a queue's statements have: the statements are built once for each
    shape, with the filters' values as bound parameters."""

    finance: bool
    status: str
    role: str  # "", NO_ROLE or "id"
    claimant: bool
    flag: str
    amount_from: bool
    amount_to: bool


def _shape(viewer: Any, filters: QueueFilters) -> tuple[_Shape, dict[str, Any]]:
    shape = _Shape(
        finance=bool(viewer.has_role("finance")),
        status=filters.status,
        role=filters.role if filters.role in ("", NO_ROLE) else "id",
        claimant=bool(filters.claimant),
        flag=filters.flag,
        amount_from=filters.amount_from_pence is not None,
        amount_to=filters.amount_to_pence is not None,
    )
    params: dict[str, Any] = {"viewer": viewer.id}
    if shape.role == "id":
        params["role_id"] = int(filters.role)
    if filters.claimant:
        params["pattern"] = "%" + re.sub(r"([\\%_])", r"\\\1", filters.claimant) + "%"
    if filters.amount_from_pence is not None:
        params["amount_from"] = filters.amount_from_pence
    if filters.amount_to_pence is not None:
        params["amount_to"] = filters.amount_to_pence
    return shape, params


def _filtered(stmt: Any, shape: _Shape) -> Any:
    """The queue's conditions on a statement over Claim (joined to User when the claimant
    filter is used)."""
    stmt = stmt.where(Claim.submitted_at.is_not(None))
    if shape.finance:
        if shape.status == "second":
            stmt = stmt.where(Claim.status == "submitted", first_approval_in())
        elif shape.status != "all":
            stmt = stmt.where(Claim.status == shape.status)
    else:
        # A budget holder gives first approvals for their roles, and sees nothing else here.
        stmt = stmt.where(
            Claim.role_id.in_(
                select(Role.id).where(Role.budget_holder_id == bindparam("viewer", type_=Integer))
            ),
            Claim.status == "submitted",
            not_(first_approval_in()),
        )
    if shape.role == NO_ROLE:
        stmt = stmt.where(Claim.role_id.is_(None))
    elif shape.role:
        stmt = stmt.where(Claim.role_id == bindparam("role_id", type_=Integer))
    if shape.claimant:
        pattern = bindparam("pattern", type_=String)
        stmt = stmt.where(
            or_(
                User.full_name.ilike(pattern, escape="\\"),
                User.email.ilike(pattern, escape="\\"),
            )
        )
    if shape.flag:
        stmt = stmt.where(has_flag(shape.flag))
    if shape.amount_from:
        stmt = stmt.where(Claim.total_claimed_pence >= bindparam("amount_from", type_=Integer))
    if shape.amount_to:
        stmt = stmt.where(Claim.total_claimed_pence <= bindparam("amount_to", type_=Integer))
    return stmt


@lru_cache(maxsize=256)
def _statements(shape: _Shape) -> tuple[Any, Any]:
    """(count, page) for a shape of filters.

    The count reads the claims table alone (every claim has a claimant, and the role is an
    outer join), joined to the claimant only to filter by them: an index-only scan.

    The page is the page's claims, oldest sent first, with the columns the page shows
    (claimant's name and role's title joined, whether a first approval is in), each with
    its lines' flags in order (an outer join: a claim's row comes once for each of its lines),
    in one query."""
    count = select(func.count()).select_from(Claim)
    if shape.claimant:
        count = count.join(User, User.id == Claim.claimant_id)
    claims = (
        select(
            Claim.id,
            Claim.reference,
            User.full_name,
            Role.title,
            Claim.submitted_at,
            Claim.status,
            Claim.total_claimed_pence,
            first_approval_in().label("first_in"),
        )
        .join(User, User.id == Claim.claimant_id)
        .outerjoin(Role, Role.id == Claim.role_id)
    )
    found = (
        _filtered(claims, shape)
        .order_by(Claim.submitted_at, Claim.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery()
    )
    page = (
        select(found, ClaimLine.flags)
        .outerjoin(ClaimLine, ClaimLine.claim_id == found.c.id)
        .order_by(found.c.submitted_at, found.c.id, ClaimLine.id)
    )
    return _filtered(count, shape), page


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


def queue_page(
    viewer: Any, filters: QueueFilters, page: int = 1
) -> tuple[Pagination, list[QueueRow]]:
    """A page of the queue, oldest sent first, and its rows ready to show (two queries)."""
    page = min(max(page, 1), MAX_PAGE)
    shape, params = _shape(viewer, filters)
    count, page_of_claims = _statements(shape)
    total = db.session.scalar(count, params) or 0
    claims: dict[int, Any] = {}
    flags: dict[int, list[str]] = {}
    for row in db.session.execute(
        page_of_claims, {**params, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
    ):
        claims.setdefault(row.id, row)
        codes = flags.setdefault(row.id, [])
        codes.extend(code for code in (row.flags or []) if code not in codes)
    today = services.london_today()
    waited: dict[dt.date, int] = {}  # working days waiting, by the London day sent
    rows: list[QueueRow] = []
    for claim_id, row in claims.items():
        waiting = None
        if row.status == "submitted" and row.submitted_at is not None:
            sent = row.submitted_at.astimezone(LONDON).date()
            if sent not in waited:
                waited[sent] = working_days_between(sent, today)
            waiting = waited[sent]
        rows.append(
            QueueRow(
                id=claim_id,
                reference=row.reference,
                claimant_name=row.full_name,
                role_title=row.title,
                submitted_at=row.submitted_at,
                status=row.status,
                total_claimed_pence=row.total_claimed_pence,
                flags=[services.FLAG_TEXT.get(code, code) for code in flags[claim_id]],
                # services.awaiting_second, from the first approval read with the row.
                awaiting_second=row.status == "submitted" and bool(row.first_in),
                working_days_waiting=waiting,
            )
        )
    pagination = KnownPage(page=page, per_page=PAGE_SIZE, error_out=False, items=rows, total=total)
    return pagination, rows


def may_see(viewer: Any, claim: Claim) -> bool:
    """Finance see any sent claim; a budget holder the sent claims for their roles."""
    if claim.status == "draft" or not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.has_role("finance"):
        return True
    return claim.role is not None and claim.role.budget_holder_id == viewer.id
