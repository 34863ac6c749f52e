"""Deny-by-default access control.

Every view declares who may use it with one of these decorators. A request for a view that
declares nothing is refused for everyone (403), and tests/test_access.py walks every URL rule to
prove the declarations hold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask

F = TypeVar("F", bound=Callable[..., Any])

ROLES = ("applicant", "partner", "panel", "coordinator", "hr", "finance", "admin")
STAFF_ROLES = ("panel", "coordinator", "hr", "finance", "admin")

PUBLIC = "public"
SIGNED_IN = "signed_in"

ACCESS_ATTR = "_lep_access"


def public(view: F) -> F:
    """Anyone, signed in or not."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def signed_in(view: F) -> F:
    """Any signed-in user, whatever their roles (their own account pages)."""
    setattr(view, ACCESS_ATTR, SIGNED_IN)
    return view


def require_role(*roles: str) -> Callable[[F], F]:
    """Only users holding at least one of these roles."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"require_role needs known roles, got {roles!r}")

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTR, frozenset(roles))
        return view

    return decorate


SESSION_READS_ATTR = "_lep_api_session_reads"


def api_session_reads(view: F) -> F:
    """An API view whose GETs also accept the browser's session (a person reading their own
    data); every other API call needs a personal token. Writes never accept the session."""
    setattr(view, SESSION_READS_ATTR, True)
    return view


def allows_session_reads(app: Flask, endpoint: str) -> bool:
    view = app.view_functions.get(endpoint)
    if view is None:
        return False
    return bool(
        getattr(view, SESSION_READS_ATTR, False)
        or getattr(getattr(view, "view_class", None), SESSION_READS_ATTR, False)
    )


# Endpoints registered by libraries, whose view functions we do not decorate ourselves.
LIBRARY_PUBLIC_ENDPOINTS = {"static", "api-docs.openapi_json"}


def access_for(app: Flask, endpoint: str) -> str | frozenset[str] | None:
    """What a view declares: PUBLIC, SIGNED_IN, a set of roles, or None (declared nothing)."""
    if endpoint in LIBRARY_PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    # flask-smorest and MethodView wrap the view: look through to the class for its mark.
    declared = getattr(view, ACCESS_ATTR, None)
    if declared is None and hasattr(view, "view_class"):
        declared = getattr(view.view_class, ACCESS_ATTR, None)
    return declared
