"""Helpers for API tests: a personal token for a user, and the header that sends it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lep.accounts.models import User
from lep.accounts.services import create_api_token


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def token_for() -> Callable[..., str]:
    """A new token for this (staff) user, made the way the account page makes one."""

    def make(user: User, name: str = "test client") -> str:
        return create_api_token(user, name).secret

    return make


@pytest.fixture
def staff_header(make_user, token_for) -> Callable[..., dict[str, str]]:
    """Authorization header for a new user with these roles."""

    def make(*roles: str) -> dict[str, str]:
        return bearer(token_for(make_user(*roles)))

    return make
