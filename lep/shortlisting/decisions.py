"""Decisions: shortlisted or not (with the reason kept for feedback), the rules they must follow,
the outcome emails, the applicant's request for feedback, and invitations to interview.

The rules, enforced here and nowhere else:
- no decision while a criterion has no agreed score (a flagged disagreement needs the lead's
  moderated score first);
- an application that fails an essential criterion (agreed score 0) is not shortlisted unless
  the lead ticks the override and gives the reason;
- an applicant in the guaranteed interview scheme who meets every essential criterion is
  shortlisted.
A decision may change until its outcome is sent. Sending outcomes twice sends nothing new.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lep import audit
from lep.accounts.models import User
from lep.applications.models import CONTACT_METHODS, Application
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.services import queue_email
from lep.roles.models import Criterion, Role
from lep.service import DomainError, commit
from lep.shortlisting.assessment import ApplicationAssessment, assess, scored_criteria
from lep.shortlisting.models import OUTCOMES, Decision, Interview, Panel
from lep.shortlisting.moderation import (
    MAX_REASON,
    OUTCOME_SENT,
    check_may_act,
    check_scoring_closed,
    outcomes_sent,
    panel_for,
)
from lep.timeutil import format_datetime
from lep.urls import external_url

# Applications a decision may be made on (or changed, until the outcome is sent).
DECIDABLE = ("submitted", "under_review", "shortlisted", "not_shortlisted")
MAX_LOCATION = 1_000


def _names(criteria: list[Criterion], ids: list[int]) -> str:
    return "; ".join(c.text for c in criteria if c.id in ids)


def rule_problems(
    application: Application,
    assessment: ApplicationAssessment,
    criteria: list[Criterion],
    outcome: str,
    overrode_rule: bool,
) -> dict[str, str]:
    """Why this outcome breaks the rules for this application (empty when it does not)."""
    needing = assessment.needing_moderation
    if needing:
        return {
            "outcome": "Scorers differ by 2 or more on "
            + _names(criteria, needing)
            + ". Record a moderated score before deciding"
        }
    unscored = [cid for cid, r in assessment.criteria.items() if r.agreed is None]
    if unscored:
        return {
            "outcome": "There is no agreed score for "
            + _names(criteria, unscored)
            + ". Record a moderated score before deciding"
        }
    failed = assessment.failed_essential
    if outcome == "shortlisted" and failed and not overrode_rule:
        return {
            "override": "This application scored 0 on an essential criterion ("
            + _names(criteria, failed)
            + "). To shortlist it, tick the box to override the rule and give your reason"
        }
    if outcome == "not_shortlisted" and application.guaranteed_interview and not failed:
        return {
            "outcome": "This applicant is in the guaranteed interview scheme and meets every "
            "essential criterion, so they must be shortlisted"
        }
    return {}


def decide(
    application: Application,
    outcome: str,
    reason: str,
    by: User,
    *,
    override: bool = False,
) -> Decision:
    """Shortlist or not, with the reason kept for feedback; or change the decision until the
    outcome is sent. The application moves to shortlisted or not_shortlisted."""
    role = application.role
    panel = panel_for(role)
    check_may_act(by, panel)
    check_scoring_closed(panel)
    assert panel is not None
    # Take turns with send_outcomes (PostgreSQL locks the panel row until commit), so a decision
    # cannot change while its outcome is being emailed.
    db.session.get(Panel, panel.id, with_for_update=True, populate_existing=True)
    if application.status not in DECIDABLE:
        raise DomainError({"application": "A decision cannot be made on this application"})
    if outcomes_sent([application.id]):
        raise DomainError(
            {"application": "The outcome has been sent: the decision can no longer change"}
        )
    errors: dict[str, str] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "Select whether to shortlist this application"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Enter the reason for the decision"
    elif len(reason) > MAX_REASON:
        errors["reason"] = "The reason must be 2,000 characters or fewer"
    if errors:
        raise DomainError(errors)
    criteria = scored_criteria(role)
    assessment = assess(role, [application.id])[application.id]
    overrode = bool(override and outcome == "shortlisted" and assessment.failed_essential)
    problems = rule_problems(application, assessment, criteria, outcome, overrode)
    if problems:
        raise DomainError(problems)
    decision = db.session.scalar(select(Decision).where(Decision.application_id == application.id))
    after = {"outcome": outcome, "reason": reason, "overrode_rule": overrode}
    if decision is None:
        decision = Decision(application_id=application.id, by_id=by.id)
        db.session.add(decision)
        action, before = "shortlisting.decided", {"status": application.status}
    else:
        action = "shortlisting.decision_changed"
        before = {
            "outcome": decision.outcome,
            "reason": decision.reason,
            "overrode_rule": decision.overrode_rule,
            "status": application.status,
        }
    decision.outcome, decision.reason, decision.overrode_rule = outcome, reason, overrode
    decision.by_id = by.id
    try:
        db.session.flush()
    except IntegrityError:  # another lead decided at the same moment
        db.session.rollback()
        raise DomainError(
            {"application": "Someone else decided at the same time. Reload the page"}
        ) from None
    application.status = outcome
    audit.record(
        action, "application", application.id, before=before, after=after | {"status": outcome}
    )
    commit()
    return decision


# --- Outcomes ---------------------------------------------------------------------------------


def untold(role: Role) -> list[tuple[Application, Decision]]:
    """Decided applications of the role whose outcome has not been sent yet."""
    rows = db.session.execute(
        select(Application, Decision)
        .join(Decision, Decision.application_id == Application.id)
        .where(
            Application.role_id == role.id,
            Application.status.in_(tuple(OUTCOMES)),
            Decision.outcome_sent_at.is_(None),
        )
        .order_by(Application.reference, Application.id)
        # Read afresh: after the sender's lock, what another sender wrote is what counts.
        .execution_options(populate_existing=True)
    ).all()
    return [(a, d) for a, d in rows]


def untold_count(role: Role) -> int:
    """How many decided applicants of the role have not been told (one query)."""
    return (
        db.session.scalar(
            select(func.count(Application.id))
            .join(Decision, Decision.application_id == Application.id)
            .where(
                Application.role_id == role.id,
                Application.status.in_(tuple(OUTCOMES)),
                Decision.outcome_sent_at.is_(None),
            )
        )
        or 0
    )


@dataclass
class OutcomesSent:
    shortlisted: int = 0
    not_shortlisted: int = 0

    @property
    def total(self) -> int:
        return self.shortlisted + self.not_shortlisted


def send_outcomes(role: Role, by: User, *, include_reasons: bool = False) -> OutcomesSent:
    """Email every decided applicant not yet told; a second send finds nobody new to tell.

    Every decision is checked against the rules again first (a moderated score may have changed
    since): if any breaks them, nothing is sent and the message names the references."""
    panel = panel_for(role)
    check_may_act(by, panel)
    check_scoring_closed(panel)
    assert panel is not None
    # One sender at a time (PostgreSQL locks the panel row until commit).
    db.session.get(Panel, panel.id, with_for_update=True, populate_existing=True)
    pending = untold(role)
    if not pending:
        return OutcomesSent()
    criteria = scored_criteria(role)
    assessments = assess(role, [a.id for a, _ in pending])
    broken = [
        a.reference or str(a.id)
        for a, d in pending
        if rule_problems(a, assessments[a.id], criteria, d.outcome, d.overrode_rule)
    ]
    if broken:
        raise DomainError(
            {
                "outcomes": "Nothing was sent. Scores changed after these decisions, which no "
                "longer follow the rules: " + ", ".join(broken) + ". Check each decision"
            }
        )
    result = OutcomesSent()
    now = utcnow()
    for application, decision in pending:
        shortlisted = decision.outcome == "shortlisted"
        share = include_reasons and not shortlisted
        context: dict[str, Any] = {
            "application": application,
            "role": role,
            "decision": decision,
            "include_reason": share,
        }
        if shortlisted:
            result.shortlisted += 1
            subject = f"Your application {application.reference}: next steps"
            template = "shortlist_shortlisted"
        else:
            result.not_shortlisted += 1
            subject = f"Your application {application.reference}"
            template = "shortlist_not_shortlisted"
            context["feedback_url"] = external_url(
                "moderation.feedback", application_id=application.id
            )
        queue_email(application.applicant.email, subject, template, **context)
        decision.outcome_sent_at = now
        audit.record(
            OUTCOME_SENT,
            "application",
            application.id,
            before={"outcome_sent_at": None},
            after={"outcome": decision.outcome, "reason_included": share, "outcome_sent_at": now},
            actor=by,
        )
    audit.record(
        "shortlisting.outcomes_sent",
        "role",
        role.id,
        after={
            "shortlisted": result.shortlisted,
            "not_shortlisted": result.not_shortlisted,
            "reasons_included": include_reasons,
        },
        actor=by,
    )
    commit()
    return result


# --- Feedback ---------------------------------------------------------------------------------


def decision_for(application: Application) -> Decision | None:
    return db.session.scalar(select(Decision).where(Decision.application_id == application.id))


def may_ask_for_feedback(application: Application) -> bool:
    decision = decision_for(application)
    return (
        decision is not None
        and decision.outcome == "not_shortlisted"
        and application.status == "not_shortlisted"
        and decision.outcome_sent_at is not None
    )


def request_feedback(application: Application, by: User) -> Decision:
    """The applicant asks for feedback on a not-shortlisted application (once; asking again
    changes nothing). The role's contact is told by email."""
    if application.applicant_id != by.id or not may_ask_for_feedback(application):
        raise DomainError({"feedback": "You cannot ask for feedback on this application"})
    decision = decision_for(application)
    assert decision is not None
    if decision.feedback_requested_at is not None:
        return decision
    decision.feedback_requested_at = utcnow()
    audit.record(
        "shortlisting.feedback_requested",
        "application",
        application.id,
        after={"feedback_requested_at": decision.feedback_requested_at},
        actor=by,
    )
    role = application.role
    to = role.contact_email or _lead_email(role)
    if to:
        queue_email(
            to,
            f"Feedback requested: {application.reference}",
            "shortlist_feedback_requested",
            application=application,
            role=role,
            decision=decision,
            applications_url=external_url("hr_applications.role_applications", role_id=role.id),
        )
    commit()
    return decision


