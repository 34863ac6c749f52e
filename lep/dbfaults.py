"""The database connection ended mid-request (a failover, a restart, pg_terminate_backend).

Read-only requests (GET, HEAD, OPTIONS) are run once more on a fresh connection: the pool hands
out a new one (pool_pre_ping checks it) and nothing the first run did was committed. A write that
was interrupted is never repeated: the person gets a page saying the change may have been saved
and to reload before trying again (lep/errors.py), not a bare 500.
"""

from __future__ import annotations

import logging

from flask import Flask, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def connection_lost(exc: BaseException) -> bool:
    """True for an error SQLAlchemy recognised as the connection going away."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class LepFlask(Flask):
    """Flask, with a read-only request tried once more when its database connection is lost."""

    def dispatch_request(self) -> ResponseReturnValue:  # type: ignore[override]
        try:
            return super().dispatch_request()
        except DBAPIError as exc:
            if request.method not in SAFE_METHODS or not connection_lost(exc):
                raise
            log.warning(
                "database connection lost during %s %s: trying it once more on a fresh "
                "connection (%s)",
                request.method,
                request.path,
                exc.orig,
            )
            from lep.extensions import db

            db.session.rollback()  # the lost connection goes back to the pool, invalidated
            return super().dispatch_request()
