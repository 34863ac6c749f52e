# ruff: noqa: F811  (the fixtures imported from test_claims are used as parameters)
"""Who may claim, cancelling a claim, and budget holders as first approvers."""

from __future__ import annotations

import pytest

from lep.applications.models import Application
from lep.audit.models import AuditEvent
from lep.expenses import services
from lep.expenses.models import Claim
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.roles.models import Role
from tests.expenses.test_claims import (  # noqa: F401  (fixtures)
    errors_of,
    finance,
    finance2,
    frozen,
    parking,
    partner,
    snapshot,
    storage,
    submitted_claim,
)


def a_role(title: str = "Community panel member", **fields) -> Role:
    role = Role(title=title, engagement_type="sessional", status="open", **fields)
    db.session.add(role)
    db.session.flush()
    return role


def applied(user, role: Role, status: str) -> Application:
    application = Application(role=role, applicant_id=user.id, status=status)
    db.session.add(application)
    db.session.flush()
    return application


def actions(claim: Claim) -> list[str]:
    return [
        e.action
        for e in db.session.query(AuditEvent)
        .filter_by(subject_type="claim", subject_id=str(claim.id))
        .order_by(AuditEvent.id)
    ]


# -- Who may claim ---------------------------------------------------------------------------------


def test_an_applicant_invited_to_interview_claims_for_that_role_only(make_user):
    applicant = make_user("applicant")
    invited, other, just_sent = a_role("Invited"), a_role("Other"), a_role("Just sent")
    applied(applicant, invited, "interview")
    applied(applicant, just_sent, "submitted")
    assert services.may_claim(applicant)
    assert services.claim_roles(applicant) == [invited]
    claim = services.start_claim(applicant, invited.id)
    assert claim.role_id == invited.id
    for role_id in (other.id, just_sent.id, None):
        assert errors_of(services.start_claim, applicant, role_id) == {
            "role_id": "Select the role your expenses are for"
        }


def test_an_applicant_not_invited_cannot_claim(make_user):
    applicant = make_user("applicant")
    applied(applicant, a_role(), "submitted")
    assert not services.may_claim(applicant)
    assert errors_of(services.start_claim, applicant) == {
        "claimant": "Only partners and people invited to interview can claim expenses"
    }


def test_a_partner_may_claim_for_no_particular_role(partner):
    assert services.may_claim(partner)
    assert services.start_claim(partner).role_id is None


def test_staff_without_the_partner_role_cannot_claim(make_user):
    assert not services.may_claim(make_user("finance"))
    assert not services.may_claim(make_user("hr"))


# -- Cancelling ------------------------------------------------------------------------------------


def test_the_claimant_cancels_a_sent_claim_and_is_told(partner, storage):
    claim = submitted_claim(partner, 850)
    services.cancel_claim(claim, partner, "Sent it twice")
    assert snapshot(claim)[0] == "cancelled"
    assert claim.cancel_reason == "Sent it twice"
    assert actions(claim)[-1] == "claim.cancelled"
    email = db.session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first()
    assert email.subject == f"Your expenses claim {claim.reference} is cancelled"
    assert "You cancelled your expenses claim" in email.body_text


def test_the_claimant_cannot_cancel_once_decided(partner, finance, storage):
    claim = submitted_claim(partner, 850)
    services.approve_claim(claim, finance, {claim.lines[0].id: 850})
    assert errors_of(services.cancel_claim, claim, partner) == {
        "claim": "This claim cannot be cancelled now: it is approved"
    }
    assert snapshot(claim)[0] == "approved"


def test_finance_cancels_an_approved_claim_only_with_a_reason(partner, finance, storage):
    claim = submitted_claim(partner, 850)
    services.approve_claim(claim, finance, {claim.lines[0].id: 850})
    assert errors_of(services.cancel_claim, claim, finance) == {
        "reason": "Enter why the claim is cancelled"
    }
    assert snapshot(claim)[0] == "approved"
    services.cancel_claim(claim, finance, "Paid already through petty cash")
    assert snapshot(claim)[0] == "cancelled"
    email = db.session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first()
    assert "cancelled by the finance team" in email.body_text
    assert "Paid already through petty cash" in email.body_text


def test_finance_cannot_cancel_a_claim_waiting_for_approval(partner, finance, storage):
    claim = submitted_claim(partner, 850)
    assert errors_of(services.cancel_claim, claim, finance, "No") == {
        "claim": "This claim cannot be cancelled now: it is sent: waiting for approval"
    }


def test_nobody_else_cancels_a_claim(partner, make_user, storage):
    claim = submitted_claim(partner, 850)
    other = make_user("partner")
    assert errors_of(services.cancel_claim, claim, other, "Mine now") == {
        "approver": "Only the claimant or the finance team can cancel a claim"
    }
    assert snapshot(claim)[0] == "submitted"


# -- Budget holders --------------------------------------------------------------------------------


@pytest.fixture
def holder(make_user):
    return make_user("hr", full_name="Bea Holder")


def role_claim(partner, role: Role, pence: int = 850) -> Claim:
    applied(partner, role, "appointed")
    claim = services.start_claim(partner, role.id)
    parking(claim, pence)
    return services.submit_claim(claim)


def test_a_budget_holder_approves_first_and_finance_gives_the_final_approval(
    partner, holder, finance, storage
):
    role = a_role(budget_holder_id=holder.id)
    claim = role_claim(partner, role)
    assert services.is_approver(holder)
    assert services.can_decide(holder, claim)
    services.approve_claim(claim, holder, {claim.lines[0].id: 800})
    # A small claim still needs finance after the budget holder.
    assert snapshot(claim)[0] == "submitted"
    assert services.awaiting_second(claim)
    assert not services.can_decide(holder, claim)
    assert errors_of(services.approve_claim, claim, holder, {claim.lines[0].id: 800}) == {
        "approver": "The first approval is in. The final decision is for the finance team"
    }
    services.approve_claim(claim, finance, {claim.lines[0].id: 800})
    assert snapshot(claim)[:2] == ("partly_approved", 800)
    assert actions(claim)[-2:] == ["claim.first_approval", "claim.approved"]


def test_a_budget_holder_decides_only_for_their_own_roles(partner, holder, storage):
    a_role("Held", budget_holder_id=holder.id)
    claim = role_claim(partner, a_role("Not held"))
    assert services.is_approver(holder)
    assert not services.can_decide(holder, claim)
    assert errors_of(services.reject_claim, claim, holder, "No") == {
        "approver": "Only the finance team can decide on expense claims"
    }
    assert snapshot(claim)[0] == "submitted"


def test_a_budget_holder_cannot_approve_their_own_claim(make_user, finance, finance2, storage):
    holder = make_user("hr", "partner")
    role = a_role(budget_holder_id=holder.id)
    claim = role_claim(holder, role)
    assert errors_of(services.approve_claim, claim, holder, {claim.lines[0].id: 850}) == {
        "approver": "You cannot decide on your own expenses claim"
    }
    # Finance gives both approvals instead, two different people.
    services.approve_claim(claim, finance, {claim.lines[0].id: 850})
    assert snapshot(claim)[0] == "submitted"
    services.approve_claim(claim, finance2, {claim.lines[0].id: 850})
    assert snapshot(claim)[0] == "approved"


def test_people_who_are_not_approvers(partner, make_user):
    assert not services.is_approver(partner)
    assert not services.is_approver(make_user("hr"))
