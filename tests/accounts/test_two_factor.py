"""The second step of signing in: an authenticator app, required for hr, finance and admin."""

from __future__ import annotations

import html as htmllib
import re

import pyotp
import pytest
from sqlalchemy import select

from lep.accounts.models import User
from lep.accounts.two_factor_models import RecoveryCode, TotpCredential
from lep.audit.models import AuditEvent
from lep.extensions import db
from tests.conftest import PASSWORD, csrf_from, current_code, set_up_app, sign_in
from tests.helpers import emails_to, error_at


def password_only(client, email, password=PASSWORD, next_path=None):
    """The first step alone: the password, without answering the second step."""
    url = f"/sign-in?next={next_path}" if next_path else "/sign-in"
    page = client.get(url)
    return client.post(
        url,
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )


def send_code(client, url, code):
    page = client.get(url)
    assert page.status_code == 200, page.headers.get("Location")
    return client.post(
        url, data={"code": code, "csrf_token": csrf_from(page.get_data(as_text=True))}
    )


def actions_for(user):
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "user", AuditEvent.subject_id == str(user.id))
            .order_by(AuditEvent.id)
        )
    )


def secret_on(page_html):
    match = re.search(r'id="secret">([A-Z2-7 ]+)<', page_html)
    assert match, "no key shown as text"
    return match.group(1).replace(" ", "")


def test_staff_without_an_app_set_one_up_by_qr_code_or_key_before_any_staff_page(client, make_user):
    user = make_user("hr")
    response = password_only(client, user.email, next_path="/hr/roles")
    assert response.headers["Location"] == "/account/authenticator-app?next=/hr/roles"
    # Nothing else is open until the app is set up.
    for path in ("/hr/roles", "/dashboard", "/account", "/admin/users/"):
        blocked = client.get(path)
        assert blocked.status_code in (302, 403), path
        if blocked.status_code == 302:
            assert blocked.headers["Location"].startswith("/account/authenticator-app"), path

    page = client.get("/account/authenticator-app?next=/hr/roles").get_data(as_text=True)
    assert "<svg" in page and "QR code for your authenticator app" in page  # drawn here
    assert "<img" not in page.split("<main", 1)[1]  # no image fetched from anywhere
    secret = secret_on(page)
    assert db.session.get(TotpCredential, user.id).secret == secret
    # The QR code is of the app's link for this account and key.
    from lep.accounts.two_factor import qr_svg

    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Lived experience roles")
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    assert str(qr_svg(uri)) in page
    assert client.get("/account/authenticator-app").get_data(as_text=True).count(secret[:4]) >= 1

    wrong = send_code(client, "/account/authenticator-app?next=/hr/roles", "000000")
    assert error_at(wrong.get_data(as_text=True), "code").startswith("The code is not right")

    done = send_code(client, "/account/authenticator-app?next=/hr/roles", pyotp.TOTP(secret).now())
    html = done.get_data(as_text=True)
    assert "Save your recovery codes" in html
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", html)
    assert len(codes) == 10
    assert 'href="/hr/roles"' in html
    assert client.get("/hr/roles").status_code == 200
    # Only fingerprints are kept.
    stored = db.session.scalars(
        select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
    )
    assert not set(codes) & set(stored)
    assert "user.second_factor_enrolled" in actions_for(user)


def test_staff_with_an_app_give_a_code_after_the_password(app, client, make_user):
    user = make_user("finance")
    set_up_app(user)
    response = password_only(client, user.email, next_path="/finance/claims")
    assert response.headers["Location"] == "/sign-in/security-code?next=/finance/claims"
    assert client.get("/finance/claims").headers["Location"].startswith("/sign-in/security-code")
    held = client.get("/api/v1/me/payments")  # a page the browser session may read
    assert held.status_code == 401 and "authenticator app" in held.get_json()["message"]

    wrong = send_code(client, "/sign-in/security-code?next=/finance/claims", "123456")
    assert "The code is not right" in error_at(wrong.get_data(as_text=True), "code")
    code = current_code(user)
    right = send_code(client, "/sign-in/security-code?next=/finance/claims", code)
    assert right.status_code == 302 and right.headers["Location"] == "/finance/claims"
    assert client.get("/finance/claims").status_code == 200

    # The same code cannot be used again, even in another browser in the same 30 seconds.
    other = app.test_client()
    password_only(other, user.email)
    again = send_code(other, "/sign-in/security-code", code)
    assert "used already" in error_at(again.get_data(as_text=True), "code")
    assert other.get("/dashboard").status_code == 302
    assert actions_for(user).count("user.second_factor_failed") == 2


def test_a_recovery_code_works_once(app, make_user):
    from lep.accounts import two_factor

    user = make_user("admin")
    set_up_app(user)
    codes = two_factor.replace_recovery_codes(user)
    first = app.test_client()
    password_only(first, user.email)
    used = send_code(first, "/sign-in/recovery-code", codes[0].upper().replace("-", " "))
    assert used.status_code == 302
    assert first.get("/admin/users/").status_code == 200

    second = app.test_client()
    password_only(second, user.email)
    refused = send_code(second, "/sign-in/recovery-code", codes[0])
    assert "used already" in error_at(refused.get_data(as_text=True), "code")
    assert second.get("/admin/users/").status_code == 302
    assert two_factor.recovery_codes_left(user) == 9
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.recovery_code_used")
    ).all()
    assert [(e.subject_id, e.after) for e in events] == [(str(user.id), {"left": 9})]


