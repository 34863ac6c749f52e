"""A role's panel, as HR set it up: the lead, the scorers, and closing scoring.

- The lead holds the `hr` role. Scorers hold the `panel` role (staff or lived-experience reviewers,
  partners among them) or are HR staff. Scorers are added before the role closes, and never
  someone who applied for the role.
- A scorer who has submitted nothing can be removed (their drafts go with them; a declared
  conflict stays on record). Once they have submitted a scorecard, they stay.
- Only the lead closes scoring; after that no score is saved.

Each function owns its transaction and audits what it changes; refusals raise DomainError, naming
the field the message belongs at, with nothing changed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from lep import audit
from lep.accounts.models import User, UserRole
from lep.applications.models import Application
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.services import queue_email
from lep.roles.models import Role
from lep.service import DomainError, commit
from lep.shortlisting.models import Panel, PanelMember, Scorecard
from lep.timeutil import format_datetime
from lep.urls import external_url

SCORER_ROLES = ("panel", "hr")
# Applications in these statuses are not scored: not sent yet, or withdrawn by the applicant.
NOT_SCORED = ("draft", "withdrawn")


def panel_for(role: Role) -> Panel | None:
    return db.session.scalar(
        select(Panel)
        .where(Panel.role_id == role.id)
        .options(selectinload(Panel.members).selectinload(PanelMember.user))
    )


def get_or_create_panel(role: Role, by: Any) -> Panel:
    """The role's panel, made (and audited) the first time anyone asks for it."""
    panel = panel_for(role)
    if panel is not None:
        return panel
    panel = Panel(role_id=role.id)
    db.session.add(panel)
    db.session.flush()
    audit.record("panel.created", "panel", panel.id, after={"role_id": role.id}, actor=by)
    commit()
    return panel


def can_score(user: User) -> bool:
    """May sit on a panel as a scorer: an active account with the panel or hr role."""
    return bool(user.active and user.has_role(*SCORER_ROLES))


def role_has_closed(role: Role) -> bool:
    if role.status in ("closed", "filled"):
        return True
    return role.closes_at is not None and role.closes_at <= utcnow()


def _users_with(roles: tuple[str, ...]) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles))),
            )
            .order_by(User.full_name, User.email)
        )
    )


def applicant_ids(role: Role) -> set[int]:
    """People who have started or sent an application for the role: never its scorers."""
    return set(
        db.session.scalars(select(Application.applicant_id).where(Application.role_id == role.id))
    )


def eligible_scorers(role: Role) -> list[User]:
    """People who could be added: panel members and HR staff not on it and not applicants."""
    panel = panel_for(role)
    seated = {m.user_id for m in panel.members} if panel else set()
    applied = applicant_ids(role)
    return [u for u in _users_with(SCORER_ROLES) if u.id not in seated and u.id not in applied]


def eligible_leads() -> list[User]:
    return _users_with(("hr",))


def _user(user_id: int | None, field: str, message: str) -> User:
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        raise DomainError({field: message})
    return user


def set_lead(role: Role, user_id: int | None, by: Any) -> Panel:
    panel = get_or_create_panel(role, by)
    user = _user(user_id, "lead_id", "Select the panel lead")
    if not (user.active and user.has_role("hr")):
        raise DomainError({"lead_id": "The panel lead must be a member of the HR team"})
    if panel.lead_id == user.id:
        return panel
    before = panel.lead_id
    panel.lead_id = user.id
    audit.record(
        "panel.lead_set",
        "panel",
        panel.id,
        before={"lead_id": before},
        after={"lead_id": user.id},
        actor=by,
    )
    commit()
    return panel


def add_scorer(role: Role, user_id: int | None, by: Any) -> PanelMember:
    """Seat a scorer on the role's panel and email them a link to their scoring list."""
    panel = get_or_create_panel(role, by)
    if role_has_closed(role):
        closed = format_datetime(role.closes_at) if role.closes_at else ""
        when = f" on {closed}" if closed and role.status not in ("closed", "filled") else ""
        raise DomainError(
            {"user_id": f"This role closed{when}. Scorers can only be added before it closes"}
        )
    user = _user(user_id, "user_id", "Select a person to add to the panel")
    if not can_score(user):
        raise DomainError({"user_id": "Only panel members and HR staff can score applications"})
    if any(m.user_id == user.id for m in panel.members):
        raise DomainError({"user_id": f"{user.full_name} is already on this panel"})
    if user.id in applicant_ids(role):
        raise DomainError(
            {"user_id": f"{user.full_name} has applied for this role, so cannot score it"}
        )
    member = PanelMember(panel=panel, user_id=user.id)
    db.session.add(member)
    db.session.flush()
    audit.record(
        "panel.scorer_added",
        "panel",
        panel.id,
        after={"user_id": user.id, "role_id": role.id},
        actor=by,
    )
    queue_email(
        user.email,
        f"You are on the panel for {role.title}",
        "panel_added",
        user=user,
        role=role,
        scoring_url=external_url("panel.role", role_id=role.id),
    )
    commit()
    return member


