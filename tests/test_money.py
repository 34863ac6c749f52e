"""Pounds typed by people: a comma is only ever a thousands separator in its right place, and
anything that could be read two ways is refused with what we understood (issue 15, item 2)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms.validators import ValidationError

from lep.money import MoneyError, format_pounds, parse_pounds

PENCE = st.integers(min_value=-(10**12), max_value=10**12)


@given(PENCE, st.booleans())
def test_formatting_then_parsing_gives_back_the_same_pence(pence, always_pence):
    shown = format_pounds(pence, always_pence=always_pence)
    assert parse_pounds(shown) == pence
    assert parse_pounds(shown.replace(",", "")) == pence  # without the separators too


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_a_decimal_comma_is_never_read_as_thousands(pounds, pence):
    for typed, meant in (
        (f"{pounds},{pence:02d}", pounds * 100 + pence),
        (f"£{pounds},{pence:02d}", pounds * 100 + pence),
        (f"{pounds},{pence % 10}", pounds * 100 + (pence % 10) * 10),
    ):
        with pytest.raises(MoneyError) as refused:
            parse_pounds(typed)
        assert format_pounds(meant, always_pence=True) in refused.value.hint


GROUPS = st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=2, max_size=5)


@given(GROUPS, st.sampled_from(["", ".5", ".50"]))
def test_commas_anywhere_but_between_thousands_are_refused(groups, pence):
    typed = ",".join(groups) + pence
    well_placed = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    if well_placed:
        assert parse_pounds(typed) == parse_pounds(typed.replace(",", ""))
    else:
        with pytest.raises(MoneyError) as refused:
            parse_pounds(typed)
        assert refused.value.hint, typed


@given(st.text("0123456789,.£- ", max_size=14))
def test_whatever_parses_has_its_commas_in_the_right_places(typed):
    """An oracle independent of the parser's pattern: the whole pounds, as typed, are exactly
    what Python's own thousands formatting writes (or have no commas at all)."""
    try:
        pence = parse_pounds(typed)
    except MoneyError:
        return
    number = typed.strip().lstrip("+-").strip().removeprefix("£").strip().lstrip("+-")
    whole = number.split(".")[0]
    if "," in whole:
        assert whole == f"{int(whole.replace(',', '')):,}"
    assert "," not in number.partition(".")[2]
    fraction = number.partition(".")[2]
    assert len(fraction) <= 2
    assert abs(pence) == int(whole.replace(",", "") or 0) * 100 + int(fraction.ljust(2, "0") or 0)


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("1,250.00", 125000), ("12,345", 1234500), ("£1,234,567.89", 123456789), ("12.5", 1250)],
)
def test_thousands_separators_in_their_place_are_read(typed, pence):
    assert parse_pounds(typed) == pence


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("12,50", "\u201c12,50\u201d could mean £12.50 or £1,250.00"),
        ("1,2,3", "without it, it would be £123.00"),
        ("1.250.000", "\u201c1.250.000\u201d could mean £1,250,000.00"),
        ("1.250,00", "could mean £1,250.00"),
        ("12,3456", "without it, it would be £123,456.00"),
    ],
)
def test_ambiguous_amounts_are_refused_saying_what_we_understood(typed, hint):
    with pytest.raises(MoneyError) as refused:
        parse_pounds(typed)
    assert hint in refused.value.hint


@pytest.mark.parametrize("typed", ["1e3", "1_000", "NaN", "Infinity", "£", "-", ".", "1.234.5"])
def test_what_is_not_a_plain_number_is_refused(typed):
    with pytest.raises(MoneyError):
        parse_pounds(typed)


# --- Every form that reads money shows it at the field --------------------------------------

DECIMAL_COMMA = "\u201c12,50\u201d could mean £12.50 or £1,250.00"


def _posted(app, data):  # type: ignore[no-untyped-def]
    return app.test_request_context("/", method="POST", data=MultiDict(data))


def test_every_money_field_shows_what_was_understood(app):
    from lep.expenses import finance_forms
    from lep.expenses.forms import LineForm
    from lep.partners.involvement_forms import WeeklyAmountForm
    from lep.roles.forms import RatesForm

    checked = []
    with _posted(app, {"amount": "12,50"}):
        form = WeeklyAmountForm()
        assert DECIMAL_COMMA in form.amount_pence()[1]
        checked.append("weekly amount")
    with _posted(app, {"amount": "12,50"}):
        form = LineForm(categories=[])
        assert DECIMAL_COMMA in form.amount_pence()[1]
        checked.append("claim line")
    with _posted(app, {"hourly": "12,50", "half_day": "", "day": ""}):
        form = RatesForm()
        form.validate()
        assert any(DECIMAL_COMMA in e for e in form.hourly.errors)
        checked.append("rate card")
    with _posted(app, {"amount_from": "12,50", "amount_to": "1,2,3"}):
        form = finance_forms.QueueFilterForm(roles=[])
        form.validate()
        assert any(DECIMAL_COMMA in e for e in form.amount_from.errors)
        assert any("£123.00" in e for e in form.amount_to.errors)
        checked.append("claims queue filter")
    with _posted(app, {"second_approval_over": "12,50"}):
        form = finance_forms.policy_form([], None, None)
        form.validate()
        assert any(DECIMAL_COMMA in e for e in form.second_approval_over.errors)
        checked.append("expense policy: second approval")
    # The per-line approval amounts and the category limits are fields made per claim and per
    # category; their checks are these two functions.
    for check, name in (
        (finance_forms._check_line_amount, "approval"),
        (finance_forms._check_cap, "cap"),
    ):
        with pytest.raises(ValidationError) as refused:
            check(None, SimpleNamespace(data="12,50"))
        assert DECIMAL_COMMA in str(refused.value)
        checked.append(name)
    assert len(checked) == 7
