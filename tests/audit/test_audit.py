"""The audit log: written by services, append-only in the database, filterable by admins."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from lep import audit
from lep.audit.models import AuditEvent
from lep.extensions import db


def test_record_keeps_actor_subject_change_and_time(make_user):
    admin = make_user("admin")
    event = audit.record(
        "user.roles_changed",
        "user",
        42,
        before={"roles": ["panel"]},
        after={"roles": {"hr"}},
        actor=admin,
    )
    db.session.commit()
    stored = db.session.get(AuditEvent, event.id)
    assert stored.actor_id == admin.id
    assert stored.actor_label == admin.email
    assert stored.subject_type == "user" and stored.subject_id == "42"
    assert stored.before == {"roles": ["panel"]} and stored.after == {"roles": ["hr"]}
    assert stored.occurred_at.tzinfo is not None


@pytest.mark.parametrize(
    "statement",
    [
        lambda: update(AuditEvent).values(action="tampered"),
        lambda: delete(AuditEvent),
    ],
    ids=["update", "delete"],
)
def test_the_database_refuses_to_change_or_delete_audit_events(statement, make_user):
    make_user("admin")  # writes no audit itself; record one
    audit.record("test.event", "thing", 1, actor_label="test")
    db.session.commit()
    nested = db.session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(statement())
    nested.rollback()
    assert (
        db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_type == "thing"))
        == "test.event"
    )


def test_truncate_is_refused_on_postgresql():
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    nested = db.session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_event"))
    nested.rollback()


def test_admin_filters_the_audit_log(client, make_user, login):
    admin = make_user("admin")
    audit.record("claim.approved", "claim", 7, actor_label="finance@example.org")
    audit.record("user.invited", "user", 8, actor_label="someone@example.org")
    db.session.commit()
    login(admin)
    html = client.get("/admin/audit/?action=claim.").get_data(as_text=True)
    assert "claim.approved" in html and "user.invited" not in html
    html = client.get("/admin/audit/?actor=someone").get_data(as_text=True)
    assert "user.invited" in html and "claim.approved" not in html
    html = client.get("/admin/audit/?subject_type=claim&subject_id=7").get_data(as_text=True)
    assert "claim.approved" in html


def test_audit_date_filter_rejects_a_bad_date_clearly(client, make_user, login):
    login(make_user("admin"))
    response = client.get("/admin/audit/?date_from=2026-02-30")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "From date must be a real date" in html
    assert 'value="2026-02-30"' in html


def test_only_admins_see_the_audit_log(client, make_user, login):
    login(make_user("finance"))
    assert client.get("/admin/audit/").status_code == 403


def test_a_named_actor_label_wins_over_the_signed_in_person(app, make_user):
    """System work done during someone's request is recorded as the system's, not theirs."""
    from flask_login import login_user

    hr = make_user("hr")
    with app.test_request_context("/"):
        login_user(hr)
        system = audit.record("role.closed", "role", 1, actor_label="system")
        theirs = audit.record("role.updated", "role", 1)
    assert (system.actor_id, system.actor_label) == (None, "system")
    assert (theirs.actor_id, theirs.actor_label) == (hr.id, hr.email)
