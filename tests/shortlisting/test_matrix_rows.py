"""The matrix as the lead reads it, worked out once per row: the same as the assessment's own
rules and the shared macros say, with its counts, scorers and pages read in a fixed number of
queries."""

from __future__ import annotations

import re

from flask import render_template_string
from sqlalchemy import event

from lep.extensions import db
from lep.shortlisting import decisions, matrix, moderation
from lep.shortlisting.assessment import assess, scored_criteria
from lep.shortlisting.models import OUTCOMES
from lep.shortlisting.moderation import record_moderation
from tests.shortlisting.moderation_support import (
    card,
    client_for,
    matrix_url,
    sent_application,
)


def macro_cells(result, decision, told, application) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The agreed cell and the decision cell as the shared macros render them."""
    html = render_template_string(
        '{% from "shortlisting/moderation/_macros.jinja" import agreed_cell, decision_text '
        "with context %}{{ agreed_cell(result) }}|{{ decision_text(d, told, a) }}",
        result=result,
        d=decision,
        told=told,
        a=application,
        outcomes=OUTCOMES,
    )
    agreed, _, decided = html.partition("|")
    return agreed, decided


def test_each_row_is_what_the_assessment_and_the_shared_macros_say(
    app, role, lead, scorers, panel, make_user
):
    flagged = sent_application(role, make_user)
    card(flagged, scorers[0], [3, 3])
    card(flagged, scorers[1], [0, 2])
    moderated = sent_application(role, make_user)
    card(moderated, scorers[0], [3, 1])
    card(moderated, scorers[1], [1, 1])
    record_moderation(moderated, scored_criteria(role)[0].id, 2, "We agreed", lead)
    calm = sent_application(role, make_user, guaranteed_interview=True)
    card(calm, scorers[0], [2, 1])
    card(calm, scorers[1], [1, 1])
    decisions.decide(calm, "shortlisted", "Good", lead)
    half = sent_application(role, make_user)
    card(half, scorers[0], [2, None], status="draft")
    unscored = sent_application(role, make_user)

    with app.test_request_context():
        data = matrix.matrix(role)
        criteria = scored_criteria(role)
        expected = assess(role, [a.id for a in (flagged, moderated, calm, half, unscored)])
        assert [r.application.id for r in data.rows] == sorted(
            expected, key=lambda i: db.session.get(type(flagged), i).reference
        )
        for row in data.rows:
            a = expected[row.application.id]
            assert row.assessment == a
            assert row.needing_moderation == len(a.needing_moderation)
            assert row.moderated == any(r.moderated is not None for r in a.criteria.values())
            assert row.mean_total == moderation.mean_text(a.mean_total)
            assert row.agreed_total == (a.agreed_total if a.agreed_total is not None else "None")
            assert row.scorer_totals == [a.scorer_totals.get(s.id, "None") for s in data.scorers]
            for criterion, cell in zip(criteria, row.cells, strict=True):
                result = a.criteria[criterion.id]
                assert [s.text for s in cell.scores] == [
                    str(result.scores[s.id])
                    if s.id in result.scores
                    else row.unscored.get(s.id, "Not scored")
                    for s in data.scorers
                ]
                assert cell.flagged == result.flagged
                assert cell.value == result.agreed
            assert row.outcome_sent == (
                row.decision is not None and row.decision.outcome_sent_at is not None
            )
        assert data.counts == {
            "all": 5,
            "moderation": 1,
            "undecided": 4,
            "untold": decisions.untold_count(role),
        }
        assert [r.unscored for r in data.rows if r.application.id == half.id] == [
            {scorers[0].id: "In progress"}
        ]

    # The page shows each row's cells exactly as the shared macros render them.
    html = client_for(app, lead).get(matrix_url(role)).get_data(as_text=True)
    with app.test_request_context():
        for row in matrix.matrix(role).rows:
            a = row.assessment
            for criterion in criteria:
                agreed_html, decision_html = macro_cells(
                    a.criteria[criterion.id], row.decision, row.outcome_sent, row.application
                )
                assert f'<td class="nhsuk-table__cell">{agreed_html}</td>' in html
            assert f'<td class="nhsuk-table__cell">{decision_html}</td>' in html


def test_untold_is_read_with_the_counts(app, role, lead, scorers, panel, make_user):
    told, waiting, other = (sent_application(role, make_user) for _ in range(3))
    for application in (told, waiting, other):
        card(application, scorers[0], [2, 2])
        card(application, scorers[1], [2, 2])
    decisions.decide(told, "shortlisted", "Good", lead)
    decisions.send_outcomes(role, lead)
    decisions.decide(waiting, "not_shortlisted", "Not this time", lead)
    with app.test_request_context():
        counts = matrix.matrix(role).counts
    assert counts["untold"] == decisions.untold_count(role) == 1
    html = client_for(app, lead).get(matrix_url(role)).get_data(as_text=True)
    assert "1 decided applicant has not been told yet" in html


def test_scorers_are_the_panel_in_seat_order_then_others_who_submitted(
    app, role, lead, scorers, panel, make_user
):
    former = make_user("panel", full_name="Ola Former")
    drafter = make_user("panel", full_name="Dee Draft")
    application = sent_application(role, make_user)
    card(application, former, [1, 1])  # scored, then taken off the panel
    other = sent_application(role, make_user)
    card(other, drafter, [1, None], status="draft")  # a draft does not make a scorer
    with app.test_request_context():
        names = [s.full_name for s in matrix.scorers_for(role, panel)]
        assert names == ["Pat Scorer", "Kim Scorer", "Ola Former"]
        assert [s.full_name for s in matrix.scorers_for(role, None)] == ["Ola Former"]
    html = client_for(app, lead).get(matrix_url(role)).get_data(as_text=True)
    assert re.findall(r"<li>Scorer \d: ([^<]+)</li>", html) == names


def test_a_role_without_a_panel_lists_whoever_submitted(app, role, lead, make_user):
    scorer = make_user("panel", full_name="Sol Scorer")
    application = sent_application(role, make_user)
    card(application, scorer, [2, 3])
    html = client_for(app, lead).get(matrix_url(role)).get_data(as_text=True)
    assert "no panel has been set up yet" in html
    assert re.findall(r"<li>Scorer \d: ([^<]+)</li>", html) == ["Sol Scorer"]


def statements(app, client, url: str) -> int:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    conn = db.session.connection()

    def listener(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        seen.append(args[2])

    event.listen(conn, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(conn, "before_cursor_execute", listener)
    return len(seen)


def test_every_filter_and_page_costs_the_same_queries(app, role, lead, scorers, panel, make_user):
    client = client_for(app, lead)
    first = sent_application(role, make_user)
    card(first, scorers[0], [0, 3])
    card(first, scorers[1], [3, 3])
    base = statements(app, client, matrix_url(role))
    for _ in range(30):  # 31 applications, all needing moderation, none decided: two pages
        application = sent_application(role, make_user)
        card(application, scorers[0], [0, 2])
        card(application, scorers[1], [3, 2])
    for show in ("all", "moderation", "undecided"):
        for page in (1, 2):
            assert statements(app, client, matrix_url(role, show=show, page=page)) == base
        # A page past the end has no rows to read the scores of.
        assert statements(app, client, matrix_url(role, show=show, page=99)) == base - 1
