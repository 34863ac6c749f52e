"""Roles and sent applications for the equality tests."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from lep.applications.models import Application
from lep.db import utcnow
from lep.extensions import db
from lep.roles.demo import seed_roles


@pytest.fixture
def roles():
    return seed_roles()  # Lived Experience Partner (scored), Patient panel member (lottery), ...


@pytest.fixture
def role(roles):
    return roles[0]


@pytest.fixture
def sent_application():
    """An application in any status, made directly (the journey has its own tests)."""

    def make(role, person, status="submitted"):
        application = Application(
            role_id=role.id,
            applicant_id=person.id,
            status=status,
            submitted_at=None if status == "draft" else utcnow(),
        )
        db.session.add(application)
        db.session.commit()
        if status != "draft":
            application.reference = f"LEP-TEST-{application.id:06d}"
            db.session.commit()
        return application

    return make


def error_at(page: str, field_id: str) -> str:
    """The error message shown at a field (NHS.UK error message), as plain text."""
    match = re.search(
        rf'<span class="nhsuk-error-message" id="{re.escape(field_id)}-error">(.*?)</span>\s*'
        r"(.*?)\s*</span>",
        page,
        re.S,
    )
    assert match, f"no error shown at {field_id}"
    return htmllib.unescape(match.group(2)).strip()
