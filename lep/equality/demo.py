"""Demo equality monitoring answers for some of the demo applications (lep.applications.demo).

Saved through lep.equality.services as the applicant, so they are checked and audited like real
ones. Idempotent: an application that already has answers is left alone. The main demo applicant
has none, so the optional step can be tried.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lep.accounts.models import User
from lep.applications.models import Application
from lep.equality.models import PREFER_NOT
from lep.equality.services import response_for, save_equality
from lep.extensions import db
from lep.roles.demo import ROLES as DEMO_ROLES
from lep.roles.models import Role

PARTNER, PANEL, RESEARCH = (spec["input"].title for spec in DEMO_ROLES)  # type: ignore[attr-defined]

DEMO_ANSWERS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "applicant2@example.org",
        PARTNER,
        {
            "age_band": "35_44",
            "sex": "female",
            "gender_same_as_birth": "yes",
            "ethnic_group": "white",
            "disability": "yes",
            "sexual_orientation": "straight",
            "religion": "none",
            "carer": "no",
            "region": "yorkshire",
        },
    ),
    (
        "applicant3@example.org",
        PARTNER,
        {
            "age_band": "25_34",
            "sex": "male",
            "gender_same_as_birth": "yes",
            "ethnic_group": "black",
            "disability": "no",
            "sexual_orientation": PREFER_NOT,
            "religion": "christian",
            "carer": "yes",
            "region": "yorkshire",
        },
    ),
    (
        "applicant5@example.org",
        PARTNER,
        {"age_band": "45_54", "disability": "yes", "region": "north_west", "carer": PREFER_NOT},
    ),
    (
        "applicant6@example.org",
        PARTNER,
        {
            "age_band": "25_34",
            "sex": "female",
            "ethnic_group": "asian",
            "disability": "no",
            "religion": "muslim",
            "region": "yorkshire",
        },
    ),
    (
        "applicant7@example.org",
        PARTNER,
        dict.fromkeys(["age_band", "sex", "disability"], PREFER_NOT),
    ),
    (
        "applicant3@example.org",
        PANEL,
        {
            "age_band": "25_34",
            "sex": "male",
            "ethnic_group": "black",
            "disability": "no",
            "region": "yorkshire",
        },
    ),
    ("applicant6@example.org", RESEARCH, {"age_band": "25_34", "region": "yorkshire"}),
]


def seed_equality() -> None:
    for email, title, answers in DEMO_ANSWERS:
        application = db.session.scalar(
            select(Application)
            .join(User, User.id == Application.applicant_id)
            .join(Role, Role.id == Application.role_id)
            .where(User.email == email, Role.title == title)
        )
        if application is None or application.status == "draft":
            continue
        if response_for(application) is not None:
            continue  # seeded before
        save_equality(application, answers, by=application.applicant)
