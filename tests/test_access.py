"""Deny by default: walk every URL rule as every role and as nobody, and check who gets in."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask
from werkzeug.routing import IntegerConverter, PathConverter, Rule

from lep import create_app
from lep.access import PUBLIC, ROLES, SIGNED_IN, access_for, require_role
from lep.accounts.services import create_api_token
from lep.extensions import db
from tests.conftest import signed_in_session

# Adding a public page is a decision: it must be added here too.
EXPECTED_PUBLIC = {
    "static",
    "main.assets",
    "main.index",
    "main.accessibility",
    "accounts.login",
    "accounts.logout",
    "accounts.register",
    "accounts.confirm_email",
    "accounts.forgot_password",
    "accounts.reset_password",
    "accounts.accept_invite",
    "api-docs.openapi_json",
    "roles.index",
    "roles.show",
    "api.PayFrameworks",
    "api.Roles",
    "api.RoleById",
    # Stripe calls it: trusted by its signature (lep.payments.webhooks), not by a session.
    "payment_webhooks.stripe_webhook",
}

SAMPLE_ARGS = {"int": 999999, "string": "sample", "path": "images/favicon.svg", "default": "sample"}


def undeclared_endpoints(app: Flask) -> list[str]:
    return sorted(ep for ep in app.view_functions if access_for(app, ep) is None)


def url_for_rule(rule: Rule) -> str:
    values: dict[str, object] = {}
    for arg in rule.arguments:
        converter = rule._converters[arg]
        if isinstance(converter, IntegerConverter):
            values[arg] = SAMPLE_ARGS["int"]
        elif isinstance(converter, PathConverter):
            values[arg] = SAMPLE_ARGS["path"]
        else:
            values[arg] = SAMPLE_ARGS["string"]
    _, path = rule.build(values)
    return path


def test_every_view_declares_who_may_use_it(app):
    assert undeclared_endpoints(app) == []


def test_the_public_pages_are_exactly_the_expected_ones(app):
    public = {ep for ep in app.view_functions if access_for(app, ep) == PUBLIC}
    assert public == EXPECTED_PUBLIC


def test_a_new_view_without_a_role_is_caught_and_refused_to_everyone(app, make_user):
    """The guard itself: someone adds a staff page and forgets require_role."""
    extra = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    forgot = Blueprint("forgot", __name__)

    @forgot.route("/admin/payroll-export")
    def payroll_export():
        return "every partner's bank details"

    extra.register_blueprint(forgot)
    assert undeclared_endpoints(extra) == ["forgot.payroll_export"]

    admin = make_user("admin")
    client = extra.test_client()
    assert client.get("/admin/payroll-export").status_code == 403
    with client.session_transaction() as session:
        session["_user_id"] = admin.get_id()
    response = client.get("/admin/payroll-export")
    assert response.status_code == 403
    assert "bank details" not in response.get_data(as_text=True)


def test_require_role_refuses_unknown_roles():
    with pytest.raises(ValueError):
        require_role("superuser")
    with pytest.raises(ValueError):
        require_role()


def _walk_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        method = "GET" if "GET" in methods else methods[0]
        yield rule, method, url_for_rule(rule)


def test_walk_every_rule_as_every_role_and_anonymous(app, make_user, monkeypatch):
    # CSRF is tested on its own; here it would answer 400 before access is decided.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    users = {role: make_user(role) for role in ROLES}
    tokens = {
        role: create_api_token(user, "walk").secret for role, user in users.items() if user.is_staff
    }
    db.session.commit()

    failures = []
    checked = 0
    for rule, method, url in _walk_rules(app):
        declared = access_for(app, rule.endpoint)
        is_api = url.startswith("/api/") and rule.endpoint != "api-docs.openapi_json"
        for who in (None, *ROLES):
            client = app.test_client()
            headers = {}
            if who is not None:
                if is_api:
                    if who in tokens:
                        headers["Authorization"] = f"Bearer {tokens[who]}"
                else:
                    signed_in_session(client, users[who])
            response = client.open(url, method=method, headers=headers)
            status = response.status_code
            location = response.headers.get("Location", "")
            checked += 1

            if declared == PUBLIC:
                ok = status not in (401, 403, 500) and "/sign-in" not in location
            elif who is None or (is_api and who not in tokens):
                ok = status == 401 if is_api else (status == 302 and "/sign-in" in location)
            elif declared == SIGNED_IN or who in declared:
                ok = status not in (401, 403, 500)
            else:
                ok = status == 403
            if not ok:
                failures.append(
                    f"{method} {url} ({rule.endpoint}) as {who or 'anonymous'}: {status} {location}"
                )
    assert checked > 100
    assert failures == [], "\n".join(failures)
