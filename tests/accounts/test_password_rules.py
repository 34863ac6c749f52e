"""Password rules (NCSC / NIST 800-63B) as people meet them: at the password field of register,
reset, accept-invite and change password, in plain words, with what they typed kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lep.accounts.models import User
from lep.demo import DEMO_USERS
from lep.extensions import db
from tests.conftest import PASSWORD, csrf_from
from tests.helpers import emails_to, error_at, link_in

COMMON = "This is one of the most common passwords, so it is easy to guess"
REPEAT = "Password must not be one character or pattern repeated, or a run like 1234567890"
PERSONAL = "Password must not contain your name or the first part of your email address"


def register(client, password, full_name="Sam Carer", email="sam@example.org"):
    page = client.get("/register")
    return client.post(
        "/register",
        data={
            "full_name": full_name,
            "email": email,
            "password": password,
            "confirm_password": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )


def set_password(client, link, password):
    page = client.get(link)
    return client.post(
        link,
        data={
            "password": password,
            "confirm_password": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("aaaaaaaaaa", REPEAT),
        ("1234567890", REPEAT),
        ("          ", REPEAT),  # ten spaces
        ("abcabcabcabc", REPEAT),
        ("password12", COMMON),
        ("Password2026!", COMMON),  # a common one with a year and a symbol added
        ("qwertyuiop", COMMON),
        ("iloveyou123", COMMON),
        ("short", "Password must be 10 characters or more"),
        ("samuel sings loudly", PERSONAL),  # "Samuel" from the full name
        ("CARER of many years", PERSONAL),  # any case
        ("mail for sam.jones!", PERSONAL),  # the email's first part
    ],
)
def test_register_refuses_weak_passwords_at_the_field_keeping_what_was_typed(
    client, password, message
):
    response = register(client, password, full_name="Samuel Carer", email="sam.jones@example.org")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error_at(html, "password").startswith(message)
    assert 'value="Samuel Carer"' in html and 'value="sam.jones@example.org"' in html
    assert db.session.scalar(select(User).where(User.email == "sam.jones@example.org")) is None


def test_a_good_passphrase_and_short_name_parts_are_fine(client):
    # "Al" and "Li" are under 4 letters: a password may contain them.
    response = register(client, "all the little lights", full_name="Al Li", email="al@example.org")
    assert "Check your email" in response.get_data(as_text=True)


def test_staff_need_12_characters_and_the_public_10(app, make_user):
    partner = make_user("partner", full_name="Pat Partner")
    finance = make_user("finance", full_name="Fay Money")
    for user, too_short, long_enough in (
        (partner, "river son", "river song"),  # 9 and 10 characters
        (finance, "river songs", "river songs!"),  # 11 and 12
    ):
        browser = app.test_client()
        page = browser.get("/forgot-password").get_data(as_text=True)
        browser.post("/forgot-password", data={"email": user.email, "csrf_token": csrf_from(page)})
        link = link_in(emails_to(user.email)[-1], "/reset-password/")
        minimum = len(long_enough)
        assert f"Use at least {minimum} characters" in browser.get(link).get_data(as_text=True)
        response = set_password(browser, link, too_short)
        assert error_at(response.get_data(as_text=True), "password") == (
            f"Password must be {minimum} characters or more"
        )
        assert set_password(browser, link, long_enough).status_code == 302


def test_accepting_an_invite_to_a_staff_role_needs_12(app, client, make_user, login):
    from lep.accounts.services import invite_staff

    admin = make_user("admin")
    invite_staff("Harriet Hiring", "harriet@example.org", {"hr"}, admin)
    link = link_in(emails_to("harriet@example.org")[0], "/accept-invite/")
    invited = app.test_client()
    html = set_password(invited, link, "tenletters").get_data(as_text=True)
    assert error_at(html, "password") == "Password must be 12 characters or more"
    html = set_password(invited, link, "harriet rules ok").get_data(as_text=True)
    assert error_at(html, "password").startswith(PERSONAL)
    assert set_password(invited, link, "blue kettle morning").status_code == 302


def test_change_password_refuses_a_common_one_at_the_new_password(client, make_user, login):
    user = make_user("partner")
    login(user)
    page = client.get("/account/password").get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "1q2w3e4r5t6y",
            "confirm_password": "1q2w3e4r5t6y",
            "csrf_token": csrf_from(page),
        },
    )
    html = response.get_data(as_text=True)
    assert error_at(html, "password").startswith(COMMON)
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == 1  # nothing changed


def test_the_service_refuses_a_weak_password_even_without_the_form(make_user):
    from lep.accounts import services

    user = make_user("hr")
    with pytest.raises(services.AccountError) as caught:
        services.change_password(user, PASSWORD, "password1234")
    assert caught.value.field == "password"


def test_create_admin_refuses_a_common_password(app):
    result = app.test_cli_runner().invoke(
        args=["lep", "create-admin", "--email", "a@example.org", "--name", "A", "--password",
              "qwerty123456"]
    )  # fmt: skip
    assert result.exit_code != 0
    assert "most common passwords" in result.output


def test_the_demo_password_passes_the_rules_for_every_demo_account(app):
    from lep.accounts.passwords import password_problem

    assert app.test_cli_runner().invoke(args=["lep", "demo"]).exit_code == 0
    users = db.session.scalars(select(User)).all()
    assert {email for email, _name, _roles in DEMO_USERS} <= {u.email for u in users}
    for user in users:
        problem = password_problem(
            app.config["DEMO_PASSWORD"],
            roles=user.roles,
            full_name=user.full_name,
            email=user.email,
        )
        assert problem is None, (user.email, problem)


def test_the_test_password_is_accepted_for_staff():
    from lep.accounts.passwords import password_problem

    assert password_problem(PASSWORD, roles={"admin"}, full_name="Test Person") is None
