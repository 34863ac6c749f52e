"""Demo data for `make run`: one account per role, the 2025/26 pay table, the NHS England PPV
rate card and a role of each engagement type. Later steps add applications, claims and payments."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from lep import audit
from lep.access import ROLES
from lep.accounts import two_factor
from lep.accounts.auth import hash_password
from lep.accounts.models import User
from lep.db import utcnow
from lep.extensions import db
from lep.service import commit

DEMO_USERS = [
    ("applicant@example.org", "Alex Applicant", {"applicant"}),
    ("partner@example.org", "Priya Partner", {"partner"}),
    ("panel@example.org", "Pat Panel", {"panel"}),
    ("coordinator@example.org", "Cora Coordinator", {"coordinator"}),
    ("hr@example.org", "Harriet HR", {"hr"}),
    ("finance@example.org", "Fin Finance", {"finance"}),
    ("admin@example.org", "Ada Admin", {"admin"}),
]


def seed() -> list[tuple[str, list[str]]]:
    accounts = seed_accounts()
    from lep.roles.demo import seed_roles

    seed_roles()
    from lep.applications.demo import seed_applications

    accounts += seed_applications()
    from lep.shortlisting.demo import seed_demo_panels

    accounts += seed_demo_panels()
    from lep.shortlisting.lottery_demo import seed_demo_lottery

    seed_demo_lottery()
    from lep.equality.demo import seed_equality

    seed_equality()
    from lep.expenses.demo import seed_demo_claims

    accounts += seed_demo_claims()
    from lep.partners.involvement_demo import seed_demo_involvement

    accounts += seed_demo_involvement()
    from lep.payments.demo import seed_demo_payments

    accounts += seed_demo_payments()
    return accounts


def seed_accounts() -> list[tuple[str, list[str]]]:
    created = []
    for email, name, roles in DEMO_USERS:
        demo_user(email, name, roles)
        created.append((email, sorted(roles)))
    commit()
    return created


def demo_user(email: str, name: str, roles: set[str]) -> User:
    """The demo account with this email, made (with the demo password) if it is not there yet.

    The caller commits."""
    assert roles <= set(ROLES)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            full_name=name,
            password_hash=hash_password(current_app.config["DEMO_PASSWORD"]),
            email_confirmed_at=utcnow(),
        )
        user.set_roles(roles)
        db.session.add(user)
        db.session.flush()
        audit.record(
            "user.demo_seeded",
            "user",
            user.id,
            after={"roles": sorted(roles)},
            actor_label="demo",
        )
    if two_factor.is_required(user) and not two_factor.is_enrolled(user):
        # Ready to sign in: the authenticator app secret is printed by `flask lep demo`.
        two_factor.enrol_with_secret(user, current_app.config["DEMO_TOTP_SECRET"])
        audit.record(
            "user.second_factor_enrolled",
            "user",
            user.id,
            after={"method": "authenticator app", "demo_secret": True},
            actor_label="demo",
        )
    return user
