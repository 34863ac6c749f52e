"""The fairness report: stages worked out from the records, small numbers hidden, pass-through
rates only where both numbers are 5 or more, and the four-fifths flag."""

from __future__ import annotations

from fractions import Fraction

import pytest

from lep.applications.models import Application
from lep.equality.fairness import fairness_report, percent
from lep.equality.models import EqualityResponse
from lep.extensions import db
from lep.roles.models import Role
from lep.shortlisting.offers import accept_offer
from tests.helpers import error_at
from tests.roles.public_data import main_text
from tests.shortlisting.offer_support import application_at, offer_for, person, role_paid

ETHNIC = "What is your ethnic group?"
WHITE = "White"
BLACK = "Black, Black British, Caribbean or African"
ASIAN = "Asian or Asian British"
MIXED = "Mixed or multiple ethnic groups"
PREFER_NOT = "Prefer not to say"


def answered(application: Application, ethnic_group: str | None) -> Application:
    if ethnic_group is not None:
        db.session.add(
            EqualityResponse(
                application_id=application.id,
                role_id=application.role_id,
                ethnic_group=ethnic_group,
            )
        )
        db.session.commit()
    return application


def many(role: Role, status: str, group: str | None, n: int, hr) -> list[Application]:  # type: ignore[no-untyped-def]
    return [answered(application_at(role, status, by=hr), group) for _ in range(n)]


def appointed(role: Role, group: str, n: int, hr) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        application = answered(application_at(role, "interview", by=hr), group)
        offer = offer_for(application, hr)
        accept_offer(offer, application.applicant)


def ethnic(report):  # type: ignore[no-untyped-def]
    question = next(q for q in report.questions if q.key == "ethnic_group")
    return question, {row.label: row.cells for row in question.rows}


@pytest.fixture
def hr():  # type: ignore[no-untyped-def]
    return person("hr", full_name="Harriet Lead")


@pytest.fixture
def role_with_a_gap(hr) -> Role:
    """White: 10 applied, 8 shortlisted, 6 interviewed, 5 offered and appointed.
    Black: 20 applied, 5 shortlisted. Asian: 10 applied, 7 shortlisted.
    Prefer not to say: 10 applied, 5 shortlisted."""
    role = role_paid("employed")
    many(role, "not_shortlisted", "white", 2, hr)
    many(role, "shortlisted", "white", 2, hr)
    # Interviewed, then withdrew: the records say how far it got, whatever the status is now.
    (gone,) = many(role, "interview", "white", 1, hr)
    gone.status = "withdrawn"
    db.session.commit()
    appointed(role, "white", 5, hr)
    many(role, "not_shortlisted", "black", 15, hr)
    many(role, "shortlisted", "black", 5, hr)
    many(role, "not_shortlisted", "asian", 3, hr)
    many(role, "shortlisted", "asian", 7, hr)
    many(role, "not_shortlisted", "prefer_not_to_say", 5, hr)
    many(role, "shortlisted", "prefer_not_to_say", 5, hr)
    return role


def test_stages_are_worked_out_from_the_records(role_with_a_gap):
    report = fairness_report(role_with_a_gap.id)
    assert [(s.label, s.total) for s in report.stages] == [
        ("Applied", 50),
        ("Shortlisted", 25),
        ("Interviewed", 6),
        ("Offered", 5),
        ("Appointed", 5),
    ]
    _, rows = ethnic(report)
    assert [c.text for c in rows[WHITE]] == ["10", "8", "6", "5", "5"]
    assert [c.text for c in rows[BLACK]] == ["20", "5", "0", "0", "0"]
    assert [c.text for c in rows[ASIAN]] == ["10", "7", "0", "0", "0"]


def test_rates_are_whole_percentages_from_fractions(role_with_a_gap):
    _, rows = ethnic(fairness_report(role_with_a_gap.id))
    assert rows[WHITE][1].rate == Fraction(8, 10)
    assert [c.rate_text for c in rows[WHITE]] == ["", "80%", "75%", "83%", "100%"]
    assert rows[BLACK][1].rate_text == "25%"
    assert rows[ASIAN][1].rate_text == "70%"
    assert rows[BLACK][2].rate is None  # 0 interviewed: under 5, so no rate
    assert percent(Fraction(5, 8)) == 63  # halves round up
    assert percent(Fraction(1, 3)) == 33


