"""Role workflows: write, edit, add criteria and questions, publish, close. Each audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from lep import audit
from lep.applications.models import Application
from lep.db import utcnow
from lep.extensions import db
from lep.roles import pay
from lep.roles.models import (
    CRITERION_STAGES,
    ENGAGEMENT_TYPES,
    SELECTION_METHODS,
    WORK_PATTERNS,
    Criterion,
    Question,
    QuotaCategory,
    RateCard,
    Role,
)
from lep.service import DomainError, commit
from lep.timeutil import LONDON

MAX_MINUTES_PER_WEEK = pay.FULL_TIME_MINUTES


ROLE_FIELDS = (
    "title",
    "team",
    "summary",
    "description",
    "engagement_type",
    "band",
    "rate_card_id",
    "minutes_per_week",
    "sessions_per_month",
    "location",
    "work_pattern",
    "posts",
    "closes_at",
    "contact_name",
    "contact_email",
    "contact_phone",
    "selection_method",
)


def snapshot(role: Role) -> dict[str, Any]:
    return {name: getattr(role, name) for name in ROLE_FIELDS} | {"status": role.status}


def today_in_london() -> dt.date:
    return utcnow().astimezone(LONDON).date()


def next_london_midnight() -> dt.datetime:
    """When today in London ends (pay tables and rate cards take effect by London date)."""
    tomorrow = today_in_london() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(), tzinfo=LONDON).astimezone(dt.UTC)


@dataclass
class RoleInput:
    """What a person typed into the role form, already parsed by the form."""

    title: str
    engagement_type: str
    team: str = ""
    summary: str = ""
    description: str = ""
    band: str | None = None
    rate_card_id: int | None = None
    minutes_per_week: int | None = None
    sessions_per_month: int | None = None
    location: str = ""
    work_pattern: str = "on_site"
    posts: int = 1
    closes_at: dt.datetime | None = None
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    selection_method: str = "scored"
    extra: dict[str, Any] = field(default_factory=dict)


def _check(data: RoleInput, role: Role | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = "Enter a job title"
    if data.engagement_type not in ENGAGEMENT_TYPES:
        errors["engagement_type"] = "Select how the role is paid"
    if data.work_pattern not in WORK_PATTERNS:
        errors["work_pattern"] = "Select where the work happens"
    if data.selection_method not in SELECTION_METHODS:
        errors["selection_method"] = "Select how people will be chosen"
    if data.engagement_type == "employed":
        if not data.band:
            errors["band"] = "Select the pay band for an employed role"
        elif pay.band_in_force(data.band, today_in_london()) is None:
            errors["band"] = f"There is no pay table for Band {data.band} yet: import one first"
        if data.minutes_per_week is None:
            errors["hours_per_week"] = "Enter the hours a week for an employed role"
    if data.engagement_type == "sessional":
        if data.rate_card_id is None:
            errors["rate_card_id"] = "Select the rate card for a sessional role"
        elif db.session.get(RateCard, data.rate_card_id) is None:
            errors["rate_card_id"] = "Select a rate card from the list"
    if data.minutes_per_week is not None and not 0 < data.minutes_per_week <= MAX_MINUTES_PER_WEEK:
        errors["hours_per_week"] = "Hours a week must be more than 0 and no more than 37.5"
    if data.sessions_per_month is not None and not 0 < data.sessions_per_month <= 31:
        errors["sessions_per_month"] = "Sessions a month must be between 1 and 31"
    if data.posts < 1:
        errors["posts"] = "Number of posts must be 1 or more"
    changed_date = role is None or role.closes_at != data.closes_at
    if data.closes_at is not None and changed_date and data.closes_at <= utcnow():
        errors["closes_at"] = "Closing date must be in the future"
    return errors


def _apply(role: Role, data: RoleInput) -> None:
    for name in ROLE_FIELDS:
        value = getattr(data, name)
        setattr(role, name, value.strip() if isinstance(value, str) else value)
    if role.engagement_type != "employed":
        role.band = None
    if role.engagement_type != "sessional":
        role.rate_card_id = None


def create_role(data: RoleInput, by: Any) -> Role:
    errors = _check(data, None)
    if errors:
        raise DomainError(errors)
    role = Role(status="draft", created_by_id=getattr(by, "id", None))
    _apply(role, data)
    db.session.add(role)
    db.session.flush()
    audit.record("role.created", "role", role.id, after=snapshot(role), actor=by)
    commit()
    return role


def update_role(role: Role, data: RoleInput, by: Any) -> Role:
    if role.status == "filled":
        raise DomainError({"title": "This role is filled and can no longer be changed"})
    errors = _check(data, role)
    if errors:
        raise DomainError(errors)
    before = snapshot(role)
    _apply(role, data)
    after = snapshot(role)
    changed = {k for k in after if before[k] != after[k]}
    if changed:
        audit.record(
            "role.updated",
            "role",
            role.id,
            before={k: before[k] for k in sorted(changed)},
            after={k: after[k] for k in sorted(changed)},
            actor=by,
        )
    commit()
    return role


def _editable(role: Role) -> None:
    if role.status in {"closed", "filled"}:
        raise DomainError({"text": "This role is closed: its criteria and questions are fixed"})


def add_criterion(role: Role, text: str, essential: bool, stage: str, by: Any) -> Criterion:
    _editable(role)
    errors = {}
    if not text.strip():
        errors["text"] = "Enter the criterion"
    if stage not in CRITERION_STAGES:
        errors["stage"] = "Select when this is assessed"
    if errors:
        raise DomainError(errors)
    criterion = Criterion(
        role=role,
        text=text.strip(),
        essential=essential,
        stage=stage,
        position=len(role.criteria) + 1,
    )
    db.session.add(criterion)
    db.session.flush()
    audit.record(
        "role.criterion_added",
        "role",
        role.id,
        after={
            "criterion_id": criterion.id,
            "text": criterion.text,
            "essential": essential,
            "stage": stage,
        },
        actor=by,
    )
    commit()
    return criterion


def _remove_from_role(
    role: Role,
    items: list[Any],
    item_id: int,
    kind: str,
    missing: tuple[str, str],
    label: str,
    by: Any,
) -> None:
    """Remove one of a role's criteria, questions or quota questions, audited as role.<kind>_removed
    with its id and its `label` attribute (text or name). `missing` is (field, message)."""
    item = next((i for i in items if i.id == item_id), None)
    if item is None:
        raise DomainError({missing[0]: missing[1]})
    audit.record(
        f"role.{kind}_removed",
        "role",
        role.id,
        before={f"{kind}_id": item.id, label: getattr(item, label)},
        actor=by,
    )
    items.remove(item)
    commit()


def remove_criterion(role: Role, criterion_id: int, by: Any) -> None:
    _editable(role)
    _remove_from_role(
        role,
        role.criteria,
        criterion_id,
        "criterion",
        ("criterion", "That criterion is not part of this role"),
        "text",
        by,
    )


def add_question(
    role: Role, text: str, hint: str, word_limit: int | None, criterion_ids: list[int], by: Any
) -> Question:
    _editable(role)
    errors = {}
    if not text.strip():
        errors["text"] = "Enter the question"
    if word_limit is None or not 1 <= word_limit <= 2000:
        errors["word_limit"] = "Word limit must be a whole number from 1 to 2,000"
    criteria = [c for c in role.criteria if c.id in set(criterion_ids)]
    if not criteria:
        errors["criteria"] = "Select at least one criterion this question helps assess"
    if errors:
        raise DomainError(errors)
    assert word_limit is not None
    question = Question(
        role=role,
        text=text.strip(),
        hint=hint.strip(),
        word_limit=word_limit,
        position=len(role.questions) + 1,
        criteria=criteria,
    )
    db.session.add(question)
    db.session.flush()
    audit.record(
        "role.question_added",
        "role",
        role.id,
        after={
            "question_id": question.id,
            "text": question.text,
            "word_limit": word_limit,
            "criteria": [c.id for c in criteria],
        },
        actor=by,
    )
    commit()
    return question


def remove_question(role: Role, question_id: int, by: Any) -> None:
    _editable(role)
    _remove_from_role(
        role,
        role.questions,
        question_id,
        "question",
        ("question", "That question is not part of this role"),
        "text",
        by,
    )


# --- Quota questions (roles chosen by lottery) ------------------------------------------------

MAX_QUOTA_NAME = 100
MAX_QUOTA_QUESTION = 1000
MAX_QUOTA_WHY = 2000
MAX_QUOTA_OPTION = 100  # the length of quota_answer.value
MAX_QUOTA_OPTIONS = 50


def submitted_applications(role: Role) -> int:
    """How many applications for this role have been sent (drafts do not count)."""
    stmt = select(func.count(Application.id)).where(
        Application.role_id == role.id, Application.status != "draft"
    )
    return db.session.scalar(stmt) or 0


def quota_lock(role: Role) -> str | None:
    """Why the role's quota questions cannot change now, or None if they can.

    They can change while the role is a draft, or open before anyone has sent an application:
    every application sent must have answered the same questions."""
    if role.status == "draft":
        return None
    if role.status == "open" and submitted_applications(role) == 0:
        return None
    if role.status == "open":
        return "People have already sent applications, so the quota questions are fixed"
    return "This role is closed: its quota questions are fixed"


def parse_options(text: str) -> list[str]:
    """One option a line; blank lines and spaces around each are dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def add_quota_category(
    role: Role, name: str, question: str, why: str, options: str | list[str], by: Any
) -> QuotaCategory:
    """A quota question for a lottery role (e.g. "Region": "Which region do you live in?")."""
    if role.selection_method != "lottery":
        raise DomainError({"quota": "Quota questions are only for roles chosen by lottery"})
    locked = quota_lock(role)
    if locked:
        raise DomainError({"quota": locked})
    name, question, why = name.strip(), question.strip(), why.strip()
    choices = parse_options(options) if isinstance(options, str) else [o.strip() for o in options]
    choices = [o for o in choices if o]
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter a name for the quota, like Region"
    elif len(name) > MAX_QUOTA_NAME:
        errors["name"] = f"Name must be {MAX_QUOTA_NAME} characters or fewer"
    elif any(c.name.casefold() == name.casefold() for c in role.quota_categories):
        errors["name"] = f"This role already has a quota called {name}"
    if not question:
        errors["question"] = "Enter the question applicants will be asked"
    elif len(question) > MAX_QUOTA_QUESTION:
        errors["question"] = f"Question must be {MAX_QUOTA_QUESTION:,} characters or fewer"
    if not why:
        errors["why"] = "Say why you ask this question and how the answer is used"
    elif len(why) > MAX_QUOTA_WHY:
        errors["why"] = f"Why you ask must be {MAX_QUOTA_WHY:,} characters or fewer"
    too_long = [o for o in choices if len(o) > MAX_QUOTA_OPTION]
    seen: set[str] = set()
    repeated = []
    for option in choices:
        if option.casefold() in seen:
            repeated.append(option)
        seen.add(option.casefold())
    if len(choices) < 2:
        errors["options"] = "Enter at least 2 answers, one on each line"
    elif len(choices) > MAX_QUOTA_OPTIONS:
        errors["options"] = f"Enter {MAX_QUOTA_OPTIONS} answers or fewer"
    elif too_long:
        errors["options"] = (
            f"Each answer must be {MAX_QUOTA_OPTION} characters or fewer: "
            f"“{too_long[0][:40]}…” is too long"
        )
    elif repeated:
        errors["options"] = f"Each answer must be different: “{repeated[0]}” is there twice"
    if errors:
        raise DomainError(errors)
    category = QuotaCategory(
        role=role,
        name=name,
        question=question,
        why=why,
        options=choices,
        position=max((c.position for c in role.quota_categories), default=0) + 1,
    )
    db.session.add(category)
    db.session.flush()
    audit.record(
        "role.quota_category_added",
        "role",
        role.id,
        after={
            "quota_category_id": category.id,
            "name": name,
            "question": question,
            "why": why,
            "options": choices,
        },
        actor=by,
    )
    commit()
    return category


