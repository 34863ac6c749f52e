"""Who the API lets in: a live personal token of an active staff account, and nothing else."""

from __future__ import annotations

import pytest
from flask import jsonify, request
from flask_login import current_user
from sqlalchemy import select

from lep import create_app
from lep.access import STAFF_ROLES, require_role
from lep.accounts import services
from lep.accounts.models import ApiToken, User
from lep.accounts.tokens import generate_api_token, hash_api_token, user_for_api_token
from lep.extensions import db
from tests.api.conftest import bearer
from tests.conftest import csrf_from, sign_in

ME = "/api/v1/me"


def assert_json_401(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == 401
    assert body["status"] == "Unauthorized"
    assert body["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_no_token_is_401_json(client):
    assert_json_401(client.get(ME))
    assert_json_401(client.get("/api/v1/audit-events"))


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "lep_abcdef",
        "Token lep_abcdef",
        "Basic dXNlcjpwYXNz",
        "Bearer abcdef",
        "Bearer lep_",
        "Bearer lep_not-a-real-token-at-all",
        "Bearer lep_abc def",
        "Bearer lep_\u00e9\u00e9\u00e9",
    ],
)
def test_malformed_or_unknown_token_is_401_json(client, header):
    assert_json_401(client.get(ME, headers={"Authorization": header}))


def test_a_token_that_differs_by_one_character_is_refused(client, make_user, token_for):
    secret = token_for(make_user("hr"))
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert_json_401(client.get(ME, headers=bearer(tampered)))
    assert client.get(ME, headers=bearer(secret)).status_code == 200


def test_the_scheme_is_case_insensitive_and_spaces_are_forgiven(client, make_user, token_for):
    secret = token_for(make_user("hr"))
    for header in (f"bearer {secret}", f"BEARER {secret}", f"Bearer  {secret} "):
        assert client.get(ME, headers={"Authorization": header}).status_code == 200, header


def test_a_revoked_token_is_401(client, make_user, token_for):
    user = make_user("hr")
    secret = token_for(user)
    assert client.get(ME, headers=bearer(secret)).status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    services.revoke_api_token(user, token.id)
    assert_json_401(client.get(ME, headers=bearer(secret)))


def test_a_deactivated_users_token_is_401(client, make_user, token_for):
    admin = make_user("admin")
    user = make_user("finance")
    secret = token_for(user)
    assert client.get(ME, headers=bearer(secret)).status_code == 200
    services.set_active(user, False, by=admin)
    assert_json_401(client.get(ME, headers=bearer(secret)))


def test_a_deactivated_users_token_is_401_even_if_not_revoked(client, make_user, token_for):
    """The lookup checks the account itself, not only that deactivation revoked the tokens."""
    user = make_user("hr")
    secret = token_for(user)
    user.active = False
    db.session.commit()
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.revoked_at is None
    assert_json_401(client.get(ME, headers=bearer(secret)))


@pytest.mark.parametrize("role", ["applicant", "partner"])
def test_a_non_staff_account_cannot_create_a_token(make_user, role):
    user = make_user(role)
    with pytest.raises(services.AccountError):
        services.create_api_token(user, "mine")
    assert db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


@pytest.mark.parametrize("role", ["applicant", "partner"])
def test_a_token_forced_into_the_db_for_a_non_staff_account_is_refused(client, make_user, role):
    user = make_user(role)
    new = generate_api_token(user, "smuggled")  # bypasses the service's staff check
    db.session.commit()
    assert_json_401(client.get(ME, headers=bearer(new.secret)))


def test_a_token_stops_working_when_its_owner_is_no_longer_staff(client, make_user, token_for):
    admin = make_user("admin")
    user = make_user("hr")
    secret = token_for(user)
    assert client.get(ME, headers=bearer(secret)).status_code == 200
    services.change_roles(user, {"applicant"}, by=admin)
    assert_json_401(client.get(ME, headers=bearer(secret)))


