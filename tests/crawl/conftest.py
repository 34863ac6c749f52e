"""The crawl's own app: a database of its own (suffix "_crawl") built by the migrations and
seeded by `flask lep demo`, as `make run` does, with CSRF protection on as in production.

The crawl only reads (GET), so one seeded database serves the whole session: the HTTP pass
with Flask's test client, then the browser pass through a live server on the same app.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from lep import create_app
from lep.extensions import db, limiter
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import FreshContextClient
from tests.crawl.crawler import ROLE_ACCOUNTS, USER_AGENT, Crawl, crawl, sign_in
from tests.dbutil import database_url, reset_schema


@pytest.fixture(scope="session")
def crawl_app() -> Iterator[Flask]:
    uploads = tempfile.mkdtemp(prefix="lep-crawl-uploads-")
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_url(suffix="_crawl"),
        WTF_CSRF_ENABLED=True,
        UPLOAD_FOLDER=uploads,
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        reset_schema(db.engine)
        upgrade()
        result = app.test_cli_runner().invoke(args=["lep", "demo"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def db_session() -> Iterator[None]:
    """Replaces tests/conftest.py's rolled-back transaction: the crawl reads the seeded
    database its own app is bound to (see tests/browser/conftest.py for why)."""
    yield


@pytest.fixture(scope="session")
def crawls(crawl_app: Flask) -> Callable[[str], tuple[Crawl, Any]]:
    """The crawl of each demo role, made once: (what it found, the signed-in client)."""
    done: dict[str, tuple[Crawl, Any]] = {}

    def of(role: str) -> tuple[Crawl, Any]:
        if role not in done:
            limiter.reset()
            client = crawl_app.test_client()
            client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
            config = crawl_app.config
            sign_in(
                client, ROLE_ACCOUNTS[role], config["DEMO_PASSWORD"], config["DEMO_TOTP_SECRET"]
            )
            done[role] = (crawl(crawl_app, client, role, ["/dashboard", "/"]), client)
        return done[role]

    return of


@pytest.fixture(scope="session")
def crawl_server(crawl_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, crawl_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="lep-crawl-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded one (as tests/browser/conftest.py)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()