def test_a_group_under_four_fifths_of_the_highest_is_flagged(role_with_a_gap):
    question, rows = ethnic(fairness_report(role_with_a_gap.id))
    # Highest at shortlisting: White, 80%. Four fifths of that is 64%.
    assert rows[BLACK][1].flagged  # 25%
    assert not rows[ASIAN][1].flagged  # 70%
    assert not rows[WHITE][1].flagged
    assert not rows[PREFER_NOT][1].flagged  # 50%, but not a group to compare
    assert [f.text for f in question.flags] == [
        f"{BLACK}: 25% passed to shortlisted, against 80% for White",
        # None of them went on: the page shows 0, so saying so gives nothing away.
        f"{ASIAN}: 0 of 7 went on to interviewed, against 75% for White",
        f"{BLACK}: 0 of 5 went on to interviewed, against 75% for White",
    ]
    assert rows[BLACK][2].flagged and rows[BLACK][2].rate is None


def test_just_at_four_fifths_is_not_flagged(hr):
    role = role_paid("employed")
    # White 10 of 10 (100%), Asian 8 of 10 (80%): exactly four fifths.
    many(role, "shortlisted", "white", 10, hr)
    many(role, "shortlisted", "asian", 8, hr)
    many(role, "not_shortlisted", "asian", 2, hr)
    question, rows = ethnic(fairness_report(role.id))
    assert rows[ASIAN][1].rate == Fraction(4, 5)
    assert question.flags == ()
    # One more not shortlisted puts it under: 8 of 11 is 73%.
    many(role, "not_shortlisted", "asian", 1, hr)
    question, rows = ethnic(fairness_report(role.id))
    assert rows[ASIAN][1].flagged


def test_small_numbers_are_hidden_and_get_no_rate(hr):
    role = role_paid("employed")
    many(role, "shortlisted", "white", 6, hr)
    many(role, "not_shortlisted", "white", 6, hr)
    many(role, "shortlisted", "black", 2, hr)  # 2 of 3 shortlisted
    many(role, "not_shortlisted", "black", 1, hr)
    many(role, "shortlisted", "asian", 5, hr)
    many(role, "not_shortlisted", "asian", 1, hr)
    report = fairness_report(role.id)
    _, rows = ethnic(report)
    # Applied: Black 3 is hidden, and so is a count beside it (Mixed's 0, the smallest that
    # protects it), or the total would give it away. Each reads "hidden", never a number.
    assert [c.text for c in rows[BLACK]][:2] == ["hidden", "hidden"]
    assert [c.text for c in rows[MIXED]][:2] == ["hidden", "hidden"]
    assert [c.text for c in rows[ASIAN]][:2] == ["6", "5"]
    assert [c.text for c in rows[WHITE]][:2] == ["12", "6"]
    assert [c.count for c in rows[BLACK]][:2] == [None, None]  # the numbers never leave
    assert rows[BLACK][1].rate is None
    assert rows[WHITE][1].rate_text == "50%" and rows[ASIAN][1].rate_text == "83%"


def few_of_twenty(hr, black_shortlisted: int):  # type: ignore[no-untyped-def]
    """White 10 of 10 shortlisted; Black a few of 20; Asian 5 of 6 (hidden beside Black's)."""
    role = role_paid("employed")
    many(role, "shortlisted", "white", 10, hr)
    many(role, "shortlisted", "black", black_shortlisted, hr)
    many(role, "not_shortlisted", "black", 20 - black_shortlisted, hr)
    many(role, "shortlisted", "asian", 5, hr)
    many(role, "not_shortlisted", "asian", 1, hr)
    return ethnic(fairness_report(role.id))


def test_fewer_than_5_of_many_is_flagged_without_giving_the_number(hr):
    seen = []
    for black_shortlisted in (1, 4):
        question, rows = few_of_twenty(hr, black_shortlisted)
        assert [c.text for c in rows[BLACK]][:2] == ["20", "hidden"]
        assert rows[BLACK][1].count is None and rows[BLACK][1].rate is None
        assert rows[BLACK][1].flagged
        assert [f.text for f in question.flags] == [
            # The most the page allows: the stage's total less the shown counts.
            f"{BLACK}: at most {5 + black_shortlisted} of 20 went on to shortlisted,"
            " against 100% for White"
        ]
        seen.append([[c.text for c in r] for r in rows.values()])
    # 1 or 4: the table is the same, and the flag says only what the stage's total already does.
    assert seen[0] == seen[1]


