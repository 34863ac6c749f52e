from sqlalchemy import select

from lep.accounts.models import User
from lep.audit.models import AuditEvent
from lep.extensions import db
from tests.conftest import csrf_from
from tests.helpers import emails_to, link_in


def register(client, **fields):
    page = client.get("/register")
    data = {
        "full_name": "Sam Carer",
        "email": "sam@example.org",
        "password": "a long enough password",
        "confirm_password": "a long enough password",
        "csrf_token": csrf_from(page.get_data(as_text=True)),
    }
    data.update(fields)
    return client.post("/register", data=data)


def user_by_email(email):
    return db.session.scalar(select(User).where(User.email == email))


def test_applicant_registers_and_gets_a_confirmation_link(client):
    response = register(client, email="  Sam@Example.org ")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Check your email" in html
    user = user_by_email("sam@example.org")
    assert user is not None and user.roles == {"applicant"}
    assert user.email_confirmed_at is None
    assert user.password_hash.startswith("$argon2")
    [message] = emails_to("sam@example.org")
    assert message.subject == "Confirm your email address"
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.subject_id == str(user.id))
    ).all()
    assert [e.action for e in audit] == ["user.registered"]


def test_confirmation_link_works_once(client):
    register(client)
    link = link_in(emails_to("sam@example.org")[0], "/confirm-email/")
    first = client.get(link)
    assert first.status_code == 302
    db.session.expire_all()
    assert user_by_email("sam@example.org").email_confirmed_at is not None
    again = client.get(link)
    assert again.status_code == 400
    assert "This link has already been used" in again.get_data(as_text=True)


def test_expired_and_tampered_confirmation_links_say_so_and_offer_a_new_one(
    client, app, monkeypatch
):
    register(client)
    link = link_in(emails_to("sam@example.org")[0], "/confirm-email/")
    monkeypatch.setitem(app.config, "EMAIL_CONFIRM_MAX_AGE", -1)
    expired = client.get(link)
    assert expired.status_code == 400
    assert "This link has expired" in expired.get_data(as_text=True)
    assert "get a new confirmation link" in expired.get_data(as_text=True)
    monkeypatch.setitem(app.config, "EMAIL_CONFIRM_MAX_AGE", 3600)
    tampered = client.get(link[:-3] + "xyz")
    assert tampered.status_code == 400
    assert "This link is not valid" in tampered.get_data(as_text=True)
    db.session.expire_all()
    assert user_by_email("sam@example.org").email_confirmed_at is None


def test_registering_an_email_that_exists_reveals_nothing_and_tells_the_owner(client, make_user):
    owner = make_user("partner", email="taken@example.org")
    response = register(client, email="taken@example.org", full_name="Someone Else")
    assert "Check your email" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, owner.id).full_name == "Test Person"
    assert db.session.get(User, owner.id).roles == {"partner"}
    [message] = emails_to("taken@example.org")
    assert message.subject == "Someone tried to register with your email address"


def test_register_errors_are_shown_at_each_field_and_keep_what_was_typed(client):
    response = register(
        client,
        full_name="Sam Carer",
        email="not-an-email",
        password="short",
        confirm_password="different",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Create an account" in html
    assert "There is a problem" in html
    assert 'href="#email"' in html
    assert "Enter an email address in the correct format, like name@example.com" in html
    assert "Password must be 10 characters or more" in html
    assert "The passwords do not match" in html
    assert 'value="Sam Carer"' in html
    assert 'value="not-an-email"' in html
    assert user_by_email("not-an-email") is None


def test_register_with_nothing_filled_in(client):
    html = register(client, full_name="", email="", password="", confirm_password="").get_data(
        as_text=True
    )
    for message in ("Enter your full name", "Enter your email address", "Enter a password"):
        assert message in html


def test_unconfirmed_applicant_can_ask_for_a_new_link(client, make_user, login):
    user = make_user("applicant", confirmed=False)
    login(user)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Confirm your email address" in dashboard
    response = client.post("/confirm-email/send", data={"csrf_token": csrf_from(dashboard)})
    assert response.status_code == 302
    assert [m.subject for m in emails_to(user.email)] == ["Confirm your email address"]


def test_registering_from_a_start_link_keeps_the_way_back(client):
    next_path = "/roles/7/apply"
    login_page = client.get(f"/sign-in?next={next_path}").get_data(as_text=True)
    assert f"/register?next={next_path}" in login_page
    page = client.get(f"/register?next={next_path}")
    data = {
        "full_name": "Sam Carer",
        "email": "sam@example.org",
        "password": "a long enough password",
        "confirm_password": "a long enough password",
        "csrf_token": csrf_from(page.get_data(as_text=True)),
    }
    html = client.post(f"/register?next={next_path}", data=data).get_data(as_text=True)
    assert f"/sign-in?next={next_path}" in html
    evil = client.get("/register?next=https://evil.example/").get_data(as_text=True)
    assert "evil.example" not in evil