def test_a_session_cookie_never_authenticates_an_api_call(client, make_user, login):
    user = make_user("admin")
    login(user)
    assert client.get("/dashboard").status_code == 200  # the web session is signed in
    assert_json_401(client.get(ME))
    assert_json_401(client.get("/api/v1/audit-events"))


def test_the_token_decides_who_you_are_whatever_the_session(client, make_user, login, token_for):
    admin = make_user("admin")
    hr = make_user("hr")
    login(admin)
    response = client.get(ME, headers=bearer(token_for(hr)))
    assert response.get_json()["email"] == hr.email
    assert client.get("/api/v1/audit-events", headers=bearer(token_for(hr))).status_code == 403


def test_last_used_at_is_recorded_and_committed(client, make_user, token_for):
    user = make_user("panel")
    token_for(user)
    secret = token_for(user, "the one in use")
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "the one in use"))
    token_id = token.id
    assert token.last_used_at is None
    db.session.commit()  # the request starts with nothing under way, as in production

    assert client.get(ME, headers=bearer(secret)).status_code == 200

    db.session.rollback()  # anything merely pending would be lost here
    used = db.session.get(ApiToken, token_id)
    assert used.last_used_at is not None
    other = db.session.scalar(select(ApiToken).where(ApiToken.name == "test client"))
    assert other.last_used_at is None


def test_a_refused_token_is_not_marked_used(client, make_user, token_for):
    user = make_user("hr")
    secret = token_for(user)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    services.revoke_api_token(user, token.id)
    client.get(ME, headers=bearer(secret))
    db.session.refresh(token)
    assert token.last_used_at is None


def test_the_lookup_never_commits_half_done_work(app, make_user, token_for):
    """Called while another transaction is under way, it leaves committing to that transaction."""
    user = make_user("hr")
    secret = token_for(user)
    with app.test_request_context(ME):
        db.session.add(User(email="half-done@example.org", full_name="Half done"))
        assert user_for_api_token(f"Bearer {secret}") is user
        db.session.rollback()
    assert services.find_user_by_email("half-done@example.org") is None


def test_tokens_are_stored_hashed(make_user, token_for):
    user = make_user("admin")
    secret = token_for(user)
    rows = db.session.execute(db.text("SELECT * FROM api_token")).mappings().all()
    assert len(rows) == 1
    row = rows[0]
    assert row["token_hash"] == hash_api_token(secret)
    assert row["prefix"] == secret[:10]
    for column, value in row.items():
        assert secret not in str(value), column
        assert secret[len("lep_") :] not in str(value), column


# A POST in the API: the API has no POST endpoint yet, so an app of its own gets one in the
# api blueprint, guarded like any API view.


@pytest.fixture
def post_app(app):
    extra = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])

    @require_role(*STAFF_ROLES)
    def echo():  # type: ignore[no-untyped-def]
        return jsonify({"email": current_user.email, "body": request.get_json(silent=True)})

    extra.add_url_rule("/api/v1/_echo", endpoint="api._echo", view_func=echo, methods=["POST"])
    return extra


def test_a_post_with_a_valid_token_needs_no_csrf_token(post_app, make_user, token_for):
    user = make_user("hr")
    client = post_app.test_client()
    response = client.post("/api/v1/_echo", json={"x": 1}, headers=bearer(token_for(user)))
    assert response.status_code == 200
    assert response.get_json() == {"email": user.email, "body": {"x": 1}}
    # CSRF is on for everything else: the same kind of POST to a web form is refused.
    assert client.post("/sign-out").status_code == 400


def test_a_post_with_only_a_session_cookie_is_refused(post_app, make_user):
    user = make_user("admin")
    client = post_app.test_client()
    assert sign_in(client, user.email).status_code == 302
    csrf = csrf_from(client.get("/account").get_data(as_text=True))
    for headers in ({}, {"X-CSRFToken": csrf}):
        response = client.post("/api/v1/_echo", json={"x": 1}, headers=headers)
        assert_json_401(response)
