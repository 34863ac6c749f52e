"""The JSON API under /api/v1/: flask-smorest, marshmallow schemas, an OpenAPI 3 document.

Clients sign in with a personal API token (Authorization: Bearer lep_...), never a session cookie,
so the API is exempt from CSRF. Errors are always JSON.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from flask_smorest.pagination import PaginationMetadataSchema

from lep.api.schemas import ErrorSchema
from lep.extensions import csrf

BEARER_SCHEME = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token from your account page: Authorization: Bearer lep_...",
    }
}


# flask-smorest sends X-Pagination as JSON text but documents it as a bare object (a header's
# `schema` is its value, a string here): OpenAPI 3 says "JSON inside the header" with `content`.
PAGINATION_HEADER = {
    "description": "Pagination metadata: a JSON object, as text, with these fields.",
    "content": {"application/json": {"schema": PaginationMetadataSchema}},
}


class LepApi(Api):
    # Every error body (ours in lep.security.api_error and the API error handler) has this shape.
    ERROR_SCHEMA = ErrorSchema

    def _register_pagination_header(self) -> None:
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)


def register_api(app: Flask) -> LepApi:
    """Give this app its own Api object.

    flask-smorest keeps the spec and the openapi.json view on the Api instance, so one module-level
    instance shared by two apps (tests build several) would serve the last app's spec to both.
    """
    from lep.api.claims import blp as claims_blp
    from lep.api.payments import blp as payments_blp
    from lep.api.views import blp

    options = dict(app.config.get("API_SPEC_OPTIONS") or {})
    options["components"] = {**options.get("components", {}), "securitySchemes": BEARER_SCHEME}
    options["security"] = [{"bearerAuth": []}]
    app.config["API_SPEC_OPTIONS"] = options
    api = LepApi(app)
    api.register_blueprint(blp)
    api.register_blueprint(claims_blp)
    api.register_blueprint(payments_blp)
    csrf.exempt(blp)
    csrf.exempt(claims_blp)
    csrf.exempt(payments_blp)
    return api
