"""The approval queue stays fast with 100,000 claims: the same SQL queries at 100 and at 100,000
(counted as the database sees them), and still the oldest first."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import JSON, Date, case, event, insert, literal, select

from lep.expenses.models import Claim, ClaimLine, ExpenseCategory
from lep.extensions import db

BATCH = 10_000
FIRST_ID = 5_000_000  # clear of any claim the migrations or other rows could have


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """Every statement sent to the database (the test session's connection comes from this
    engine, and so does every request's session)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def insert_claims(claimant_id: int, category_id: int, first: int, n: int, oldest: dt.datetime):
    """n submitted claims of one line each, ids from `first`, one minute apart from `oldest`
    (Core executemany, in the test's transaction)."""
    for start in range(0, n, BATCH):
        ids = range(first + start, first + min(start + BATCH, n))
        db.session.execute(
            insert(Claim.__table__),
            [
                {
                    "id": i,
                    "reference": f"EXP-2026-{i:07d}",
                    "claimant_id": claimant_id,
                    "status": "submitted",
                    "submitted_at": oldest + dt.timedelta(minutes=i - first),
                    "updated_at": oldest + dt.timedelta(minutes=i - first),
                    "total_claimed_pence": 100 + i % 5000,
                    "query_text": "",
                    "cancel_reason": "",
                }
                for i in ids
            ],
        )
    # One line each, written by the database from the claims just added (one statement): the
    # odd ones flagged for having no receipt.
    odd = Claim.id % 2 == 1
    lines = select(
        Claim.id,
        Claim.id,
        literal(dt.date(2026, 1, 1), Date),
        literal(category_id),
        literal("Parking"),
        Claim.total_claimed_pence,
        literal(""),
        case((odd, literal("No ticket")), else_=literal("")),
        literal(""),
        case((odd, literal(["no_receipt"], JSON)), else_=literal([], JSON)),
    ).where(Claim.id >= first, Claim.id < first + n)
    db.session.execute(
        insert(ClaimLine.__table__).from_select(
            [
                "id",
                "claim_id",
                "spent_on",
                "category_id",
                "description",
                "amount_pence",
                "mileage_working",
                "no_receipt_reason",
                "reason",
                "flags",
            ],
            lines,
        )
    )
    db.session.commit()


def references(html: str) -> list[str]:
    return re.findall(r'href="/finance/claims/\d+">(EXP-\d{4}-\d{7})</a>', html)


def test_the_queue_costs_the_same_queries_at_100_and_100000_claims(client, login, make_user):
    finance = make_user("finance")
    partner = make_user("partner", full_name="Sam Partner")
    parking = db.session.scalar(select(ExpenseCategory.id).where(ExpenseCategory.code == "parking"))
    login(finance)

    march = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    insert_claims(partner.id, parking, FIRST_ID, 100, march)
    client.get("/finance/claims")  # warm up (caches), then count
    with counting_queries() as at_100:
        small = client.get("/finance/claims")
    assert small.status_code == 200
    page = small.get_data(as_text=True)
    assert "100 claims" in page
    assert references(page) == [f"EXP-2026-{FIRST_ID + i:07d}" for i in range(50)]

    # 99,900 more, all sent before the first 100: they come first now.
    started = time.monotonic()
    january = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
    insert_claims(partner.id, parking, FIRST_ID + 100, 99_900, january)
    inserted = time.monotonic() - started
    with counting_queries() as at_100000:
        started = time.monotonic()
        large = client.get("/finance/claims?flag=any")
        first_page = time.monotonic() - started
    assert large.status_code == 200
    page = large.get_data(as_text=True)
    assert "50,000 claims (waiting for approval)" in page
    oldest_flagged = [f"EXP-2026-{FIRST_ID + 100 + i:07d}" for i in range(1, 100, 2)]
    assert references(page) == oldest_flagged
    with counting_queries() as unfiltered:
        page = client.get("/finance/claims").get_data(as_text=True)
    assert "100,000 claims" in page
    assert references(page) == [f"EXP-2026-{FIRST_ID + 100 + i:07d}" for i in range(50)]

    # The same statements, not one per claim: the approver, the roles to filter by, a count, the
    # page (claimants and roles joined), its lines, approvals and claimants' roles.
    assert len(at_100000) == len(unfiltered) == len(at_100), (at_100, at_100000)
    assert len(at_100) <= 12, at_100
    assert first_page < 10, f"the first page took {first_page:.1f}s ({inserted:.1f}s to insert)"
