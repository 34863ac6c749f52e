"""GET /api/v1/applications and /applications/<ref>: a person's own applications, nobody else's."""

from __future__ import annotations

from typing import Any

import pytest

from lep.applications import services
from lep.applications.models import Application
from lep.extensions import db
from lep.roles.demo import seed_roles
from tests.api.conftest import bearer

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
    return seed_roles()  # partner (2 questions), panel (lottery, 1), research (1)


def submitted(role, person, **support: Any) -> Application:
    application = services.start_application(role, person)
    for question in role.questions:
        assert services.save_answer(application, question, ANSWER) == {}
    if support:
        services.save_support(application, **support)
    application, sent = services.submit(application, True)
    assert sent
    return application


def get_json(client, path: str, status: int = 200, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
    response = client.get(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def test_the_list_is_my_own_applications_newest_first(client, login, make_user, roles):
    partner, panel, research = roles
    me = make_user("applicant")
    someone_else = make_user("applicant")
    first = submitted(partner, me)
    theirs = submitted(panel, someone_else)
    draft = services.start_application(research, me)
    login(me)
    body = get_json(client, "/api/v1/applications")  # the browser session is enough to read
    assert [a["id"] for a in body] == [draft.id, first.id]
    assert [a["ref"] for a in body] == [f"draft-{draft.id}", first.reference]
    assert theirs.id not in [a["id"] for a in body]
    assert body[0]["reference"] is None
    assert body[0]["status"] == "draft"
    assert body[0]["status_text"] == "Not sent yet"
    assert body[0]["submitted_at"] is None


def test_an_application_as_its_applicant_sees_it(client, login, make_user, roles, storage):
    partner = roles[0]
    me = make_user("applicant")
    application = services.start_application(partner, me)
    first, second = partner.questions
    services.save_answer(application, second, "Second answer, saved first.")
    services.save_answer(application, first, ANSWER)
    services.save_support(
        application,
        adjustments_application="Large print, please",
        adjustments_interview="A quiet room",
        contact_method="phone",
        contact_times="Mornings",
        phone="07700 900123",
        helped_by="My sister",
        guaranteed_interview=True,
    )
    services.attach_file(application, "C:\\Users\\me\\My story.pdf", PDF)
    application, _ = services.submit(application, True)
    login(me)
    body = get_json(client, f"/api/v1/applications/{application.reference}")
    assert body == {
        "id": application.id,
        "ref": application.reference,
        "reference": application.reference,
        "status": "submitted",
        "status_text": "Sent: we will be in touch after the closing date",
        "role": {
            "id": partner.id,
            "title": "Lived Experience Partner",
            "closes_at": partner.closes_at.isoformat(),
        },
        "started_at": application.created_at.isoformat(),
        "updated_at": application.updated_at.isoformat(),
        "submitted_at": application.submitted_at.isoformat(),
        "withdrawn_at": None,
        "declaration_at": application.declaration_at.isoformat(),
        "answers": [
            {
                "question": first.text,
                "word_limit": 300,
                "answer": ANSWER,
                "word_count": 13,
            },
            {
                "question": second.text,
                "word_limit": 300,
                "answer": "Second answer, saved first.",
                "word_count": 4,
            },
        ],
        "files": [
            {
                "original_name": "My story.pdf",
                "kind": "pdf",
                "content_type": "application/pdf",
                "size_bytes": len(PDF),
                "uploaded_at": application.files[0].created_at.isoformat(),
            }
        ],
        "support": {
            "adjustments_application": "Large print, please",
            "adjustments_interview": "A quiet room",
            "helped_by": "My sister",
        },
        "contact": {
            "method": "phone",
            "method_text": "Phone call",
            "times": "Mornings",
            "phone": "07700 900123",
            "address": [],  # only for post
        },
        "guaranteed_interview": True,
        "quota_answers": [],
    }
    assert body["submitted_at"].endswith("+00:00")
    # Where the file is kept never leaves the system.
    raw = client.get(f"/api/v1/applications/{application.reference}").get_data(as_text=True)
    assert application.files[0].storage_key not in raw
    assert "storage_key" not in raw


def test_quota_answers_are_shown_to_their_applicant(client, login, make_user, roles):
    from lep.roles.models import QuotaCategory

    panel = roles[1]
    region = QuotaCategory(
        role_id=panel.id,
        name="Region",
        question="Which region do you live in?",
        why="So the panel includes people from across England.",
        options=["North", "South"],
    )
    db.session.add(region)
    db.session.commit()
    db.session.refresh(panel)
    me = make_user("applicant")
    application = services.start_application(panel, me)
    services.save_quota_answers(application, {region.id: "North"})
    login(me)
    body = get_json(client, f"/api/v1/applications/draft-{application.id}")
    assert body["quota_answers"] == [
        {"category": "Region", "question": "Which region do you live in?", "answer": "North"}
    ]


def test_a_reference_is_found_in_any_case_and_a_draft_by_its_id(client, login, make_user, roles):
    me = make_user("applicant")
    sent = submitted(roles[0], me)
    draft = services.start_application(roles[1], me)
    login(me)
    assert get_json(client, f"/api/v1/applications/{sent.reference.lower()}")["id"] == sent.id
    assert get_json(client, f"/api/v1/applications/draft-{draft.id}")["id"] == draft.id
    # A sent application is found only by its reference.
    get_json(client, f"/api/v1/applications/draft-{sent.id}", status=404)
    for nonsense in (
        "draft-",
        "draft-x",
        "draft-0",
        "LEP-2026-",
        "%00",
        "draft-99999999999999999999",
        "draft-999999999999999999",
    ):
        get_json(client, f"/api/v1/applications/{nonsense}", status=404)


def test_someone_elses_application_is_not_found(client, login, make_user, roles):
    me = make_user("applicant")
    them = make_user("applicant")
    theirs = submitted(roles[0], them)
    their_draft = services.start_application(roles[1], them)
    login(me)
    missing = get_json(client, "/api/v1/applications/LEP-2026-999999", status=404)
    for ref in (theirs.reference, f"draft-{their_draft.id}"):
        body = get_json(client, f"/api/v1/applications/{ref}", status=404)
        assert body == missing  # exactly as a reference that does not exist
        assert body["message"] == "You have no application with this reference"
    assert get_json(client, "/api/v1/applications") == []


def test_a_token_reads_only_its_own_persons_applications(client, make_user, token_for, roles):
    """A staff member who has also applied: their token reads theirs, never anyone else's."""
    staff_applicant = make_user("panel", "applicant")
    other = make_user("applicant")
    mine = submitted(roles[0], staff_applicant)
    theirs = submitted(roles[0], other)
    headers = bearer(token_for(staff_applicant))
    listed = get_json(client, "/api/v1/applications", headers=headers)
    assert [a["id"] for a in listed] == [mine.id]
    assert get_json(client, f"/api/v1/applications/{mine.reference}", headers=headers)["id"] == (
        mine.id
    )
    body = get_json(client, f"/api/v1/applications/{theirs.reference}", status=404, headers=headers)
    assert body["code"] == 404
    assert theirs.reference not in str(body)


def test_a_staff_token_without_the_applicant_role_is_refused_alike_for_any_reference(
    client, make_user, staff_header, roles
):
    theirs = submitted(roles[0], make_user("applicant"))
    for roles_ in (("hr",), ("admin",), ("panel",)):
        headers = staff_header(*roles_)
        assert get_json(client, "/api/v1/applications", status=403, headers=headers)["code"] == 403
        real = get_json(
            client, f"/api/v1/applications/{theirs.reference}", status=403, headers=headers
        )
        made_up = get_json(
            client, "/api/v1/applications/LEP-2026-999999", status=403, headers=headers
        )
        assert real == made_up  # a 403 says nothing about whether the reference exists


def test_signed_out_is_401_and_a_session_without_the_applicant_role_is_403(
    client, login, make_user, roles
):
    theirs = submitted(roles[0], make_user("applicant"))
    for path in ("/api/v1/applications", f"/api/v1/applications/{theirs.reference}"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="lep"'
    login(make_user("partner"))
    for path in ("/api/v1/applications", f"/api/v1/applications/{theirs.reference}"):
        assert get_json(client, path, status=403)["code"] == 403


def test_a_bad_token_is_refused_even_with_a_session(client, login, make_user, roles):
    me = make_user("applicant")
    mine = submitted(roles[0], me)
    login(me)
    response = client.get(f"/api/v1/applications/{mine.reference}", headers=bearer("lep_nonsense"))
    assert response.status_code == 401


def test_the_session_never_writes(client, login, make_user):
    login(make_user("applicant"))
    # No write operation exists; the session's read access is only for GET and HEAD.
    assert client.post("/api/v1/applications").status_code in (401, 405)
    assert client.delete("/api/v1/applications/LEP-2026-000001").status_code in (401, 405)


def test_the_operations_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    listed = spec["paths"]["/api/v1/applications"]["get"]
    one = spec["paths"]["/api/v1/applications/{ref}"]["get"]
    assert {"200", "401", "403"} <= set(listed["responses"])
    assert {"200", "401", "403", "404"} <= set(one["responses"])
    assert "security" not in listed and "security" not in one  # the token scheme applies
    assert "draft-<id>" in one["description"]
    assert listed["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Application"},
    }
    application = spec["components"]["schemas"]["Application"]["properties"]
    assert application["answers"]["items"] == {"$ref": "#/components/schemas/ApplicationAnswer"}
    assert "storage_key" not in str(spec["components"]["schemas"])
