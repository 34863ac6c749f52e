"""The OpenAPI document: public, OpenAPI 3, complete, every response described by a schema."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lep import create_app

SPEC_URL = "/api/v1/openapi.json"
METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get(SPEC_URL)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = spec
        for part in ref[2:].split("/"):
            assert part in target, f"{ref} does not resolve"
            target = target[part]
        node = target
    return node


def all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in all_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in all_refs(value)]
    return []


def operations(spec: dict[str, Any]):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_document_is_public_even_with_a_bad_token(client):
    assert client.get(SPEC_URL).status_code == 200
    assert client.get(SPEC_URL, headers={"Authorization": "Bearer lep_nonsense"}).status_code == 200


def test_it_is_an_openapi_3_document(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"] == "v1"
    assert isinstance(spec["paths"], dict) and spec["paths"]
    for ref in all_refs(spec):
        resolve(spec, {"$ref": ref})


def test_it_lists_the_endpoints(spec):
    assert {"/api/v1/me", "/api/v1/audit-events"} <= set(spec["paths"])
    assert "get" in spec["paths"]["/api/v1/me"]
    assert "get" in spec["paths"]["/api/v1/audit-events"]


def test_every_api_route_is_documented(app, spec):
    """An endpoint added to the API without flask-smorest decorators would be missing here."""
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint.startswith("api-docs."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)  # <int:id> -> {id}
        documented = spec["paths"].get(path, {})
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            if method.lower() not in documented:
                missing.append(f"{method} {rule.rule}")
    assert missing == []


def public_paths(app) -> set[tuple[str, str]]:
    """(path, method) of the API operations whose views are declared @public."""
    from lep.access import PUBLIC, access_for

    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and access_for(app, rule.endpoint) == PUBLIC:
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found |= {(path, m.lower()) for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    return found


def test_the_bearer_token_scheme_is_declared_and_required(spec, app):
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert {"bearerAuth": []} in spec["security"]
    public = public_paths(app)
    assert ("/api/v1/roles", "get") in public
    for path, method, operation in operations(spec):
        if (path, method) in public:
            # Public operations say so: no token, and never a 401.
            assert operation.get("security") == [], f"{method} {path}"
            assert "401" not in operation["responses"], f"{method} {path}"
        else:
            assert operation.get("security", spec["security"]) == spec["security"]


def test_every_response_is_described_by_a_schema(spec, app):
    schemas = spec["components"]["schemas"]
    public = public_paths(app)
    problems = []
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        if "401" not in responses and (path, method) not in public:
            problems.append(f"{method} {path}: 401 not documented")
        for status, response in responses.items():
            response = resolve(spec, response)
            if status == "204":
                continue
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                problems.append(f"{method} {path} {status}: no JSON schema")
                continue
            if schema.get("type") == "array":
                schema = schema["items"]
            ref = schema.get("$ref", "")
            if not ref.startswith("#/components/schemas/") or ref.split("/")[-1] not in schemas:
                problems.append(f"{method} {path} {status}: not a named schema: {schema}")
    assert problems == []


def test_errors_have_one_documented_shape(spec):
    error = spec["components"]["schemas"]["Error"]
    assert {"code", "status", "message", "errors"} <= set(error["properties"])
    me = spec["paths"]["/api/v1/me"]["get"]["responses"]
    assert resolve(spec, me["401"])["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_me_schema(spec):
    me = spec["components"]["schemas"]["Me"]["properties"]
    assert set(me) == {"id", "email", "full_name", "roles"}
    assert me["roles"]["type"] == "array"
    assert me["roles"]["items"]["type"] == "string"


def test_audit_events_document_filters_pagination_and_admin_only(spec):
    operation = spec["paths"]["/api/v1/audit-events"]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert names == {"action", "subject_type", "subject_id", "page", "page_size"}
    ok = operation["responses"]["200"]
    assert "X-Pagination" in ok["headers"]
    assert ok["content"]["application/json"]["schema"]["type"] == "array"
    assert {"401", "403", "422"} <= set(operation["responses"])


def test_each_app_has_its_own_api_and_spec(app, client):
    """flask-smorest keeps the spec on the Api: a shared one would serve another app's spec."""
    other = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    mine = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    theirs = other.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    assert mine is not theirs
    assert mine._app is app
    assert client.get(SPEC_URL).status_code == 200
    assert other.test_client().get(SPEC_URL).get_json()["paths"].keys() == (
        client.get(SPEC_URL).get_json()["paths"].keys()
    )