def remove_quota_category(role: Role, category_id: int, by: Any) -> None:
    locked = quota_lock(role)
    if locked:
        raise DomainError({"quota": locked})
    _remove_from_role(
        role,
        role.quota_categories,
        category_id,
        "quota_category",
        ("quota", "That quota question is not part of this role"),
        "name",
        by,
    )


def publishing_problems(role: Role) -> dict[str, str]:
    """Why a role cannot be published yet (empty when it can)."""
    problems: dict[str, str] = {}
    essential = [c for c in role.criteria if c.essential]
    if not essential:
        problems["criteria"] = "Add at least one essential criterion"
    covered = {c.id for q in role.questions for c in q.criteria}
    uncovered = [c for c in essential if c.stage == "application" and c.id not in covered]
    if uncovered:
        names = "; ".join(f"“{c.text}”" for c in uncovered)
        problems["questions"] = (
            f"Add a question that covers each essential criterion assessed at application: {names}"
        )
    if role.closes_at is None:
        problems["closes_at"] = "Set a closing date"
    elif role.closes_at <= utcnow():
        problems["closes_at"] = "The closing date must be in the future"
    if pay.pay_statement(role, today_in_london()) is None:
        problems["pay"] = "The role's pay cannot be worked out: check its band or rate card"
    return problems


