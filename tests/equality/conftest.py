"""Roles and sent applications for the equality tests."""

from __future__ import annotations

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
