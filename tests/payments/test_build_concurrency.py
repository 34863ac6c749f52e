"""Two finance users press "Build the payment run" at the same moment: each approved claim and
fee goes into one run, once.

Two real connections (two apps, each with its own engine) read the same approved claims and fees,
wait at a barrier, and both write a run. The guarded UPDATE that moves the claims and fees to
scheduled, whose row count is checked, lets one run through; the other is refused with nothing
written. Behind it, the database's one-live-payment index would refuse the second run's items.

PostgreSQL only (SQLite serialises writers with a whole-file lock; tests/payments/test_runs.py
checks the same guard there by building from a plan read before another run was built). The data
is committed on a database of its own (suffix "_buildrace"), emptied afterwards.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from lep.accounts.models import User
from lep.expenses.models import Claim
from lep.extensions import db
from lep.partners.models import Involvement
from lep.payments import runs
from lep.payments.models import Payment, PaymentItem, PaymentRun
from lep.payments.runs import CHANGED_WHILE_BUILDING
from lep.service import DomainError
from tests.partners.test_statements import fee
from tests.payments.test_send_concurrency import (
    approve_claim,
    new_user,
    partner_with_bank,
    two_apps_on,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (DATABASE_URL): two connections racing on the same rows",
)

CLAIMS = {"Sam Partner": 850, "Kit Partner": 12_345, "Lee Partner": 1}
FEES = {"Sam Partner": 6_000, "Ola Partner": 3_333}


@pytest.fixture(autouse=True)
def db_session() -> Iterator[None]:
    """Replaces tests/conftest.py's rolled-back transaction: two connections must see the data."""
    yield


@pytest.fixture
def two_apps() -> Iterator[tuple[Flask, Flask]]:
    with two_apps_on("_buildrace") as apps:
        yield apps


def test_two_builds_at_once_put_each_claim_and_fee_in_one_run(
    two_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_apps
    with first.app_context():
        fran = new_user("finance", "Fran Finance")
        femi = new_user("finance", "Femi Finance")
        partners = {name: partner_with_bank(name) for name in {*CLAIMS, *FEES}}
        for name, pence in CLAIMS.items():
            approve_claim(partners[name], fran, pence)
        for name, pence in FEES.items():
            fee(partners[name], pence, status="approved")
        builders = {"fran": fran.id, "femi": femi.id}
        owed = {partners[n].id: CLAIMS.get(n, 0) + FEES.get(n, 0) for n in partners}
        db.session.remove()

    barrier = threading.Barrier(2, timeout=30)
    preview = runs.preview

    def preview_then_wait(*args, **kwargs):  # type: ignore[no-untyped-def]
        plan = preview(*args, **kwargs)
        barrier.wait()  # both have read the same approved claims and fees before either writes
        return plan

    monkeypatch.setattr(runs, "preview", preview_then_wait)
    outcomes: dict[str, str] = {}
    failures: list[BaseException] = []

    def press_build(app: Flask, who: str) -> None:
        try:
            with app.app_context():
                try:
                    user = db.session.get(User, builders[who])
                    try:
                        run = runs.build_run(user)
                        outcomes[who] = f"built {run.id}"
                    except DomainError as error:
                        outcomes[who] = error.errors["run"]
                finally:
                    db.session.remove()
        except BaseException as error:  # reported below, in the test's own thread
            failures.append(error)

    threads = [
        threading.Thread(target=press_build, args=(first, "fran")),
        threading.Thread(target=press_build, args=(second, "femi")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    built = [o for o in outcomes.values() if o.startswith("built")]
    assert len(built) == 1, outcomes
    assert [o for o in outcomes.values() if not o.startswith("built")] == [CHANGED_WHILE_BUILDING]

    with first.app_context():
        assert db.session.scalar(select(func.count(PaymentRun.id))) == 1
        [run] = db.session.scalars(select(PaymentRun))
        # Every claim and fee in exactly one payment, and every payee paid what they are owed.
        claim_ids = Counter(
            db.session.scalars(
                select(PaymentItem.claim_id).where(PaymentItem.claim_id.is_not(None))
            )
        )
        fee_ids = Counter(
            db.session.scalars(
                select(PaymentItem.involvement_id).where(PaymentItem.involvement_id.is_not(None))
            )
        )
        assert sorted(claim_ids.values()) == [1] * len(CLAIMS)
        assert sorted(fee_ids.values()) == [1] * len(FEES)
        paid = dict(db.session.execute(select(Payment.user_id, Payment.amount_pence)).all())
        assert paid == owed
        assert run.total_pence == sum(CLAIMS.values()) + sum(FEES.values()) == 22_529
        assert set(db.session.scalars(select(Claim.status))) == {"scheduled"}
        assert set(db.session.scalars(select(Involvement.status))) == {"scheduled"}
        db.session.remove()
