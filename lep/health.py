"""GET /health for load balancers: can this server do its work? JSON, 200 or 503, no secrets.

Checks the database answers, the schema is at the migrations' head (a server started before
`flask db upgrade` finished is not ready), and Redis answers when REDIS_URL is set. Redis down is
reported but only fails the check with HEALTH_REQUIRES_REDIS: without it the app still signs
people in and sends email, and every server shares the one Redis, so failing them all would turn
a degraded service into an outage.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from lep.access import public
from lep.extensions import db, limiter

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

REDIS_TIMEOUT = 0.5  # seconds: a load balancer's check must answer quickly


def _migration_heads() -> set[str]:
    """The heads of the migrations shipped with this code (read once per process)."""
    heads: set[str] | None = current_app.extensions.get("lep_migration_heads")
    if heads is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        directory = os.path.join(os.path.dirname(current_app.root_path), "migrations")
        config.set_main_option("script_location", directory)
        heads = set(ScriptDirectory.from_config(config).get_heads())
        current_app.extensions["lep_migration_heads"] = heads
    return heads


def _database() -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        db.session.execute(text("SELECT 1"))
        from alembic.runtime.migration import MigrationContext

        current = set(MigrationContext.configure(db.session.connection()).get_current_heads())
    except Exception as exc:
        db.session.rollback()
        log.warning("health: database unreachable: %s", type(exc).__name__)
        return {"ok": False, "detail": "unreachable"}, {"ok": False, "detail": "unknown"}
    finally:
        db.session.rollback()  # end the read; nothing was written
    heads = _migration_heads()
    if current == heads:
        migrations = {"ok": True, "detail": "at head", "revision": sorted(current)}
    else:
        migrations = {
            "ok": False,
            "detail": "not at head: run flask db upgrade",
            "revision": sorted(current),
            "head": sorted(heads),
        }
    return {"ok": True}, migrations


def _redis() -> dict[str, Any]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"ok": True, "detail": "not configured"}
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    try:
        connection.ping()
    except RedisError as exc:
        log.warning("health: redis unreachable: %s", type(exc).__name__)
        return {"ok": False, "detail": "unreachable"}
    finally:
        connection.close()
    return {"ok": True}


@bp.route("/health")
@public
@limiter.exempt
def health() -> ResponseReturnValue:
    database, migrations = _database()
    redis = _redis()
    required = [database, migrations]
    if current_app.config.get("HEALTH_REQUIRES_REDIS"):
        required.append(redis)
    ok = all(check["ok"] for check in required)
    status = "ok" if ok and redis["ok"] else ("degraded" if ok else "unavailable")
    response = jsonify(
        {
            "status": status,
            "checks": {"database": database, "migrations": migrations, "redis": redis},
        }
    )
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
