"""API errors are JSON, whatever went wrong and whoever asked: never an HTML page."""

from __future__ import annotations

import pytest

from lep import create_app
from lep.access import STAFF_ROLES, require_role
from tests.api.conftest import bearer


def assert_json_error(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status
    assert response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    assert "<html" not in text.lower()
    assert "Traceback" not in text
    body = response.get_json()
    assert body["code"] == status
    assert body["status"]
    assert "message" in body
    return body


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/me/nope", "/api/v2/me", "/api/"])
def test_unknown_api_urls_are_404_json(client, staff_header, path):
    assert_json_error(client.get(path), 404)
    assert_json_error(client.get(path, headers=staff_header("admin")), 404)


def test_unknown_api_url_is_404_json_for_a_signed_in_browser_too(client, make_user, login):
    login(make_user("admin"))
    assert_json_error(client.get("/api/v1/nope", headers={"Accept": "text/html"}), 404)


def test_the_wrong_method_is_405_json(client, staff_header):
    headers = staff_header("admin")
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert_json_error(client.open("/api/v1/me", method=method, headers=headers), 405)
        assert_json_error(client.open("/api/v1/audit-events", method=method), 405)
    assert_json_error(client.post("/api/v1/openapi.json"), 405)


def test_refusals_are_json(client, staff_header):
    assert_json_error(client.get("/api/v1/me"), 401)
    assert_json_error(client.get("/api/v1/audit-events", headers=staff_header("hr")), 403)


def test_an_unexpected_failure_is_a_500_json_without_details(app, make_user, token_for):
    extra = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])

    @require_role(*STAFF_ROLES)
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    extra.add_url_rule("/api/v1/_boom", endpoint="api._boom", view_func=boom)
    response = extra.test_client().get("/api/v1/_boom", headers=bearer(token_for(make_user("hr"))))
    body = assert_json_error(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["message"]


def test_web_pages_still_get_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
