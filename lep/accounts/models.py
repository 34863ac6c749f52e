"""User accounts, the roles each holds, and personal API tokens."""

from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lep.access import ROLES
from lep.db import TimestampMixin, UTCDateTime
from lep.extensions import db

ROLE_CHECK = "role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")"

ROLE_LABELS = {
    "applicant": "Applicant",
    "partner": "Lived experience partner",
    "panel": "Panel member",
    "coordinator": "Involvement coordinator",
    "hr": "HR / recruiting lead",
    "finance": "Finance",
    "admin": "Administrator",
}


class User(UserMixin, TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped when the password changes or the account is deactivated: every other session ends.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles: set[str]) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}")
        self.role_rows = [r for r in self.role_rows if r.role in roles] + [
            UserRole(role=r) for r in sorted(roles - self.roles)
        ]

    @property
    def is_staff(self) -> bool:
        return self.has_role("panel", "coordinator", "hr", "finance", "admin")

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserRole(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "user_role"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="known_role"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class ApiToken(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
