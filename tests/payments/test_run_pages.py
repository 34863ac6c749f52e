"""Finance's payment run pages: the runs, the preview, building, approving by a second person,
sending once (two people pressing Send at once), cancelling, marking paid, and who may see them."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from sqlalchemy import func, select

from lep.audit.models import AuditEvent
from lep.expenses.models import Claim
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.payments import runs
from lep.payments.models import BacsInstruction, PaymentRun
from tests.conftest import csrf_from, sign_in
from tests.payments.test_runs import approved_claim, partner_with_bank

RUNS = "/finance/payments"
CHANGED = "This run has changed: it is now sent. Reload the page"


@pytest.fixture(autouse=True)
def provider(app):
    app.extensions.pop("lep_payment_provider", None)
    yield
    app.extensions.pop("lep_payment_provider", None)


@pytest.fixture
def finance(make_user):
    return make_user("finance", full_name="Fran Finance")


@pytest.fixture
def finance2(make_user):
    return make_user("finance", full_name="Femi Finance")


def text(response) -> str:
    return response.get_data(as_text=True)


def plain(html: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def main(html: str) -> str:
    return plain(html[html.index("<main") : html.index("</main>")])


def client_for(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def press(client, url: str, button_page: str | None = None):
    """Open the page with the button (the run page unless named), then press it."""
    page = text(client.get(button_page or url.rsplit("/", 1)[0]))
    seen = re.search(r'name="seen" type="hidden" value="([^"]*)"', page)
    data = {"csrf_token": csrf_from(page)}
    if seen:
        data["seen"] = seen.group(1)
    return client.post(url, data=data)


def only_run() -> PaymentRun:
    db.session.expire_all()
    return db.session.scalars(select(PaymentRun)).one()


def claim_status(claim: Claim) -> str:
    db.session.expire_all()
    return db.session.get(Claim, claim.id).status


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audit_actions() -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type.in_(("payment_run", "payment")))
            .order_by(AuditEvent.id)
        )
    )


# -- The preview and building a run -------------------------------------------------------------


def test_nothing_to_pay(app, finance):
    client = client_for(app, finance)
    index = main(text(client.get(RUNS)))
    assert "There are no payment runs yet" in index
    page = text(client.get(f"{RUNS}/new"))
    assert "<title>Prepare a payment run - " in page
    assert "Nothing to pay: there are no approved claims or fees." in main(page)
    assert "Build the payment run" not in page


def test_the_preview_shows_who_is_paid_what_and_who_is_held_back(app, make_user, finance):
    sam = partner_with_bank(make_user, "Sam Partner")
    kit = partner_with_bank(make_user, "Kit Partner")
    nia = make_user("partner", full_name="Nia Nobank")
    changed = partner_with_bank(make_user, "Cal Changed", days_ago=1)
    sam_a = approved_claim(sam, finance, 850, 1999)
    sam_b = approved_claim(sam, finance, 1)
    approved_claim(kit, finance, 12_345)
    approved_claim(nia, finance, 700)
    approved_claim(changed, finance, 900)

    client = client_for(app, finance)
    page = main(text(client.get(f"{RUNS}/new")))
    assert "To pay now £151.95 to 2 people" in page
    assert "Held back £16.00 for 2 people" in page
    assert f"Sam Partner Expenses claim {sam_a.reference}: £28.49" in page
    assert f"Expenses claim {sam_b.reference}: £0.01 £28.50" in page
    assert "Kit Partner" in page and "£123.45" in page
    assert "Nia Nobank No bank details yet £7.00" in page
    assert re.search(r"Cal Changed Bank details changed on .* held until .* £9\.00", page)
    assert "Build the payment run" in page
    assert count(PaymentRun) == 0  # looking changes nothing

    response = press(client, f"{RUNS}/new", f"{RUNS}/new")
    run = only_run()
    assert response.status_code == 302
    assert response.headers["Location"] == f"{RUNS}/{run.id}"
    assert run.total_pence == 15_195
    assert claim_status(sam_a) == "scheduled"

    shown = main(text(client.get(f"{RUNS}/{run.id}")))
    assert (
        f"Payment run {run.reference} built: 2 payments, £151.95. Check it, then send it." in shown
    )
    assert "Status Ready to send" in shown
    assert "Total £151.95 in 2 payments" in shown
    assert "Built" in shown and "by Fran Finance" in shown
    sam_payment = next(p for p in run.payments if p.user_id == sam.id)
    assert (
        f"Sam Partner {sam_payment.reference} Expenses claim {sam_a.reference}: £28.49 "
        f"Expenses claim {sam_b.reference}: £0.01 Waiting to be sent £28.50"
    ) in shown
    assert "Held back from this run" in shown
    assert "Nia Nobank No bank details yet £7.00" in shown
    assert "Send this run" in shown and "Cancel this run" in shown
    assert "Download the bank file" not in shown
    assert "Mark this run paid" not in shown

    listing = main(text(client.get(RUNS)))
    assert f"{run.reference}" in listing
    assert re.search(rf"{run.reference} .* Ready to send 2 2 £151\.95", listing)


def test_building_with_everyone_held_back_is_refused_plainly(app, make_user, finance):
    approved_claim(make_user("partner", full_name="Nia Nobank"), finance, 700)
    client = client_for(app, finance)
    page = text(client.get(f"{RUNS}/new"))
    assert "Build the payment run" not in page
    assert "everyone with approved claims or fees is held back" in page
    # Pressed anyway (a page open from before): refused with the reason, nothing built.
    response = client.post(f"{RUNS}/new", data={"csrf_token": csrf_from(page)})
    html = text(response)
    assert response.status_code == 200
    assert "<title>Error: Prepare a payment run - " in html
    assert "There is a problem" in html
    assert "Nothing can be paid now: everyone with approved claims or fees is held back" in html
    assert count(PaymentRun) == 0


def test_two_tabs_building_at_once_make_one_run_and_the_second_is_told_why(
    app, make_user, finance, monkeypatch
):
    """The second tab's build read the claims before the first tab's run took them."""
    approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 850)
    client = client_for(app, finance)
    page = text(client.get(f"{RUNS}/new"))
    read_first = runs.preview()
    assert press(client, f"{RUNS}/new", f"{RUNS}/new").status_code == 302
    preview = runs.preview
    reads = iter([read_first])
    monkeypatch.setattr(runs, "preview", lambda now=None: next(reads, None) or preview(now))
    response = client.post(f"{RUNS}/new", data={"csrf_token": csrf_from(page)})
    html = text(response)
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "The approved claims and fees changed while this run was being built" in html
    assert count(PaymentRun) == 1
    assert only_run().total_pence == 850


# -- Approving, sending, settling ----------------------------------------------------------------


def test_the_run_page_states_the_threshold_frozen_when_it_was_built(
    app, make_user, finance, finance2, monkeypatch
):
    """The demo's £89 run was built with a £50 threshold; the page must not say £5,000."""
    approved_claim(partner_with_bank(make_user, "Robin Waiting"), finance, 8_900)
    run = runs.build_run(finance, approval_over_pence=5_000)
    assert app.config["PAYMENT_RUN_APPROVAL_OVER_PENCE"] == 500_000
    page = main(text(client_for(app, finance).get(f"{RUNS}/{run.id}")))
    assert "Total £89.00 in 1 payment" in page
    assert "This run's total is over £50.00, so someone else in the finance team" in page
    assert "£5,000" not in page
    page = main(text(client_for(app, finance2).get(f"{RUNS}/{run.id}")))
    assert "This run's total is over £50.00: it needs your approval" in page
    # A run built before the threshold was kept states no figure at all.
    db.session.get(PaymentRun, run.id).approval_over_pence = None
    db.session.commit()
    page = main(text(client_for(app, finance2).get(f"{RUNS}/{run.id}")))
    assert "This run needs a second approval: it needs your approval" in page
    assert "£5,000" not in page and "over £" not in page


