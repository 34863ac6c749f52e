"""Partners: appointing a person to a role on the terms of the offer they accepted.

`appoint` runs inside the caller's transaction (accepting an offer), so the offer, the application,
the partner role and the appointment commit together or not at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lep import audit
from lep.extensions import db
from lep.partners.models import Appointment
from lep.shortlisting.models import Offer


def appointment_for(user_id: int, role_id: int) -> Appointment | None:
    return db.session.scalar(
        select(Appointment).where(Appointment.user_id == user_id, Appointment.role_id == role_id)
    )


def appoint(offer: Offer, user: Any) -> Appointment:
    """Link the person to the offer's role and make them a partner, keeping their other roles.

    Does not commit: the caller owns the transaction."""
    if "partner" not in user.roles:
        before = sorted(user.roles)
        user.set_roles(user.roles | {"partner"})
        audit.record(
            "user.roles_changed",
            "user",
            user.id,
            before={"roles": before},
            after={"roles": sorted(user.roles), "reason": f"accepted offer {offer.id}"},
        )
    appointment = Appointment(
        user_id=user.id,
        role_id=offer.role_id,
        offer_id=offer.id,
        engagement_type=offer.engagement_type,
        starts_on=offer.start_date,
    )
    db.session.add(appointment)
    db.session.flush()
    audit.record(
        "appointment.made",
        "appointment",
        appointment.id,
        after={
            "user_id": user.id,
            "role_id": offer.role_id,
            "offer_id": offer.id,
            "engagement_type": offer.engagement_type,
            "starts_on": offer.start_date,
        },
    )
    return appointment
