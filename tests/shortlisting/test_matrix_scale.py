"""The matrix page issues the same number of SQL queries for 2,000 applications and 5 scorers
as for 10: rows are bulk inserted with Core executemany inside the test's transaction, and the
statements of each request are counted on the test's connection."""

from __future__ import annotations

import itertools
import time

from sqlalchemy import event

from lep.accounts.models import User
from lep.applications.models import Application
from lep.db import utcnow
from lep.extensions import db
from lep.roles.models import Role
from lep.shortlisting.assessment import scored_criteria
from lep.shortlisting.models import Decision, ModeratedScore, Score, Scorecard
from tests.shortlisting.moderation_support import client_for, make_panel, scored_role

SCORERS = 5
_people = itertools.count(1)


def bulk_applications(role: Role, scorers: list[User], lead: User, n: int) -> list[int]:
    """n sent applications, each scored by every scorer (some flagged, some moderated, some
    decided and told), in a handful of executemany statements."""
    conn = db.session.connection()
    now = utcnow()
    batch = [next(_people) for _ in range(n)]
    user_ids = [
        row[0]
        for row in conn.execute(
            User.__table__.insert().returning(User.__table__.c.id, sort_by_parameter_order=True),
            [
                {"email": f"bulk{i}@example.org", "full_name": f"Person {i}", "active": True}
                for i in batch
            ],
        )
    ]
    app_ids = [
        row[0]
        for row in conn.execute(
            Application.__table__.insert().returning(
                Application.__table__.c.id, sort_by_parameter_order=True
            ),
            [
                {
                    "role_id": role.id,
                    "applicant_id": uid,
                    "status": "submitted",
                    "reference": f"LEP-2027-{i:06d}",
                    "submitted_at": now,
                    "guaranteed_interview": i % 7 == 0,
                }
                for i, uid in zip(batch, user_ids, strict=True)
            ],
        )
    ]
    card_rows = [
        {
            "application_id": aid,
            "scorer_id": s.id,
            "role_id": role.id,
            "status": "submitted",
            "submitted_at": now,
        }
        for aid in app_ids
        for s in scorers
    ]
    card_ids = [
        row[0]
        for row in conn.execute(
            Scorecard.__table__.insert().returning(
                Scorecard.__table__.c.id, sort_by_parameter_order=True
            ),
            card_rows,
        )
    ]
    criteria = scored_criteria(role)
    conn.execute(
        Score.__table__.insert(),
        [
            {
                "scorecard_id": cid,
                "criterion_id": c.id,
                # Every third application: scorers 3 apart on the first criterion (flagged).
                "value": (3 if n_card % SCORERS == 0 else 0)
                if (n_card // SCORERS) % 3 == 0 and k == 0
                else 2,
                "comment": "",
            }
            for n_card, cid in enumerate(card_ids)
            for k, c in enumerate(criteria)
        ],
    )
    conn.execute(
        ModeratedScore.__table__.insert(),
        [
            {
                "application_id": aid,
                "criterion_id": criteria[0].id,
                "value": 2,
                "reason": "Agreed",
                "by_id": lead.id,
            }
            for aid in app_ids[::6]
        ],
    )
    decided = app_ids[1::3]
    told = set(decided[::2])
    sent_at = utcnow()
    conn.execute(
        Decision.__table__.insert(),
        [
            {
                "application_id": aid,
                "outcome": "shortlisted",
                "reason": "Good",
                "by_id": lead.id,
                "outcome_sent_at": sent_at if aid in told else None,
            }
            for aid in decided
        ],
    )
    return app_ids


def statements_for(client, url: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    conn = db.session.connection()

    def listener(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        seen.append(args[2])

    event.listen(conn, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(conn, "before_cursor_execute", listener)
    assert response.status_code == 200, response.status_code
    return len(seen), response.get_data(as_text=True)


def test_the_matrix_issues_the_same_queries_for_2000_applications_as_for_10(app, make_user):
    started = time.monotonic()
    lead = make_user("hr")
    scorers = [make_user("panel") for _ in range(SCORERS)]
    small, large = scored_role("Small role"), scored_role("Large role")
    make_panel(small, lead, scorers)
    make_panel(large, lead, scorers)
    bulk_applications(small, scorers, lead, 10)
    bulk_applications(large, scorers, lead, 2_000)
    db.session.commit()
    client = client_for(app, lead)
    for show in ("all", "moderation", "undecided"):
        few, few_html = statements_for(client, f"/hr/roles/{small.id}/shortlisting?show={show}")
        many, many_html = statements_for(
            client, f"/hr/roles/{large.id}/shortlisting?show={show}&page=3"
        )
        assert few == many, (show, few, many)
        assert (
            few_html.count('<th scope="row"') == {"all": 10, "moderation": 2, "undecided": 7}[show]
        )
        assert many_html.count('<th scope="row"') == 25
        assert "page 3 of" in many_html
        if show == "all":  # of the 3 decided, 2 have been told (read from the decisions)
            assert few_html.count("Outcome sent") == 2
            assert few_html.count("Outcome not sent yet") == 1
    # Every third application is flagged, every sixth moderated; every third (others) decided.
    assert "All (2000)" in many_html
    assert "Needs moderation (333)" in many_html
    assert "Not decided (1333)" in many_html
    assert time.monotonic() - started < 60
