"""Redacting the applicant's name, email and phone number from their answers."""

from __future__ import annotations

import pytest

from lep.shortlisting.redaction import redact


def name(text: str, full_name: str) -> str:
    return redact(text, full_name=full_name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My name is Anne-Marie O'Neil.", "My name is [name]."),
        ("my name is anne-marie o'neil", "my name is [name]"),
        ("ANNE-MARIE O\u2019NEIL wrote this", "[name] wrote this"),  # a curly apostrophe
        ("Friends call me Anne.", "Friends call me [name]."),
        ("Marie is my middle name", "[name] is my middle name"),
        ("The O'Neil family", "The [name] family"),
        ("the O\u2019Neil family", "the [name] family"),
        ("Mr Neil said so", "Mr [name] said so"),
        ("Anne Marie O'Neil, carer", "[name], carer"),  # no hyphen this time
        ("Anne's story", "[name]'s story"),
        ("'Anne,' they said", "'[name],' they said"),
    ],
)
def test_names_with_hyphens_and_apostrophes(text, expected):
    assert name(text, "Anne-Marie O'Neil") == expected


def test_the_full_name_becomes_one_placeholder_not_several():
    assert name("I am Chidi Okafor and", "Chidi Okafor") == "I am [name] and"
    assert name("I am Chidi   Okafor", "Chidi Okafor") == "I am [name]"
    assert name("I am Chidi\nOkafor", "Chidi Okafor") == "I am [name]"


@pytest.mark.parametrize(
    "text",
    [
        "My annual review went well.",
        "Annette helped me.",
        "Planned and announced",
        "The cannula hurt.",
        "Joanne is my sister.",
    ],
)
def test_a_word_that_merely_contains_a_name_part_is_left_alone(text):
    assert name(text, "Ann Lee") == text


def test_parts_shorter_than_three_letters_are_kept_but_the_full_name_is_not():
    # "Li" is too short to redact on its own (it is also a word in other names and places).
    assert (
        name("Hong Li here. Li Hong. Li is kind.", "Hong Li")
        == "[name] here. Li [name]. Li is kind."
    )
    assert name("Jo Ng said", "Jo Ng") == "[name] said"


def test_names_with_accents_and_case():
    assert name("ZOË and zoë and Zoe", "Zoë Brontë") == "[name] and [name] and Zoe"


def test_no_name_no_change():
    assert redact("Nothing here.", full_name="") == "Nothing here."
    assert redact("", full_name="Anne Lee") == ""


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Call me on 07700 900123 please", "07700 900123"),
        ("Call me on 07700900123 please", "07700 900123"),
        ("Call me on +44 7700 900 123 please", "07700 900123"),
        ("Call me on +447700900123 please", "07700 900123"),
        ("Call me on 0044 7700 900123 please", "07700 900123"),
        ("Call me on +44 (0) 7700 900123 please", "07700 900123"),
        ("Call me on 077-00-90-01-23 please", "07700 900123"),
        ("Call me on 0117-496-0123 please", "0117 496 0123"),
        ("Call me on (0117) 496 0123 please", "0117 496 0123"),
        ("Call me on 0117 4960123 please", "+44 117 496 0123"),
    ],
)
def test_the_applicants_phone_in_any_grouping(text, phone):
    assert redact(text, phones=[phone]) == "Call me on [phone] please"


def test_the_applicants_own_number_without_a_prefix():
    assert redact("ring 7700 900 123 now", phones=["07700 900123"]) == "ring [phone] now"


@pytest.mark.parametrize(
    "text",
    [
        "My GP is on 0113 496 0000.",
        "My GP is on 0113-496-0000.",
        "My GP is on +44 113 496 0000.",
        "My GP is on 020 7946 0958.",
    ],
)
def test_any_uk_phone_number_is_redacted(text):
    assert redact(text) == "My GP is on [phone]."


@pytest.mark.parametrize(
    "text",
    [
        "I worked there from 2010 to 2019 and 2021.",
        "About 1,200 people, 35 hours a week, 10 years.",
        "Reference LEP-2026-000123 was mine.",
        "Ward 0 and bed 12.",
    ],
)
def test_ordinary_numbers_are_left_alone(text):
    assert redact(text, phones=["07700 900123"]) == text


def test_email_addresses_in_the_text():
    text = "Email me at Anne.ONeil+jobs@Example.org, or anne@example.org."
    assert redact(text, email="anne.oneil+jobs@example.org") == "Email me at [email], or [email]."


def test_name_email_and_phone_together():
    text = (
        "I'm Bea Bennett (bea.bennett@example.org, 07700 900002). Bennett is my married name; "
        "call me [name]."
    )
    assert redact(text, "Bea Bennett", "bea.bennett@example.org", ["07700 900002"]) == (
        "I'm [name] ([email], [phone]). [name] is my married name; call me [name]."
    )
