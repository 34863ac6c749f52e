"""Work waiting for a member of staff, counted for their dashboard: claims to approve, payment
runs waiting for a second approval, HR's tasks. Each count is one query, only for the roles that
do that work, and links to the page where it is done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import func, not_, select

from lep.extensions import db


@dataclass(frozen=True)
class Waiting:
    count: int
    words: str  # what is waiting, for this count (singular or plural already chosen)
    url: str


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def work_waiting(user: Any) -> list[Waiting]:
    """What is waiting for `user`, by the roles they hold (empty for anyone else)."""
    from lep.applications.hr_views import open_task_count
    from lep.expenses.models import Claim
    from lep.expenses.queue import first_approval_in
    from lep.payments.models import PaymentRun

    found: list[Waiting] = []
    if user.has_role("finance"):
        first, second = db.session.execute(
            select(
                func.count(Claim.id).filter(not_(first_approval_in())),
                func.count(Claim.id).filter(first_approval_in()),
            ).where(Claim.status == "submitted")
        ).one()
        found.append(
            Waiting(
                first,
                _plural(first, "claim to approve", "claims to approve"),
                url_for("expenses_finance.queue", status="submitted"),
            )
        )
        found.append(
            Waiting(
                second,
                _plural(
                    second,
                    "claim waiting for a second approval",
                    "claims waiting for a second approval",
                ),
                url_for("expenses_finance.queue", status="second"),
            )
        )
        runs = (
            db.session.scalar(
                select(func.count(PaymentRun.id)).where(PaymentRun.status == "awaiting_approval")
            )
            or 0
        )
        found.append(
            Waiting(
                runs,
                _plural(
                    runs,
                    "payment run waiting for a second approval",
                    "payment runs waiting for a second approval",
                ),
                url_for("payments.index"),
            )
        )
    if user.has_role("hr"):
        tasks = open_task_count()
        found.append(
            Waiting(
                tasks,
                _plural(tasks, "task to do", "tasks to do") + " (requests to apply another way)",
                url_for("hr_applications.tasks"),
            )
        )
    return found
