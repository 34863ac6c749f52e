"""Download everything we hold about you: /account/my-data.json, the person's own data only."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from lep.accounts.services import create_api_token
from lep.applications import services
from lep.audit.models import AuditEvent
from lep.equality.services import save_equality
from lep.extensions import db
from lep.roles.demo import seed_roles

URL = "/account/my-data.json"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ANSWER = "I learned a lot from my own care and I share it kindly."


@pytest.fixture
def storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    app.extensions.pop("lep_storage", None)
    yield tmp_path / "uploads"
    app.extensions.pop("lep_storage", None)


@pytest.fixture
def roles():
    return seed_roles()


def submitted(role, person):  # type: ignore[no-untyped-def]
    application = services.start_application(role, person)
    for question in role.questions:
        assert services.save_answer(application, question, ANSWER) == {}
    application, sent = services.submit(application, True)
    assert sent
    return application


def download(client) -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = client.get(URL)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert response.headers["Cache-Control"] == "no-store"
    return json.loads(response.get_data(as_text=True))


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_everything_about_me_and_nothing_about_anyone_else(
    client, login, make_user, roles, storage
):
    partner, panel, research = roles
    me = make_user("applicant", full_name="Alex Example", email="alex@example.org")
    them = make_user("applicant", full_name="Sam Someone", email="sam@example.org")

    mine = services.start_application(partner, me)
    for question in partner.questions:
        services.save_answer(mine, question, ANSWER)
    services.save_support(
        mine,
        adjustments_interview="Questions in writing beforehand",
        contact_method="text",
        phone="07700 900456",
        guaranteed_interview=True,
    )
    services.attach_file(mine, "story.pdf", PDF)
    mine, _ = services.submit(mine, True)
    draft = services.start_application(research, me)
    services.request_other_way(panel, me, "phone", "I find forms hard", "phone", "07700 900456")
    save_equality(mine, {"age_band": "35_44", "carer": "prefer_not_to_say"}, by=me)

    theirs = submitted(partner, them)
    services.request_other_way(panel, them, "paper", "Their secret request", "email", "")
    save_equality(theirs, {"age_band": "65_plus", "region": "london"}, by=them)

    login(me)
    data = download(client)
    assert set(data) == {
        "exported_at",
        "account",
        "api_tokens",
        "applications",
        "requests_to_apply_another_way",
        "equality_monitoring",
    }
    account = data["account"]
    assert account["name"] == "Alex Example"
    assert account["email"] == "alex@example.org"
    assert account["roles"] == ["applicant"]
    assert account["role_names"] == ["Applicant"]
    assert account["email_confirmed"] is True
    assert account["created_at"].endswith("+00:00")
    assert "password_hash" not in account and "session_version" not in account

    assert [a["id"] for a in data["applications"]] == [draft.id, mine.id]
    sent = data["applications"][1]
    assert sent["reference"] == mine.reference
    assert sent["guaranteed_interview"] is True
    assert sent["support"]["adjustments_interview"] == "Questions in writing beforehand"
    assert sent["contact"] == {
        "method": "text",
        "method_text": "Text message",
        "times": "",
        "phone": "07700 900456",
        "address": [],  # only for post
    }
    assert [a["answer"] for a in sent["answers"]] == [ANSWER, ANSWER]
    assert sent["files"][0]["original_name"] == "story.pdf"

    [request_] = data["requests_to_apply_another_way"]
    assert request_["method"] == "phone"
    assert request_["method_text"] == "By phone"
    assert request_["details"] == "I find forms hard"
    assert request_["role"]["title"] == panel.title

    [equality] = data["equality_monitoring"]
    assert equality["application_reference"] == mine.reference
    assert equality["age_band"] == "35_44"
    assert equality["carer"] == "prefer_not_to_say"
    assert equality["region"] is None

    raw = client.get(URL).get_data(as_text=True)
    for secret in (
        "sam@example.org",
        "Sam Someone",
        theirs.reference,
        "Their secret request",
        "65_plus",
        "london",
        mine.files[0].storage_key,
        me.password_hash,
    ):
        assert secret not in raw


def test_api_tokens_are_described_never_given_away(client, login, make_user):
    staff = make_user("panel", "applicant")
    new = create_api_token(staff, "my script")
    login(staff)
    data = download(client)
    [token] = data["api_tokens"]
    assert token["name"] == "my script"
    assert token["starts_with"] == new.token.prefix
    assert new.secret not in json.dumps(data)
    assert "token_hash" not in token
    assert new.token.token_hash not in json.dumps(data)


def test_a_person_with_nothing_else_gets_their_account(client, login, make_user):
    login(make_user("hr"))
    data = download(client)
    assert data["account"]["roles"] == ["hr"]
    assert data["applications"] == []
    assert data["requests_to_apply_another_way"] == []
    assert data["equality_monitoring"] == []


def test_the_download_is_audited(client, login, make_user, roles):
    me = make_user("applicant")
    submitted(roles[0], me)
    login(me)
    download(client)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.data_exported")
    ).one()
    assert (event.subject_type, event.subject_id, event.actor_id) == ("user", str(me.id), me.id)
    assert event.after == {"applications": 1}


def test_the_account_page_links_to_it(client, login, make_user):
    login(make_user("applicant"))
    page = client.get("/account").get_data(as_text=True)
    assert f'href="{URL}">Download everything we hold about you</a>' in page