def _lead_email(role: Role) -> str:
    panel = panel_for(role)
    return panel.lead.email if panel is not None and panel.lead is not None else ""


# --- Interviews -------------------------------------------------------------------------------


def interview_for(application: Application) -> Interview | None:
    return db.session.scalar(select(Interview).where(Interview.application_id == application.id))


def invite_to_interview(
    application: Application,
    starts_at: dt.datetime | None,
    location: str,
    organiser_email: str,
    by: User,
) -> Interview:
    """Invite a shortlisted applicant (told of the outcome) to interview. The applicant is told
    when and where; the organiser alone is told who they are and the adjustments they asked for."""
    role = application.role
    check_may_act(by, panel_for(role))
    if application.status != "shortlisted" or interview_for(application) is not None:
        raise DomainError(
            {"application": "Only a shortlisted applicant not yet invited can be invited"}
        )
    if not outcomes_sent([application.id]):
        raise DomainError(
            {"application": "Send the outcome to this applicant before inviting them"}
        )
    errors: dict[str, str] = {}
    if starts_at is None:
        errors["starts_at"] = "Enter the date and time of the interview"
    elif starts_at.tzinfo is None:
        raise ValueError("starts_at must be aware")
    elif starts_at <= utcnow():
        errors["starts_at"] = "The interview must be in the future"
    location = (location or "").strip()
    if not location:
        errors["location"] = "Enter where the interview is, or the video call link"
    elif len(location) > MAX_LOCATION:
        errors["location"] = "The location must be 1,000 characters or fewer"
    organiser_email = (organiser_email or "").strip()
    try:
        organiser_email = validate_email(organiser_email, check_deliverability=False).normalized
    except EmailNotValidError:
        errors["organiser_email"] = (
            "Enter the organiser's email address in the correct format, like name@example.com"
        )
    if errors:
        raise DomainError(errors)
    assert starts_at is not None
    interview = Interview(
        application_id=application.id,
        starts_at=starts_at,
        location=location,
        organiser_email=organiser_email,
        invited_by_id=by.id,
    )
    db.session.add(interview)
    try:
        db.session.flush()
    except IntegrityError:  # a second click, or another lead, got there first
        db.session.rollback()
        raise DomainError(
            {"application": "This applicant has already been invited to interview"}
        ) from None
    application.status = "interview"
    audit.record(
        "shortlisting.interview_invited",
        "application",
        application.id,
        before={"status": "shortlisted"},
        after={
            "status": "interview",
            "starts_at": starts_at,
            "location": location,
            "organiser_email": organiser_email,
        },
        actor=by,
    )
    when = format_datetime(starts_at)
    context: dict[str, Any] = {
        "application": application,
        "role": role,
        "when": when,
        "location": location,
        "organiser_email": organiser_email,
    }
    queue_email(
        application.applicant.email,
        f"Invitation to interview: {role.title}",
        "interview_invitation",
        **context,
    )
    queue_email(
        organiser_email,
        f"Interview on {when}: {application.reference}",
        "interview_organiser",
        contact_method=CONTACT_METHODS.get(application.contact_method or "", "Email"),
        **context,
    )
    commit()
    return interview
