"""Background jobs behind one interface: in-process by default, RQ on Redis when configured.

A job is named by its dotted path ("lep.notifications.services.deliver") and takes plain
arguments (ids, not objects), so the same call works in the request and in `flask lep worker`.
A service enqueues a job after it commits the rows the job will read.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, current_app, has_app_context

if TYPE_CHECKING:
    from rq import Queue

log = logging.getLogger(__name__)

# Seconds: connecting to Redis or waiting for it must not hang a request.
REDIS_TIMEOUT = 5


class JobQueue(Protocol):
    def enqueue(self, path: str, *args: Any) -> None: ...


def resolve(path: str) -> Any:
    module, _, name = path.rpartition(".")
    if not module:
        raise ValueError(f"a job is named by its dotted path, not {path!r}")
    return getattr(importlib.import_module(module), name)


class InlineQueue:
    """Runs the job now, in this process and app context."""

    def enqueue(self, path: str, *args: Any) -> None:
        resolve(path)(*args)


class RQQueue:
    """Puts the job on a Redis queue for `flask lep worker`."""

    def __init__(self, redis_url: str, name: str) -> None:
        from redis import Redis
        from rq import Queue

        connection = Redis.from_url(
            redis_url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
        self.queue: Queue = Queue(name, connection=connection)

    def enqueue(self, path: str, *args: Any) -> None:
        resolve(path)  # a typo fails here, in the caller, not later in the worker
        self.queue.enqueue("lep.jobs.run_in_app", path, *args)


_worker_app: Flask | None = None


def run_in_app(path: str, *args: Any) -> Any:
    """Entry point for RQ: run one job inside an app context, with a clean session after it.

    `flask lep worker` runs jobs in its own app context. Any other worker (plain `rq worker`,
    or RQ's spawning Worker) gets an app built once per process.
    """
    if has_app_context():
        return _run_with_clean_session(path, *args)
    global _worker_app
    if _worker_app is None:
        from lep import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        return _run_with_clean_session(path, *args)


def _run_with_clean_session(path: str, *args: Any) -> Any:
    from lep.extensions import db

    try:
        return resolve(path)(*args)
    finally:
        # A worker runs many jobs in one process: what one job leaves in the session (a failed
        # flush, uncommitted rows, stale objects, an open transaction) must not reach the next.
        db.session.remove()


def _rq_queue(app: Flask) -> RQQueue:
    url = app.config.get("REDIS_URL")
    if not url:
        raise RuntimeError('JOB_QUEUE is "rq" but REDIS_URL is not set')
    return RQQueue(url, app.config["RQ_QUEUE_NAME"])


QUEUES: dict[str, Callable[[Flask], JobQueue]] = {
    "inline": lambda app: InlineQueue(),
    "rq": _rq_queue,
}


def get_queue() -> JobQueue:
    """The app's job queue, made once per app (pop app.extensions["lep_job_queue"] to remake)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    queue: JobQueue | None = app.extensions.get("lep_job_queue")
    if queue is None:
        kind = app.config["JOB_QUEUE"]
        if kind not in QUEUES:
            raise RuntimeError(f"unknown JOB_QUEUE {kind!r}: use one of {sorted(QUEUES)}")
        queue = QUEUES[kind](app)
        app.extensions["lep_job_queue"] = queue
    return queue


def enqueue(path: str, *args: Any) -> None:
    get_queue().enqueue(path, *args)
