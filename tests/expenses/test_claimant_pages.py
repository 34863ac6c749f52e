"""The claimant's expense pages through the test client: claims, lines, receipts, send, cancel."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from lep.applications.models import Application
from lep.expenses import services
from lep.expenses.models import Claim, ClaimLine, ClaimReceipt
from lep.extensions import db
from tests.applications.conftest import open_role
from tests.conftest import csrf_from, sign_in
from tests.helpers import emails_to, error_at, summary_links
from tests.roles.public_data import main_text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)
WORD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32  # a Word 97 file: not a receipt
TYPE_MESSAGE = "The selected file must be a PDF or a picture (JPG, PNG, GIF or WEBP)"

# Friday 20 November 2026, midday in London (GMT).
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: NOW)


@pytest.fixture(autouse=True)
def storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    app.extensions.pop("lep_storage", None)
    yield tmp_path / "uploads"
    app.extensions.pop("lep_storage", None)


@pytest.fixture
def partner(make_user, login):
    user = make_user("partner", full_name="Sam Partner")
    login(user)
    return user


@pytest.fixture
def finance(make_user):
    return make_user("finance")


# --- Driving the pages --------------------------------------------------------------------------


def location(response) -> str:  # type: ignore[no-untyped-def]
    return response.headers.get("Location", "")


def token(client) -> str:  # type: ignore[no-untyped-def]
    return csrf_from(client.get("/dashboard").get_data(as_text=True))


def post(client, url: str, data: dict[str, Any] | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    return client.post(url, data={**(data or {}), "csrf_token": token(client)}, **kwargs)


def new_claim(client, role: str = "none") -> Claim:  # type: ignore[no-untyped-def]
    response = post(client, "/claims/new", {"role_id": role})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    claim_id = int(location(response).rsplit("/", 1)[1])
    claim = db.session.get(Claim, claim_id)
    assert claim is not None
    return claim


def line_data(
    day: str = "16", month: str = "11", year: str = "2026", **fields: Any
) -> dict[str, Any]:
    return {
        "spent_on-day": day,
        "spent_on-month": month,
        "spent_on-year": year,
        **fields,
    }


def add(client, claim: Claim, data: dict[str, Any], receipt: tuple[bytes, str] | None = None):  # type: ignore[no-untyped-def]
    body = dict(data)
    if receipt is not None:
        body["receipt"] = (io.BytesIO(receipt[0]), receipt[1])
    return post(client, f"/claims/{claim.id}/lines/new", body, content_type="multipart/form-data")


def train(**extra: Any) -> dict[str, Any]:
    fields = {
        "category": "public_transport",
        "description": "Train from Leeds to York and back",
        "amount": "23.40",
    }
    fields.update(extra)
    return line_data(**fields)


def parking(**extra: Any) -> dict[str, Any]:
    fields = {
        "category": "parking",
        "description": "Hospital car park",
        "amount": "8.50",
        "no_receipt_reason": "The machine gave no ticket",
    }
    fields.update(extra)
    return line_data(**fields)


def added(client, claim: Claim, data: dict[str, Any], receipt: tuple[bytes, str] | None = None):  # type: ignore[no-untyped-def]
    response = add(client, claim, data, receipt)
    assert location(response) == f"/claims/{claim.id}", response.get_data(as_text=True)[:3000]


def fresh(claim: Claim) -> Claim:
    """The claim as the database has it now (the pages changed it in their own sessions)."""
    db.session.expire_all()
    found = db.session.get(Claim, claim.id)
    assert found is not None
    return found


def lines_of(claim: Claim) -> list[ClaimLine]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(ClaimLine).where(ClaimLine.claim_id == claim.id).order_by("id"))
    )


def text_of(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return main_text(response.get_data(as_text=True))


# --- The journey ---------------------------------------------------------------------------------


def test_the_whole_journey(client, partner):
    assert "Your expense claims" in text_of(client, "/dashboard")
    text = text_of(client, "/claims")
    assert "You have no claims yet" in text
    assert "Start a new claim" in text
    assert "We aim to pay within 10 working days of approving a claim" in text

    page = client.get("/claims/new").get_data(as_text=True)
    assert "Which role are your expenses for?" in page
    assert "Not for a particular role" in page  # a partner may claim for no role
    claim = new_claim(client)
    text = text_of(client, f"/claims/{claim.id}")
    assert "Draft claim" in text and "Not sent yet" in text
    assert "There are no expenses in this claim yet" in text

    # A train fare with its ticket.
    page = client.get(f"/claims/{claim.id}/lines/new").get_data(as_text=True)
    assert "<title>Add an expense - " in page
    assert 'enctype="multipart/form-data"' in page
    for name in ("spent_on-day", "spent_on-month", "spent_on-year", "miles", "passengers"):
        assert f'name="{name}"' in page
    assert "Taxi" in page and "Tell us why you needed a taxi. Receipt needed" in page
    response = add(client, claim, train(), receipt=(PDF, "ticket.pdf"))
    assert location(response) == f"/claims/{claim.id}"

    # A drive with a passenger: worked out, never typed.
    response = add(
        client,
        claim,
        line_data(
            category="mileage",
            description="Drove to the panel",
            vehicle="car_or_van",
            miles="12.5",
            passengers="1",
            amount="999",  # ignored for mileage
        ),
    )
    assert location(response) == f"/claims/{claim.id}"

    # Parking without a receipt, with the reason.
    assert location(add(client, claim, parking())) == f"/claims/{claim.id}"

    page = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    text = main_text(page)
    train_line, drive, park = lines_of(claim)
    assert "16 November 2026" in text
    assert "Train from Leeds to York and back" in text and "£23.40" in text
    assert "ticket.pdf" in text
    assert "12.5 miles at 45p, plus 1 passenger at 5p a mile" in text
    assert "£6.25" in text  # 562.5p + 62.5p
    assert "No receipt: The machine gave no ticket" in text
    assert "No receipt: you told us why" in text  # the policy flag, in the claimant's words
    assert "the claimant gave a reason" not in text  # the approver's words are not for them
    assert "£8.50" in text
    assert "Total £38.15" in text

    # The receipt, as a download of the stored type.
    receipt = train_line.receipts[0]
    response = client.get(f"/claims/{claim.id}/lines/{train_line.id}/receipt/{receipt.id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    # Under a name we make from the claim and the type found, never the name it came with.
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=receipt-draft-{claim.id}-{receipt.id}.pdf"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    # Remove the parking: a confirmation page, then a POST.
    remove = f"/claims/{claim.id}/lines/{park.id}/remove"
    text = text_of(client, remove)
    assert "Are you sure you want to remove this expense?" in text and "£8.50" in text
    assert len(lines_of(claim)) == 3  # looking changes nothing
    assert location(post(client, remove)) == f"/claims/{claim.id}"
    assert [line.id for line in lines_of(claim)] == [train_line.id, drive.id]
    text = text_of(client, f"/claims/{claim.id}")
    assert "Expense removed" in text
    assert "Hospital car park" not in text
    assert "Total £29.65" in text

    # Send: the page says what happens next; sending gives a reference and an email.
    text = text_of(client, f"/claims/{claim.id}/send")
    assert "What happens next" in text
    assert "We aim to pay within 10 working days of approval" in text
    assert "£29.65" in text
    response = post(client, f"/claims/{claim.id}/send")
    assert location(response) == f"/claims/{claim.id}/sent"
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    assert claim.status == "submitted"
    assert re.fullmatch(r"EXP-2026-\d{6}", claim.reference)
    text = text_of(client, f"/claims/{claim.id}/sent")
    assert "Claim sent" in text and claim.reference in text
    assert "We aim to pay within 10 working days of approval" in text
    (email,) = emails_to(partner.email)
    assert email.subject == f"We have your expenses claim: {claim.reference}"
    assert "£29.65" in email.body_text

    # Sending twice (the back button, a second tab) sends once.
    assert location(post(client, f"/claims/{claim.id}/send")) == f"/claims/{claim.id}/sent"
    assert len(emails_to(partner.email)) == 1

    text = text_of(client, f"/claims/{claim.id}")
    assert "Sent: waiting for approval" in text
    assert "Add an expense" not in text and "Remove" not in text
    text = text_of(client, "/claims")
    assert claim.reference in text and "£29.65" in text and "Sent: waiting for approval" in text
    # Once sent, the pages that change a claim send you back to it.
    assert location(client.get(f"/claims/{claim.id}/lines/new")) == f"/claims/{claim.id}"
    response = add(client, claim, parking())
    assert location(response) == f"/claims/{claim.id}"
    assert len(lines_of(claim)) == 2


def test_claims_are_listed_newest_first_with_their_status_and_payment_date(
    client, partner, finance
):
    first = new_claim(client)
    added(client, first, train(), receipt=(PDF, "ticket.pdf"))
    services.submit_claim(fresh(first))
    services.approve_claim(first, finance, {line.id: line.amount_pence for line in first.lines})
    second = new_claim(client)
    page = client.get("/claims").get_data(as_text=True)
    assert page.index(f'id="claim-{second.id}"') < page.index(f'id="claim-{first.id}"')
    text = main_text(page)
    assert "Draft" in text and "Not sent yet" in text
    # Approved on Friday 20 November 2026: 10 working days on is Friday 4 December.
    assert "Approved" in text and "Expected payment by 4 December 2026" in text
    text = text_of(client, f"/claims/{first.id}")
    assert "Total approved £23.40" in text
    assert "Expected payment By 4 December 2026" in text


def test_a_queried_claim_shows_the_question_and_can_be_changed_and_sent_again(
    client, partner, finance
):
    claim = new_claim(client)
    added(client, claim, train(), receipt=(PDF, "ticket.pdf"))
    services.submit_claim(fresh(claim))
    services.query_claim(claim, finance, "Was this a return ticket?")
    page = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert 'id="question"' in page
    text = main_text(page)
    assert "We have a question about your claim" in text
    assert "Was this a return ticket?" in text
    assert "Send the claim again" in text
    assert location(add(client, claim, parking())) == f"/claims/{claim.id}"
    assert location(post(client, f"/claims/{claim.id}/send")) == f"/claims/{claim.id}/sent"
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "submitted"


def test_a_rejected_claim_shows_why(client, partner, finance):
    claim = new_claim(client)
    added(client, claim, train(), receipt=(PDF, "ticket.pdf"))
    services.reject_claim(
        services.submit_claim(fresh(claim)), finance, "This journey was not for us"
    )
    text = text_of(client, f"/claims/{claim.id}")
    assert "Not approved" in text
    assert "Why your claim was not approved" in text
    assert "This journey was not for us" in text


# --- Bad input -----------------------------------------------------------------------------------


BAD = [
    ("negative", train(amount="-5"), "amount", "The amount must be more than £0"),
    ("zero", train(amount="0"), "amount", "The amount must be more than £0"),
    (
        "not money",
        train(amount="twelve"),
        "amount",
        "Enter the amount in pounds and pence, like 12.50",
    ),
    (
        "fraction of a penny",
        train(amount="1.234"),
        "amount",
        "Enter the amount in pounds and pence, like 12.50",
    ),
    ("no amount", train(amount=""), "amount", "Enter the amount, like 12.50"),
    ("future date", train(day="21"), "spent_on", "The date must be today or in the past"),
    (
        "before the window",
        train(day="21", month="8"),
        "spent_on",
        "Expenses must be claimed within 90 days: the date must be on or after 22 August 2026",
    ),
    (
        "impossible date",
        train(day="31", month="2"),
        "spent_on",
        "The date of the expense must be a real date",
    ),
    ("no month", train(month=""), "spent_on", "The date of the expense must include a month"),
    ("no date", train(day="", month="", year=""), "spent_on", "Enter the date of the expense"),
    ("two-digit year", train(year="26"), "spent_on", "Year must include 4 numbers"),
    (
        "decimal comma",
        train(amount="12,50"),
        "amount",
        "\u201c12,50\u201d could mean £12.50 or £1,250.00. Use a full stop before the pence, "
        "like 12.50",
    ),
    # 19 digits overflowed the date constructor: a 500 before the part had a length limit.
    ("19-digit day", train(day="9" * 19), "spent_on", "Day must be 1 or 2 numbers"),
    ("19-digit month", train(month="1" + "0" * 18), "spent_on", "Month must be 1 or 2 numbers"),
    (
        "over 10,000 miles",
        line_data(category="mileage", description="Drove", vehicle="car_or_van", miles="10000.1"),
        "miles",
        "A single journey must be 10,000 miles or fewer",
    ),
    (
        "miles with a decimal comma",
        line_data(category="mileage", description="Drove", vehicle="car_or_van", miles="12,5"),
        "miles",
        "\u201c12,5\u201d could mean 12.5 or 125 miles. Use a full stop, like 12.5",
    ),
    (
        "miles not a number",
        line_data(category="mileage", description="Drove", vehicle="car_or_van", miles="far"),
        "miles",
        "Enter the distance in miles, like 12 or 12.5",
    ),
    (
        "no vehicle",
        line_data(category="mileage", description="Drove", miles="12"),
        "vehicle",
        "Select the vehicle you used: car or van, motorcycle or bicycle",
    ),
    (
        "passengers on a bicycle",
        line_data(
            category="mileage", description="Cycled", vehicle="bicycle", miles="3", passengers="1"
        ),
        "passengers",
        "Passengers can only be claimed for journeys by car or van",
    ),
    (
        "passengers not a number",
        line_data(
            category="mileage",
            description="Drove",
            vehicle="car_or_van",
            miles="3",
            passengers="two",
        ),
        "passengers",
        "Enter the number of passengers as a whole number, like 0 or 2",
    ),
    (
        "no receipt and no reason",
        parking(no_receipt_reason=""),
        "no_receipt_reason",
        "Add a receipt, or tell us why you do not have one",
    ),
    (
        "no kind",
        line_data(description="Something", amount="5"),
        "category",
        "Select what kind of expense it is",
    ),
    ("nothing it was for", train(description=""), "description", "Enter what the expense was for"),
    (
        "a taxi with no reason",
        line_data(
            category="taxi",
            description="Taxi from the station",
            amount="18",
            no_receipt_reason="Lost it",
        ),
        "reason",
        "Enter why you needed a taxi",
    ),
]


@pytest.mark.parametrize(
    ("data", "field", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_input_gets_a_message_at_the_field_and_keeps_what_was_typed(
    client, partner, data, field, message
):
    claim = new_claim(client)
    response = add(client, claim, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>Error: Add an expense - " in page
    assert error_at(page, field) == message
    href = "#spent_on-day" if field == "spent_on" else f"#{field}"
    assert (href, message) in summary_links(page)
    for name in ("description", "amount", "miles", "passengers", "no_receipt_reason"):
        if data.get(name):
            assert data[name] in page, name
    for part in ("day", "month", "year"):
        assert f'name="spent_on-{part}" type="text" value="{data[f"spent_on-{part}"]}"' in page or (
            not data[f"spent_on-{part}"]
        )
    if data.get("category"):
        assert re.search(rf'value="{data["category"]}"\s+checked', page)
    assert lines_of(claim) == []


def test_every_problem_the_service_finds_is_shown_at_once(client, partner):
    claim = new_claim(client)
    page = add(client, claim, train(amount="-1", day="21", description="")).get_data(as_text=True)
    assert [href for href, _ in summary_links(page)] == [
        "#spent_on-day",
        "#description",
        "#amount",
        "#no_receipt_reason",
    ]


def test_the_date_boxes_in_error_are_marked(client, partner):
    claim = new_claim(client)
    page = add(client, claim, train(month="")).get_data(as_text=True)
    assert re.search(r'class="[^"]*nhsuk-input--error[^"]*" id="spent_on-month"', page)
    assert not re.search(r'class="[^"]*nhsuk-input--error[^"]*" id="spent_on-day"', page)


@pytest.mark.parametrize(
    ("data", "name"), [(WORD, "claim.doc"), (b"Just some text\n", "notes.txt")]
)
def test_a_file_that_is_not_a_receipt_is_refused(client, partner, data, name):
    claim = new_claim(client)
    response = add(client, claim, train(), receipt=(data, name))
    page = response.get_data(as_text=True)
    assert error_at(page, "receipt") == TYPE_MESSAGE
    assert "Train from Leeds to York and back" in page and 'value="23.40"' in page
    assert lines_of(claim) == []


def test_a_receipt_over_10mb_is_refused_at_the_field(client, partner):
    claim = new_claim(client)
    big = PDF + b"\x00" * (10 * 1024 * 1024)
    response = add(client, claim, train(), receipt=(big, "scan.pdf"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, "receipt") == "The selected file must be smaller than 10MB"
    assert 'value="23.40"' in page
    assert lines_of(claim) == []


def test_a_body_over_the_request_limit_gets_the_message_at_the_receipt(client, partner):
    claim = new_claim(client)
    huge = PDF + b"\x00" * (13 * 1024 * 1024)
    response = add(client, claim, train(), receipt=(huge, "huge.pdf"))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "<title>Error: Add an expense - " in page
    assert error_at(page, "receipt") == "The selected file must be smaller than 10MB"
    assert lines_of(claim) == []


def test_a_chosen_file_must_be_chosen_again_when_something_else_is_wrong(client, partner, storage):
    claim = new_claim(client)
    page = add(client, claim, train(amount="0"), receipt=(PNG, "ticket.png")).get_data(as_text=True)
    assert error_at(page, "amount") == "The amount must be more than £0"
    assert error_at(page, "receipt") == "Choose the file again: ticket.png was not added"
    assert db.session.scalar(select(func.count()).select_from(ClaimReceipt)) == 0
    assert not storage.exists() or not any(storage.iterdir())


# --- Who may see what ----------------------------------------------------------------------------


def test_another_persons_claim_and_receipt_are_not_found(app, client, partner, make_user):
    claim = new_claim(client)
    added(client, claim, train(), receipt=(PDF, "ticket.pdf"))
    (line,) = lines_of(claim)
    receipt = line.receipts[0]
    urls = [
        f"/claims/{claim.id}",
        f"/claims/{claim.id}/lines/new",
        f"/claims/{claim.id}/lines/{line.id}/remove",
        f"/claims/{claim.id}/lines/{line.id}/receipt/{receipt.id}",
        f"/claims/{claim.id}/send",
        f"/claims/{claim.id}/sent",
        f"/claims/{claim.id}/cancel",
    ]
    other = make_user("partner", full_name="Other Partner")
    theirs = app.test_client()
    assert sign_in(theirs, other.email).status_code == 302
    for url in urls:
        assert theirs.get(url).status_code == 404, url
    assert post(theirs, f"/claims/{claim.id}/send").status_code == 404
    assert post(theirs, f"/claims/{claim.id}/cancel").status_code == 404
    assert post(theirs, f"/claims/{claim.id}/lines/{line.id}/remove").status_code == 404
    assert add(theirs, claim, parking()).status_code == 404
    assert "Train from Leeds" not in text_of(theirs, "/claims")
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "draft"
    assert len(lines_of(claim)) == 1


def test_a_receipt_under_the_wrong_line_is_not_found(client, partner):
    claim = new_claim(client)
    added(client, claim, train(), receipt=(PDF, "ticket.pdf"))
    added(client, claim, parking())
    first, second = lines_of(claim)
    receipt = first.receipts[0]
    assert (
        client.get(f"/claims/{claim.id}/lines/{second.id}/receipt/{receipt.id}").status_code == 404
    )
    assert (
        client.get(f"/claims/{claim.id}/lines/{first.id}/receipt/{receipt.id}").status_code == 200
    )


def test_an_applicant_not_invited_to_interview_cannot_claim(client, make_user, login):
    login(make_user("applicant"))
    assert "Your expense claims" not in text_of(client, "/dashboard")
    for url in ("/claims", "/claims/new"):
        text = text_of(client, url)
        assert "You cannot claim expenses with this account" in text
        assert "people we have invited to an interview" in text
    response = post(client, "/claims/new", {"role_id": "none"})
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 0


def test_an_applicant_invited_to_interview_claims_for_that_role(client, make_user, login):
    role = open_role("Patient panel member")
    other = open_role("Community researcher")
    applicant = make_user("applicant")
    db.session.add(Application(role_id=role.id, applicant_id=applicant.id, status="interview"))
    db.session.add(Application(role_id=other.id, applicant_id=applicant.id, status="submitted"))
    db.session.commit()
    login(applicant)
    assert "Your expense claims" in text_of(client, "/dashboard")
    page = client.get("/claims/new").get_data(as_text=True)
    assert "Patient panel member" in page
    assert "Community researcher" not in page
    assert "Not for a particular role" not in page
    # Only a role they were invited to interview for.
    response = post(client, "/claims/new", {"role_id": str(other.id)})
    assert response.status_code == 200
    assert error_at(response.get_data(as_text=True), "role_id") == (
        "Select the role your expenses are for"
    )
    response = post(client, "/claims/new", {"role_id": "none"})
    assert error_at(response.get_data(as_text=True), "role_id") == (
        "Select the role your expenses are for"
    )
    claim = new_claim(client, str(role.id))
    assert claim.role_id == role.id
    assert "Patient panel member" in text_of(client, f"/claims/{claim.id}")


def test_choosing_no_role_at_all_is_asked_for(client, partner):
    response = post(client, "/claims/new", {})
    page = response.get_data(as_text=True)
    assert error_at(page, "role_id") == "Select the role your expenses are for"
    assert summary_links(page) == [("#role_id", "Select the role your expenses are for")]


# --- Cancel --------------------------------------------------------------------------------------


def test_a_draft_can_be_cancelled_with_a_reason(client, partner):
    claim = new_claim(client)
    added(client, claim, train(), receipt=(PDF, "ticket.pdf"))
    text = text_of(client, f"/claims/{claim.id}/cancel")
    assert "Are you sure you want to cancel this claim?" in text
    response = post(client, f"/claims/{claim.id}/cancel", {"reason": "I added it by mistake"})
    assert location(response) == f"/claims/{claim.id}"
    text = text_of(client, f"/claims/{claim.id}")
    assert "Your claim has been cancelled" in text
    assert "Cancelled" in text and "I added it by mistake" in text
    assert "Add an expense" not in text and "Cancel this claim" not in text
    assert emails_to(partner.email) == []  # nothing was ever sent


def test_a_sent_claim_can_be_cancelled_without_a_reason_and_emails(client, partner):
    claim = new_claim(client)
    added(client, claim, train(), receipt=(PDF, "ticket.pdf"))
    post(client, f"/claims/{claim.id}/send")
    assert "Cancel this claim" in text_of(client, f"/claims/{claim.id}")
    assert location(post(client, f"/claims/{claim.id}/cancel")) == f"/claims/{claim.id}"
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "cancelled"
    assert [e.subject for e in emails_to(partner.email)][-1] == (
        f"Your expenses claim {claim.reference} is cancelled"
    )


def test_an_approved_claim_cannot_be_cancelled_by_the_claimant(client, partner, finance):
    claim = new_claim(client)
    added(client, claim, train(), receipt=(PDF, "ticket.pdf"))
    services.submit_claim(fresh(claim))
    services.approve_claim(claim, finance, {line.id: line.amount_pence for line in claim.lines})
    assert "Cancel this claim" not in text_of(client, f"/claims/{claim.id}")
    assert location(client.get(f"/claims/{claim.id}/cancel")) == f"/claims/{claim.id}"
    assert location(post(client, f"/claims/{claim.id}/cancel")) == f"/claims/{claim.id}"
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "approved"


def test_a_too_long_cancel_reason_is_kept_and_refused(client, partner):
    claim = new_claim(client)
    long = "because " * 300
    page = post(client, f"/claims/{claim.id}/cancel", {"reason": long}).get_data(as_text=True)
    assert error_at(page, "reason") == "The reason must be 2,000 characters or fewer"
    assert long.strip() in page
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "draft"


def test_an_empty_claim_cannot_be_sent(client, partner):
    claim = new_claim(client)
    response = post(client, f"/claims/{claim.id}/send")
    assert response.status_code == 200
    assert "Add at least one expense before you send the claim" in main_text(
        response.get_data(as_text=True)
    )
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "draft"
