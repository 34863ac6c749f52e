"""Partners: people appointed to a role (from an accepted offer).

Payment preferences and involvement logged belong here too (the payments issue).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lep.accounts.models import User
from lep.db import TimestampMixin, UTCDateTime
from lep.extensions import db
from lep.roles.models import Role
from lep.shortlisting.models import Offer


class Appointment(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A partner linked to a role, on the terms of the offer they accepted."""

    __tablename__ = "appointment"
    __table_args__ = (UniqueConstraint("user_id", "role_id", name="one_appointment_per_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), unique=True)
    engagement_type: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    role: Mapped[Role] = relationship()
    offer: Mapped[Offer] = relationship()
