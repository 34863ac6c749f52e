"""The API keeps to its OpenAPI document: schemathesis generates requests from the document and
checks every answer (status, content type, body, headers, auth) against it, and X-Pagination's
JSON against the schema the document gives it.

Bounded so the suite stays quick: a few examples per operation, sent to the test app through WSGI
(no server, no network), as one person holding every role, so the lists answer 200 with their
pages rather than only 401 or 403. The document is read once, at collection, from an app of its
own (it needs no database); the requests go to the suite's app and its rolled-back transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings

from lep import create_app
from lep.access import ROLES
from lep.accounts.services import create_api_token

SPEC_URL = "/api/v1/openapi.json"
EXAMPLES_PER_OPERATION = 8

# The document's own app serves only the document; every call names the suite's app.
_document_app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
DOCUMENT: dict[str, Any] = _document_app.test_client().get(SPEC_URL).get_json()
schema = schemathesis.openapi.from_wsgi(SPEC_URL, _document_app)


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def fresh_contexts(app: Flask) -> Callable[..., Iterable[bytes]]:
    """The app with an app context of its own per request, as in production (the test holds one
    open, which Flask would otherwise reuse, carrying the signed-in user from one call to the
    next: schemathesis's unauthenticated probe would then look signed in)."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with app.app_context():
            return list(app(environ, start_response))

    return wsgi


@pytest.fixture
def everyone_header(make_user) -> dict[str, str]:
    user = make_user(*ROLES)
    return {"Authorization": f"Bearer {create_api_token(user, 'schemathesis').secret}"}


def check_json_headers(case, response) -> None:  # type: ignore[no-untyped-def]
    """A header documented with `content: application/json` (schemathesis checks only a header's
    `schema`) carries JSON that its schema accepts."""
    operation = DOCUMENT["paths"][case.operation.path].get(case.method.lower())
    if operation is None:
        return  # a method the document does not have (schemathesis checks the 405 itself)
    documented = resolve(operation["responses"].get(str(response.status_code), {}))
    for name, header in documented.get("headers", {}).items():
        header = resolve(header)
        value = response.headers.get(name.lower())
        if "content" not in header or value is None:
            continue
        header_schema = resolve(header["content"]["application/json"]["schema"])
        jsonschema_rs.validate(header_schema, json.loads(value[0]))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_document_says(case, app, everyone_header):
    response = case.call_and_validate(app=fresh_contexts(app), headers=everyone_header)
    check_json_headers(case, response)


def test_x_pagination_is_documented_as_the_json_it_is(client, staff_header):
    """The header is text holding a JSON object: documented as `content`, not as an object."""
    header = resolve(DOCUMENT["components"]["headers"]["PAGINATION"])
    assert "schema" not in header
    fields = resolve(header["content"]["application/json"]["schema"])["properties"]
    response = client.get("/api/v1/audit-events", headers=staff_header("admin"))
    sent = json.loads(response.headers["X-Pagination"])
    assert set(sent) <= set(fields) and sent["total"] >= 1
