"""A person's second factor: an authenticator app's TOTP secret and one-time recovery codes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lep.db import TimestampMixin, UTCDateTime
from lep.extensions import db


class TotpCredential(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One authenticator app per person. confirmed_at is empty until they typed a code from it.

    last_used_step is the 30-second step of the last code accepted: a code is taken only for a
    later step (a guarded UPDATE), so a code seen over someone's shoulder cannot be used again."""

    __tablename__ = "totp_credential"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_step: Mapped[int | None] = mapped_column(BigInteger())


class RecoveryCode(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A one-time code for signing in without the app. Only its SHA-256 is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
