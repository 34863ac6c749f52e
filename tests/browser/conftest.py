"""Browser fixtures: Debian's Chromium through pytest-playwright, and the app on a live server.

The live server runs its own app on its own database (suffix "_live"), built from empty by the
migrations, in a background thread for the whole session. Pages are driven through it with the
CSRF protection and the Content Security Policy switched on, as in production.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Page
from werkzeug.serving import make_server

from lep import create_app
from lep.extensions import db, limiter
from tests.browser.helpers import BrowserLog
from tests.dbutil import database_url, reset_schema

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded one (`playwright install` is not used)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_app() -> Iterator[Flask]:
    app = create_app(
        "test", SQLALCHEMY_DATABASE_URI=database_url(suffix="_live"), WTF_CSRF_ENABLED=True
    )
    with app.app_context():
        reset_schema(db.engine)
        upgrade()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """The base URL of the app served on 127.0.0.1 and a free port, in a background thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="lep-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """pytest-playwright gives every browser context this base URL: page.goto("/sign-in")."""
    return live_server


@pytest.fixture(autouse=True)
def db_session() -> Iterator[None]:
    """Replaces tests/conftest.py's db_session for browser tests.

    That fixture swaps the shared `db.session` for a session bound to a connection of the
    suite's other database, inside a transaction it rolls back. The live server's request
    threads would then read and write that database, from another thread, instead of their own.
    Browser tests keep the real session; they only reset the (shared, in-memory) rate limits.
    """
    limiter.reset()
    yield


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.fixture
def log(page: Page) -> BrowserLog:
    """Console errors and uncaught exceptions on the test's page (see helpers.check_page)."""
    return BrowserLog().watch(page)
