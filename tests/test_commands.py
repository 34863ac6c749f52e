from sqlalchemy import func, select

from lep.accounts.models import User
from lep.audit.models import AuditEvent
from lep.demo import DEMO_USERS
from lep.extensions import db
from tests.conftest import sign_in


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_create_admin_makes_an_admin_who_can_sign_in(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "lep",
            "create-admin",
            "--email",
            "Boss@Example.org",
            "--name",
            "The Boss",
            "--password",
            "a strong passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Administrator boss@example.org created" in result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert user.roles == {"admin"}
    assert sign_in(client, "boss@example.org", "a strong passphrase").status_code == 302
    again = runner.invoke(
        args=[
            "lep",
            "create-admin",
            "--email",
            "boss@example.org",
            "--name",
            "X",
            "--password",
            "a strong passphrase",
        ]
    )
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_create_admin_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=[
            "lep",
            "create-admin",
            "--email",
            "a@example.org",
            "--name",
            "A",
            "--password",
            "short",
        ]
    )
    assert result.exit_code != 0
    assert "12 characters or more" in result.output


def test_demo_seed_is_idempotent_and_every_role_can_sign_in(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lep", "demo"])
    assert first.exit_code == 0, first.output
    users, events = count(User), count(AuditEvent)
    second = runner.invoke(args=["lep", "demo"])
    assert second.exit_code == 0
    assert (count(User), count(AuditEvent)) == (users, events)
    assert first.output == second.output
    for email, _name, roles in DEMO_USERS:
        assert f"{email:<32} {', '.join(sorted(roles))}" in first.output
        response = sign_in(app.test_client(), email, app.config["DEMO_PASSWORD"])
        assert response.status_code == 302, email


def test_demo_has_applications_in_every_status_and_some_equality_answers(app):
    from lep.applications.models import APPLICATION_STATUSES, Application
    from lep.applications.services import word_count
    from lep.equality.models import EqualityResponse
    from lep.notifications.models import OutboxMessage

    assert app.test_cli_runner().invoke(args=["lep", "demo"]).exit_code == 0
    applications = db.session.scalars(select(Application)).all()
    assert {a.status for a in applications} == set(APPLICATION_STATUSES)
    for application in applications:
        for answer in application.answers:
            assert 0 < word_count(answer.text) <= answer.question.word_limit
        assert (application.reference is None) == (application.status == "draft")
    assert any(a.guaranteed_interview for a in applications)
    main = [a for a in applications if a.applicant.email == "applicant@example.org"]
    assert sorted(a.status for a in main) == ["draft", "submitted"]
    equality = count(EqualityResponse)
    assert 0 < equality < len(applications)
    events, emails = count(AuditEvent), count(OutboxMessage)
    assert app.test_cli_runner().invoke(args=["lep", "demo"]).exit_code == 0
    assert (count(Application), count(EqualityResponse)) == (len(applications), equality)
    assert (count(AuditEvent), count(OutboxMessage)) == (events, emails)
