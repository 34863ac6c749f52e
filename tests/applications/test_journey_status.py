"""Status, withdrawing, deleting a draft, and roles that close."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from lep.applications.models import Application, SupportingFile
from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.roles.services import close_role
from tests.applications.conftest import (
    audit_actions,
    fresh,
    location,
    main_text,
    open_role,
    post,
    start,
)
from tests.applications.test_files import TINY_PDF, upload
from tests.helpers import emails_to


def send(client, role) -> Application:  # type: ignore[no-untyped-def]
    application = start(client, role)
    for n in range(1, len(role.questions) + 1):
        post(client, f"/applications/{application.id}/questions/{n}", {"answer": "My answer"})
    post(
        client,
        f"/applications/{application.id}/support",
        {"contact_method": "email", "helped": "no"},
    )
    response = post(client, f"/applications/{application.id}/check", {"declaration": "y"})
    assert location(response).endswith("/confirmation")
    return fresh(application)  # type: ignore[return-value]


def test_withdraw_after_are_you_sure(client, role, applicant):
    application = send(client, role)
    url = f"/applications/{application.id}/withdraw"
    page = client.get(url).get_data(as_text=True)
    assert "Are you sure you want to withdraw your application?" in main_text(page)
    assert 'method="post"' in page and "novalidate" in page
    assert fresh(application).status == "submitted"  # asking changes nothing

    response = post(client, url)
    assert location(response) == f"/applications/{application.id}"
    application = fresh(application)
    assert application.status == "withdrawn" and application.withdrawn_at is not None
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "application.withdrawn")
    )
    assert event.subject_id == str(application.id) and event.actor_id == applicant.id
    assert len(emails_to(applicant.email)) == 2  # sent, then withdrawn
    text = main_text(client.get(location(response)).get_data(as_text=True))
    assert "Withdrawn by you" in text and "Withdraw your application" not in text
    # Withdrawing again just shows the status.
    assert location(post(client, url)) == f"/applications/{application.id}"
    assert len(emails_to(applicant.email)) == 2


def test_delete_a_draft_after_are_you_sure(client, role, applicant, uploads):
    application = start(client, role)
    application_id = application.id
    post(client, f"/applications/{application.id}/questions/1", {"answer": "Draft answer"})
    upload(client, application, TINY_PDF, "mine.pdf")
    status = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Not sent yet" in main_text(status)
    assert "Continue your application" in main_text(status)
    assert f'href="/applications/{application.id}/delete"' in status

    url = f"/applications/{application.id}/delete"
    assert "Are you sure you want to delete this draft?" in main_text(
        client.get(url).get_data(as_text=True)
    )
    response = post(client, url)
    assert location(response) == "/dashboard"
    assert fresh(application) is None
    assert db.session.scalar(select(SupportingFile)) is None
    assert [p for p in uploads.rglob("*") if p.is_file()] == []
    assert "application.draft_deleted" in audit_actions(application_id)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Your draft application for Lived Experience Partner has been deleted." in page
    assert client.get(f"/applications/{application_id}").status_code == 404


def test_a_sent_application_cannot_be_deleted(client, role, applicant):
    application = send(client, role)
    assert location(client.get(f"/applications/{application.id}/delete")).endswith(
        f"/applications/{application.id}"
    )
    post(client, f"/applications/{application.id}/delete")
    assert fresh(application).status == "submitted"


def test_a_closed_role_cannot_be_started(client, applicant):
    role = open_role()
    close_role(role, by=None)
    response = client.get(f"/roles/{role.id}/apply")
    assert response.status_code == 200
    text = main_text(response.get_data(as_text=True))
    assert "This role has closed" in text
    assert db.session.scalar(select(Application)) is None


def test_a_draft_for_a_role_that_has_closed_says_so(client, role, applicant):
    application = start(client, role)
    post(client, f"/applications/{application.id}/questions/1", {"answer": "Half done"})
    role.closes_at = role.closes_at - dt.timedelta(days=30)  # type: ignore[operator]
    db.session.commit()

    text = main_text(client.get("/dashboard").get_data(as_text=True))
    assert "This role has closed" in text and "your draft can no longer be sent" in text
    text = main_text(client.get(f"/applications/{application.id}").get_data(as_text=True))
    assert "This role has closed" in text
    assert "Continue your application" not in text
    assert "Delete this draft" in text
    # The journey's pages send the person to the status page; nothing is saved or sent.
    for suffix in ("/questions/1", "/file", "/support", "/check"):
        assert location(client.get(f"/applications/{application.id}{suffix}")).endswith(
            f"/applications/{application.id}"
        ), suffix
    post(client, f"/applications/{application.id}/questions/1", {"answer": "Changed"})
    post(client, f"/applications/{application.id}/check", {"declaration": "y"})
    application = fresh(application)
    assert application.status == "draft" and application.answers[0].text == "Half done"
    assert location(client.get(f"/roles/{role.id}/apply")) == f"/applications/{application.id}"


def test_the_dashboard_lists_drafts_and_sent_applications(client, applicant):
    first = open_role("Patient panel member", questions=1)
    second = open_role("Carer partner", questions=1)
    send(client, first)
    start(client, second)
    page = client.get("/dashboard").get_data(as_text=True)
    text = main_text(page)
    assert "Your applications" in text
    assert "Patient panel member" in text and "Carer partner" in text
    assert "Not sent yet" in text
    assert "Sent: we will be in touch after the closing date" in text
    assert "Closing date:" in text and "(UK time)" in text
