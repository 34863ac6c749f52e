"""The service contract: what every package's services share.

A service takes who acts as an argument, does its work in the session, raises `DomainError`
with messages by field when it cannot, and ends with `commit()`. Work that must happen only
once the change is kept (an email handed to the queue, a job, a page cache emptied) is
registered with `after_commit(fn)`: `commit()` runs it after the commit, and a rollback drops
it. Views call services inside `shown_on(form)`, which puts a `DomainError`'s messages at the
form's fields.

    def withdraw(application, actor):
        if application.status != "submitted":
            raise DomainError({"application": "This application was already withdrawn"})
        application.status = "withdrawn"
        audit.record("application.withdrawn", actor=actor, subject=application)
        after_commit(lambda: deliver_queued(message))
        commit()

    with shown_on(form) as attempt:
        services.withdraw(application, current_person())
    if attempt.ok:
        return redirect(...)

This module imports only the extensions, so any package may use it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from lep.extensions import db

LONDON = ZoneInfo("Europe/London")
AFTER_COMMIT_KEY = "lep_after_commit"


class DomainError(Exception):
    """What cannot be saved or done, by field, in words for the person.

    `errors` maps a form field's name (or "form" for the page as a whole) to a message. A
    bare string is taken as one message for the page."""

    def __init__(self, errors: Mapping[str, str] | str) -> None:
        if isinstance(errors, str):
            errors = {"form": errors}
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(self.errors.values()))

    @property
    def message(self) -> str:
        """The first message, for a flash or a one-line answer."""
        return next(iter(self.errors.values()), "")


# --- The clock ----------------------------------------------------------------------------------

_frozen_at: dt.datetime | None = None


def utcnow() -> dt.datetime:
    """Now, aware UTC. Tests move it with `freeze(...)` instead of patching each module."""
    return _frozen_at if _frozen_at is not None else dt.datetime.now(dt.UTC)


def freeze(at: dt.datetime | None) -> None:
    """Hold the clock at an aware time (None lets it run again). For tests and the demo."""
    global _frozen_at
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen_at = at


def london_today() -> dt.date:
    """Today's date in Europe/London."""
    return utcnow().astimezone(LONDON).date()


# --- The transaction ----------------------------------------------------------------------------


class _Pending:
    """The work registered in one transaction: in order, and the batches by their function."""

    def __init__(self) -> None:
        self.work: list[Callable[[], object]] = []
        self.batches: dict[Callable[..., object], list[Any]] = {}


def _pending(session: Session | None = None) -> _Pending:
    session = session if session is not None else db.session()
    if not session.in_transaction():
        session.begin()
    pending: _Pending | None = session.info.get(AFTER_COMMIT_KEY)
    if pending is None:
        pending = session.info[AFTER_COMMIT_KEY] = _Pending()
    return pending


def after_commit(fn: Callable[[], object]) -> None:
    """Run `fn` once the current transaction is committed by `commit()`; dropped on rollback."""
    _pending().work.append(fn)


def after_commit_once(fn: Callable[[], object], session: Session | None = None) -> None:
    """`after_commit(fn)`, unless `fn` is already registered this transaction (however often a
    change asks for it: the page cache is emptied once). `session`: for a session event's
    listener, the session the event is about (the app's own by default)."""
    pending = _pending(session)
    if fn not in pending.batches:
        pending.batches[fn] = []
        pending.work.append(fn)


def after_commit_batch(fn: Callable[[list[Any]], object], item: Any) -> None:
    """Add `item` to this transaction's batch for `fn`: after the commit, `fn(items)` runs once
    with all of them, in order, where the first was added. For work a transaction may ask for
    thousands of times (a payment run's emails): one call, not one closure each."""
    pending = _pending()
    items = pending.batches.get(fn)
    if items is None:
        items = pending.batches[fn] = []
        pending.work.append(functools.partial(fn, items))
    items.append(item)


def commit(*, keep_loaded: bool = False) -> None:
    """Commit the session, then run the work registered with `after_commit`, in order.

    `keep_loaded` commits without expiring what the session holds: for a service whose caller
    reads what was just written (a page, an email) and should not load it all again."""
    session = db.session()
    expire = session.expire_on_commit
    if keep_loaded:
        session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    pending: _Pending | None = session.info.pop(AFTER_COMMIT_KEY, None)
    for fn in pending.work if pending is not None else ():
        fn()


def rollback() -> None:
    """Roll back, dropping any work registered for after the commit."""
    db.session.rollback()


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(AFTER_COMMIT_KEY, None)


@sa_event.listens_for(Session, "after_transaction_create")
def _drop_left_over(session: Session, transaction: SessionTransaction) -> None:
    # Work left by a transaction that ended without `commit()` running it (the session was
    # closed, or committed directly) is dropped: it must not run after some later commit.
    if transaction.parent is None:
        session.info.pop(AFTER_COMMIT_KEY, None)


# --- Views --------------------------------------------------------------------------------------


def current_person() -> Any:
    """The signed-in person (the real object behind flask_login's proxy), for a view to pass
    to a service as the actor. Services never read flask_login themselves."""
    from flask_login import current_user

    return current_user._get_current_object()


class shown_on:
    """Run a service call; a `DomainError` is put at the form's fields instead of raised.

        with shown_on(form, aliases={"claimant": "role_id"}) as attempt:
            claim = services.start_claim(me, role_id)
        if attempt.ok:
            return redirect(...)

    Without a form (`shown_on(None)`) the messages are flashed as errors."""

    def __init__(self, form: Any, aliases: Mapping[str, str] | None = None) -> None:
        self.form = form
        self.aliases = aliases
        self.error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def errors(self) -> dict[str, str]:
        return self.error.errors if self.error is not None else {}

    def __enter__(self) -> shown_on:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if not isinstance(exc, DomainError):
            return False
        self.error = exc
        if self.form is None:
            from flask import flash

            for message in exc.errors.values():
                flash(message, "error")
        else:
            from lep.forms import show_errors

            show_errors(self.form, exc.errors, self.aliases)
        return True
