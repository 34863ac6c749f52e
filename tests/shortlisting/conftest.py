"""A scored role with its panel: a lead and two scorers (the matrix's tests share these; a
module that needs another panel defines its own fixtures of the same names)."""

from __future__ import annotations

import pytest

from tests.shortlisting.moderation_support import make_panel, scored_role


@pytest.fixture
def role():  # type: ignore[no-untyped-def]
    return scored_role()


@pytest.fixture
def lead(make_user):  # type: ignore[no-untyped-def]
    return make_user("hr", full_name="Lee Lead")


@pytest.fixture
def scorers(make_user):  # type: ignore[no-untyped-def]
    return [make_user("panel", full_name=name) for name in ("Pat Scorer", "Kim Scorer")]


@pytest.fixture
def panel(role, lead, scorers):  # type: ignore[no-untyped-def]
    return make_panel(role, lead, scorers)
