"""With Stripe, a claimant who has not finished setting up how they are paid is promised no date;
the promise starts when their account can be paid (against localstripe)."""

from __future__ import annotations

from urllib.parse import urlsplit

from lep.db import utcnow
from lep.expenses import services
from lep.expenses.models import Claim
from lep.expenses.paydates import expected_payment_date
from lep.extensions import db
from lep.timeutil import to_london
from tests.expenses.test_claims import parking
from tests.payments.localstripe_connect import complete_onboarding
from tests.payments.test_onboarding import press_set_up, stripe_app, text  # noqa: F401
from tests.roles.public_data import main_text


def test_no_date_until_stripe_set_up_is_finished(make_user, login, localstripe):
    sam = make_user("partner", full_name="Sam Partner")
    claim = services.start_claim(sam)
    parking(claim, 8900)
    services.submit_claim(claim)
    services.approve_claim(claim, make_user("finance"), {claim.lines[0].id: 8900})
    assert claim.expected_payment_date is None

    client = login(sam)
    page = main_text(text(client.get(f"/claims/{claim.id}")))
    assert "You have not finished setting up how you are paid, so we cannot pay you yet." in page
    assert 'href="/account/payments/stripe">Set up how you are paid</a>' in text(
        client.get(f"/claims/{claim.id}")
    )

    link = press_set_up(client).headers["Location"]
    back_to = complete_onboarding(link)
    client.get(urlsplit(back_to).path)  # back on our page: the payee can now be paid

    db.session.expire_all()
    promised = db.session.get(Claim, claim.id)
    today = to_london(utcnow()).date()
    assert promised.expected_payment_date == expected_payment_date(today)
    assert "We cannot pay you yet" not in main_text(text(client.get(f"/claims/{claim.id}")))
