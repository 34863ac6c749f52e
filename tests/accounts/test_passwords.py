from lep.accounts.models import User
from lep.extensions import db
from tests.conftest import PASSWORD, csrf_from, sign_in
from tests.helpers import emails_to, link_in

NEW = "a brand new passphrase"


def ask_for_reset(client, email):
    page = client.get("/forgot-password")
    return client.post(
        "/forgot-password",
        data={"email": email, "csrf_token": csrf_from(page.get_data(as_text=True))},
    )


def set_password(client, link, password=NEW, confirm=None):
    page = client.get(link)
    assert page.status_code == 200
    return client.post(
        link,
        data={
            "password": password,
            "confirm_password": confirm or password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )


def test_reset_by_emailed_link_signs_out_other_sessions_and_works_once(app, client, make_user):
    user = make_user("partner")
    elsewhere = app.test_client()
    sign_in(elsewhere, user.email)
    assert elsewhere.get("/dashboard").status_code == 200

    assert "Check your email" in ask_for_reset(client, user.email).get_data(as_text=True)
    [message] = emails_to(user.email)
    link = link_in(message, "/reset-password/")
    response = set_password(client, link)
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200  # signed in with the new password

    assert elsewhere.get("/dashboard").status_code == 302  # the other session ended
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 200  # old one refused
    assert sign_in(app.test_client(), user.email, NEW).status_code == 302
    assert emails_to(user.email)[-1].subject == "Your password has been changed"

    reused = app.test_client().get(link)
    assert reused.status_code == 400
    html = reused.get_data(as_text=True)
    assert "This link has already been used" in html
    assert "Get a new link to reset your password" in html


def test_reset_for_unknown_email_looks_the_same_and_sends_nothing(client):
    html = ask_for_reset(client, "nobody@example.org").get_data(as_text=True)
    assert "Check your email" in html
    assert emails_to("nobody@example.org") == []


def test_expired_reset_link(client, app, make_user, monkeypatch):
    user = make_user("applicant")
    ask_for_reset(client, user.email)
    link = link_in(emails_to(user.email)[0], "/reset-password/")
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    response = client.get(link)
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)


def test_new_password_errors_keep_the_person_on_the_page(client, make_user):
    user = make_user("applicant")
    ask_for_reset(client, user.email)
    link = link_in(emails_to(user.email)[0], "/reset-password/")
    response = set_password(client, link, password="short", confirm="other")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Password must be 10 characters or more" in html
    assert "The passwords do not match" in html
    # The link still works: nothing was changed.
    assert set_password(client, link).status_code == 302


def test_change_password_needs_the_current_one(client, make_user, login):
    user = make_user("hr")
    login(user)
    page = client.get("/account/password").get_data(as_text=True)
    data = {"current_password": "wrong one!!", "password": NEW, "confirm_password": NEW}
    response = client.post("/account/password", data=dict(data, csrf_token=csrf_from(page)))
    assert "Your current password is not right" in response.get_data(as_text=True)
    data["current_password"] = PASSWORD
    response = client.post("/account/password", data=dict(data, csrf_token=csrf_from(page)))
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # still signed in here
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == 2
