"""Expense claims in the API: finance reads every sent claim (token), a claimant reads their own.

A claim not sent yet is the claimant's alone: finance's list and lookup never show drafts. Each
page is read in a fixed number of queries, however many claims there are (eager loading).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from lep.access import api_session_reads, require_role, signed_in
from lep.api.views import SQLCursorPage, api_http_error, challenge
from lep.expenses.models import Claim, ClaimLine
from lep.expenses.schemas import (
    ClaimQuerySchema,
    FinanceClaimSchema,
    FinanceClaimSummarySchema,
    MyClaimSchema,
    name_approvers,
)
from lep.extensions import db
from lep.timeutil import london_date_bounds

blp = Blueprint("api_claims", __name__, url_prefix="/api/v1", description="Expense claims")
# Errors as the rest of the API gives them (JSON, with webargs' field-by-field reasons on a 422).
blp.register_error_handler(HTTPException, api_http_error)
blp.after_request(challenge)


def _sent_claims() -> Select[Any]:
    """Claims that have been sent (a draft, even one cancelled, is the claimant's alone)."""
    return select(Claim).where(Claim.submitted_at.is_not(None))


def _in_full(stmt: Select[Any]) -> Select[Any]:
    return stmt.options(
        selectinload(Claim.role),
        selectinload(Claim.lines).selectinload(ClaimLine.category),
        selectinload(Claim.lines).selectinload(ClaimLine.receipts),
        selectinload(Claim.approvals),
    )


@blp.route("/claims")
@require_role("finance")
class Claims(MethodView):
    @blp.arguments(ClaimQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, FinanceClaimSummarySchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.paginate(SQLCursorPage)
    def get(  # type: ignore[no-untyped-def]
        self, status: list[str], submitted_from: dt.date | None, submitted_to: dt.date | None
    ):
        """Sent expense claims, newest first (finance only).

        Filter by status (repeat it for several) and by the day they were sent, from and to,
        both UK dates and both included. Page with page and page_size; the X-Pagination header
        says how many claims and pages there are. Amounts are in pence. A claim's lines, receipts
        and decisions are at /claims/{claim_id}.
        """
        stmt = _sent_claims().options(
            selectinload(Claim.claimant),
            selectinload(Claim.role),
            selectinload(Claim.lines),
            selectinload(Claim.approvals),
        )
        if status:
            stmt = stmt.where(Claim.status.in_(status))
        if submitted_from is not None:
            stmt = stmt.where(Claim.submitted_at >= london_date_bounds(submitted_from)[0])
        if submitted_to is not None:
            stmt = stmt.where(Claim.submitted_at < london_date_bounds(submitted_to)[1])
        return stmt.order_by(Claim.submitted_at.desc(), Claim.id.desc())


@blp.route("/claims/<int:claim_id>")
@require_role("finance")
class ClaimById(MethodView):
    @blp.response(200, FinanceClaimSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, claim_id: int):  # type: ignore[no-untyped-def]
        """One sent claim in full (finance only): its lines with amounts in pence, mileage,
        policy flags and receipts (described, never the file), and every decision with who made
        it. A claim not sent yet is not found."""
        stmt = _in_full(_sent_claims().where(Claim.id == claim_id)).options(
            selectinload(Claim.claimant)
        )
        claim: Claim | None = db.session.scalars(stmt).first()
        if claim is None:
            abort(404, message="There is no sent claim with this ID")
        assert claim is not None
        name_approvers([claim])
        return claim


@blp.route("/me/claims")
@signed_in
@api_session_reads
class MyClaims(MethodView):
    @blp.response(200, MyClaimSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.paginate(SQLCursorPage)
    def get(self):  # type: ignore[no-untyped-def]
        """Your own expense claims, newest first: drafts, sent, decided, paid and cancelled.

        For the person signed in: a signed-in browser session can read this as well as a personal
        token. Nobody else's claims are ever listed. Amounts are in pence. Page with page and
        page_size; the X-Pagination header says how many claims and pages there are.
        """
        stmt = _in_full(select(Claim).where(Claim.claimant_id == current_user.id))
        return stmt.order_by(Claim.created_at.desc(), Claim.id.desc())
