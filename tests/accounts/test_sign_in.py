import re

from lep.audit.models import AuditEvent
from lep.extensions import db
from tests.conftest import PASSWORD, csrf_from, finish_second_step, sign_in

SAME_MESSAGE = "Enter a correct email address and password"


def test_right_password_signs_in_and_is_audited(client, make_user):
    user = make_user("finance")
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    assert user.full_name in client.get("/dashboard").get_data(as_text=True)
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(subject_id=str(user.id))]
    assert "user.signed_in" in actions


def test_wrong_password_unknown_email_and_deactivated_account_look_the_same(client, make_user):
    user = make_user("hr")
    gone = make_user("hr", active=False)
    pages = [
        sign_in(client, user.email, "wrong password!"),
        sign_in(client, "nobody@example.org", PASSWORD),
        sign_in(client, gone.email, PASSWORD),
    ]
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert SAME_MESSAGE in html
        assert html.count(SAME_MESSAGE) == 2  # in the summary and at the field
        assert "<title>Error: Sign in" in html
    assert client.get("/dashboard").status_code == 302
    failed = db.session.query(AuditEvent).filter_by(action="user.sign_in_failed").all()
    assert sorted(e.subject_id for e in failed) == sorted([str(user.id), str(gone.id)])
    assert all(e.actor_id is None for e in failed)


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(client, make_user):
    user = make_user("admin")
    page = client.get("/sign-in")
    token = csrf_from(page.get_data(as_text=True))
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/sign-in?next=//evil.example/steal", data=data)
    response = finish_second_step(client, response, user.email)
    assert response.headers["Location"].endswith("/dashboard")
    client.post(
        "/sign-out", data={"csrf_token": csrf_from(client.get("/dashboard").get_data(as_text=True))}
    )
    page = client.get("/sign-in")
    data["csrf_token"] = csrf_from(page.get_data(as_text=True))
    response = client.post("/sign-in?next=/admin/users/", data=data)
    response = finish_second_step(client, response, user.email)
    assert response.headers["Location"].endswith("/admin/users/")


def test_sign_out_ends_the_session(client, make_user, login):
    login(make_user("panel"))
    html = client.get("/dashboard").get_data(as_text=True)
    response = client.post("/sign-out", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_sign_in_is_rate_limited(client, make_user, app):
    user = make_user("applicant")
    statuses = [sign_in(client, user.email, "wrong password!").status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    page = sign_in(client, user.email, PASSWORD)
    assert page.status_code == 429
    html = page.get_data(as_text=True)
    assert "Too many attempts" in html
    assert re.search(r'class="nhsuk-header', html)
