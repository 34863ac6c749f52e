"""Imports every model so that SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from lep.accounts.models import ApiToken, User, UserRole
from lep.accounts.two_factor_models import RecoveryCode, TotpCredential
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
from lep.partners.models import Appointment, BankDetails, Involvement, PartnerSettings
from lep.payments.models import (
    BacsInstruction,
    Payee,
    Payment,
    PaymentItem,
    PaymentRun,
    ProviderEventRecord,
)
from lep.roles.models import (
    Criterion,
    PayPoint,
    Question,
    QuotaCategory,
    RateCard,
    RateCardRate,
    Role,
)
from lep.shortlisting.models import (
    Decision,
    Interview,
    LotteryDraw,
    LotteryQuota,
    ModeratedScore,
    Offer,
    Panel,
    PanelMember,
    Score,
    Scorecard,
)
from lep.support.models import (
    AppointmentEnding,
    CheckReminder,
    InductionItem,
    InductionTick,
    SupportCheck,
)

__all__ = [
    "Answer",
    "ApiToken",
    "Application",
    "Appointment",
    "AppointmentEnding",
    "AuditEvent",
    "BacsInstruction",
    "BankDetails",
    "CheckReminder",
    "Claim",
    "ClaimApproval",
    "ClaimLine",
    "ClaimReceipt",
    "Criterion",
    "Decision",
    "EqualityResponse",
    "ExpenseCategory",
    "ExpensePolicy",
    "InductionItem",
    "InductionTick",
    "Interview",
    "Involvement",
    "LotteryDraw",
    "LotteryQuota",
    "ModeratedScore",
    "Offer",
    "OtherWayRequest",
    "OutboxMessage",
    "Panel",
    "PanelMember",
    "PartnerSettings",
    "PayPoint",
    "Payee",
    "Payment",
    "PaymentItem",
    "PaymentRun",
    "PolicyCap",
    "ProviderEventRecord",
    "Question",
    "QuotaAnswer",
    "QuotaCategory",
    "RateCard",
    "RateCardRate",
    "RecoveryCode",
    "Role",
    "Score",
    "Scorecard",
    "SupportCheck",
    "SupportingFile",
    "TotpCredential",
    "User",
    "UserRole",
]
