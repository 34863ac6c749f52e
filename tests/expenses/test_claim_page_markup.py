"""The finance claim page shows its receipts as links and its notes as paragraphs, not as text.

Markup handed to an NHS.UK component as its `html` was shown escaped: a Jinja `~` that meets one
escaped value (a name through `| e`) escapes every literal tag in the whole string, and a list
joined with "<br>" escapes the separator. Finance could not open a receipt where they approve.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lep.expenses import services
from lep.expenses.models import ExpenseCategory, PolicyCap
from lep.extensions import db
from tests.helpers import elements, escaped_markup

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: NOW)


@pytest.fixture
def storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    app.extensions.pop("lep_storage", None)
    yield
    app.extensions.pop("lep_storage", None)


def category() -> ExpenseCategory:
    found = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.code == "parking"))
    assert found is not None
    return found


def parking(claim, pence, **extra):
    return services.add_line(
        claim,
        category=category(),
        spent_on=dt.date(2026, 11, 16),
        description="Parking at the hospital",
        amount_pence=pence,
        **extra,
    )


def test_receipts_are_links_and_the_two_approval_note_is_paragraphs(
    client, login, make_user, storage
):
    partner = make_user("partner", full_name="Sam Partner")
    first_approver = make_user("finance", full_name="Femi <Finance>")
    finance = make_user("finance", full_name="Fran Finance")
    policy = services.policy_on(NOW.date())
    db.session.add(PolicyCap(policy=policy, category=category(), per_line_pence=1000))
    db.session.commit()
    claim = services.start_claim(partner)
    # Two receipts on one line (one named with markup of its own), and a line without a receipt
    # over the line's cap and the second-approval threshold: two policy flags on one row.
    line = parking(claim, 1200, receipt=("ticket.pdf", PDF))
    services.attach_receipt(line, "<i>second.pdf", PDF)
    parking(claim, 30000, no_receipt_reason="Lost it")
    services.submit_claim(claim)
    services.approve_claim(
        claim, first_approver, {each.id: each.amount_pence for each in claim.lines}
    )

    page = login(finance).get(f"/finance/claims/{claim.id}").get_data(as_text=True)

    assert escaped_markup(page) == []
    links = {attrs["href"]: text for attrs, text in elements(page, "a")}
    first, second = line.receipts
    assert links[f"/finance/claims/{claim.id}/receipts/{first.id}"] == "Download ticket.pdf"
    # What a person typed is still shown as text, never as markup.
    assert links[f"/finance/claims/{claim.id}/receipts/{second.id}"] == "Download <i>second.pdf"
    assert "Download &lt;i&gt;second.pdf</a>" in page
    paragraphs = [text for _, text in elements(page, "p")]
    assert (
        "This claim needs two approvals: a first approval by finance, then a final approval by "
        "a different person in finance."
    ) in paragraphs
    assert any(
        p.startswith("First approval given by Femi <Finance> on ") and p.endswith(".")
        for p in paragraphs
    )
    assert "Femi &lt;Finance&gt; on " in page
    # The flags of one line: each on its own line (a real <br>), in plain words.
    values = [text for _, text in elements(page, "dd")]
    assert (
        "Over the limit for one expense of this kind No receipt: the claimant gave a reason"
    ) in values
    assert "Download ticket.pdf Download <i>second.pdf" in values