def publish_role(role: Role, by: Any) -> Role:
    if role.status == "open":
        return role
    if role.status not in {"draft", "closed"}:
        raise DomainError({"status": "Only a draft or closed role can be published"})
    problems = publishing_problems(role)
    if problems:
        raise DomainError(problems)
    before = role.status
    role.status = "open"
    role.published_at = role.published_at or utcnow()
    audit.record(
        "role.published",
        "role",
        role.id,
        before={"status": before},
        after={"status": "open", "closes_at": role.closes_at},
        actor=by,
    )
    commit()
    return role


def close_role(role: Role, by: Any) -> Role:
    if role.status != "open":
        raise DomainError({"status": "Only an open role can be closed"})
    role.status = "closed"
    audit.record(
        "role.closed",
        "role",
        role.id,
        before={"status": "open"},
        after={"status": "closed"},
        actor=by,
    )
    commit()
    return role


def mark_filled(role: Role, by: Any) -> Role:
    if role.status not in {"open", "closed"}:
        raise DomainError({"status": "Only an open or closed role can be marked filled"})
    before = role.status
    role.status = "filled"
    audit.record(
        "role.filled",
        "role",
        role.id,
        before={"status": before},
        after={"status": "filled"},
        actor=by,
    )
    commit()
    return role


def close_expired_roles() -> int:
    """Close open roles whose closing time has passed (`flask lep close-roles`, from cron).

    Pages never depend on it: the public list and the role page compare closes_at with now."""
    expired = db.session.scalars(
        select(Role).where(Role.status == "open", Role.closes_at <= utcnow())
    ).all()
    for role in expired:
        role.status = "closed"
        audit.record(
            "role.closed",
            "role",
            role.id,
            before={"status": "open"},
            after={"status": "closed", "reason": "closing date passed"},
            actor_label="system",
        )
    if expired:
        commit()
    return len(expired)
