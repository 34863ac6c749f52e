"""The JSON API under /api/v1/: flask-smorest, marshmallow schemas, an OpenAPI 3 document.

Clients sign in with a personal API token (Authorization: Bearer lep_...), never a session cookie,
so the API is exempt from CSRF. Errors are always JSON.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from lep.extensions import csrf

api = Api()


def register_api(app: Flask) -> None:
    from lep.api.views import blp

    app.config.setdefault("API_SPEC_OPTIONS", {})
    app.config["API_SPEC_OPTIONS"].update(
        {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Personal API token"}
                }
            },
            "security": [{"bearerAuth": []}],
        }
    )
    api.init_app(app)
    api.register_blueprint(blp)
    csrf.exempt(blp)
