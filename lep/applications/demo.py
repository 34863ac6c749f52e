"""Demo applications: more applicants, and applications in every status for the demo roles.

Drafts, sending and withdrawing go through the journey's services, as a person would do them.
The statuses after "submitted" belong to later steps (shortlisting, interviews, offers), so the demo
sets them directly and says so in the audit log. Idempotent: an application that is already there
is left alone, and a role that has closed takes no new ones.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from lep import audit
from lep.accounts.models import User
from lep.applications import services
from lep.applications.models import Application, OtherWayRequest
from lep.extensions import db
from lep.roles.demo import ROLES as DEMO_ROLES
from lep.roles.models import Role
from lep.service import commit

PARTNER, PANEL, RESEARCH = (spec["input"].title for spec in DEMO_ROLES)  # type: ignore[attr-defined]

APPLICANTS = [
    ("applicant2@example.org", "Bea Bennett"),
    ("applicant3@example.org", "Chidi Okafor"),
    ("applicant4@example.org", "Dana Hughes"),
    ("applicant5@example.org", "Eilidh Fraser"),
    ("applicant6@example.org", "Farah Hussain"),
    ("applicant7@example.org", "Gareth Price"),
    ("applicant8@example.org", "Hong Li"),
]

# Answers by role, one list per question; each person gets one of them. All within word limits.
ANSWERS: dict[str, list[list[str]]] = {
    PARTNER: [
        [
            "I have used community mental health services for ten years, after a long period of "
            "depression. The best help came when staff listened to what mattered to me, not just "
            "to my symptoms. I learned that small things, like being seen by the same person, "
            "change how safe you feel.",
            "As a carer for my brother I spent many hours on wards and in waiting rooms. I "
            "learned how much families know that services never ask about, and how a kind "
            "phone call after discharge can stop a crisis.",
            "I was admitted to hospital twice in my twenties. The second time was very different "
            "because a peer support worker explained what would happen. I learned that "
            "information given early and plainly reduces fear.",
        ],
        [
            "I spoke at a staff training day about waiting for an assessment. Afterwards the team "
            "changed their letters so they say how long the wait will be and who to call.",
            "I joined a group that reviewed our local crisis line. We asked callers what they "
            "needed and the service now offers a call back at a time that suits them.",
            "I wrote a short piece for my support group's newsletter about going back to work. A "
            "manager read it and asked me to help rewrite their return to work guide.",
        ],
    ],
    PANEL: [
        [
            "I had a serious fall in hospital and want to help stop it happening to others.",
            "I care for my mum, who has dementia, and I see safety problems at every visit. I "
            "would like to help fix them.",
            "I work in a shop and meet many older people who worry about hospital. I would like "
            "their voice to be heard.",
        ],
    ],
    RESEARCH: [
        [
            "I have lived in Bradford all my life and speak Urdu and Punjabi. I can help families "
            "feel comfortable taking part.",
            "I run a parents' group at my children's school and know how hard it is to find the "
            "right service.",
        ],
    ],
}


@dataclass
class DemoApplication:
    email: str
    role: str
    status: str
    answered: int | None = None  # how many questions a draft has answered (None: all)
    support: dict[str, Any] = field(default_factory=dict)
    recording: bool = False  # a supporting file: a short recording the panel can play


POST = {
    "contact_method": "post",
    "address_line_1": "Flat 2, 14 Church Street",
    "address_line_2": "Headingley",
    "address_town": "Leeds",
    "address_postcode": "LS6 3AA",
}


APPLICATIONS = [
    # The main demo applicant: one draft and one sent, to see the dashboard both ways.
    DemoApplication("applicant@example.org", RESEARCH, "draft", answered=0),
    DemoApplication(
        "applicant@example.org",
        PARTNER,
        "submitted",
        support={"contact_method": "email", "adjustments_interview": "Questions in writing"},
    ),
    DemoApplication(
        "applicant2@example.org",
        PARTNER,
        "under_review",
        support={
            "adjustments_application": "More time to read the papers",
            "adjustments_interview": "A quiet room and breaks when I need them",
            "contact_method": "text",
            "phone": "07700 900002",
            "contact_times": "Afternoons",
            "guaranteed_interview": True,
        },
        recording=True,
    ),
    DemoApplication("applicant3@example.org", PARTNER, "shortlisted"),
    DemoApplication("applicant4@example.org", PARTNER, "not_shortlisted"),
    DemoApplication(
        "applicant5@example.org",
        PARTNER,
        "interview",
        support={
            "adjustments_interview": "A British Sign Language interpreter",
            "contact_method": "email",
            "guaranteed_interview": True,
        },
    ),
    DemoApplication("applicant6@example.org", PARTNER, "offered"),
    DemoApplication(
        "applicant7@example.org",
        PARTNER,
        "appointed",
        support={"helped_by": "My support worker helped me type my answers"},
    ),
    DemoApplication("applicant8@example.org", PARTNER, "unsuccessful"),
    DemoApplication("applicant2@example.org", PANEL, "withdrawn"),
    DemoApplication(
        "applicant3@example.org",
        PANEL,
        "submitted",
        support={"contact_method": "phone", "phone": "07700 900003", "contact_times": "Mornings"},
    ),
    DemoApplication("applicant5@example.org", PANEL, "submitted"),
    DemoApplication("applicant8@example.org", PANEL, "declined"),
    DemoApplication("applicant4@example.org", RESEARCH, "draft", answered=1),
    DemoApplication("applicant6@example.org", RESEARCH, "submitted", support=POST),
]


def demo_recording(seconds: float = 2.0) -> bytes:
    """A quiet 440 Hz tone as a WAV file: the demo's stand-in for someone speaking their answers."""
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(int(rate * seconds))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(frames)
    return buffer.getvalue()


