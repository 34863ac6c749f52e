from sqlalchemy import select

from lep.accounts.models import User
from lep.audit.models import AuditEvent
from lep.extensions import db
from tests.conftest import csrf_from, sign_in
from tests.helpers import emails_to, link_in


def invite(client, **data):
    page = client.get("/admin/users/invite")
    return client.post(
        "/admin/users/invite",
        data=dict(data, csrf_token=csrf_from(page.get_data(as_text=True))),
    )


def test_admin_invites_staff_who_set_their_password(app, client, make_user, login):
    admin = make_user("admin")
    login(admin)
    response = invite(
        client, full_name="Fiona Finance", email="fiona@example.org", roles=["finance", "panel"]
    )
    assert response.status_code == 302
    new = db.session.scalar(select(User).where(User.email == "fiona@example.org"))
    assert new.roles == {"finance", "panel"}
    assert new.password_hash is None
    [message] = emails_to("fiona@example.org")
    link = link_in(message, "/accept-invite/")

    invited = app.test_client()
    page = invited.get(link)
    assert "Set your password" in page.get_data(as_text=True)
    response = invited.post(
        link,
        data={
            "password": "a long walk by the river",
            "confirm_password": "a long walk by the river",
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    # Finance needs an authenticator app: every page leads to setting one up first.
    dashboard = invited.get("/dashboard")
    assert dashboard.status_code == 302
    assert dashboard.headers["Location"] == "/account/authenticator-app?next=/dashboard"
    assert invited.get(link).status_code == 400  # used

    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.subject_id == str(new.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["user.invited", "user.invite_accepted"]
    invited_event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.invited"))
    assert invited_event.actor_id == admin.id
    assert invited_event.after == {"email": "fiona@example.org", "roles": ["finance", "panel"]}


def test_invite_errors(client, make_user, login):
    login(make_user("admin"))
    make_user("hr", email="taken@example.org")
    html = invite(client, full_name="", email="taken@example.org").get_data(as_text=True)
    assert "Enter their full name" in html
    assert "Select at least one role" in html
    html = invite(client, full_name="Someone", email="taken@example.org", roles=["hr"]).get_data(
        as_text=True
    )
    assert "An account with this email address already exists" in html
    assert 'value="Someone"' in html


def test_role_changes_are_audited_and_the_last_admin_stays(client, make_user, login):
    admin = make_user("admin")
    other = make_user("panel")
    login(admin)
    page = client.get(f"/admin/users/{other.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/users/{other.id}", data={"roles": ["panel", "hr"], "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.roles_changed"))
    assert event.before == {"roles": ["panel"]} and event.after == {"roles": ["hr", "panel"]}

    page = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/users/{admin.id}", data={"roles": ["hr"], "csrf_token": csrf_from(page)}
    )
    html = response.get_data(as_text=True)
    assert (
        "You cannot remove your own administrator role" in html
        or "at least one administrator" in html
    )
    db.session.expire_all()
    assert "admin" in db.session.get(User, admin.id).roles


def test_deactivated_staff_are_signed_out_and_cannot_sign_in(app, client, make_user, login):
    admin = make_user("admin")
    staff = make_user("finance")
    theirs = app.test_client()
    sign_in(theirs, staff.email)
    login(admin)
    page = client.get(f"/admin/users/{staff.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/users/{staff.id}/active", data={"active": "0", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    assert theirs.get("/dashboard").status_code == 302
    assert sign_in(app.test_client(), staff.email).status_code == 200
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivated"))


def test_user_list_filters(client, make_user, login):
    login(make_user("admin"))
    make_user("finance", full_name="Findable Person", email="findme@example.org")
    html = client.get("/admin/users/?q=findme").get_data(as_text=True)
    assert "Findable Person" in html
    html = client.get("/admin/users/?role=panel").get_data(as_text=True)
    assert "Findable Person" not in html
