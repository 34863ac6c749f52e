"""Deterministic bulk data for the benchmarks: roles, applications, panels with scores, partners
with bank details, expense claims; and payees for timing payment runs.

Rows go in with SQLAlchemy Core executemany (explicit ids, sequences moved on afterwards), never
through the services: the point is volume, fast. The same seed gives the same rows. Generation
is additive (a prefix keeps emails apart), so a test can add a second, larger batch to the same
database. Call it inside an app context: bank details are encrypted with the app's key.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, func, select, text

from lep.db import utcnow
from lep.timeutil import LONDON

PASSWORD = "bench-password-2026"  # noqa: S105 (bench data only)
TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCH23"  # noqa: S105 staff's authenticator (bench only)
DOMAIN = "bench.example.org"
BATCH = 5_000


@dataclass(frozen=True)
class Scale:
    roles: int
    applications: int
    claims: int
    partners: int


SCALES: dict[str, Scale] = {
    "XS": Scale(roles=3, applications=12, claims=10, partners=4),
    "XS2": Scale(roles=5, applications=40, claims=30, partners=10),
    "S": Scale(roles=20, applications=500, claims=1_000, partners=100),
    "M": Scale(roles=200, applications=20_000, claims=50_000, partners=2_000),
    "L": Scale(roles=1_000, applications=100_000, claims=250_000, partners=10_000),
}


@dataclass
class Manifest:
    """What the bench needs to know about the rows it made (emails, ids)."""

    password: str
    hr_email: str
    finance_email: str
    finance2_email: str
    largest_role_id: int
    role_ids: list[int]
    # (applicant email, draft application id): the applicants who use the question pages.
    drafts: list[tuple[str, int]] = field(default_factory=list)
    # Claims sent and waiting in the queue, oldest first (approve them one by one).
    submitted_claims: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


_TEXT = (
    "I have lived experience of mental health services and have supported people in my "
    "community group for several years listening carefully to carers and patients then "
    "sharing what we heard with staff so that changes to the service were made together "
    "with the people who use it every week"
)
WORDS = _TEXT.split()


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


class _Writer:
    """Explicit ids per table, inserted in batches with executemany."""

    def __init__(self, conn: Connection, metadata: Any) -> None:
        self.conn = conn
        self.tables: dict[str, Table] = metadata.tables
        self.next: dict[str, int] = {}
        self.touched: set[str] = set()

    def ids(self, table: str, n: int) -> range:
        if table not in self.next:
            t = self.tables[table]
            self.next[table] = (self.conn.scalar(select(func.max(t.c.id))) or 0) + 1
        start = self.next[table]
        self.next[table] = start + n
        return range(start, start + n)

    def insert(self, table: str, rows: Iterable[dict[str, Any]]) -> int:
        t = self.tables[table]
        batch: list[dict[str, Any]] = []
        total = 0
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self.conn.execute(t.insert(), batch)
                total += len(batch)
                batch = []
        if batch:
            self.conn.execute(t.insert(), batch)
            total += len(batch)
        self.touched.add(table)
        return total

    def fix_sequences(self) -> None:
        """Explicit ids leave PostgreSQL's sequences behind: move them past the rows."""
        if self.conn.dialect.name != "postgresql":
            return
        for table in sorted(self.touched):
            if "id" not in self.tables[table].c:
                continue
            self.conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            )


def _password_hash() -> str:
    from lep.accounts.auth import hash_password

    return hash_password(PASSWORD)


def _users(
    w: _Writer, emails: Sequence[tuple[str, str, tuple[str, ...]]], password_hash: str
) -> list[int]:
    """(email, full name, roles) -> user ids. One argon2 hash for all: same password."""
    now = utcnow()
    ids = list(w.ids("user_account", len(emails)))
    w.insert(
        "user_account",
        (
            {
                "id": uid,
                "email": email,
                "full_name": name,
                "password_hash": password_hash,
                "email_confirmed_at": now,
                "active": True,
                "session_version": 1,
                "last_login_at": None,
            }
            for uid, (email, name, _) in zip(ids, emails, strict=True)
        ),
    )
    w.insert(
        "user_role",
        (
            {"user_id": uid, "role": role}
            for uid, (_, _, roles) in zip(ids, emails, strict=True)
            for role in roles
        ),
    )
    from lep.accounts.two_factor import REQUIRED_ROLES

    w.insert(
        "totp_credential",
        (
            {"user_id": uid, "secret": TOTP_SECRET, "confirmed_at": now, "last_used_step": None}
            for uid, (_, _, roles) in zip(ids, emails, strict=True)
            if set(roles) & set(REQUIRED_ROLES)
        ),
    )
    return ids