def seed_applications() -> list[tuple[str, list[str]]]:
    """The extra demo applicants (for the list of accounts) and their applications."""
    from lep.demo import demo_user

    accounts = []
    for email, name in APPLICANTS:
        demo_user(email, name, {"applicant"})
        accounts.append((email, ["applicant"]))
    commit()
    roles = {r.title: r for r in db.session.scalars(select(Role).where(Role.title.in_(ANSWERS)))}
    for number, spec in enumerate(APPLICATIONS):
        role = roles.get(spec.role)
        user = db.session.scalar(select(User).where(User.email == spec.email))
        if role is None or user is None:
            continue
        if services.find_application(user.id, role.id) is not None:
            continue  # seeded before: leave it as it is
        if not services.role_is_open(role):
            continue  # a closed role takes no new applications, even in the demo
        _apply(spec, role, user, number)
    _other_way_request()
    return accounts


def _other_way_request() -> None:
    """The main demo applicant asks to apply on paper by post, for the dashboard and HR's tasks."""
    user = db.session.scalar(select(User).where(User.email == "applicant@example.org"))
    role = db.session.scalar(select(Role).where(Role.title == PANEL))
    if user is None or role is None or not services.role_is_open(role):
        return
    asked = select(OtherWayRequest.id).where(
        OtherWayRequest.user_id == user.id, OtherWayRequest.role_id == role.id
    )
    if db.session.scalar(asked) is not None:
        return
    services.request_other_way(role, user, "paper", "Large print, please", "post", "", dict(POST))


def _apply(spec: DemoApplication, role: Role, user: User, number: int) -> Application:
    application = services.start_application(role, user)
    questions = role.questions if spec.answered is None else role.questions[: spec.answered]
    for position, question in enumerate(questions):
        variants = ANSWERS[role.title][position]
        problems = services.save_answer(application, question, variants[number % len(variants)])
        if problems:
            raise RuntimeError(f"demo answer for {role.title!r} does not fit: {problems}")
    if spec.support:
        services.save_support(application, **spec.support)
    if spec.recording:
        services.attach_file(application, "my answers.wav", demo_recording())
    # A lottery role's quota questions, if it has any.
    quota = {c.id: c.options[number % len(c.options)] for c in role.quota_categories if c.options}
    if quota:
        services.save_quota_answers(application, quota)
    if spec.status == "draft":
        return application
    application, _ = services.submit(application, True)
    if spec.status == "withdrawn":
        return services.withdraw(application)
    if spec.status != "submitted":
        before = application.status
        application.status = spec.status
        audit.record(
            "application.status_changed",
            "application",
            application.id,
            before={"status": before},
            after={"status": spec.status, "note": "demo data, set by the demo seed"},
            actor_label="demo",
        )
        commit()
    return application
