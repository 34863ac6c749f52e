"""The bench cannot rot: generate the XS data set, count queries per measured page at XS and at a
larger XS2 (they must be equal), and run one tiny payment run. No timings are asserted."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from bench import generate, pages, payrun
from lep.extensions import db


@pytest.fixture
def bench_app(app: Flask) -> Flask:
    # The bench signs in through the real form: let a dozen sign-ins through the limiter.
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    return app


def _generate(scale: str, prefix: str) -> generate.Manifest:
    manifest = generate.generate(db.session.connection(), scale, prefix=prefix)
    db.session.commit()  # a savepoint inside the test's transaction
    return manifest


def test_queries_per_page_do_not_grow_with_the_data(bench_app: Flask) -> None:
    xs = _generate("XS", "xs")
    assert db.session.scalar(select(func.count()).select_from(db.metadata.tables["role"])) == 3
    at_xs = pages.count_queries(bench_app, xs, xs.submitted_claims)
    xs2 = _generate("XS2", "xs2")
    at_xs2 = pages.count_queries(bench_app, xs2, xs2.submitted_claims)
    assert set(at_xs) == {page.name for page in pages.PAGES}
    assert at_xs == at_xs2


def test_a_tiny_payment_run_is_sent_audited_and_in_the_bank_file(bench_app: Flask) -> None:
    finance, finance2 = generate.generate_payees(db.session.connection(), 5, "smoke")
    db.session.commit()
    result = payrun.timed_run(finance, finance2)
    assert result.payments == 5
    assert result.audited == 5
    assert result.file_rows == 5