def remove_scorer(role: Role, member_id: int | None, by: Any) -> None:
    panel = panel_for(role)
    member = next((m for m in panel.members if m.id == member_id), None) if panel else None
    if panel is None or member is None:
        raise DomainError({"member_id": "That person is not on this panel"})
    submitted = db.session.scalar(
        select(func.count(Scorecard.id)).where(
            Scorecard.role_id == role.id,
            Scorecard.scorer_id == member.user_id,
            Scorecard.status == "submitted",
        )
    )
    if submitted:
        raise DomainError(
            {
                "member_id": f"{member.user.full_name} has submitted scores, so they stay on "
                "the panel"
            }
        )
    drafts = db.session.execute(
        delete(Scorecard)
        .where(
            Scorecard.role_id == role.id,
            Scorecard.scorer_id == member.user_id,
            Scorecard.status == "draft",
        )
        .execution_options(synchronize_session=False)
    )
    audit.record(
        "panel.scorer_removed",
        "panel",
        panel.id,
        before={"user_id": member.user_id, "drafts_deleted": drafts.rowcount},  # type: ignore[attr-defined]
        actor=by,
    )
    db.session.delete(member)
    commit()


def close_scoring(role: Role, by: Any) -> Panel:
    """The lead ends scoring: from now on no score is saved. Once only."""
    panel = panel_for(role)
    if panel is None or panel.lead_id is None:
        raise DomainError({"panel": "Set a panel lead first: only the lead can close scoring"})
    if getattr(by, "id", None) != panel.lead_id:
        raise DomainError({"panel": "Only the panel lead can close scoring"})
    if panel.scoring_closed_at is not None:
        raise DomainError({"panel": "Scoring is already closed"})
    panel.scoring_closed_at = utcnow()
    audit.record(
        "panel.scoring_closed",
        "panel",
        panel.id,
        before={"scoring_closed_at": None},
        after={"scoring_closed_at": panel.scoring_closed_at, "role_id": role.id},
        actor=by,
    )
    commit()
    return panel


# --- Progress --------------------------------------------------------------------------------


@dataclass
class Progress:
    submitted: int = 0
    drafts: int = 0
    conflicts: int = 0
    to_score: int = 0  # applications this scorer can score (sent, not their own)

    @property
    def to_do(self) -> int:
        """Applications still waiting for this scorer's submitted card."""
        return max(self.to_score - self.submitted - self.conflicts, 0)


def scorable_count(role_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Application.id)).where(
                Application.role_id == role_id, Application.status.not_in(NOT_SCORED)
            )
        )
        or 0
    )


def progress(role: Role, user_ids: list[int]) -> dict[int, Progress]:
    """Each scorer's cards on the role, by status, in three queries whatever the numbers."""
    result = {uid: Progress() for uid in user_ids}
    if not user_ids:
        return result
    total = scorable_count(role.id)
    own = set(
        db.session.scalars(
            select(Application.applicant_id).where(
                Application.role_id == role.id,
                Application.status.not_in(NOT_SCORED),
                Application.applicant_id.in_(user_ids),
            )
        )
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = db.session.execute(
        select(Scorecard.scorer_id, Scorecard.status, func.count(Scorecard.id))
        .join(Application, Application.id == Scorecard.application_id)
        .where(
            Scorecard.role_id == role.id,
            Scorecard.scorer_id.in_(user_ids),
            Scorecard.stage == "application",
            Application.status.not_in(NOT_SCORED),
        )
        .group_by(Scorecard.scorer_id, Scorecard.status)
    )
    for scorer_id, status, count in rows:
        counts[scorer_id][status] = count
    for uid, p in result.items():
        p.submitted = counts[uid].get("submitted", 0)
        p.drafts = counts[uid].get("draft", 0)
        p.conflicts = counts[uid].get("conflict", 0)
        p.to_score = total - (1 if uid in own else 0)
    return result
