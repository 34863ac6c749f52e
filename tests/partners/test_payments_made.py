"""'Your payments' lists every payment made, each with its remittance advice; the advice is a
tagged, accessible PDF (PDF/UA-1) with a title and language, the organisation's name and
contact, and amounts in pounds and pence."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import zlib

from lep.expenses import services
from lep.extensions import db
from lep.partners import statements
from lep.payments.models import Payment, PaymentItem, PaymentRun
from tests.expenses.test_claims import parking
from tests.helpers import with_bank_details
from tests.roles.public_data import main_text

PAID_AT = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def paid_payment(partner, finance, pence: int = 8900) -> Payment:  # type: ignore[no-untyped-def]
    claim = services.start_claim(partner)
    parking(claim, pence)
    services.submit_claim(claim)
    services.approve_claim(claim, finance, {claim.lines[0].id: pence})
    run = PaymentRun(
        reference=f"RUN-TEST-{claim.id}",
        provider="bacs",
        status="paid",
        total_pence=pence,
        created_by_id=finance.id,
        paid_at=PAID_AT,
    )
    db.session.add(run)
    db.session.flush()
    payment = Payment(
        run_id=run.id,
        user_id=partner.id,
        amount_pence=pence,
        key=f"test-{claim.id}",
        reference=f"LEP PAY {claim.id:06d}",
        status="paid",
        paid_at=PAID_AT,
    )
    payment.items = [
        PaymentItem(
            claim_id=claim.id, amount_pence=pence, description=f"Expenses claim {claim.reference}"
        )
    ]
    db.session.add(payment)
    db.session.commit()
    return payment


def pdf_bytes(pdf: bytes) -> bytes:
    """The PDF with its compressed streams opened, to read its structure."""
    out = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            out.append(zlib.decompress(stream))
    return b"\n".join(out)


def test_your_payments_lists_each_payment_with_its_remittance_advice(client, login, make_user):
    partner = with_bank_details(make_user("partner", full_name="Pat Paid"))
    finance = make_user("finance")
    first = paid_payment(partner, finance, 8900)
    second = paid_payment(partner, finance, 2790)
    login(partner)
    html = client.get("/account/payments").get_data(as_text=True)
    text = main_text(html)
    assert "Payments made to you" in text
    assert f"Paid on 24 November 2026 Reference {first.reference} Amount £89.00" in text
    assert f"Reference {second.reference} Amount £27.90" in text
    for payment in (first, second):
        assert f'href="/account/payments/{payment.id}/remittance.pdf"' in html


def test_no_payments_yet(client, login, make_user):
    login(make_user("partner"))
    text = main_text(client.get("/account/payments").get_data(as_text=True))
    assert "We have not made you a payment yet." in text


def test_the_remittance_advice_names_the_organisation_with_pence_and_is_a_tagged_pdf(
    app, client, login, make_user, monkeypatch
):
    monkeypatch.setitem(app.config, "FINANCE_CONTACT_EMAIL", "payments@trust.example.org")
    monkeypatch.setitem(app.config, "ORGANISATION_ADDRESS", "1 Hospital Road, Leeds LS1 1AA")
    partner = with_bank_details(make_user("partner", full_name="Pat Paid"))
    payment = paid_payment(partner, make_user("finance"), 8900)
    seen: list[str] = []
    real = statements.pdf_from_html

    def keep(html: str, base_url: str | None = None) -> bytes | None:
        seen.append(html)
        return real(html, base_url)

    monkeypatch.setattr(statements, "pdf_from_html", keep)
    login(partner)
    response = client.get(f"/account/payments/{payment.id}/remittance.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (html,) = seen
    text = (
        main_text(html) if "<main" in html else re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    )
    assert "Example NHS Trust" in text and "1 Hospital Road, Leeds LS1 1AA" in text
    assert "payments@trust.example.org" in text
    assert "£89.00" in text and "£89 " not in text
    assert '<html lang="en-GB">' in html
    structure = pdf_bytes(response.data)
    assert b"/StructTreeRoot" in structure  # tagged
    assert b"/MarkInfo" in structure
    assert b"/Lang (en-GB)" in structure or b"/Lang(en-GB)" in structure
    assert b"Remittance advice" in structure  # the title, in the document information
    assert b"pdfuaid:part" in structure  # it says which standard it meets
    assert b"/DisplayDocTitle true" in structure
