"""Demo panels: the Band 7 Lived Experience Partner role mid-way through scoring, and a Peer
Support Trainer role ready for moderation (every card submitted, scoring closed, scorers 2 apart
on some criteria). Everything goes through the services, so the audit log reads as it would.

Idempotent: what is already there is left alone. Called by `lep.demo.seed` after the roles and
applications.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from lep.accounts.models import User
from lep.applications import services as applications
from lep.applications.models import Application
from lep.extensions import db
from lep.roles import services as roles
from lep.roles.demo import ROLES as DEMO_ROLES
from lep.roles.models import Role
from lep.roles.services import RoleInput
from lep.service import commit
from lep.shortlisting import panels, scoring
from lep.shortlisting.assessment import scored_criteria
from lep.shortlisting.models import Scorecard

PARTNER = DEMO_ROLES[0]["input"].title  # type: ignore[attr-defined]
TRAINER = "Peer Support Trainer"

SCORERS = [
    ("panel@example.org", "Pat Panel", {"panel"}),
    ("panel2@example.org", "Sam Scorer", {"panel"}),
]
TRAINER_APPLICANTS = [
    ("applicant9@example.org", "Ivy Ingram"),
    ("applicant10@example.org", "Jamal Jones"),
    ("applicant11@example.org", "Kemi Adeyemi"),
    ("applicant12@example.org", "Luca Rossi"),
]
TRAINER_ANSWERS = [
    [
        "I have lived with bipolar disorder for fifteen years and I co-facilitate a peer group "
        "at our recovery college. I learned that people open up when they see someone like them.",
        "I have used crisis services and a community team. The most useful thing was a peer "
        "worker who explained what would happen next.",
        "I care for my partner and have sat in many ward rounds. I learned to ask questions "
        "calmly and to write things down.",
        "I have had care from eating disorder services as a teenager and an adult.",
    ],
    [
        "I trained new volunteers at a helpline: I planned the sessions, used role play and "
        "asked for feedback after each one, then changed the plan.",
        "I gave a talk to student nurses about my experience of being sectioned, and they said "
        "it changed how they would speak to people.",
        "I have not trained people formally, but I often explain things to my family.",
        "I ran workshops for carers on how to prepare for a review meeting.",
    ],
]
# Each application's scores by scorer, criterion by criterion. Where the two differ by 2 or
# more, the lead has something to moderate.
TRAINER_SCORES = [
    ([3, 2, 1], [3, 3, 1]),
    ([2, 3, 2], [2, 1, 2]),  # 3 and 1 on the second criterion: flagged
    ([1, 0, 0], [1, 1, 0]),
    ([2, 2, 3], [0, 2, 2]),  # 2 and 0 on the first criterion: flagged
]


def seed_demo_panels() -> list[tuple[str, list[str]]]:
    """The demo scorers and applicants made here (for the list of accounts), and both panels."""
    from lep.demo import demo_user

    accounts = []
    scorers = []
    for email, name, role_names in SCORERS:
        scorers.append(demo_user(email, name, role_names))
        accounts.append((email, sorted(role_names)))
    trainer_applicants = []
    for email, name in TRAINER_APPLICANTS:
        trainer_applicants.append(demo_user(email, name, {"applicant"}))
        accounts.append((email, ["applicant"]))
    commit()
    lead = db.session.scalar(select(User).where(User.email == "hr@example.org"))
    if lead is None:
        return accounts
    partner = db.session.scalar(select(Role).where(Role.title == PARTNER))
    if partner is not None:
        _mid_way(partner, lead, scorers)
    _ready_for_moderation(lead, scorers, trainer_applicants)
    return accounts


def _panel(role: Role, lead: User, scorers: list[User]) -> None:
    panel = panels.get_or_create_panel(role, lead)
    if panel.lead_id is None:
        panels.set_lead(role, lead.id, lead)
    seated = {m.user_id for m in panel.members}
    for scorer in scorers:
        if scorer.id not in seated and not panels.role_has_closed(role):
            panels.add_scorer(role, scorer.id, lead)


def _sent(role: Role) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.role_id == role.id, Application.status.not_in(panels.NOT_SCORED))
            .order_by(Application.id)
        )
    )


def _card(role: Role, application: Application, scorer: User, values: list[int], how: str) -> None:
    if scoring.seat(role.id, scorer) is None:
        return
    if scoring.card_of(application.id, scorer.id) is not None:
        return  # seeded before
    if how == "conflict":
        scoring.declare_conflict(
            role, application, scorer, "I know this person from a support group"
        )
        return
    criteria = scored_criteria(role)
    given = dict(zip([c.id for c in criteria], values, strict=False))
    if how == "draft":  # a draft leaves the last criterion for later
        given.pop(criteria[-1].id, None)
    comments = {cid: _comment(v) for cid, v in given.items()}
    scoring.save_scorecard(role, application, scorer, given, comments, how == "submitted")


def _comment(value: int) -> str:
    return {
        0: "No example given for this.",
        1: "Mentioned, but without an example.",
        2: "A clear example of what they did.",
        3: "A clear example, and what they learned from it.",
    }[value]


def _mid_way(role: Role, lead: User, scorers: list[User]) -> None:
    """Pat has submitted 3, has 2 drafts and 1 conflict; Sam has submitted 2 and has 1 draft."""
    _panel(role, lead, scorers)
    sent = _sent(role)
    pat, sam = scorers
    plan = {
        pat.id: ["submitted", "submitted", "submitted", "draft", "draft", "conflict"],
        sam.id: ["submitted", "submitted", "draft"],
    }
    for scorer in (pat, sam):
        for n, (application, how) in enumerate(zip(sent, plan[scorer.id], strict=False)):
            values = [(n + scorer.id) % 4, (n + 2) % 4, (n * 3 + 1) % 4]
            _card(role, application, scorer, values, how)


def _trainer_role() -> Role:
    role = db.session.scalar(select(Role).where(Role.title == TRAINER))
    if role is not None:
        return role
    role = roles.create_role(
        RoleInput(
            title=TRAINER,
            team="Recovery College",
            engagement_type="employed",
            band="5",
            minutes_per_week=15 * 60,
            location="Leeds",
            work_pattern="hybrid",
            posts=1,
            summary="Co-design and deliver recovery courses with people who use our services.",
            description="You will plan and run courses with a staff trainer.",
            contact_name="Jo Lane",
            contact_email="jo.lane@example.org",
            closes_at=_days(21),
            selection_method="scored",
        ),
        None,
    )
    lived = roles.add_criterion(
        role, "Lived experience of mental health services", True, "application", None
    )
    teach = roles.add_criterion(
        role, "Experience of helping others learn", True, "application", None
    )
    group = roles.add_criterion(role, "Experience of running a group", False, "application", None)
    roles.add_question(
        role, "Tell us about your experience of mental health services.", "", 200, [lived.id], None
    )
    roles.add_question(
        role,
        "Tell us about a time you helped other people learn.",
        "",
        200,
        [teach.id, group.id],
        None,
    )
    return roles.publish_role(role, None)


def _days(n: int) -> dt.datetime:
    from lep.db import utcnow

    return utcnow() + dt.timedelta(days=n)


def _ready_for_moderation(lead: User, scorers: list[User], people: list[User]) -> None:
    role = _trainer_role()
    for n, person in enumerate(people):
        if applications.find_application(person.id, role.id) is not None:
            continue
        if not applications.role_is_open(role):
            break
        application = applications.start_application(role, person)
        for position, question in enumerate(role.questions):
            applications.save_answer(application, question, TRAINER_ANSWERS[position][n])
        applications.save_support(application, contact_method="email")
        applications.submit(application, True)
    _panel(role, lead, scorers)
    for application, by_scorer in zip(_sent(role), TRAINER_SCORES, strict=False):
        for scorer, values in zip(scorers, by_scorer, strict=True):
            _card(role, application, scorer, values, "submitted")
    if role.status == "open":
        roles.close_role(role, lead)
    panel = panels.panel_for(role)
    if panel is not None and panel.scoring_closed_at is None and panel.lead_id == lead.id:
        submitted = db.session.scalar(
            select(Scorecard.id).where(Scorecard.role_id == role.id, Scorecard.status == "draft")
        )
        if submitted is None:
            panels.close_scoring(role, lead)
