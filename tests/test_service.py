"""The service contract (lep/service.py): DomainError, after_commit/commit, shown_on, the clock."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from wtforms import StringField

from lep import service
from lep.accounts.models import User
from lep.extensions import db
from lep.service import DomainError, after_commit, commit, shown_on


def test_domain_error_keeps_messages_by_field() -> None:
    error = DomainError({"amount": "Enter an amount", "date": "Enter a date"})
    assert error.errors == {"amount": "Enter an amount", "date": "Enter a date"}
    assert error.message == "Enter an amount"
    assert str(error) == "Enter an amount; Enter a date"
    assert DomainError("Already sent").errors == {"form": "Already sent"}


def test_after_commit_runs_once_after_the_commit_in_order(app: Flask) -> None:
    ran: list[str] = []
    db.session.add(User(email="a@example.org", full_name="A", password_hash="x"))
    after_commit(lambda: ran.append("email"))
    after_commit(lambda: ran.append("job"))
    assert ran == []
    commit()
    assert ran == ["email", "job"]
    commit()
    assert ran == ["email", "job"]  # not again


def test_after_commit_is_dropped_on_rollback(app: Flask) -> None:
    ran: list[str] = []
    db.session.add(User(email="b@example.org", full_name="B", password_hash="x"))
    after_commit(lambda: ran.append("email"))
    service.rollback()
    commit()
    assert ran == []


def test_after_commit_sees_what_was_committed(app: Flask) -> None:
    user = User(email="c@example.org", full_name="C", password_hash="x")
    db.session.add(user)
    seen: list[int | None] = []
    after_commit(lambda: seen.append(db.session.get(User, user.id).id))  # type: ignore[union-attr]
    commit()
    assert seen == [user.id]


def test_commit_keeping_loaded_does_not_expire(app: Flask) -> None:
    user = User(email="d@example.org", full_name="D", password_hash="x")
    db.session.add(user)
    commit(keep_loaded=True)
    assert "full_name" in user.__dict__
    commit()
    assert db.session().expire_on_commit is True


class _Form(FlaskForm):
    amount = StringField("Amount")


def test_shown_on_puts_messages_at_fields(app: Flask) -> None:
    with app.test_request_context(method="POST"):
        form = _Form(meta={"csrf": False})
        with shown_on(form, aliases={"pence": "amount"}) as attempt:
            raise DomainError({"pence": "Enter an amount", "claim": "Already sent"})
        assert not attempt.ok
        assert form.amount.errors == ["Enter an amount"]
        assert form.form_errors == ["Already sent"]
        with shown_on(form) as attempt:
            pass
        assert attempt.ok


def test_shown_on_lets_other_errors_through(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(KeyError), shown_on(None):
        raise KeyError("x")


def test_the_clock_freezes_and_runs_again() -> None:
    at = dt.datetime(2027, 3, 26, 0, 30, tzinfo=dt.UTC)
    service.freeze(at)
    try:
        assert service.utcnow() == at
        assert service.london_today() == dt.date(2027, 3, 26)
        with pytest.raises(ValueError):
            service.freeze(dt.datetime(2027, 1, 1))  # noqa: DTZ001 - the point of the test
    finally:
        service.freeze(None)
    assert service.utcnow() != at
