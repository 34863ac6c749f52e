"""Selection by lottery, as the services do it: quotas, who is eligible, the draw (maximin on
HiGHS through sortition-algorithms), repeating a draw from its seed, and confirming it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from lep import audit
from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.service import DomainError
from lep.shortlisting import lottery
from lep.shortlisting.models import Decision, LotteryDraw, LotteryQuota
from lep.shortlisting.moderation import outcomes_sent
from tests.helpers import emails_to
from tests.shortlisting.lottery_support import (
    Applicants,
    close,
    fresh,
    lottery_role,
    spread,
    statuses,
)


@pytest.fixture
def hr(make_user):
    return make_user("hr", full_name="Harriet HR")


@pytest.fixture
def role():
    return lottery_role(places=3)


@pytest.fixture
def applicants(role, make_user):
    return Applicants(role, make_user)


def limits(role, **typed):
    """What HR typed, by "Category:Option" -> (min, max) text; other boxes blank."""
    values = {}
    for row in lottery.quota_rows(role):
        low, high = typed.get(f"{row.category.name}:{row.option}", ("", ""))
        values[row.min_field], values[row.max_field] = low, high
    return values


def field_of(role, label, kind="min"):
    row = next(r for r in lottery.quota_rows(role) if r.label == label)
    return row.min_field if kind == "min" else row.max_field


def audit_count(action):
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


# --- Places and quotas ----------------------------------------------------------------------


def test_quotas_are_saved_with_places_and_a_blank_maximum_is_no_maximum(role, hr):
    lottery.save_quotas(
        role,
        "4",
        limits(role, **{"Region:North": ("1", "2"), "Age band:65 or over": ("1", "")}),
        hr,
    )
    rows = {r.label: r for r in lottery.quota_rows(role)}
    assert role.posts == 4
    assert (rows["Region: North"].min_places, rows["Region: North"].max_places) == (1, 2)
    assert (rows["Age band: 65 or over"].min_places, rows["Age band: 65 or over"].max_places) == (
        1,
        None,
    )
    assert (rows["Region: South"].min_places, rows["Region: South"].max_places) == (0, None)
    assert audit_count("lottery.quotas_set") == 1


@pytest.mark.parametrize(
    ("places", "typed", "where", "message"),
    [
        ("", {}, "places", "Enter the number of places"),
        ("two", {}, "places", "Enter the number of places as a whole number, like 8"),
        ("0", {}, "places", "There must be at least 1 place"),
        ("-3", {}, "places", "There must be at least 1 place"),
        ("2.5", {}, "places", "Enter the number of places as a whole number, like 8"),
        ("5000", {}, "places", "There can be at most 1,000 places"),
        (
            "3",
            {"Region:North": ("1.5", "")},
            ("Region: North", "min"),
            "Enter the minimum for Region: North as a whole number, like 2",
        ),
        (
            "3",
            {"Region:North": ("-1", "")},
            ("Region: North", "min"),
            "The minimum for Region: North must be 0 or more",
        ),
        (
            "3",
            {"Region:South": ("0", "-2")},
            ("Region: South", "max"),
            "The maximum for Region: South must be 0 or more",
        ),
        (
            "3",
            {"Region:East": ("3", "1")},
            ("Region: East", "min"),
            "The minimum for Region: East (3) must not be more than its maximum (1)",
        ),
        (
            "3",
            {"Age band:Under 25": ("2", ""), "Age band:65 or over": ("2", "")},
            ("Age band: Under 25", "min"),
            "The minimums for Age band add up to 4, more than the 3 places",
        ),
    ],
)
def test_bad_quotas_are_refused_at_the_field_and_nothing_changes(
    role, hr, places, typed, where, message
):
    with pytest.raises(DomainError) as caught:
        lottery.save_quotas(role, places, limits(role, **typed), hr)
    key = where if isinstance(where, str) else field_of(role, *where)
    assert caught.value.errors[key] == message
    db.session.expire_all()
    assert role.posts == 3
    assert db.session.scalar(select(func.count(LotteryQuota.id))) == 0
    assert audit_count("lottery.quotas_set") == 0


# --- Who is in the draw --------------------------------------------------------------------


def test_only_sent_applications_meeting_every_essential_criterion_are_eligible(role, applicants):
    yes = applicants.add(Region="North", Age_band="Under 25")
    failed = applicants.add(Region="North", Age_band="Under 25", met=False)
    unscored = applicants.add(Region="South", Age_band="Under 25", met=None)
    gone = applicants.add(Region="South", Age_band="Under 25", status="withdrawn")
    draft = applicants.add(Region="South", Age_band="Under 25", status="draft")
    found = lottery.pool(role)
    assert found.eligible_ids == [yes.id]
    reasons = {a.id: reason for a, reason in found.others}
    assert reasons == {
        failed.id: "Did not meet an essential criterion",
        unscored.id: "Not yet assessed: scoring or moderation is not finished",
        gone.id: "Withdrawn",
    }
    assert draft.id not in reasons
    assert found.count(role.quota_categories[0].id, "North") == 1


def test_an_applicant_with_no_quota_answer_stays_in_the_draw(role, applicants, hr):
    answered = spread(applicants, 2)
    silent = applicants.add()  # answered no quota question
    close(role)
    found = lottery.pool(role)
    assert silent.id in found.eligible_ids
    assert found.count(role.quota_categories[0].id, lottery.NO_ANSWER) == 1
    draw = lottery.run_draw(role, hr)  # 3 places, 3 eligible: everyone is chosen
    assert draw.status == "drawn"
    assert draw.selected == sorted([a.id for a in answered] + [silent.id])


# --- The draw ---------------------------------------------------------------------------------


def quotas_for_twelve(role, hr):
    lottery.save_quotas(
        role,
        "5",
        limits(
            role,
            **{
                "Region:North": ("2", "3"),
                "Region:South": ("1", ""),
                "Region:East": ("0", "1"),
                "Age band:Under 25": ("1", "2"),
                "Age band:65 or over": ("1", "2"),
            },
        ),
        hr,
    )


def test_a_feasible_draw_selects_exactly_the_places_and_meets_every_quota(role, applicants, hr):
    made = spread(applicants, 12)
    close(role)
    quotas_for_twelve(role, hr)
    draw = lottery.run_draw(role, hr)
    assert draw.status == "drawn" and draw.message == ""
    assert len(draw.selected) == 5 and len(set(draw.selected)) == 5
    assert set(draw.selected) <= {a.id for a in made}
    assert draw.eligible == sorted(a.id for a in made)
    answers = lottery.pool(role).answers
    for q in draw.quotas:
        chosen = sum(1 for a in draw.selected if answers[a][q["category_id"]] == q["option"])
        assert q["min"] <= chosen <= (5 if q["max"] is None else q["max"]), q
    assert 1 <= draw.seed <= lottery.MAX_SEED
    assert draw.algorithm == "maximin"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "lottery.drawn"))
    assert event is not None and event.subject_id == str(draw.id)
    assert event.after["selected"] == draw.selected and event.after["seed"] == draw.seed


def test_each_chance_is_between_0_and_1_and_together_they_make_the_places(role, applicants, hr):
    spread(applicants, 12)
    close(role)
    quotas_for_twelve(role, hr)
    draw = lottery.run_draw(role, hr)
    chances = {int(k): Decimal(v) for k, v in draw.chances.items()}
    assert set(chances) == set(draw.eligible)
    assert all(Decimal(0) <= c <= Decimal(1) for c in chances.values())
    assert all(len(v.split(".")[1]) == 4 for v in draw.chances.values())
    assert abs(sum(chances.values()) - 5) <= Decimal("0.001")
    assert all(chances[a] > 0 for a in draw.selected)
    # East has at most 1 place: the chances of the East applicants add up to no more than 1.
    east = [
        a for a, q in lottery.pool(role).answers.items() if q[role.quota_categories[0].id] == "East"
    ]
    assert sum(chances[a] for a in east) <= Decimal("1.001")


def test_the_same_seed_and_inputs_repeat_the_draw_exactly(role, applicants, hr):
    spread(applicants, 12)
    close(role)
    quotas_for_twelve(role, hr)
    first = lottery.run_draw(role, hr)
    again = lottery.run_draw(role, hr, str(first.seed), "Checking the draw repeats")
    assert again.id != first.id and again.seed == first.seed
    assert again.selected == first.selected
    assert again.chances == first.chances


def _draw_in_a_new_process(hash_seed: str, payload: dict) -> list[int]:
    code = (
        "import json, sys\n"
        "from lep.shortlisting.lottery import draw_panel\n"
        "p = json.loads(sys.argv[1])\n"
        "answers = {int(k): {int(c): o for c, o in v.items()} for k, v in p['answers'].items()}\n"
        "print(json.dumps(draw_panel(answers, p['quotas'], p['places'], p['seed']).selected))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(payload)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_seed_repeats_the_draw_in_another_process_too():
    """str hashes differ between processes; the draw must not depend on them."""
    regions, ages = ["North", "South", "East", "West"], ["Young", "Middle", "Old"]
    answers = {i: {1: regions[(i * 7) % 4], 2: ages[(i * 5) % 3]} for i in range(1, 31)}
    answers.update({i: {1: "North", 2: "Old"} for i in range(31, 36)})
    quotas = [
        {"category_id": 1, "category": "Region", "option": "North", "min": 3, "max": 5},
        {"category_id": 1, "category": "Region", "option": "South", "min": 1, "max": 2},
        {"category_id": 1, "category": "Region", "option": "East", "min": 0, "max": 3},
        {"category_id": 1, "category": "Region", "option": "West", "min": 2, "max": None},
        {"category_id": 2, "category": "Age", "option": "Young", "min": 3, "max": 5},
        {"category_id": 2, "category": "Age", "option": "Middle", "min": 2, "max": 5},
        {"category_id": 2, "category": "Age", "option": "Old", "min": 1, "max": 3},
    ]
    payload = {"answers": answers, "quotas": quotas, "places": 10, "seed": 12345}
    here = lottery.draw_panel(answers, quotas, 10, 12345).selected
    assert _draw_in_a_new_process("1", payload) == here
    assert _draw_in_a_new_process("2", payload) == here


def test_a_quota_no_eligible_applicant_can_fill_is_named_and_recorded(role, applicants, hr):
    applicants.add(Region="North", Age_band="Under 25")
    spread(applicants, 5, Region="South")
    close(role)
    lottery.save_quotas(role, "3", limits(role, **{"Region:North": ("2", "")}), hr)
    draw = lottery.run_draw(role, hr)
    assert draw.status == "infeasible"
    assert draw.message == "Region: North needs at least 2 but only 1 eligible applicant chose it."
    assert draw.selected == [] and draw.chances == {}
    assert db.session.get(LotteryDraw, draw.id) is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "lottery.drawn"))
    assert event.after["status"] == "infeasible"


def test_maximums_that_leave_places_nobody_may_take_are_named(role, applicants, hr):
    spread(applicants, 9)
    close(role)
    lottery.save_quotas(
        role,
        "3",
        limits(
            role,
            **{"Region:North": ("0", "1"), "Region:South": ("0", "1"), "Region:East": ("0", "0")},
        ),
        hr,
    )
    draw = lottery.run_draw(role, hr)
    assert draw.status == "infeasible"
    assert draw.message.startswith(
        "Region: the maximums, and the eligible applicants who chose each answer, allow at most "
        "2 of the 3 places to be filled."
    )


def test_too_few_eligible_applicants_for_the_places(role, applicants, hr):
    spread(applicants, 2)
    applicants.add(Region="North", met=False)
    close(role)
    draw = lottery.run_draw(role, hr)
    assert draw.status == "infeasible"
    assert draw.message == (
        "There are 3 places but only 2 eligible applicants, so the draw cannot fill every place. "
        "Reduce the number of places."
    )


def test_quotas_that_clash_across_questions_get_the_librarys_suggested_change(role, applicants, hr):
    # North applicants are all 25 to 64 and the under-25s all live in the South: 2 places
    # cannot hold 2 from the North and 2 under 25.
    for _ in range(3):
        applicants.add(Region="North", Age_band="25 to 64")
        applicants.add(Region="South", Age_band="Under 25")
    close(role)
    lottery.save_quotas(
        role, "2", limits(role, **{"Region:North": ("2", ""), "Age band:Under 25": ("2", "")}), hr
    )
    draw = lottery.run_draw(role, hr)
    assert draw.status == "infeasible"
    assert draw.message.startswith(
        "The quotas cannot all be met at once by the eligible applicants"
    )
    assert "The smallest change that would allow a draw: " in draw.message
    assert "(now 2)" in draw.message


def test_no_draw_while_the_role_takes_applications_or_with_a_bad_seed(role, applicants, hr):
    spread(applicants, 4)
    with pytest.raises(DomainError) as still_open:
        lottery.run_draw(role, hr)
    assert "still taking applications" in still_open.value.errors["draw"]
    close(role)
    for bad in ("abc", "0", "-5", str(2**31), "1.5"):
        with pytest.raises(DomainError) as caught:
            lottery.run_draw(role, hr, bad)
        assert caught.value.errors["seed"].startswith("Enter the seed as a whole number from 1")
    assert db.session.scalar(select(func.count(LotteryDraw.id))) == 0
    assert lottery.parse_seed(" 2147483647 ") == lottery.MAX_SEED
    assert lottery.run_draw(role, hr, "1000000000").seed == 1_000_000_000


# --- Confirming --------------------------------------------------------------------------------


def drawn(role, applicants, hr, n=6):
    made = spread(applicants, n)
    close(role)
    return made, lottery.run_draw(role, hr)


def test_confirming_shortlists_the_selected_and_tells_everyone_in_the_draw(role, applicants, hr):
    made, draw = drawn(role, applicants, hr)
    failed = applicants.add(Region="North", met=False)
    lottery.confirm_draw(draw, hr)
    now = statuses(role)
    selected = set(draw.selected)
    assert {a.id for a in made if now[a.id] == "shortlisted"} == selected
    assert {a.id for a in made if now[a.id] == "not_shortlisted"} == {a.id for a in made} - selected
    assert now[failed.id] == "submitted"  # not in the draw: the lottery does not decide it
    decisions = {d.application_id: d for d in db.session.scalars(select(Decision))}
    assert set(decisions) == {a.id for a in made}
    for a in made:
        d = decisions[a.id]
        if a.id in selected:
            assert d.outcome == "shortlisted"
            assert d.reason == f"Selected in the lottery draw {draw.id} (seed {draw.seed})"
        else:
            assert d.outcome == "not_shortlisted"
            assert d.reason == "Not selected in the lottery draw"
        assert d.by_id == hr.id
        mail = emails_to(a.applicant.email)
        assert len(mail) == 1
        if a.id in selected:
            assert "you have been chosen" in mail[0].body_text
        else:
            assert "you were not chosen this time" in mail[0].body_text
        assert a.reference in mail[0].body_text
        assert "There were 3 places and 6 people in the draw" in mail[0].body_text
    assert emails_to(failed.applicant.email) == []
    assert lottery.confirmed_draw_id(role) == draw.id
    confirmed = db.session.get(LotteryDraw, draw.id)
    assert confirmed.confirmed_at is not None and confirmed.confirmed_by_id == hr.id
    # Each of them has been told: their decision is final, and nobody is left to tell.
    assert all(d.outcome_sent_at == confirmed.confirmed_at for d in decisions.values())
    assert outcomes_sent([a.id for a in made]) == {a.id for a in made}
    assert audit_count("lottery.confirmed") == 1
    assert audit_count("shortlisting.decided") == 6
    assert audit_count(lottery.OUTCOME_SENT) == 6
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "lottery.confirmed"))
    assert event.before == {"confirmed_at": None}
    assert event.after["confirmed_by_id"] == hr.id


def test_a_confirmed_draw_cannot_be_confirmed_again_or_redrawn(role, applicants, hr):
    made, draw = drawn(role, applicants, hr)
    lottery.confirm_draw(draw, hr)
    before = statuses(role)
    with pytest.raises(DomainError) as twice:
        lottery.confirm_draw(draw, hr)
    assert twice.value.errors["confirm"].startswith(
        f"The draw for this role has been confirmed (draw {draw.id}, confirmed "
    )
    assert twice.value.errors["confirm"].endswith(
        "by Harriet HR), so the places, quotas and draw can no longer change"
    )
    with pytest.raises(DomainError) as redraw:
        lottery.run_draw(role, hr, reason="Try again")
    assert "has been confirmed" in redraw.value.errors["draw"]
    with pytest.raises(DomainError):
        lottery.save_quotas(role, "2", limits(role), hr)
    assert statuses(role) == before
    assert db.session.scalar(select(func.count(LotteryDraw.id))) == 1
    assert sum(len(emails_to(a.applicant.email)) for a in made) == 6


def test_only_the_latest_feasible_and_unchanged_draw_can_be_confirmed(role, applicants, hr):
    made, first = drawn(role, applicants, hr)
    second = lottery.run_draw(role, hr, reason="A second look")
    with pytest.raises(DomainError) as older:
        lottery.confirm_draw(first, hr)
    assert older.value.errors["confirm"] == (
        f"Only the latest draw can be confirmed: that is draw {second.id}"
    )
    lottery.save_quotas(role, "7", limits(role), hr)
    impossible = lottery.run_draw(role, hr, reason="Seven places now")  # 6 eligible
    with pytest.raises(DomainError) as infeasible:
        lottery.confirm_draw(impossible, hr)
    assert "cannot be confirmed" in infeasible.value.errors["confirm"]
    lottery.save_quotas(role, "3", limits(role), hr)
    latest = lottery.run_draw(role, hr, reason="Back to three places")
    made[0].status = "withdrawn"
    db.session.commit()
    with pytest.raises(DomainError) as changed:
        lottery.confirm_draw(latest, hr)
    assert changed.value.errors["confirm"].startswith("Something has changed since this draw")
    assert db.session.scalar(select(func.count(Decision.id))) == 0
    assert fresh(made[1]).status == "submitted"
    assert lottery.confirmed_draw_id(role) is None


def test_two_confirmations_at_the_same_moment_confirm_once(role, applicants, hr, monkeypatch):
    made, first = drawn(role, applicants, hr)
    second = lottery.run_draw(role, hr, reason="The first seed was typed by mistake")
    # Someone else's confirmation lands between this one's check and its write: the check
    # sees nothing, so only the database's one-confirmed-draw-per-role index can refuse it.
    db.session.execute(
        update(LotteryDraw)
        .where(LotteryDraw.id == first.id)
        .values(confirmed_at=utcnow(), confirmed_by_id=hr.id)
    )
    db.session.commit()
    monkeypatch.setattr(lottery, "check_not_confirmed", lambda role, where: None)
    with pytest.raises(DomainError) as refused:
        lottery.confirm_draw(second, hr)
    assert refused.value.errors["confirm"] == (
        "Someone else confirmed a draw for this role at the same moment, so this confirmation "
        "changed nothing. Reload the page to see the confirmed draw"
    )
    db.session.expire_all()
    assert db.session.get(LotteryDraw, second.id).confirmed_at is None
    assert lottery.confirmed_draw_id(role) == first.id
    assert db.session.scalar(select(func.count(Decision.id))) == 0
    assert sum(len(emails_to(a.applicant.email)) for a in made) == 0
    assert audit_count("lottery.confirmed") == 0


def test_the_same_draw_confirmed_twice_at_once_confirms_once(
    role, applicants, hr, make_user, monkeypatch
):
    made, draw = drawn(role, applicants, hr)
    other = make_user("hr", full_name="Omar Other")
    # The other person's confirmation of this very draw lands between this one's check and its
    # write (a double click, or two tabs): the guarded write finds it already confirmed.
    db.session.execute(
        update(LotteryDraw)
        .where(LotteryDraw.id == draw.id)
        .values(confirmed_at=utcnow(), confirmed_by_id=other.id)
    )
    db.session.commit()
    monkeypatch.setattr(lottery, "check_not_confirmed", lambda role, where: None)
    with pytest.raises(DomainError) as refused:
        lottery.confirm_draw(draw, hr)
    assert "confirmed a draw for this role at the same moment" in refused.value.errors["confirm"]
    db.session.expire_all()
    assert db.session.get(LotteryDraw, draw.id).confirmed_by_id == other.id
    assert db.session.scalar(select(func.count(Decision.id))) == 0
    assert sum(len(emails_to(a.applicant.email)) for a in made) == 0


def test_confirmation_is_read_from_the_draw_not_from_the_audit_log(role, applicants, hr):
    _, draw = drawn(role, applicants, hr)
    # An audit event alone (say, restored from an archive) confirms nothing.
    audit.record("lottery.confirmed", "lottery_draw", draw.id, after={"role_id": role.id})
    db.session.commit()
    assert lottery.confirmed_draw_id(role) is None
    lottery.confirm_draw(draw, hr)
    assert lottery.confirmed_draw_id(role) == draw.id


# --- Drawing again ------------------------------------------------------------------------------


def test_the_first_draw_needs_no_reason_and_every_later_one_does(role, applicants, hr):
    _, first = drawn(role, applicants, hr)
    assert first.redraw_reason == ""
    for missing in (None, "", "   "):
        with pytest.raises(DomainError) as refused:
            lottery.run_draw(role, hr, reason=missing)
        assert refused.value.errors == {"reason": "Enter why you are drawing again"}
    with pytest.raises(DomainError) as too_long:
        lottery.run_draw(role, hr, reason="x" * 2_001)
    assert too_long.value.errors == {"reason": "The reason must be 2,000 characters or fewer"}
    # A bad seed and a missing reason are both named at once.
    with pytest.raises(DomainError) as both:
        lottery.run_draw(role, hr, "abc")
    assert set(both.value.errors) == {"seed", "reason"}
    assert [d.id for d in lottery.draws_for(role)] == [first.id]  # nothing was drawn
    again = lottery.run_draw(role, hr, reason="  A quota was set wrongly and is now fixed  ")
    assert again.redraw_reason == "A quota was set wrongly and is now fixed"
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "lottery.drawn", AuditEvent.subject_id == str(again.id)
        )
    )
    assert event.after["redraw_reason"] == "A quota was set wrongly and is now fixed"
    assert event.after["earlier_draws"] == 1
    assert [d.id for d in lottery.draws_for(role)] == [again.id, first.id]  # both kept


def test_chances_are_rounded_so_they_still_add_up_to_the_places():
    sevenths = {i: 1 / 7 for i in range(1, 15)}  # 14 people, 2 places
    rounded = lottery._chances_to_4_places(sevenths, 2)
    assert sum(rounded.values()) == 2
    assert Counter(rounded.values()) == {Decimal("0.1429"): 8, Decimal("0.1428"): 6}


def test_the_demo_lottery_is_ready_to_draw_and_seeding_twice_adds_nothing(make_user):
    from lep.shortlisting.lottery_demo import PLACES, seed_demo_lottery

    role = seed_demo_lottery()
    again = seed_demo_lottery()
    assert again.id == role.id and role.status == "closed"
    found = lottery.pool(role)
    assert len(found.eligible) == 25 and len(found.others) == 5
    assert {reason for _, reason in found.others} == {
        "Did not meet an essential criterion",
        "Not yet assessed: scoring or moderation is not finished",
    }
    rows = lottery.quota_rows(role)
    assert len(rows) == 7 and all(r.min_places >= 1 for r in rows)
    assert audit_count("lottery.quotas_set") == 1
    assert lottery.draws_for(role) == []
    draw = lottery.run_draw(role, make_user("hr"))
    assert draw.status == "drawn" and len(draw.selected) == PLACES


def test_a_role_with_no_quota_questions_is_a_simple_draw(make_user):
    role = lottery_role({}, places=2, title="Open panel")
    people = Applicants(role, make_user)
    made = [people.add() for _ in range(5)]
    close(role)
    draw = lottery.run_draw(role, make_user("hr"))
    assert draw.status == "drawn" and draw.quotas == []
    assert len(draw.selected) == 2 and set(draw.selected) <= {a.id for a in made}
    assert sorted(draw.chances.values()) == ["0.4000"] * 5