FIRST = ("Alex", "Sam", "Priya", "Tomasz", "Aisha", "Niamh", "Kwame", "Siân", "Jo", "Li")
LAST = ("Smith", "Jones", "Khan", "O'Brien", "Nowak", "Evans", "Okafor", "Patel", "Hughes", "Wu")


def _name(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"


def _pay_table(w: _Writer) -> None:
    """The 2025/26 Agenda for Change table, once per database."""
    from lep.roles import paytables

    if w.conn.scalar(select(func.count()).select_from(w.tables["pay_point"])):
        return
    rows = list(csv.DictReader(paytables.REFERENCE_TABLE.read_text().splitlines()))
    ids = w.ids("pay_point", len(rows))
    w.insert(
        "pay_point",
        (
            {
                "id": pid,
                "framework": "afc-england",
                "band": row["band"],
                "point": int(row["pay_point"]),
                "years_from": int(row["years_from"]),
                "annual_pence": int(Decimal(row["annual_salary_gbp"]) * 100),
                "effective_from": dt.date.fromisoformat(row["effective_from"]),
            }
            for pid, row in zip(ids, rows, strict=True)
        ),
    )


def _category_ids(w: _Writer) -> list[int]:
    t = w.tables["expense_category"]
    wanted = ("public_transport", "parking", "meals")
    found = dict(w.conn.execute(select(t.c.code, t.c.id).where(t.c.code.in_(wanted))).all())
    return [found[c] for c in wanted]


def _bank_rows(user_ids: Sequence[int], changed_at: dt.datetime) -> Iterable[dict[str, Any]]:
    from lep.partners import bank

    for uid in user_ids:
        account = bank.Account(
            f"{(uid * 7919) % 1_000_000:06d}", f"{uid % 100_000_000:08d}", _name(uid)
        )
        yield {
            "user_id": uid,
            "ciphertext": bank.encrypt(account),
            "masked": account.masked[:80],
            "changed_at": changed_at,
        }


def _claims(
    w: _Writer,
    rng: random.Random,
    claimants: Sequence[int],
    role_ids: Sequence[int],
    n: int,
    now: dt.datetime,
    status_of: Any,
) -> list[tuple[int, str]]:
    categories = _category_ids(w)
    ids = list(w.ids("claim", n))
    claims: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    line_ids = iter(w.ids("claim_line", n * 3))
    made: list[tuple[int, str]] = []
    for k, cid in enumerate(ids):
        status = status_of(k)
        # Oldest first in the queue: later ids were sent later.
        submitted = None if status == "draft" else now - dt.timedelta(days=40, minutes=-k)
        day = (submitted or now).astimezone(LONDON).date() - dt.timedelta(days=3)
        amounts = [rng.randrange(300, 4_000) for _ in range(1 + k % 3)]
        total = sum(amounts)
        decided = status in ("approved", "paid", "rejected", "scheduled")
        for j, amount in enumerate(amounts):
            lines.append(
                {
                    "id": next(line_ids),
                    "claim_id": cid,
                    "spent_on": day,
                    "category_id": categories[(k + j) % len(categories)],
                    "description": f"Travel to the panel meeting ({j + 1})",
                    "amount_pence": amount,
                    "vehicle": None,
                    "miles_tenths": None,
                    "passengers": None,
                    "mileage_working": "",
                    "no_receipt_reason": "",
                    "reason": "",
                    "approved_pence": amount
                    if status in ("approved", "paid", "scheduled")
                    else None,
                    "flags": [],
                }
            )
        claims.append(
            {
                "id": cid,
                "reference": None
                if submitted is None
                else f"EXP-{submitted.astimezone(LONDON).year}-{cid:06d}",
                "claimant_id": claimants[k % len(claimants)],
                "role_id": role_ids[k % len(role_ids)] if role_ids else None,
                "status": status,
                "updated_at": submitted or now,
                "submitted_at": submitted,
                "query_text": "",
                "cancel_reason": "",
                "decided_at": now - dt.timedelta(days=1) if decided else None,
                "expected_payment_date": None,
                "total_claimed_pence": total,
                "total_approved_pence": total
                if status in ("approved", "paid", "scheduled")
                else (0 if status == "rejected" else None),
            }
        )
        made.append((cid, status))
    w.insert("claim", claims)
    w.insert("claim_line", lines)
    return made


def _status_for_claim(k: int) -> str:
    r = k % 10
    if r < 6:
        return "submitted"
    return {6: "approved", 7: "paid", 8: "draft", 9: "rejected"}[r]


def generate(conn: Connection, scale: Scale | str, seed: int = 8, prefix: str = "") -> Manifest:
    """Add one data set of this scale to the database behind `conn` (the caller commits)."""
    from lep.extensions import db

    if isinstance(scale, str):
        scale = SCALES[scale]
    rng = random.Random(f"{seed}-{prefix}")  # noqa: S311 (seeded on purpose)
    w = _Writer(conn, db.metadata)
    now = utcnow().replace(microsecond=0)
    password_hash = _password_hash()
    _pay_table(w)

    # People.
    tag = f"{prefix}." if prefix else ""
    staff = [
        (f"{tag}hr@{DOMAIN}", "Harriet Reid", ("hr",)),
        (f"{tag}finance@{DOMAIN}", "Fin Adebayo", ("finance",)),
        (f"{tag}finance2@{DOMAIN}", "Fran Nolan", ("finance",)),
        (f"{tag}panel1@{DOMAIN}", "Pat One", ("panel",)),
        (f"{tag}panel2@{DOMAIN}", "Pat Two", ("panel",)),
        (f"{tag}panel3@{DOMAIN}", "Pat Three", ("panel",)),
    ]
    hr, _finance, _finance2, *scorers = _users(w, staff, password_hash)
    n_applicants = max((scale.applications + 1) // 2, 1)
    applicants = _users(
        w,
        [
            (f"{tag}applicant{i:06d}@{DOMAIN}", _name(i), ("applicant",))
            for i in range(n_applicants)
        ],
        password_hash,
    )
    partners = _users(
        w,
        [
            (f"{tag}partner{i:06d}@{DOMAIN}", _name(i + 7), ("partner",))
            for i in range(scale.partners)
        ],
        password_hash,
    )

    # A rate card for sessional roles.
    (card,) = w.ids("rate_card", 1)
    w.insert(
        "rate_card",
        [{"id": card, "name": f"Bench involvement rates {prefix or seed}", "description": ""}],
    )
    w.insert(
        "rate_card_rate",
        [
            {
                "id": w.ids("rate_card_rate", 1)[0],
                "rate_card_id": card,
                "effective_from": dt.date(2025, 4, 1),
                "hourly_pence": 2_500,
                "half_day_pence": 7_500,
                "day_pence": 15_000,
                "half_day_max_hours": 4,
            }
        ],
    )

    # Roles, each with four criteria and three questions.
    role_ids = list(w.ids("role", scale.roles))
    bands = ("3", "4", "5", "6", "7", "8a")
    roles = []
    for k, rid in enumerate(role_ids):
        kind = "employed" if k % 3 == 0 else ("sessional" if k % 3 == 1 else "expenses_only")
        roles.append(
            {
                "id": rid,
                "title": f"Lived experience partner {k + 1}",
                "team": "Community mental health",
                "summary": _words(rng, 25),
                "description": "\n\n".join(_words(rng, 60) for _ in range(3)),
                "engagement_type": kind,
                "band": "7" if k == 0 else (bands[k % len(bands)] if kind == "employed" else None),
                "rate_card_id": card if kind == "sessional" else None,
                "minutes_per_week": 900 if kind == "employed" else None,
                "sessions_per_month": 2 if kind == "sessional" else None,
                "location": "Leeds",
                "work_pattern": ("on_site", "hybrid", "remote")[k % 3],
                "posts": 1 + k % 3,
                "closes_at": now + dt.timedelta(days=30 + k % 30),
                "status": "open",
                "contact_name": "Harriet Reid",
                "contact_email": f"hr@{DOMAIN}",
                "contact_phone": "0113 496 0000",
                "selection_method": "scored",
                "published_at": now - dt.timedelta(days=5),
                "created_by_id": hr,
                "cost_code": f"CC{k:04d}",
                "budget_holder_id": None,
            }
        )
    w.insert("role", roles)
    criteria: dict[int, list[int]] = {}
    crit_rows: list[dict[str, Any]] = []
    q_rows: list[dict[str, Any]] = []
    qc_rows: list[dict[str, Any]] = []
    crit_ids = iter(w.ids("criterion", 4 * scale.roles))
    q_ids = iter(w.ids("question", 3 * scale.roles))
    questions: dict[int, list[int]] = {}
    for rid in role_ids:
        criteria[rid] = [next(crit_ids) for _ in range(4)]
        questions[rid] = [next(q_ids) for _ in range(3)]
        for p, cid in enumerate(criteria[rid]):
            crit_rows.append(
                {
                    "id": cid,
                    "role_id": rid,
                    "text": _words(rng, 8),
                    "essential": p < 3,
                    "stage": "application",
                    "position": p,
                }
            )
        for p, qid in enumerate(questions[rid]):
            q_rows.append(
                {
                    "id": qid,
                    "role_id": rid,
                    "text": f"Tell us about {_words(rng, 8).lower()}",
                    "hint": "",
                    "word_limit": 250,
                    "position": p,
                }
            )
            covers = criteria[rid][p : p + 1] + (criteria[rid][3:] if p == 2 else [])
            qc_rows.extend({"question_id": qid, "criterion_id": c} for c in covers)
    w.insert("criterion", crit_rows)
    w.insert("question", q_rows)
    w.insert("question_criterion", qc_rows)

    # Applications: the first role gets a fifth of them (the largest role); a fifth are drafts.
    app_ids = list(w.ids("application", scale.applications))
    others = role_ids[1:] or role_ids
    apps, answers, drafts = [], [], []
    submitted_by_role: dict[int, list[int]] = {}
    answer_ids = iter(w.ids("answer", 3 * scale.applications))
    for j, aid in enumerate(app_ids):
        rid = role_ids[0] if j % 5 == 0 else others[j % len(others)]
        applicant = applicants[j // 2]
        draft = j % 10 in (3, 7)
        sent = None if draft else now - dt.timedelta(days=2, minutes=j)
        apps.append(
            {
                "id": aid,
                "reference": None if draft else f"LEP-{sent.astimezone(LONDON).year}-{aid:06d}",  # type: ignore[union-attr]
                "role_id": rid,
                "applicant_id": applicant,
                "status": "draft" if draft else "submitted",
                "updated_at": sent or now,
                "submitted_at": sent,
                "withdrawn_at": None,
                "declaration_at": sent,
                "support_saved": not draft,
                "adjustments_application": "",
                "adjustments_interview": "",
                "contact_method": "email",
                "contact_times": "",
                "phone": "",
                "helped_by": "",
                "guaranteed_interview": False,
            }
        )
        for qid in questions[rid][: 1 if draft else 3]:
            answers.append(
                {
                    "id": next(answer_ids),
                    "application_id": aid,
                    "question_id": qid,
                    "text": _words(rng, 60),
                    "updated_at": sent or now,
                }
            )
        if draft:
            drafts.append((f"{tag}applicant{j // 2:06d}@{DOMAIN}", aid))
        else:
            submitted_by_role.setdefault(rid, []).append(aid)
    w.insert("application", apps)
    w.insert("answer", answers)

    # Panels: the HR lead and three scorers; two submitted scorecards per sent application.
    panel_ids = list(w.ids("panel", scale.roles))
    w.insert(
        "panel",
        (
            {"id": pid, "role_id": rid, "lead_id": hr, "scoring_closed_at": None}
            for pid, rid in zip(panel_ids, role_ids, strict=True)
        ),
    )
    w.insert(
        "panel_member",
        (
            {"id": mid, "panel_id": pid, "user_id": uid, "added_at": now}
            for (pid, uid), mid in zip(
                [(p, u) for p in panel_ids for u in scorers],
                w.ids("panel_member", len(panel_ids) * len(scorers)),
                strict=True,
            )
        ),
    )
    cards: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    n_cards = 2 * sum(len(v) for v in submitted_by_role.values())
    card_ids = iter(w.ids("scorecard", n_cards))
    score_ids = iter(w.ids("score", n_cards * 4))
    for rid, aids in submitted_by_role.items():
        for aid in aids:
            for s in range(2):
                scid = next(card_ids)
                cards.append(
                    {
                        "id": scid,
                        "application_id": aid,
                        "scorer_id": scorers[(aid + s) % len(scorers)],
                        "role_id": rid,
                        "status": "submitted",
                        "conflict_note": "",
                        "updated_at": now,
                        "submitted_at": now,
                    }
                )
                scores.extend(
                    {
                        "id": next(score_ids),
                        "scorecard_id": scid,
                        "criterion_id": cid,
                        "value": rng.randrange(0, 4),
                        "comment": "",
                    }
                    for cid in criteria[rid]
                )
    w.insert("scorecard", cards)
    w.insert("score", scores)

    # Partners: bank details (changed long ago, so never held) and claims in every status.
    w.insert(
        "bank_details",
        (
            dict(row, id=bid)
            for row, bid in zip(
                _bank_rows(partners, now - dt.timedelta(days=60)),
                w.ids("bank_details", len(partners)),
                strict=True,
            )
        ),
    )
    made = _claims(w, rng, partners, role_ids, scale.claims, now, _status_for_claim)
    w.fix_sequences()
    largest = max(role_ids, key=lambda r: len(submitted_by_role.get(r, [])))
    return Manifest(
        password=PASSWORD,
        hr_email=staff[0][0],
        finance_email=staff[1][0],
        finance2_email=staff[2][0],
        largest_role_id=largest,
        role_ids=role_ids,
        drafts=drafts,
        submitted_claims=[cid for cid, status in made if status == "submitted"],
        counts={
            "roles": scale.roles,
            "applications": scale.applications,
            "claims": scale.claims,
            "partners": scale.partners,
            "users": len(staff) + len(applicants) + len(partners),
            "scores": len(scores),
        },
    )


def generate_payees(conn: Connection, payees: int, prefix: str) -> tuple[str, str]:
    """Payees for a payment run: each a partner with bank details and one approved claim.
    Returns the two finance users' emails (one builds, the other approves)."""
    from lep.extensions import db

    rng = random.Random(f"payees-{prefix}")  # noqa: S311 (seeded on purpose)
    w = _Writer(conn, db.metadata)
    now = utcnow().replace(microsecond=0)
    password_hash = _password_hash()
    staff = [
        (f"{prefix}.finance@{DOMAIN}", "Fin Adebayo", ("finance",)),
        (f"{prefix}.finance2@{DOMAIN}", "Fran Nolan", ("finance",)),
    ]
    _users(w, staff, password_hash)
    users = _users(
        w,
        [(f"{prefix}.payee{i:06d}@{DOMAIN}", _name(i), ("partner",)) for i in range(payees)],
        password_hash,
    )
    w.insert(
        "bank_details",
        (
            dict(row, id=bid)
            for row, bid in zip(
                _bank_rows(users, now - dt.timedelta(days=60)),
                w.ids("bank_details", len(users)),
                strict=True,
            )
        ),
    )
    _claims(w, rng, users, [], payees, now, lambda k: "approved")
    w.fix_sequences()
    return staff[0][0], staff[1][0]
