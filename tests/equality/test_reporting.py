"""HR's equality report: counts per role and stage, small numbers hidden, never a person."""

from __future__ import annotations

import pytest

from lep.equality import reporting
from lep.equality.models import QUESTIONS
from lep.equality.reporting import HIDDEN, suppress
from lep.equality.services import save_equality


@pytest.fixture
def people(make_user):
    counter = iter(range(1, 1000))

    def make(n):
        return [
            make_user("applicant", full_name=f"Zebedee Quinlan{next(counter)}") for _ in range(n)
        ]

    return make


@pytest.fixture
def answered(sent_application, people):
    def make(role, n, answers, status="submitted"):
        for person in people(n):
            save_equality(sent_application(role, person, status), answers)

    return make


def cells(report, question):
    """answer -> {stage: text} for one question."""
    q = next(q for q in report.questions if q.key == question)
    return {
        row.key: {
            stage.key: cell.text for stage, cell in zip(report.stages, row.cells, strict=True)
        }
        for row in q.rows
    }


def assert_no_lone_hidden_cell(report):
    """No column (a stage) and no row (an answer across the statuses) hides exactly one count."""
    for q in report.questions:
        for i, _stage in enumerate(report.stages):
            assert sum(row.cells[i].hidden for row in q.rows) != 1, (q.key, _stage.key)
        for row in q.rows:
            assert sum(cell.hidden for cell in row.cells) != 1, (q.key, row.key)


def test_seven_and_three_hides_both(role, answered):
    answered(role, 7, {"region": "london"})
    answered(role, 3, {"region": "yorkshire"})
    report = reporting.role_report(role.id)
    assert [s.key for s in report.stages] == ["all", "submitted"]
    assert report.applicants == 10 and report.stages[0].total == 10
    region = cells(report, "region")
    assert region["yorkshire"] == {"all": HIDDEN, "submitted": HIDDEN}
    # London alone would give Yorkshire away (10 - 7), so it is hidden too.
    assert region["london"] == {"all": HIDDEN, "submitted": HIDDEN}
    assert region["wales"] == {"all": "0", "submitted": "0"}
    assert region["not_answered"] == {"all": "0", "submitted": "0"}
    # Nobody answered the other questions.
    assert cells(report, "sex")["not_answered"] == {"all": "10", "submitted": "10"}
    assert_no_lone_hidden_cell(report)


def test_counts_of_five_or_more_are_shown(role, answered):
    answered(role, 6, {"region": "london", "carer": "yes"})
    answered(role, 5, {"region": "yorkshire", "carer": "no"})
    report = reporting.role_report(role.id)
    assert cells(report, "region")["london"]["all"] == "6"
    assert cells(report, "region")["yorkshire"]["all"] == "5"
    assert cells(report, "carer")["no"]["submitted"] == "5"


def test_a_total_across_statuses_cannot_give_a_small_count_away(role, answered):
    answered(role, 5, {"region": "london"})
    answered(role, 2, {"region": "london"}, status="withdrawn")
    answered(role, 6, {"region": "yorkshire"})
    report = reporting.role_report(role.id)
    region = cells(report, "region")
    assert region["london"]["withdrawn"] == HIDDEN
    # "All" London (7) less "submitted" London (5) would be the 2 who withdrew: not both shown.
    assert HIDDEN in (region["london"]["all"], region["london"]["submitted"])
    assert_no_lone_hidden_cell(report)


def test_suppress_hides_a_zero_when_nothing_else_is_left():
    counts = {("a", "x"): 3, ("b", "x"): 0, ("c", "x"): 0}
    hidden = suppress(counts, [list(counts)])
    assert ("a", "x") in hidden and len(hidden) == 2


def test_stages_follow_where_applications_are(role, answered, sent_application, make_user):
    answered(role, 5, {"region": "london"}, status="shortlisted")
    sent_application(role, make_user("applicant"), status="draft")  # drafts never count
    report = reporting.role_report(role.id)
    assert [(s.key, s.total) for s in report.stages] == [("all", 5), ("shortlisted", 5)]
    assert cells(report, "region")["london"] == {"all": "5", "shortlisted": "5"}
    assert [q.key for q in report.questions] == list(QUESTIONS)


def test_hr_sees_the_report_without_names(client, login, role, answered, make_user):
    answered(role, 7, {"region": "london"})
    answered(role, 3, {"region": "yorkshire"})
    login(make_user("hr"))
    response = client.get(f"/hr/roles/{role.id}/equality")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Equality monitoring" in html and role.title in html
    assert HIDDEN in html
    for question, _ in QUESTIONS.values():
        assert question in html
    assert "Zebedee" not in html and "Quinlan" not in html and "@example.org" not in html
    assert "LEP-TEST-" not in html
    # The role page links to it.
    assert f'href="/hr/roles/{role.id}/equality"' in client.get(f"/hr/roles/{role.id}").get_data(
        as_text=True
    )


def test_a_role_with_no_applications(client, login, role, make_user):
    login(make_user("hr"))
    html = client.get(f"/hr/roles/{role.id}/equality").get_data(as_text=True)
    assert "No one has sent an application for this role yet" in html
    assert client.get("/hr/roles/999999/equality").status_code == 404


@pytest.mark.parametrize("who", ["panel", "applicant", "partner", "finance"])
def test_only_hr_sees_the_report(client, login, role, make_user, who):
    login(make_user(who))
    assert client.get(f"/hr/roles/{role.id}/equality").status_code == 403
