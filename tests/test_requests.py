"""What arrives is cleaned at the request (lep.requests): control characters, bidirectional
controls and stray zero-width characters never reach a form, a query or the database."""

from __future__ import annotations

import pytest
from flask import request

from lep.requests import clean_text

RLO = "\u202e"  # right-to-left override


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        (f"evil{RLO}gnp.exe", "evilgnp.exe"),  # would show as "evilexe.png"
        ("Jo\u200bhn Smith", "John Smith"),  # zero-width space
        ("\ufeffAlex", "Alex"),  # byte order mark
        ("\u2066Sam\u2069 \u202aLee\u202c", "Sam Lee"),  # isolates and embeddings
        ("\u200fRight\u200e mark\u061c", "Right mark"),  # RLM, LRM, Arabic letter mark
        ("Jo\u200dhn", "John"),  # a joiner inside a Latin name
        ("\u200cAlex\u200d", "Alex"),
        ("word\u2060joiner\u2062", "wordjoiner"),
        ("NUL\x00 and bell\x07", "NUL and bell"),
        ("tab\tand\nnewlines\r\nstay", "tab\tand\nnewlines\r\nstay"),
        ("محمد", "محمد"),  # right-to-left text itself is untouched
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",) * 2,  # Persian needs its non-joiner
        ("👩\u200d💻", "👩\u200d💻"),  # an emoji sequence keeps its joiner
        ("Zoë Ńowak", "Zoë Ńowak"),
    ],
)
def test_clean_text(typed, kept):
    assert clean_text(typed) == kept


def test_forms_and_query_strings_are_cleaned_at_the_request(app):
    with app.test_request_context(
        f"/?q=evil{RLO}gnp&name=Jo\u200bhn",
        method="POST",
        data={"full_name": f"Ann\u2066e{RLO}", f"ke{RLO}y": "v\u200fa\ufeffl"},
    ):
        assert request.args["q"] == "evilgnp" and request.args["name"] == "John"
        assert request.form["full_name"] == "Anne"
        assert request.form["key"] == "val"
