"""`flask lep worker` refuses clearly when it cannot work."""

from __future__ import annotations

import socket

import pytest
from flask import Flask


def test_worker_refuses_without_redis_url(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)

    result = app.test_cli_runner().invoke(args=["lep", "worker", "--burst"])

    assert result.exit_code == 1
    assert "Set REDIS_URL to run a worker; without it jobs run in-process." in result.output


def test_worker_refuses_when_redis_cannot_be_reached(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://:secret-pw@127.0.0.1:{port}/15")

    result = app.test_cli_runner().invoke(args=["lep", "worker", "--burst"])

    assert result.exit_code == 1
    assert f"Cannot reach Redis at 127.0.0.1:{port}" in result.output
    assert "secret-pw" not in result.output