def test_a_large_run_needs_someone_else_to_approve_it(
    app, make_user, finance, finance2, monkeypatch
):
    monkeypatch.setitem(app.config, "PAYMENT_RUN_APPROVAL_OVER_PENCE", 1_000)
    sam = partner_with_bank(make_user, "Sam Partner")
    approved_claim(sam, finance, 1_001)
    builder = client_for(app, finance)
    press(builder, f"{RUNS}/new", f"{RUNS}/new")
    run = only_run()
    url = f"{RUNS}/{run.id}"
    page = main(text(builder.get(url)))
    assert "Someone else in the finance team must approve it before it can be sent" in page
    assert "Status Waiting for a second approval" in page
    assert (
        "This run's total is over £10.00, so someone else in the finance team must approve "
        "it before it can be sent. You built it, so you cannot approve it."
    ) in page
    assert "Approve this run" not in page
    assert "Send this run" not in page

    # The builder sends the approval anyway: refused plainly, nothing changed.
    page_html = text(builder.get(url))
    response = builder.post(
        f"{url}/approve",
        data={"csrf_token": csrf_from(page_html), "seen": "awaiting_approval"},
    )
    html = text(response)
    assert "<title>Error: Payment run " in html
    assert "A different person in the finance team must approve a run you built" in html
    response = builder.post(
        f"{url}/send", data={"csrf_token": csrf_from(page_html), "seen": "awaiting_approval"}
    )
    assert "This run needs a second finance approval before it can be sent" in text(response)
    assert only_run().status == "awaiting_approval"
    assert count(BacsInstruction) == 0

    second = client_for(app, finance2)
    assert "Approve this run" in text(second.get(url))
    response = press(second, f"{url}/approve")
    assert response.status_code == 302
    shown = main(text(second.get(url)))
    assert f"You approved {run.reference}. It can now be sent." in shown
    assert "Approved" in shown and "by Femi Finance" in shown
    assert only_run().status == "approved"