def test_a_count_hidden_beside_a_small_one_is_not_flagged_as_fewer_than_5(hr):
    # Asian 5 of 6 is hidden only because Black's small count sits beside it. Flagging it would
    # be wrong (83% is not under four fifths of 100%), and flagging only the truly small count
    # would tell the reader which hidden count is which.
    question, rows = few_of_twenty(hr, 2)
    assert [c.text for c in rows[ASIAN]][:2] == ["6", "hidden"]
    assert not rows[ASIAN][1].flagged
    assert ASIAN not in " ".join(f.text for f in question.flags)


def test_no_flag_where_the_page_cannot_tell(hr):
    role = role_paid("employed")
    many(role, "shortlisted", "white", 10, hr)
    many(role, "not_shortlisted", "white", 10, hr)  # 50%
    # 2 of 6: but as far as the page shows, up to 3 of 6 (the 3 shortlisted it hides), which
    # is not under four fifths of 50%.
    many(role, "shortlisted", "black", 2, hr)
    many(role, "not_shortlisted", "black", 4, hr)
    many(role, "shortlisted", "asian", 5, hr)
    many(role, "not_shortlisted", "asian", 5, hr)
    many(role, "shortlisted", "mixed", 1, hr)  # 1 of 3: too few at the stage before to judge
    many(role, "not_shortlisted", "mixed", 2, hr)
    many(role, "not_shortlisted", "other", 2, hr)
    question, rows = ethnic(fairness_report(role.id))
    assert rows[BLACK][0].text == "6"
    assert rows[BLACK][1].text == "hidden" and not rows[BLACK][1].flagged
    assert rows[MIXED][0].text == "hidden" and not rows[MIXED][1].flagged
    assert question.flags == ()


def test_overall_and_per_role(role_with_a_gap, hr):
    other = role_paid("sessional")
    many(other, "shortlisted", "black", 5, hr)
    overall = fairness_report()
    assert overall.applicants == 55
    _, rows = ethnic(overall)
    assert [c.text for c in rows[BLACK]][:2] == ["25", "10"]
    assert rows[BLACK][1].rate_text == "40%"
    assert fairness_report(other.id).applicants == 5


# -- The page --------------------------------------------------------------------------------------


def test_hr_sees_the_report_with_its_flags(client, login, role_with_a_gap):
    login(person("hr"))
    html = client.get("/hr/reports/fairness").get_data(as_text=True)
    text = main_text(html)
    assert "Fairness report" in text
    assert "All roles" in text
    assert f"{ETHNIC} {BLACK}: 25% passed to shortlisted, against 80% for White" in text
    assert "only where both numbers are 5 or more" in text
    assert "“Hidden” stands for a number from 1 to 4, or for another number (of any size)" in text
    assert "80% passed" in text
    html = client.get(f"/hr/reports/fairness?role_id={role_with_a_gap.id}").get_data(as_text=True)
    assert f"{role_with_a_gap.title}" in main_text(html)
    assert "50 applications have been sent." in main_text(html)


def test_a_role_filter_that_is_not_in_the_list(client, login, role_with_a_gap):
    login(person("hr"))
    response = client.get("/hr/reports/fairness?role_id=nonsense")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Error: Fairness report" in html
    assert error_at(html, "role_id") == "Select a role from the list"
    assert "50 applications have been sent across all roles." in main_text(html)


def test_no_applications_yet(client, login):
    login(person("hr"))
    text = main_text(client.get("/hr/reports/fairness").get_data(as_text=True))
    assert "No one has sent an application yet." in text


@pytest.mark.parametrize("who", ["applicant", "partner", "panel", "finance", "admin"])
def test_only_hr_sees_the_report(client, login, who):
    login(person(who))
    assert client.get("/hr/reports/fairness").status_code == 403


def test_an_offer_without_an_interview_counts_as_interviewed_and_the_page_says_so(
    client, login, hr
):
    role = role_paid("sessional")
    for _ in range(5):
        # Shortlisted, then offered with no interview on record (as for a sessional role).
        offer_for(answered(application_at(role, "shortlisted", by=hr), "white"), hr)
    many(role, "not_shortlisted", "white", 5, hr)
    report = fairness_report(role.id)
    assert [(s.label, s.total) for s in report.stages] == [
        ("Applied", 10),
        ("Shortlisted", 5),
        ("Interviewed", 5),  # not 0 with 5 offered after it
        ("Offered", 5),
        ("Appointed", 0),
    ]
    login(person("hr"))
    text = main_text(client.get(f"/hr/reports/fairness?role_id={role.id}").get_data(as_text=True))
    assert (
        "5 applications are counted as interviewed because they reached a later stage with no"
        " record of this one (for example, an offer made without an interview)." in text
    )
    assert "Each stage counts the applications that reached it or a later one" in text
