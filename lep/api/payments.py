"""Payment runs and payments in the API: finance reads them all (token), a payee reads their own.

Read only. Each page is read in a fixed number of queries, however many runs, payments or items
there are (eager loading, and one grouped count of payments for a page of runs). Never bank
details, a payment's idempotency key or anything a provider sent us: the schemas have no field
for them.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from lep.access import api_session_reads, require_role, signed_in
from lep.api.views import SQLCursorPage, api_http_error, challenge
from lep.extensions import db
from lep.payments.models import Payment, PaymentItem, PaymentRun
from lep.payments.schemas import (
    MyPaymentQuerySchema,
    MyPaymentSchema,
    PaymentQuerySchema,
    PaymentRunSchema,
    PaymentSchema,
    RunQuerySchema,
)

blp = Blueprint("api_payments", __name__, url_prefix="/api/v1", description="Payments")
# Errors as the rest of the API gives them (JSON, with webargs' field-by-field reasons on a 422).
blp.register_error_handler(HTTPException, api_http_error)
blp.after_request(challenge)


class RunsPage(SQLCursorPage):
    """A page of runs, each told how many payments it makes (one grouped query for the page)."""

    @property
    def items(self) -> list[Any]:
        runs: list[PaymentRun] = super().items
        counts: dict[int, int] = {}
        if runs:
            rows = db.session.execute(
                select(Payment.run_id, func.count(Payment.id))
                .where(Payment.run_id.in_([run.id for run in runs]))
                .group_by(Payment.run_id)
            )
            counts = {run_id: int(count) for run_id, count in rows}
        for run in runs:
            # A plain attribute for PaymentRunSchema: not a column.
            setattr(run, "payment_count", counts.get(run.id, 0))  # noqa: B010
        return runs


def _with_items(stmt: Any) -> Any:
    return stmt.options(selectinload(Payment.items).selectinload(PaymentItem.claim))


@blp.route("/payment-runs")
@require_role("finance")
class PaymentRuns(MethodView):
    @blp.arguments(RunQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, PaymentRunSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.paginate(RunsPage)
    def get(self, status: list[str]):  # type: ignore[no-untyped-def]
        """Payment runs, newest first (finance only).

        Filter by status (repeat it for several). Page with page and page_size; the X-Pagination
        header says how many runs and pages there are. Amounts are in pence. A run's payments are
        at /payments?run_id={id}.
        """
        stmt = select(PaymentRun)
        if status:
            stmt = stmt.where(PaymentRun.status.in_(status))
        return stmt.order_by(PaymentRun.created_at.desc(), PaymentRun.id.desc())


@blp.route("/payments")
@require_role("finance")
class Payments(MethodView):
    @blp.arguments(PaymentQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, PaymentSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.paginate(SQLCursorPage)
    def get(self, status: list[str], run_id: int | None):  # type: ignore[no-untyped-def]
        """Payments, newest run first (finance only), with what each paid for.

        Filter by status (repeat it for several) and by run (run_id). Page with page and
        page_size; the X-Pagination header says how many payments and pages there are. Amounts
        are in pence. Never bank details.
        """
        stmt = _with_items(select(Payment)).options(
            selectinload(Payment.run), selectinload(Payment.user)
        )
        if status:
            stmt = stmt.where(Payment.status.in_(status))
        if run_id is not None:
            stmt = stmt.where(Payment.run_id == run_id)
        return stmt.order_by(Payment.run_id.desc(), Payment.id)


@blp.route("/me/payments")
@signed_in
@api_session_reads
class MyPayments(MethodView):
    @blp.arguments(MyPaymentQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, MyPaymentSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.paginate(SQLCursorPage)
    def get(self, status: list[str]):  # type: ignore[no-untyped-def]
        """Your own payments, newest first, with what each paid for.

        For the person signed in: a signed-in browser session can read this as well as a personal
        token. Nobody else's payments are ever listed, nor payments in a run that was cancelled
        before it was sent. Amounts are in pence. Page with page and page_size; the X-Pagination
        header says how many payments and pages there are.
        """
        stmt = _with_items(
            select(Payment)
            .join(Payment.run)
            .where(Payment.user_id == current_user.id, PaymentRun.status != "cancelled")
        )
        if status:
            stmt = stmt.where(Payment.status.in_(status))
        return stmt.order_by(Payment.created_at.desc(), Payment.id.desc())
