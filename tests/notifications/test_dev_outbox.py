"""Development: emailed links follow PORT, and /dev/outbox shows the emails sent (never in
production)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from lep import create_app
from lep.notifications.services import send_email

ROOT = Path(__file__).resolve().parents[2]

LINK_IN_DEVELOPMENT = """
from lep import create_app
from lep.urls import external_url
app = create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://")
with app.app_context():
    print(external_url("accounts.reset_password", token="abc"))
"""


def emailed_link(instance: Path, **env: str) -> str:
    """The link a development app (a fresh process, as `make run` starts) writes into an email."""
    environ = {k: v for k, v in os.environ.items() if k not in {"BASE_URL", "PORT", "LEP_CONFIG"}}
    environ.update(env, LEP_INSTANCE_PATH=str(instance))
    result = subprocess.run(
        [sys.executable, "-c", LINK_IN_DEVELOPMENT],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_links_in_development_follow_port(tmp_path: Path) -> None:
    assert emailed_link(tmp_path, PORT="5112") == "http://127.0.0.1:5112/reset-password/abc"


def test_links_in_development_use_port_5000_by_default(tmp_path: Path) -> None:
    assert emailed_link(tmp_path) == "http://127.0.0.1:5000/reset-password/abc"


def test_base_url_wins_over_port(tmp_path: Path) -> None:
    link = emailed_link(tmp_path, PORT="5112", BASE_URL="https://lep.example.org")
    assert link == "https://lep.example.org/reset-password/abc"


@pytest.fixture
def dev_app(app: Flask) -> Iterator[Flask]:
    dev = create_app("development", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        yield dev
    finally:
        create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")  # the limiter back on the suite


def test_the_development_outbox_page_shows_the_emails_sent(dev_app: Flask) -> None:
    with dev_app.app_context():
        message = send_email(
            "newcomer@example.org",
            "Reset your password",
            "confirm_email",
            link="http://127.0.0.1:5112/confirm-email/xyz",
        )
        message_id = message.id
    client = dev_app.test_client()

    listing = client.get("/dev/outbox/")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert "newcomer@example.org" in html
    assert f'href="/dev/outbox/{message_id}">Reset your password</a>' in html

    page = client.get(f"/dev/outbox/{message_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # The link in the email can be followed from the page.
    assert (
        '<a href="http://127.0.0.1:5112/confirm-email/xyz" rel="noopener">'
        "http://127.0.0.1:5112/confirm-email/xyz</a>" in html
    )
    assert client.get("/dev/outbox/987654").status_code == 404


def test_the_outbox_page_is_never_registered_in_production(app: Flask) -> None:
    prod = create_app(
        "production",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        SECRET_KEY="x" * 48,
        BANK_DETAILS_KEY=Fernet.generate_key().decode(),
    )
    try:
        rules = [rule.rule for rule in prod.url_map.iter_rules()]
        assert not [rule for rule in rules if rule.startswith("/dev")]
        assert "dev_outbox" not in prod.blueprints
        assert prod.test_client().get("/dev/outbox/").status_code == 404
    finally:
        create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")


def test_the_outbox_page_is_not_in_the_test_app(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    assert "dev_outbox" not in app.blueprints
    assert client.get("/dev/outbox/").status_code == 404
