"""The bank file for a sent bacs run: its rows, its total to the penny, and when it is refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy import select, update

from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.expenses.schemas import FORMULA_STARTS
from lep.extensions import db
from lep.partners import bank
from lep.partners.models import BankDetails
from lep.payments import bankfile, runs
from lep.payments.models import Payment, PaymentRun
from lep.service import DomainError
from tests.payments.test_runs import approved_claim

HEADER = ["Sort code", "Account number", "Account name", "Amount", "Reference"]


@pytest.fixture(autouse=True)
def provider(app):
    app.extensions.pop("lep_payment_provider", None)
    yield
    app.extensions.pop("lep_payment_provider", None)


@pytest.fixture
def finance(make_user):
    return make_user("finance", full_name="Fran Finance")


def partner(make_user, name: str, sort_code: str, number: str, on_account: str | None = None):
    user = make_user("partner", full_name=name)
    account = bank.check_account(sort_code, number, on_account or name)
    db.session.add(
        BankDetails(
            user_id=user.id,
            ciphertext=bank.encrypt(account),
            masked=account.masked[:80],  # the column's length
            changed_at=utcnow() - dt.timedelta(days=10),
        )
    )
    db.session.commit()
    return user


def sent_run(finance) -> PaymentRun:
    run = runs.build_run(finance)
    runs.start_sending(run, finance)
    db.session.expire_all()
    return db.session.get(PaymentRun, run.id)


def rows_of(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body)))


def downloads() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "payment_run.bank_file_downloaded")
        )
    )


def test_one_row_per_sent_payment_with_the_total_to_the_penny(make_user, finance):
    sian = partner(make_user, "Siân O'Brien", "01-02-03", "00000001")
    alex = partner(
        make_user, "Alexandra Montgomery", "404040", "12345678", "Alexandra Montgomery-Smythe"
    )
    eve = partner(make_user, "Eve", "999999", "87654321", "=HYPERLINK(evil)")
    approved_claim(sian, finance, 1)  # a penny
    approved_claim(sian, finance, 9_999)
    approved_claim(alex, finance, 12_345)
    approved_claim(eve, finance, 20_000)
    approved_claim(eve, finance, 20_099)
    run = sent_run(finance)
    assert run.status == "sent"

    made = bankfile.download(run, finance)
    rows = rows_of(made.body)
    assert rows[0] == HEADER
    by_name = {row[2]: row for row in rows[1:]}
    reference = {p.user_id: p.reference for p in run.payments}
    assert by_name == {
        "SIAN OBRIEN": ["010203", "00000001", "SIAN OBRIEN", "100.00", reference[sian.id]],
        "ALEXANDRA MONTGOME": [
            "404040",
            "12345678",
            "ALEXANDRA MONTGOME",
            "123.45",
            reference[alex.id],
        ],
        "HYPERLINKEVIL": ["999999", "87654321", "HYPERLINKEVIL", "400.99", reference[eve.id]],
    }
    assert made.rows == 3
    assert made.total_pence == 100 * 100 + 12_345 + 40_099 == run.total_pence
    assert made.filename == f"{run.reference}-bank-file.csv"
    for row in rows[1:]:
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row)
        assert len(row[2]) <= 18

    [event] = downloads()
    assert event.actor_id == finance.id
    assert event.after == {"reference": run.reference, "rows": 3, "total_pence": 62_444}
    recorded = json.dumps([e.after for e in db.session.scalars(select(AuditEvent))])
    for secret in ("00000001", "12345678", "87654321"):
        assert secret not in recorded


def test_a_failed_payment_is_not_in_the_file(make_user, finance):
    paid = partner(make_user, "Sam Partner", "309430", "00733445")
    gone = partner(make_user, "Kit Partner", "200000", "11112222")
    approved_claim(paid, finance, 850)
    approved_claim(gone, finance, 1_234)
    run = runs.build_run(finance)
    db.session.delete(db.session.scalar(select(BankDetails).where(BankDetails.user_id == gone.id)))
    db.session.commit()
    runs.start_sending(run, finance)
    db.session.expire_all()
    run = db.session.get(PaymentRun, run.id)
    assert sorted(p.status for p in run.payments) == ["failed", "sent"]
    assert bankfile.sent_total(run) == 850

    made = bankfile.download(run, finance)
    assert rows_of(made.body)[1:] == [
        [
            "309430",
            "00733445",
            "SAM PARTNER",
            "8.50",
            next(p.reference for p in run.payments if p.user_id == paid.id),
        ]
    ]
    assert made.total_pence == 850


def test_the_file_is_the_same_after_the_run_is_marked_paid(make_user, finance):
    approved_claim(partner(make_user, "Sam Partner", "309430", "00733445"), finance, 850)
    run = sent_run(finance)
    before = bankfile.download(run, finance).body
    runs.mark_run_paid(run, finance)
    assert bankfile.download(run, finance).body == before
    assert len(downloads()) == 2


def test_refused_before_the_run_is_sent_and_for_other_providers(make_user, finance):
    approved_claim(partner(make_user, "Sam Partner", "309430", "00733445"), finance, 850)
    run = runs.build_run(finance)
    with pytest.raises(DomainError, match="ready once the run has been sent: it is ready to send"):
        bankfile.download(run, finance)
    run.provider = "stripe"
    with pytest.raises(DomainError, match="paid through the payment provider"):
        bankfile.build(run)
    assert downloads() == []


def test_refused_when_a_payment_does_not_match_what_was_sent(make_user, finance):
    approved_claim(partner(make_user, "Sam Partner", "309430", "00733445"), finance, 850)
    run = sent_run(finance)
    # Someone changes the amount in the database after the run was sent.
    db.session.execute(update(Payment).where(Payment.run_id == run.id).values(amount_pence=85_000))
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(DomainError, match="does not match what was sent"):
        bankfile.download(run, finance)
    assert downloads() == []


def test_refused_when_the_total_differs_from_the_runs_sent_payments(
    make_user, finance, monkeypatch
):
    approved_claim(partner(make_user, "Sam Partner", "309430", "00733445"), finance, 850)
    run = sent_run(finance)
    monkeypatch.setattr(bankfile, "sent_total", lambda run: 851)
    with pytest.raises(DomainError, match="total does not match the run's sent payments"):
        bankfile.download(run, finance)
    assert downloads() == []


def test_refused_while_details_changed_after_sending_are_on_hold(make_user, finance):
    sam = partner(make_user, "Sam Partner", "309430", "00733445")
    approved_claim(sam, finance, 850)
    run = sent_run(finance)
    details = db.session.scalar(select(BankDetails).where(BankDetails.user_id == sam.id))
    details.changed_at = utcnow() - dt.timedelta(hours=1)
    db.session.commit()
    with pytest.raises(DomainError, match=r"Sam Partner: Bank details changed on .* held until"):
        bankfile.download(run, finance)
    details.changed_at = utcnow() - dt.timedelta(days=4)
    db.session.commit()
    assert bankfile.download(run, finance).rows == 1


def test_only_finance_download(make_user, finance):
    approved_claim(partner(make_user, "Sam Partner", "309430", "00733445"), finance, 850)
    run = sent_run(finance)
    with pytest.raises(DomainError, match="Only the finance team"):
        bankfile.download(run, make_user("hr"))
    assert downloads() == []


@pytest.mark.parametrize(
    ("name", "bacs"),
    [
        ("Sam Partner", "SAM PARTNER"),
        ("Siân O'Brien", "SIAN OBRIEN"),
        ("Zoë Ngô & Co.", "ZOE NGO & CO."),
        ("Alexandra Montgomery-Smythe", "ALEXANDRA MONTGOME"),
        ("ABCDEFGHIJKLMNOPQ RST", "ABCDEFGHIJKLMNOPQ"),  # no dangling space at 18
        ("-5 Sam", "5 SAM"),
        ("  lots   of   space  ", "LOTS OF SPACE"),
        ("李", ""),
    ],
)
def test_bacs_names(name, bacs):
    assert bankfile.bacs_name(name) == bacs


@pytest.mark.parametrize(
    ("pence", "text"),
    [
        (1, "0.01"),
        (10, "0.10"),
        (100, "1.00"),
        (12_345, "123.45"),
        (10**15 + 1, "10000000000000.01"),
    ],
)
def test_amounts_are_written_from_whole_pence(pence, text):
    assert bankfile.pounds_text(pence) == text


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_amounts_must_be_positive_whole_pence(bad):
    with pytest.raises(ValueError):
        bankfile.pounds_text(bad)
