"""Links for emails: the site's public address (BASE_URL) plus a path, in or out of a request."""

from __future__ import annotations

from typing import Any

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    base = current_app.config["SERVER_NAME_FOR_EMAIL"].rstrip("/")
    # Build from the URL map directly, so jobs and commands can write links too.
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return base + adapter.build(endpoint, values)
