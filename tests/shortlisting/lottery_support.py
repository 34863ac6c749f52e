"""Builders for the lottery tests: a lottery role with quota questions, applicants with quota
answers whose panel scores make them eligible (or not), and a closed role ready to draw."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from lep.accounts.models import User
from lep.applications.models import Application, QuotaAnswer
from lep.extensions import db
from lep.roles.models import QuotaCategory, Role
from lep.roles.services import close_role
from lep.shortlisting.assessment import scored_criteria
from lep.shortlisting.models import Score, Scorecard
from tests.applications.conftest import open_role

REGIONS = ["North", "South", "East"]
AGES = ["Under 25", "25 to 64", "65 or over"]


def lottery_role(
    categories: dict[str, list[str]] | None = None,
    *,
    places: int = 3,
    title: str = "Citizens' panel",
) -> Role:
    """An open lottery role with one essential criterion and these quota questions."""
    role = open_role(title, questions=1, selection_method="lottery")
    chosen = {"Region": REGIONS, "Age band": AGES} if categories is None else categories
    role.quota_categories = [
        QuotaCategory(
            name=name,
            question=f"Which {name.lower()} are you in?",
            why="So that the panel is a fair mix.",
            options=options,
            position=position,
        )
        for position, (name, options) in enumerate(chosen.items(), start=1)
    ]
    role.posts = places
    db.session.commit()
    return role


def close(role: Role) -> Role:
    return close_role(role, None)


class Applicants:
    """Makes applications to a role: `add(Region="North", met=True)`."""

    def __init__(self, role: Role, make_user: Callable[..., User]) -> None:
        self.role = role
        self.make_user = make_user
        self.scorer = make_user("panel", full_name="Sam Scorer")
        self.count = 0

    def add(
        self,
        *,
        met: bool | None = True,
        status: str = "submitted",
        name: str | None = None,
        **answers: str,
    ) -> Application:
        """An application with these quota answers (keyword: category name with spaces as
        underscores). met=True: the panel scored every essential criterion 2; False: 0; None:
        not scored yet."""
        self.count += 1
        user = self.make_user("applicant", full_name=name or f"Applicant {self.count}")
        application = Application(role_id=self.role.id, applicant_id=user.id, status=status)
        db.session.add(application)
        db.session.flush()
        if status != "draft":
            application.reference = f"LEP-2026-{application.id:06d}"
        categories = {c.name.replace(" ", "_"): c for c in self.role.quota_categories}
        for key, value in answers.items():
            db.session.add(
                QuotaAnswer(
                    application_id=application.id, category_id=categories[key].id, value=value
                )
            )
        if met is not None:
            card = Scorecard(
                application_id=application.id,
                scorer_id=self.scorer.id,
                role_id=self.role.id,
                status="submitted",
            )
            card.scores = [
                Score(criterion_id=c.id, value=2 if met else 0) for c in scored_criteria(self.role)
            ]
            db.session.add(card)
        db.session.commit()
        return application


def spread(applicants: Applicants, n: int, **fixed: Any) -> list[Application]:
    """n eligible applicants spread across the regions and age bands."""
    made = []
    for i in range(n):
        answers = {"Region": REGIONS[i % 3], "Age_band": AGES[(i // 3) % 3]}
        answers.update(fixed)
        made.append(applicants.add(**answers))
    return made


def fresh(application: Application) -> Application:
    application_id = application.id
    db.session.expire_all()
    found = db.session.get(Application, application_id)
    assert found is not None
    return found


def statuses(role: Role) -> dict[int, str]:
    db.session.expire_all()
    return {
        a.id: a.status
        for a in db.session.scalars(select(Application).where(Application.role_id == role.id))
    }
