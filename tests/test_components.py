"""NHS.UK components rendered through the cache are exactly what the NHS.UK macros render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jinja2 import ChainableUndefined, Environment, PackageLoader, nodes
from markupsafe import Markup

from lep.components import ComponentCache

ORIGINAL = Environment(
    loader=PackageLoader("nhsuk_frontend_jinja"),
    undefined=ChainableUndefined,
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("skip-link", "skipLink", {"href": "#maincontent", "text": "Skip to main content"}),
    (
        "header",
        "header",
        {
            "service": {"text": "Lived experience roles", "href": "/"},
            "organisation": {"name": "Example NHS Trust"},
            "logo": {"href": "/", "ariaLabel": "Example NHS Trust homepage"},
            "account": {
                "items": [
                    {"href": "/account", "text": "Priya <Partner>", "icon": True},
                    {"html": Markup('<form method="post"><button>Sign out</button></form>')},
                ]
            },
            "navigation": {
                "items": [
                    {"href": "/hr/roles", "text": "Roles", "current": True},
                    {"href": "/finance/claims", "text": "Claims", "current": False},
                ]
            },
        },
    ),
    ("footer", "footer", {"meta": {"items": [{"href": "/a", "text": "Accessibility"}]}}),
    ("button", "button", {"text": "Apply filters", "variant": "secondary"}),
    (
        "checkboxes",
        "checkboxes",
        {
            "idPrefix": "type",
            "name": "type",
            "small": True,
            "fieldset": {"legend": {"text": "How the role is paid", "size": "s"}},
            "hint": {"text": "Tick all that apply"},
            "errorMessage": {"text": "Select a type"},
            "items": [
                {"value": "employed", "text": "Employed", "checked": True},
                {"value": "sessional", "text": "Sessional & paid", "checked": False},
            ],
        },
    ),
    (
        "input",
        "input",
        {
            "id": "amount",
            "name": "amount",
            "label": {"text": "Amount"},
            "prefix": "£",
            "value": '12.50"><script>',
            "errorMessage": {"text": "Enter an amount"},
            "classes": "nhsuk-input--width-5",
            "attributes": {"inputmode": "decimal"},
        },
    ),
    (
        "character-count",
        "characterCount",
        {
            "id": "answer",
            "name": "answer",
            "label": {"text": "Answer"},
            "value": "Hi",
            "maxwords": 300,
        },
    ),
    (
        "select",
        "select",
        {
            "id": "role",
            "name": "role",
            "label": {"text": "Role"},
            "items": [
                {"value": "", "text": "Any"},
                {"value": "3", "text": "Band 7", "selected": True},
            ],
        },
    ),
    (
        "error-summary",
        "errorSummary",
        {"titleText": "There is a problem", "errorList": [{"text": "Enter a date", "href": "#d"}]},
    ),
    ("hint", "hint", {"html": Markup("<strong>bold</strong>")}),
    ("hint", "hint", {"html": "<strong>typed</strong>"}),
]


def original(component: str, macro: str, params: dict[str, Any]) -> str:
    template = ORIGINAL.from_string(
        f'{{% from "nhsuk/components/{component}/macro.jinja" import {macro} %}}'
        f"{{{{ {macro}(params) }}}}"
    )
    return template.render(params=params)


def through_the_app(app: Flask, component: str, macro: str, params: dict[str, Any]) -> str:
    template = app.jinja_env.from_string(
        f'{{% from "nhsuk/components/{component}/macro.jinja" import {macro} %}}'
        f"{{{{ {macro}(params) }}}}"
    )
    return template.render(params=params)


@pytest.mark.parametrize(("component", "macro", "params"), CASES)
def test_the_same_markup_as_the_nhsuk_macro_first_and_second_time(app, component, macro, params):
    expected = original(component, macro, params)
    assert expected.strip()
    assert through_the_app(app, component, macro, params) == expected
    assert through_the_app(app, component, macro, params) == expected  # from the cache


def test_a_call_block_is_rendered_each_time_with_its_content(app):
    template = app.jinja_env.from_string(
        '{% from "nhsuk/components/inset-text/macro.jinja" import insetText %}'
        '{% call insetText({"id": "reason"}) %}<p>{{ reason }}</p>{% endcall %}'
    )
    assert "<p>First reason</p>" in template.render(reason="First reason")
    assert "<p>Second reason</p>" in template.render(reason="Second reason")


def test_different_parameters_are_never_confused(app):
    cache = ComponentCache(app.jinja_env, 16)
    name = "nhsuk/components/checkboxes/template.jinja"
    ticked = cache.render(
        name, {"name": "t", "items": [{"value": "a", "text": "A", "checked": True}]}
    )
    cache.render(name, {"name": "t", "items": [{"value": "a", "text": "A", "checked": 1}]})
    plain = cache.render(name, {"name": "t", "items": [{"value": "a", "text": "A"}]})
    assert "checked" in ticked
    assert "checked" not in plain
    assert (cache.hits, cache.misses) == (0, 3)  # True and 1 are different keys
    assert cache.render(name, {"name": "t", "items": [{"value": "a", "text": "A"}]}) == plain
    assert cache.hits == 1
    # Templates can tell Markup from a plain string ("is escaped"): they are different keys.
    cache.render("nhsuk/components/hint/template.jinja", {"html": Markup("<b>x</b>")})
    cache.render("nhsuk/components/hint/template.jinja", {"html": "<b>x</b>"})
    assert (cache.hits, cache.misses) == (1, 5)


def test_the_cache_is_bounded_and_can_be_turned_off(app):
    cache = ComponentCache(app.jinja_env, 2)
    for n in range(5):
        cache.render("nhsuk/components/button/template.jinja", {"text": f"Button {n}"})
    assert len(cache.entries) == 2
    off = ComponentCache(app.jinja_env, 0)
    off.render("nhsuk/components/button/template.jinja", {"text": "Once"})
    off.render("nhsuk/components/button/template.jinja", {"text": "Once"})
    assert len(off.entries) == 0 and off.hits == 0


def test_a_signed_in_page_has_a_real_token_in_the_sign_out_form(client, make_user):
    from tests.conftest import sign_in

    user = make_user("applicant")
    sign_in(client, user.email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "__lep_csrf_token__" not in page
    response = client.post("/sign-out", data={"csrf_token": _token(page)})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code in (302, 401)


def _token(page: str) -> str:
    import re

    found = re.search(
        r'class="nhsuk-header__account-form"[^>]*>\s*<input[^>]*value="([^"]+)"', page
    )
    assert found, "no sign-out form in the header"
    return found.group(1)


def _built_from_pieces(value: nodes.Node) -> bool:
    """A value made by joining strings: `~`, `+`, `%`, or the join and format filters."""
    if isinstance(value, nodes.Concat | nodes.Add | nodes.Mod):
        return True
    if isinstance(value, nodes.Filter) and value.name in ("join", "format"):
        return True
    return any(_built_from_pieces(child) for child in value.iter_child_nodes())


def test_no_template_builds_an_html_value_from_strings(app):
    """An `html` parameter is a `{% set %}...{% endset %}` block or a macro's output, never a
    string joined with `~` or `join`: once any piece is escaped (a `| e`, a macro, a block),
    Jinja escapes every other piece too, and the page shows `<a href=...>` as text (issue 13)."""
    root = Path(app.root_path) / "templates"
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".html", ".jinja"):
            continue
        tree = app.jinja_env.parse(path.read_text())
        for pair in tree.find_all(nodes.Pair):
            key = pair.key
            is_html = isinstance(key, nodes.Const) and key.value == "html"
            if is_html and _built_from_pieces(pair.value):
                found.append(f"{path.relative_to(root)}:{pair.lineno}")
    assert found == []
