"""Every email the service sends, as sent: the outbox provider's store and everyone's record."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lep.db import TimestampMixin, UTCDateTime
from lep.extensions import db


class OutboxMessage(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(100))
    provider: Mapped[str] = mapped_column(String(20))
    # queued -> sending (claimed by one delivery, claimed_at) -> sent (handed to SMTP, or stored
    # by the outbox provider) | retrying (next_attempt_at, with backoff) | failed (tried
    # MAIL_MAX_ATTEMPTS times, or cannot be sent at all). A claim never finished (the process
    # died mid-send) becomes held: it may have gone, so only an admin's "Try again" sends it.
    # attempts counts every try; last_error says why the last one failed.
    status: Mapped[str] = mapped_column(String(20), default="queued")
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_outbox_message_status_next_attempt", "status", "next_attempt_at"),)
