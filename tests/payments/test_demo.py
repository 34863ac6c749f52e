"""The demo's payment runs: one paid, one waiting for a second approval; running it again adds
nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lep.audit.models import AuditEvent
from lep.demo import seed
from lep.extensions import db
from lep.payments.models import Payment, PaymentRun


@pytest.fixture(autouse=True)
def storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    app.extensions.pop("lep_storage", None)
    yield
    app.extensions.pop("lep_storage", None)


def test_the_demo_has_a_paid_run_and_one_awaiting_approval(app):
    seed()
    runs = db.session.scalars(select(PaymentRun).order_by(PaymentRun.id)).all()
    assert [r.status for r in runs] == ["paid", "awaiting_approval"]
    paid, waiting = runs
    assert [(p.user.email, p.amount_pence, p.status) for p in paid.payments] == [
        ("paid@example.org", 2_790, "paid")
    ]
    assert [(p.user.email, p.amount_pence) for p in waiting.payments] == [
        ("waiting@example.org", 8_900)
    ]
    # The other demo partners have no bank details: held back with the reason, still approved.
    assert {h["reason"] for h in waiting.held} == {"No bank details yet"}
    counts = (
        db.session.scalar(select(func.count(PaymentRun.id))),
        db.session.scalar(select(func.count(Payment.id))),
        db.session.scalar(select(func.count(AuditEvent.id))),
    )
    seed()
    assert counts == (
        db.session.scalar(select(func.count(PaymentRun.id))),
        db.session.scalar(select(func.count(Payment.id))),
        db.session.scalar(select(func.count(AuditEvent.id))),
    )