def test_finance_send_download_and_mark_a_run_paid(app, make_user, finance):
    sam = partner_with_bank(make_user, "Sam Partner")
    claim = approved_claim(sam, finance, 850, 1_200)
    client = client_for(app, finance)
    press(client, f"{RUNS}/new", f"{RUNS}/new")
    run = only_run()
    url = f"{RUNS}/{run.id}"

    response = press(client, f"{url}/send")
    assert response.status_code == 302
    shown = main(text(client.get(url)))
    assert f"{run.reference} has been sent." in shown
    assert "Status Sent" in shown
    assert "Sent payments total £20.50" in shown
    assert f"Sam Partner {run.payments[0].reference}" in shown
    assert "Send this run" not in shown and "Cancel this run" not in shown
    assert "Download the bank file (CSV)" in shown
    assert count(BacsInstruction) == 1

    csv = client.get(f"{url}/bank-file.csv")
    assert csv.status_code == 200
    assert csv.mimetype == "text/csv"
    assert f'filename="{run.reference}-bank-file.csv"' in csv.headers["Content-Disposition"]
    assert (
        text(csv).splitlines()[1]
        == f"309430,00733445,SAM PARTNER,20.50,{run.payments[0].reference}"
    )

    confirm = text(client.get(f"{url}/mark-paid"))
    assert f"<title>Has your bank paid the file for {run.reference}? - " in confirm
    assert "Only mark the run paid when your bank has paid the file." in plain(confirm)
    assert "1 payment totalling £20.50" in plain(confirm)
    assert only_run().status == "sent"  # the confirmation page changes nothing

    response = client.post(
        f"{url}/mark-paid", data={"csrf_token": csrf_from(confirm), "seen": "sent"}
    )
    assert response.status_code == 302
    shown = main(text(client.get(url)))
    assert f"{run.reference} is paid. Each person paid has been sent remittance advice." in shown
    assert "Status Paid" in shown
    assert "Mark this run paid" not in shown
    assert claim_status(claim) == "paid"
    advice = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "payment_remittance")
    ).all()
    assert [m.to_address for m in advice] == [sam.email]
    assert audit_actions() == [
        "payment_run.built",
        "payment_run.sending",
        "payment.sent",
        "payment_run.sent",
        "payment_run.bank_file_downloaded",
        "payment.paid",
        "payment_run.paid",
    ]


def test_two_people_pressing_send_at_once_start_one_run(app, make_user, finance, finance2):
    approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 850)
    approved_claim(partner_with_bank(make_user, "Kit Partner"), finance, 1_234)
    first = client_for(app, finance)
    second = client_for(app, finance2)
    press(first, f"{RUNS}/new", f"{RUNS}/new")
    run = only_run()
    url = f"{RUNS}/{run.id}"
    # Both have the run open, ready to send.
    page_one = text(first.get(url))
    page_two = text(second.get(url))
    assert "Send this run" in page_one and "Send this run" in page_two

    one = first.post(f"{url}/send", data={"csrf_token": csrf_from(page_one), "seen": "approved"})
    two = second.post(f"{url}/send", data={"csrf_token": csrf_from(page_two), "seen": "approved"})
    assert one.status_code == 302
    html = text(two)
    assert two.status_code == 200
    assert "<title>Error: Payment run " in html
    assert CHANGED in html
    assert "Status Sent" in main(html)  # shown as it is now

    assert only_run().status == "sent"
    assert count(BacsInstruction) == 2  # each payment once
    assert audit_actions().count("payment_run.sending") == 1
    assert audit_actions().count("payment.sent") == 2


