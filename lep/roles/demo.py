"""Demo roles: one of each engagement type, with criteria and questions, ready to apply for."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from lep.db import utcnow
from lep.extensions import db
from lep.roles import paytables, services
from lep.roles.models import RateCard, Role
from lep.roles.services import RoleInput
from lep.timeutil import LONDON

PPV = "NHS England PPV"


def _closing(days: int) -> dt.datetime:
    day = utcnow().astimezone(LONDON).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(17, 0), tzinfo=LONDON).astimezone(dt.UTC)


def seed_pay() -> RateCard:
    paytables.import_pay_table(paytables.REFERENCE_TABLE.read_text(), source="demo")
    card = db.session.scalar(select(RateCard).where(RateCard.name == PPV))
    if card is None:
        card = paytables.create_rate_card(
            PPV,
            "NHS England's rates for patient and public voice partners: a day is more than "
            "4 hours, a half day 4 hours or less. Preparation and training time are paid.",
        )
        paytables.add_rates(
            card, dt.date(2021, 4, 1), half_day_pence=7500, day_pence=15000, half_day_max_hours=4
        )
    return card


ROLES = [
    {
        "input": RoleInput(
            title="Lived Experience Partner",
            team="Mental Health Transformation",
            engagement_type="employed",
            band="7",
            minutes_per_week=15 * 60,
            location="Leeds",
            work_pattern="hybrid",
            posts=2,
            summary=(
                "Use what you have learned from your own mental health care to help us change "
                "services. You will work with our teams as an equal partner."
            ),
            description=(
                "You will sit on our programme boards and help us decide what to change first.\n\n"
                "You will talk with people who use our services and bring what they say back to "
                "the teams. We will give you training, a buddy and regular supervision.\n\n"
                "You can work from home for most of the week. We meet in Leeds twice a month."
            ),
            contact_name="Jo Lane",
            contact_email="jo.lane@example.org",
            contact_phone="0113 496 0000",
            selection_method="scored",
        ),
        "criteria": [
            (
                "Lived experience of mental health services, as a patient or a carer",
                True,
                "application",
            ),
            ("Able to share your experience to help others learn", True, "application"),
            ("Experience of working in a team or group", False, "application"),
            ("Able to challenge decisions kindly and clearly", True, "interview"),
        ],
        "questions": [
            (
                "Tell us about your experience of mental health services and what you learned.",
                [0],
                300,
            ),
            (
                "Tell us about a time you shared your experience to help something change.",
                [1, 2],
                300,
            ),
        ],
    },
    {
        "input": RoleInput(
            title="Patient panel member",
            team="Patient Safety",
            engagement_type="sessional",
            sessions_per_month=2,
            location="Online",
            work_pattern="remote",
            posts=12,
            summary=(
                "Join a panel of patients and carers who read our safety reports and tell us "
                "what we have missed. Meetings are online."
            ),
            description=(
                "The panel meets online twice a month for about 2 hours.\n\n"
                "We send the papers a week before. You will be paid for the time you spend "
                "reading them as well as for the meeting."
            ),
            contact_name="Sam Patel",
            contact_email="sam.patel@example.org",
            selection_method="lottery",
        ),
        "criteria": [
            ("Experience of using NHS services, as a patient or a carer", True, "application"),
            ("Able to join online meetings (we can lend you a device)", True, "application"),
        ],
        "questions": [
            ("Why would you like to join the panel?", [0, 1], 200),
        ],
    },
    {
        "input": RoleInput(
            title="Community research volunteer",
            team="Public Health",
            engagement_type="expenses_only",
            sessions_per_month=1,
            location="Bradford",
            work_pattern="on_site",
            posts=5,
            summary=(
                "Help us plan a study about how families find health services. This is voluntary "
                "and we pay your expenses."
            ),
            description="We meet once a month at a community centre in Bradford.",
            contact_name="Ali Khan",
            contact_email="ali.khan@example.org",
            selection_method="scored",
        ),
        "criteria": [
            ("Lives or works in Bradford", True, "application"),
        ],
        "questions": [
            ("What would you like to bring to the study?", [0], 150),
        ],
    },
]


def seed_roles() -> list[Role]:
    card = seed_pay()
    roles = []
    for spec in ROLES:
        data: RoleInput = spec["input"]  # type: ignore[assignment]
        role = db.session.scalar(select(Role).where(Role.title == data.title))
        if role is None:
            data.closes_at = _closing(28)
            if data.engagement_type == "sessional":
                data.rate_card_id = card.id
            role = services.create_role(data, None)
            criteria = [
                services.add_criterion(role, text, essential, stage, None)
                for text, essential, stage in spec["criteria"]  # type: ignore[attr-defined]
            ]
            for text, covers, limit in spec["questions"]:  # type: ignore[attr-defined]
                services.add_question(role, text, "", limit, [criteria[i].id for i in covers], None)
            services.publish_role(role, None)
        roles.append(role)
    return roles