def test_the_guarded_update_lets_a_code_through_only_once(make_user):
    from lep.accounts import two_factor

    user = make_user("hr")
    set_up_app(user)
    [code, *_] = two_factor.replace_recovery_codes(user)
    assert two_factor.use_recovery_code(user, code) == 9
    with pytest.raises(two_factor.TwoFactorError):
        two_factor.use_recovery_code(user, code)
    totp = current_code(user)
    two_factor.verify(user, totp)
    with pytest.raises(two_factor.TwoFactorError):
        two_factor.verify(user, totp)


def test_the_second_step_is_rate_limited_per_account(app, client, make_user):
    user = make_user("hr")
    set_up_app(user)
    password_only(client, user.email)
    statuses = [send_code(client, "/sign-in/security-code", "000000").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # A new session for the same account does not start a new count.
    other = app.test_client()
    password_only(other, user.email)
    page = other.get("/sign-in/security-code").get_data(as_text=True)
    blocked = other.post(
        "/sign-in/security-code", data={"code": current_code(user), "csrf_token": csrf_from(page)}
    )
    assert blocked.status_code == 429


def test_a_code_that_works_does_not_count_towards_the_limit(app, make_user):
    user = make_user("hr")
    for _ in range(6):
        assert sign_in(app.test_client(), user.email).status_code == 302


def test_people_without_a_required_role_are_not_asked(client, make_user):
    for role in ("applicant", "partner", "panel"):
        user = make_user(role)
        response = password_only(client, user.email)
        assert response.headers["Location"] == "/dashboard", role
        assert client.get("/dashboard").status_code == 200
        client.post(
            "/sign-out", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
        )


def test_someone_given_a_staff_role_while_signed_in_sets_up_an_app_next(
    app, client, make_user, login
):
    from lep.accounts import services

    partner = make_user("partner")
    login(partner)
    assert client.get("/dashboard").status_code == 200
    services.change_roles(partner, {"partner", "finance"}, make_user("admin"))
    response = client.get("/dashboard")
    assert response.headers["Location"] == "/account/authenticator-app?next=/dashboard"


def test_an_admin_resets_someones_app_audited_and_they_set_up_a_new_one(
    app, client, make_user, login
):
    admin = make_user("admin")
    finance = make_user("finance", full_name="Fay Money")
    theirs = app.test_client()
    assert sign_in(theirs, finance.email).status_code == 302
    assert theirs.get("/dashboard").status_code == 200

    login(admin)
    page = client.get(f"/admin/users/{finance.id}").get_data(as_text=True)
    assert "Reset authenticator app" in page
    response = client.post(
        f"/admin/users/{finance.id}/reset-authenticator-app", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    after = client.get(f"/admin/users/{finance.id}").get_data(as_text=True)
    assert "Authenticator app reset. Fay Money has been signed out" in htmllib.unescape(after)

    assert theirs.get("/dashboard").status_code == 302  # signed out
    assert db.session.get(TotpCredential, finance.id) is None
    again = password_only(app.test_client(), finance.email)
    assert again.headers["Location"].startswith("/account/authenticator-app")
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.second_factor_reset")
    )
    assert event.actor_id == admin.id and event.subject_id == str(finance.id)
    assert emails_to(finance.email)[-1].subject == "Your authenticator app was reset"

    # Not their own: another administrator has to.
    own = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "Reset authenticator app" not in own
    client.post(
        f"/admin/users/{admin.id}/reset-authenticator-app", data={"csrf_token": csrf_from(own)}
    )
    assert db.session.get(TotpCredential, admin.id) is not None


def test_new_recovery_codes_from_the_account_page_replace_the_old(client, make_user, login):
    from lep.accounts import two_factor

    user = make_user("hr")
    login(user)
    old = two_factor.replace_recovery_codes(user)
    page = client.get("/account").get_data(as_text=True)
    assert "Recovery codes left: 10" in page
    response = client.post(
        "/account/authenticator-app/recovery-codes", data={"csrf_token": csrf_from(page)}
    )
    new = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(two_factor.TwoFactorError):
        two_factor.use_recovery_code(user, old[0])
    assert "user.recovery_codes_replaced" in actions_for(user)


def test_demo_staff_sign_in_with_the_printed_key(app):
    runner = app.test_cli_runner()
    output = runner.invoke(args=["lep", "demo"]).output
    secret = app.config["DEMO_TOTP_SECRET"]
    assert secret in output
    client = app.test_client()
    response = password_only(client, "finance@example.org", app.config["DEMO_PASSWORD"])
    assert response.headers["Location"].startswith("/sign-in/security-code")
    done = send_code(client, "/sign-in/security-code", pyotp.TOTP(secret).now())
    assert done.status_code == 302
    assert client.get("/dashboard").status_code == 200
    user = db.session.scalar(select(User).where(User.email == "finance@example.org"))
    assert user is not None
