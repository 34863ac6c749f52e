"""Demo expense claims: the demo partner's claims in every status, made through the services.

Starting, adding lines (with receipts saved through the storage), sending, querying, approving,
rejecting and cancelling go through lep.expenses.services, so the audit trail and the emails are
real. "Scheduled" and "paid" belong to the payments step, so the demo sets them directly and says
so in the audit log. Dates are relative to today, inside the claim window.

Idempotent: each demo claim is known by the description of its first line; one already there is
left alone. The demo's policy caps and ledger codes are only filled in where none are set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from lep import audit
from lep.accounts.models import User
from lep.expenses import services
from lep.expenses.models import Claim, ClaimLine, ExpenseCategory, PolicyCap
from lep.extensions import db
from lep.service import commit


def _tiny_pdf() -> bytes:
    """A valid one-page PDF saying "Demo receipt" (correct cross-reference table)."""
    stream = b"BT /F1 18 Tf 40 100 Td (Demo receipt) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


RECEIPT_PDF = _tiny_pdf()

PARTNER_EMAIL = "partner@example.org"
FINANCE_EMAIL = "finance@example.org"
# A second finance account: it gave the first approval on the claim above the threshold, so the
# demo finance account can give the second (nobody gives both).
SECOND_FINANCE = ("finance2@example.org", "Femi Finance")

# Demo caps in the policy in force (only where that category has none): enough to flag lines.
DEMO_CAPS = {"taxi": {"per_line_pence": 4_000}, "meals": {"per_day_pence": 2_500}}
# The finance system's account for each kind of expense (only where none is set).
DEMO_LEDGER_CODES = {
    "public_transport": "5410",
    "mileage": "5420",
    "parking": "5430",
    "taxi": "5440",
    "meals": "5450",
    "overnight_stay": "5460",
    "care": "5470",
    "accessibility": "5480",
    "other": "5490",
}


@dataclass
class DemoLine:
    category: str
    days_ago: int
    description: str
    pence: int | None = None  # None for mileage (worked out)
    miles: str | None = None
    passengers: int = 0
    reason: str = ""
    no_receipt_reason: str = ""  # empty: a receipt is attached (except for mileage)


@dataclass
class DemoClaim:
    status: str
    lines: list[DemoLine]
    approve_pence: list[int] | None = None  # per line; None: all as claimed
    note: str = ""
    first_only: bool = False  # a first approval only, waiting for the second
    question: str = ""
    reason: str = ""
    extra: dict[str, str] = field(default_factory=dict)


CLAIMS = [
    DemoClaim(
        "draft",
        [DemoLine("public_transport", 2, "Train to the community engagement workshop", 1420)],
    ),
    DemoClaim(
        "submitted",  # with flags: a taxi over the cap, and parking with no receipt
        [
            DemoLine(
                "taxi",
                4,
                "Accessible taxi to the patient experience panel",
                5200,
                reason="No step-free route by bus or train from my home",
            ),
            DemoLine(
                "parking",
                4,
                "Parking at the hospital for the panel",
                650,
                no_receipt_reason="The car park machine was not printing tickets",
            ),
        ],
    ),
    DemoClaim(
        "submitted",  # above the 250 GBP threshold: a first approval in, the second awaited
        [
            DemoLine(
                "overnight_stay", 12, "Hotel for the national co-production conference", 16500
            ),
            DemoLine("public_transport", 12, "Return train to the conference in Leeds", 11240),
        ],
        first_only=True,
        note="Conference agreed by the team in advance",
    ),
    DemoClaim(
        "queried",
        [
            DemoLine("meals", 9, "Lunch on the day of the service design workshop", 1185),
            DemoLine("mileage", 9, "Drove to the service design workshop", miles="18.6"),
        ],
        question="The lunch receipt shows a different date from the workshop. "
        "Could you check it and send the right one?",
    ),
    DemoClaim(
        "approved",
        [
            DemoLine(
                "mileage",
                20,
                "Drove to the mental health strategy group, with another partner",
                miles="23.4",
                passengers=1,
            ),
            DemoLine("parking", 20, "Parking for the strategy group", 480),
        ],
    ),
    DemoClaim(
        "partly_approved",
        [
            DemoLine("meals", 27, "Lunch and dinner on the two-session recruitment day", 3250),
            DemoLine("public_transport", 27, "Bus to the recruitment day", 860),
        ],
        approve_pence=[2500, 860],
        note="Meals are paid up to £25 a day",
    ),
    DemoClaim(
        "rejected",
        [DemoLine("other", 33, "Printer ink to print the panel papers at home", 4500)],
        reason="The team prints papers for panels: ask them to post you a copy next time",
    ),
    DemoClaim(
        "cancelled",
        [DemoLine("public_transport", 15, "Bus to the carers' forum", 980)],
        reason="I sent this twice by mistake",
    ),
    DemoClaim(
        "scheduled",
        [DemoLine("care", 41, "Childminder while I sat on the interview panel", 6000)],
    ),
    DemoClaim(
        "paid",
        [
            DemoLine("public_transport", 55, "Train to the board meeting", 2310),
            DemoLine("mileage", 55, "Drove to the station for the board meeting", miles="6.2"),
        ],
    ),
]


def seed_demo_claims() -> list[tuple[str, list[str]]]:
    """The demo partner's claims in every status. Returns the extra demo account it needs (a
    second finance person) for the list of accounts."""
    from lep.demo import demo_user

    partner = demo_user(PARTNER_EMAIL, "Priya Partner", {"partner"})
    finance = demo_user(FINANCE_EMAIL, "Fin Finance", {"finance"})
    finance2 = demo_user(SECOND_FINANCE[0], SECOND_FINANCE[1], {"finance"})
    commit()
    _seed_policy()
    categories = {c.code: c for c in db.session.scalars(select(ExpenseCategory))}
    for spec in CLAIMS:
        if _already_there(partner, spec):
            continue
        _make(spec, partner, finance, finance2, categories)
    return [(SECOND_FINANCE[0], ["finance"])]


def _seed_policy() -> None:
    policy = services.policy_on(services.london_today())
    changed = False
    for code, ledger in DEMO_LEDGER_CODES.items():
        category = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.code == code))
        if category is not None and not category.ledger_code:
            category.ledger_code = ledger
            audit.record(
                "expense_category.ledger_code_set",
                "expense_category",
                category.id,
                before={"ledger_code": ""},
                after={"ledger_code": ledger, "note": "demo data, set by the demo seed"},
                actor_label="demo",
            )
            changed = True
    for code, limits in DEMO_CAPS.items():
        category = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.code == code))
        if category is None or policy.cap_for(category.id) is not None:
            continue
        cap = PolicyCap(category_id=category.id, needs_receipt=category.needs_receipt, **limits)
        policy.caps.append(cap)
        db.session.flush()
        audit.record(
            "expense_policy.cap_added",
            "expense_policy",
            policy.id,
            after={"category": code, **limits, "note": "demo data, set by the demo seed"},
            actor_label="demo",
        )
        changed = True
    if changed:
        commit()


def _already_there(partner: User, spec: DemoClaim) -> bool:
    found = db.session.scalar(
        select(Claim.id)
        .join(ClaimLine, ClaimLine.claim_id == Claim.id)
        .where(
            Claim.claimant_id == partner.id,
            ClaimLine.description == spec.lines[0].description,
        )
        .limit(1)
    )
    return found is not None


def _make(
    spec: DemoClaim,
    partner: User,
    finance: User,
    finance2: User,
    categories: dict[str, ExpenseCategory],
) -> Claim:
    today = services.london_today()
    claim = services.start_claim(partner)
    for line in spec.lines:
        receipt = None
        if line.category != "mileage" and not line.no_receipt_reason:
            receipt = ("receipt.pdf", RECEIPT_PDF)
        services.add_line(
            claim,
            category=categories[line.category],
            spent_on=today - dt.timedelta(days=line.days_ago),
            description=line.description,
            amount_pence=line.pence,
            vehicle="car_or_van" if line.miles is not None else None,
            miles=Decimal(line.miles) if line.miles is not None else None,
            passengers=line.passengers,
            reason=line.reason,
            no_receipt_reason=line.no_receipt_reason,
            receipt=receipt,
        )
    if spec.status == "draft":
        return claim
    services.submit_claim(claim)
    if spec.status == "cancelled":
        return services.cancel_claim(claim, partner, spec.reason)
    if spec.status == "queried":
        return services.query_claim(claim, finance, spec.question)
    if spec.status == "rejected":
        return services.reject_claim(claim, finance, spec.reason)
    if spec.status == "submitted" and not spec.first_only:
        return claim
    amounts = spec.approve_pence or [line.amount_pence for line in claim.lines]
    by_line = {line.id: pence for line, pence in zip(claim.lines, amounts, strict=True)}
    if spec.first_only:
        return services.approve_claim(claim, finance2, by_line, spec.note)
    services.approve_claim(claim, finance, by_line, spec.note)
    if spec.status in ("scheduled", "paid"):
        _set_payment_status(claim, spec.status)
    return claim


def _set_payment_status(claim: Claim, status: str) -> None:
    """What the payments step will do; for now the demo sets it, and says so."""
    before = claim.status
    claim.status = status
    audit.record(
        "claim.status_changed",
        "claim",
        claim.id,
        before={"status": before},
        after={"status": status, "note": "demo data, set by the demo seed"},
        actor_label="demo",
    )
    commit()
