"""Imports every model so that SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from lep.accounts.models import ApiToken, User, UserRole
from lep.audit.models import AuditEvent
from lep.notifications.models import OutboxMessage
from lep.roles.models import Criterion, PayPoint, Question, RateCard, RateCardRate, Role

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Criterion",
    "OutboxMessage",
    "PayPoint",
    "Question",
    "RateCard",
    "RateCardRate",
    "Role",
    "User",
    "UserRole",
]
