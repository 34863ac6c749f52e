"""Imports every model so that SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from lep.accounts.models import ApiToken, User, UserRole
from lep.applications.models import (
    Answer,
    Application,
    OtherWayRequest,
    QuotaAnswer,
    SupportingFile,
)
from lep.audit.models import AuditEvent
from lep.equality.models import EqualityResponse
from lep.expenses.models import (
    Claim,
    ClaimApproval,
    ClaimLine,
    ClaimReceipt,
    ExpenseCategory,
    ExpensePolicy,
    PolicyCap,
)
from lep.notifications.models import OutboxMessage
from lep.roles.models import (
    Criterion,
    PayPoint,
    Question,
    QuotaCategory,
    RateCard,
    RateCardRate,
    Role,
)

__all__ = [
    "Answer",
    "ApiToken",
    "Application",
    "AuditEvent",
    "Claim",
    "ClaimApproval",
    "ClaimLine",
    "ClaimReceipt",
    "Criterion",
    "EqualityResponse",
    "ExpenseCategory",
    "ExpensePolicy",
    "OtherWayRequest",
    "OutboxMessage",
    "PayPoint",
    "PolicyCap",
    "Question",
    "QuotaAnswer",
    "QuotaCategory",
    "RateCard",
    "RateCardRate",
    "Role",
    "SupportingFile",
    "User",
    "UserRole",
]
