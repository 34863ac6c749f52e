"""Imports every model so that SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from lep.accounts.models import ApiToken, User, UserRole
from lep.audit.models import AuditEvent
from lep.notifications.models import OutboxMessage

__all__ = ["ApiToken", "AuditEvent", "OutboxMessage", "User", "UserRole"]
