"""Every email the service sends, as sent: the outbox provider's store and everyone's record."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
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
    # queued -> sent (handed to SMTP, or stored by the outbox provider) | failed (last_error);
    # failed -> sent | failed when delivered again. attempts counts every try.
    status: Mapped[str] = mapped_column(String(20), default="queued")
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
