"""Demo data for selection by lottery: a closed lottery role with Region and Age band quota
questions, 30 sent applications from demo applicants (lottery01@example.org to
lottery30@example.org) with their quota answers, a panel whose submitted scores make 25 of them
eligible (3 fail an essential criterion, 2 are not scored yet), and places and quotas set. No
draw yet: HR makes it at /hr/roles/<id>/lottery.

Idempotent: what is already there is left alone. Applications go through the journey's services,
as a person would send them; the panel's scores are written directly and audited as demo data.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from lep import audit
from lep.accounts.models import User
from lep.applications import services as applications
from lep.db import utcnow
from lep.extensions import db
from lep.roles import services as roles
from lep.roles.models import Role
from lep.service import commit
from lep.shortlisting import lottery
from lep.shortlisting.assessment import scored_criteria
from lep.shortlisting.models import LotteryQuota, Panel, PanelMember, Score, Scorecard

TITLE = "Citizens' panel on urgent care"
REGIONS = ["North Yorkshire", "West Yorkshire", "South Yorkshire", "East Riding"]
AGES = ["18 to 34", "35 to 64", "65 or over"]
PLACES = 8
# Region: at least 1 and at most 3 from each; Age band: at least 2 of each, at most 4.
QUOTAS = {
    "Region": {region: (1, 3) for region in REGIONS},
    "Age band": {"18 to 34": (2, 4), "35 to 64": (2, 4), "65 or over": (2, 3)},
}
NOT_MET = {5, 17, 26}  # the panel found no evidence for an essential criterion
NOT_SCORED = {11, 23}  # scoring not finished

NAMES = [
    "Aisha Rahman", "Ben Walker", "Carys Evans", "Dev Patel", "Ellen Shaw", "Femi Adeyemi",
    "Grace Liu", "Harry Booth", "Imani Clarke", "Jack Horner", "Kiran Kaur", "Liam Doyle",
    "Maya Green", "Nathan Ellis", "Olu Bakare", "Poppy Hart", "Qasim Ali", "Rosa Martin",
    "Sean Murphy", "Tara Singh", "Umar Farooq", "Vera Novak", "Will Turner", "Xin Zhao",
    "Yusuf Khan", "Zara Ahmed", "Alfie Wood", "Beth Lowe", "Cal Reid", "Dina Costa",
]  # fmt: skip

ANSWERS = [
    "I care for my mum, who has been to A and E many times this year. I know what the wait "
    "feels like for a family, and what helps: being told what is happening.",
    "I used the urgent treatment centre after a fall. The staff were kind but nobody could tell "
    "me how long I would wait. I would like to help make that better for other people.",
    "I have a long-term condition and often need urgent care at night. I know the 111 service "
    "well, what works in it and what could be simpler.",
]


def _role(hr: User) -> Role:
    role = db.session.scalar(select(Role).where(Role.title == TITLE))
    if role is not None:
        return role
    role = roles.create_role(
        roles.RoleInput(
            title=TITLE,
            team="Urgent and Emergency Care",
            engagement_type="expenses_only",
            sessions_per_month=1,
            location="York",
            work_pattern="hybrid",
            posts=PLACES,
            summary=(
                "Join a panel of local people who will help us decide how urgent care should "
                "work. We choose the panel by a fair lottery."
            ),
            description=(
                "The panel meets once a month for six months, in York or online.\n\n"
                "We choose the panel by lottery among everyone who meets the essential criteria, "
                "keeping places for each part of the region and for people of every age."
            ),
            contact_name="Morgan Reeves",
            contact_email="morgan.reeves@example.org",
            selection_method="lottery",
            closes_at=utcnow() + dt.timedelta(days=28),
        ),
        hr,
    )
    used = roles.add_criterion(
        role, "Has used urgent care, or cared for someone who has", True, "application", hr
    )
    share = roles.add_criterion(
        role, "Willing to share their views in a group", True, "application", hr
    )
    roles.add_question(
        role, "Tell us about your experience of urgent care", "", 200, [used.id, share.id], hr
    )
    roles.add_quota_category(
        role,
        "Region",
        "Which part of the region do you live in?",
        "So that people from every part of the region have a fair chance of a place.",
        REGIONS,
        hr,
    )
    roles.add_quota_category(
        role,
        "Age band",
        "How old are you?",
        "So that younger and older people are both on the panel.",
        AGES,
        hr,
    )
    return roles.publish_role(role, hr)


def _panel(role: Role, hr: User, scorer: User) -> Panel:
    panel = db.session.scalar(select(Panel).where(Panel.role_id == role.id))
    if panel is None:
        panel = Panel(role_id=role.id, lead_id=hr.id)
        db.session.add(panel)
        db.session.flush()
        db.session.add(PanelMember(panel_id=panel.id, user_id=scorer.id))
        audit.record(
            "panel.demo_seeded",
            "role",
            role.id,
            after={"lead_id": hr.id, "scorer_id": scorer.id},
            actor_label="demo",
        )
        commit()
    return panel


def _score(role: Role, application_id: int, number: int, scorer: User) -> None:
    if number in NOT_SCORED:
        return
    exists = db.session.scalar(
        select(Scorecard.id).where(
            Scorecard.application_id == application_id, Scorecard.scorer_id == scorer.id
        )
    )
    if exists is not None:
        return
    card = Scorecard(
        application_id=application_id,
        scorer_id=scorer.id,
        role_id=role.id,
        status="submitted",
        submitted_at=utcnow(),
    )
    criteria = scored_criteria(role)
    card.scores = [
        Score(
            criterion_id=c.id,
            value=0 if number in NOT_MET and position == 0 else 2 + number % 2,
            comment="Demo score",
        )
        for position, c in enumerate(criteria)
    ]
    db.session.add(card)
    db.session.flush()
    audit.record(
        "scorecard.demo_seeded",
        "application",
        application_id,
        after={"scorer_id": scorer.id, "scores": [s.value for s in card.scores]},
        actor_label="demo",
    )


def seed_demo_lottery() -> Role:
    """The demo lottery role (see the module's docstring); safe to run again."""
    from lep.demo import demo_user

    hr = demo_user("hr@example.org", "Harriet HR", {"hr"})
    scorer = demo_user("panel@example.org", "Pat Panel", {"panel"})
    commit()
    role = _role(hr)
    for number, name in enumerate(NAMES):
        user = demo_user(f"lottery{number + 1:02d}@example.org", name, {"applicant"})
        commit()
        application = applications.find_application(user.id, role.id)
        if application is None:
            if not applications.role_is_open(role):
                continue  # closed before: it takes no new applications
            application = applications.start_application(role, user)
            applications.save_answer(application, role.questions[0], ANSWERS[number % 3])
            categories = {c.name: c for c in role.quota_categories}
            applications.save_quota_answers(
                application,
                {
                    categories["Region"].id: REGIONS[number % 4],
                    categories["Age band"].id: AGES[(number + number // 4) % 3],
                },
            )
            application, _ = applications.submit(application, True)
    panel = _panel(role, hr, scorer)
    for number in range(len(NAMES)):
        person = db.session.scalar(
            select(User).where(User.email == f"lottery{number + 1:02d}@example.org")
        )
        found = applications.find_application(person.id, role.id) if person else None
        if found is not None and found.status != "draft":
            _score(role, found.id, number, scorer)
    if panel.scoring_closed_at is None:
        panel.scoring_closed_at = utcnow()
    commit()
    if role.status == "open":
        roles.close_role(role, hr)
    saved = db.session.scalar(
        select(LotteryQuota.id).where(
            LotteryQuota.category_id.in_([c.id for c in role.quota_categories])
        )
    )
    if saved is None and not lottery.draws_for(role):
        values = {}
        for row in lottery.quota_rows(role):
            low, high = QUOTAS[row.category.name][row.option]
            values[row.min_field], values[row.max_field] = str(low), str(high)
        lottery.save_quotas(role, str(PLACES), values, hr)
    return role
