"""Creating and revoking personal API tokens on the account page, and the audit trail they leave."""

from __future__ import annotations

import re

from sqlalchemy import select

from lep.accounts.models import ApiToken
from lep.accounts.tokens import hash_api_token
from lep.audit.models import AuditEvent
from lep.extensions import db
from tests.api.conftest import bearer
from tests.conftest import csrf_from

SECRET = re.compile(r'id="token">\s*(lep_[A-Za-z0-9_-]{40,})\s*<')


def create_token_on_the_page(client, name: str = "payroll export"):  # type: ignore[no-untyped-def]
    csrf = csrf_from(client.get("/account").get_data(as_text=True))
    return client.post("/account/api-tokens", data={"name": name, "csrf_token": csrf})


def test_staff_create_a_token_and_see_the_secret_once(client, make_user, login):
    user = make_user("hr")
    login(user)
    response = create_token_on_the_page(client)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    match = SECRET.search(page)
    assert match, page[:2000]
    secret = match.group(1)

    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.name == "payroll export"
    assert token.token_hash == hash_api_token(secret)
    assert token.prefix == secret[:10]
    rows = db.session.execute(db.text("SELECT * FROM api_token")).mappings().all()
    assert all(secret not in str(value) for row in rows for value in row.values())

    account = client.get("/account").get_data(as_text=True)
    assert secret not in account  # shown once, never again
    assert token.prefix in account
    assert "payroll export" in account

    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.get_json()["email"] == user.email

    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "api_token.created", AuditEvent.subject_id == str(token.id)
        )
    )
    assert event is not None
    assert event.subject_type == "api_token"
    assert event.actor_id == user.id
    assert secret not in str(event.after)


def test_creating_a_token_needs_the_csrf_token(client, make_user, login):
    user = make_user("admin")
    login(user)
    response = client.post("/account/api-tokens", data={"name": "no csrf"})
    assert response.status_code == 400
    assert db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_a_token_needs_a_name(client, make_user, login):
    user = make_user("admin")
    login(user)
    response = create_token_on_the_page(client, name="")
    assert response.status_code == 400
    assert db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_an_applicant_cannot_create_a_token_on_the_page(client, make_user, login):
    user = make_user("applicant")
    login(user)
    page = client.get("/account").get_data(as_text=True)
    assert "Personal API tokens" not in page
    csrf = csrf_from(page)
    response = client.post("/account/api-tokens", data={"name": "sneaky", "csrf_token": csrf})
    assert response.status_code == 302
    assert db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_revoking_a_token_on_the_page(client, make_user, login):
    user = make_user("finance")
    login(user)
    secret = SECRET.search(create_token_on_the_page(client).get_data(as_text=True)).group(1)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200

    csrf = csrf_from(client.get("/account").get_data(as_text=True))
    response = client.post(f"/account/api-tokens/{token.id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")

    db.session.refresh(token)
    assert token.revoked_at is not None
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert "Revoked" in client.get("/account").get_data(as_text=True)

    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.subject_type == "api_token", AuditEvent.subject_id == str(token.id)
        )
    ).all()
    assert sorted(e.action for e in events) == ["api_token.created", "api_token.revoked"]
    assert all(e.actor_id == user.id for e in events)


def test_revoking_needs_the_csrf_token(client, make_user, login, token_for):
    user = make_user("hr")
    secret = token_for(user)
    login(user)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    response = client.post(f"/account/api-tokens/{token.id}/revoke")
    db.session.refresh(token)
    assert token.revoked_at is None
    assert response.status_code == 400
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200


def test_nobody_can_revoke_someone_elses_token(client, make_user, login, token_for):
    owner = make_user("hr")
    secret = token_for(owner)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    login(make_user("admin"))
    csrf = csrf_from(client.get("/account").get_data(as_text=True))
    client.post(f"/account/api-tokens/{token.id}/revoke", data={"csrf_token": csrf})
    db.session.refresh(token)
    assert token.revoked_at is None
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    revoked = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "api_token.revoked")
    ).all()
    assert revoked == []
