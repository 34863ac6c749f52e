"""A role closed before its closing date is not described as having "closed on" a date still to
come."""

from __future__ import annotations

import datetime as dt

from lep.db import utcnow
from lep.extensions import db
from tests.roles.public_data import main_text
from tests.shortlisting.offer_support import application_at, role_paid


def test_a_role_closed_early_is_not_said_to_have_closed_on_its_future_date(client, login):
    role = role_paid("sessional")
    role.closes_at = utcnow() + dt.timedelta(days=10)
    application = application_at(role, "submitted")
    role.status = "closed"  # HR closed it early
    db.session.commit()
    login(application.applicant)
    text = main_text(client.get("/dashboard").get_data(as_text=True))
    assert "Closed early (it was due to close on" in text
    assert "Closed on" not in text
    status = main_text(client.get(f"/applications/{application.id}").get_data(as_text=True))
    assert "the role closed early" in status
