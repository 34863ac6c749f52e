"""Finance and HR dashboards count the work waiting for them, each count linking to where it is
done."""

from __future__ import annotations

from lep.expenses import services
from lep.extensions import db
from lep.payments.models import PaymentRun
from tests.expenses.test_claims import parking
from tests.helpers import with_bank_details
from tests.roles.public_data import main_text


def sent_claim(partner, pence: int):  # type: ignore[no-untyped-def]
    claim = services.start_claim(partner)
    parking(claim, pence)
    return services.submit_claim(claim)


def test_finance_sees_claims_and_runs_waiting(client, login, make_user):
    partner = with_bank_details(make_user("partner", full_name="Sam Partner"))
    first, second = make_user("finance"), make_user("finance")
    sent_claim(partner, 850)
    sent_claim(partner, 900)
    big = sent_claim(partner, 30000)  # over the second-approval threshold
    services.approve_claim(big, first, {big.lines[0].id: 30000})
    db.session.add(
        PaymentRun(
            provider="bacs", status="awaiting_approval", total_pence=1, created_by_id=first.id
        )
    )
    db.session.commit()
    login(second)
    html = client.get("/dashboard").get_data(as_text=True)
    text = main_text(html)
    assert "Work waiting for you" in text
    assert "2 claims to approve" in text
    assert "1 claim waiting for a second approval" in text
    assert "1 payment run waiting for a second approval" in text
    assert 'href="/finance/claims?status=second"' in html


def test_hr_sees_their_tasks(client, login, make_user):
    login(make_user("hr"))
    text = main_text(client.get("/dashboard").get_data(as_text=True))
    assert "No tasks to do (requests to apply another way)" in text


def test_others_see_no_work_list(client, login, make_user):
    login(make_user("partner"))
    assert "Work waiting for you" not in main_text(client.get("/dashboard").get_data(as_text=True))