def test_cancelling_a_run_frees_its_claims(app, make_user, finance):
    claim = approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 850)
    client = client_for(app, finance)
    press(client, f"{RUNS}/new", f"{RUNS}/new")
    run = only_run()
    url = f"{RUNS}/{run.id}"
    confirm = text(client.get(f"{url}/cancel"))
    assert f"Are you sure you want to cancel payment run {run.reference}?" in confirm
    assert only_run().status == "approved"
    response = client.post(
        f"{url}/cancel", data={"csrf_token": csrf_from(confirm), "seen": "approved"}
    )
    assert response.status_code == 302
    shown = main(text(client.get(url)))
    assert f"{run.reference} is cancelled. Its claims and fees will be in the next run." in shown
    assert "Status Cancelled" in shown
    assert "Send this run" not in shown
    assert claim_status(claim) == "approved"
    # A cancelled run can be neither sent nor paid, whatever is posted.
    response = client.post(f"{url}/send", data={"csrf_token": csrf_from(confirm), "seen": "x"})
    assert "This run cannot be sent: it is cancelled" in text(response)
    assert client.get(f"{url}/mark-paid").status_code == 302
    assert count(BacsInstruction) == 0


def test_two_people_cancelling_or_marking_paid_at_once_are_told_the_run_changed(
    app, make_user, finance, finance2
):
    approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 850)
    first = client_for(app, finance)
    second = client_for(app, finance2)
    press(first, f"{RUNS}/new", f"{RUNS}/new")
    run = only_run()
    url = f"{RUNS}/{run.id}"
    confirm_one = text(first.get(f"{url}/cancel"))
    confirm_two = text(second.get(f"{url}/cancel"))
    first.post(f"{url}/cancel", data={"csrf_token": csrf_from(confirm_one), "seen": "approved"})
    html = text(
        second.post(
            f"{url}/cancel", data={"csrf_token": csrf_from(confirm_two), "seen": "approved"}
        )
    )
    assert "This run has changed: it is now cancelled. Reload the page" in html
    assert audit_actions().count("payment_run.cancelled") == 1

    approved_claim(partner_with_bank(make_user, "Kit Partner"), finance, 1_234)
    press(first, f"{RUNS}/new", f"{RUNS}/new")
    db.session.expire_all()
    run = db.session.scalars(select(PaymentRun).where(PaymentRun.status == "approved")).one()
    url = f"{RUNS}/{run.id}"
    press(first, f"{url}/send")
    confirm_one = text(first.get(f"{url}/mark-paid"))
    confirm_two = text(second.get(f"{url}/mark-paid"))
    first.post(f"{url}/mark-paid", data={"csrf_token": csrf_from(confirm_one), "seen": "sent"})
    html = text(
        second.post(f"{url}/mark-paid", data={"csrf_token": csrf_from(confirm_two), "seen": "sent"})
    )
    assert "This run has changed: it is now paid. Reload the page" in html
    assert audit_actions().count("payment_run.paid") == 1
    # Sam's claim came back from the cancelled run: each of the two is sent advice once.
    advice = db.session.scalars(
        select(OutboxMessage.to_address).where(OutboxMessage.template == "payment_remittance")
    ).all()
    assert len(advice) == len(set(advice)) == 2


def test_the_bank_file_is_refused_before_the_run_is_sent(app, make_user, finance):
    approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 850)
    client = client_for(app, finance)
    press(client, f"{RUNS}/new", f"{RUNS}/new")
    run = only_run()
    response = client.get(f"{RUNS}/{run.id}/bank-file.csv")
    assert response.status_code == 302
    shown = main(text(client.get(f"{RUNS}/{run.id}")))
    assert "The bank file is ready once the run has been sent: it is ready to send" in shown
    assert "payment_run.bank_file_downloaded" not in audit_actions()


# -- Who may see what ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["partner", "applicant", "hr", "panel", "admin"])
def test_only_finance_see_payment_runs(app, make_user, finance, role):
    approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 850)
    finance_client = client_for(app, finance)
    press(finance_client, f"{RUNS}/new", f"{RUNS}/new")
    run = only_run()
    client = client_for(app, make_user(role))
    for url in (
        RUNS,
        f"{RUNS}/new",
        f"{RUNS}/{run.id}",
        f"{RUNS}/{run.id}/bank-file.csv",
        f"{RUNS}/{run.id}/cancel",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Sam Partner" not in text(response)
    assert client.post(f"{RUNS}/{run.id}/send", data={}).status_code in (400, 403)
    assert only_run().status == "approved"


def test_an_unknown_run_is_not_found(app, finance):
    client = client_for(app, finance)
    assert client.get(f"{RUNS}/999999").status_code == 404
    assert client.get(f"{RUNS}/999999/bank-file.csv").status_code == 404
