"""Applications entered on someone's behalf (the service; the pages are not built yet)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lep.applications.assisted import AssistedInput, enter_application
from lep.notifications.models import OutboxMessage
from lep.service import DomainError
from tests.applications.conftest import audit_actions, open_role


def _input(role, **overrides):  # type: ignore[no-untyped-def]
    fields = dict(
        full_name="Sam Okafor",
        taken_how="phone",
        consent=True,
        consent_note="Agreed on the phone",
        contact_method="post",
        address={
            "address_line_1": "1 High Street",
            "address_town": "Leeds",
            "address_postcode": "ls1 1aa",
        },
        answers={q.id: "I use the clinic every month" for q in role.questions},
    )
    fields.update(overrides)
    return AssistedInput(**fields)


def test_a_phone_application_without_an_account_is_sent_and_its_letter_waits_for_hr(
    make_user,
) -> None:
    role = open_role()
    hr = make_user("hr", full_name="Harriet HR")
    application = enter_application(role, _input(role), hr)
    assert application.status == "submitted"
    assert application.reference.startswith("LEP-")
    assert application.assisted_how == "phone" and application.entered_by_id == hr.id
    assert application.applicant.password_hash is None
    assert application.address_postcode == "LS1 1AA"
    letter = db_message(application.applicant.email)
    assert letter.status == "by_hand"  # never handed to a mail server
    assert "application.submitted" in audit_actions(application.id)


def test_nothing_is_kept_without_their_agreement_or_an_answer(make_user) -> None:
    role = open_role()
    hr = make_user("hr")
    with pytest.raises(DomainError) as refused:
        enter_application(role, _input(role, consent=False, answers={}), hr)
    assert "consent" in refused.value.errors
    assert f"answer_{role.questions[0].id}" in refused.value.errors


def db_message(address: str) -> OutboxMessage:
    from lep.extensions import db

    found = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == address))
    assert found is not None
    return found
