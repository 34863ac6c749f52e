"""Background jobs behind one interface: in-process by default, RQ on Redis when configured.

A job is named by its dotted path ("lep.notifications.services.deliver") and takes plain
arguments (ids, not objects), so the same call works in the request and in `flask lep worker`.
A service enqueues a job after it commits the rows the job will read.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any, Protocol

from flask import current_app

log = logging.getLogger(__name__)


class JobQueue(Protocol):
    def enqueue(self, path: str, *args: Any) -> None: ...


def resolve(path: str) -> Any:
    module, _, name = path.rpartition(".")
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

        self.queue = Queue(name, connection=Redis.from_url(redis_url))

    def enqueue(self, path: str, *args: Any) -> None:
        self.queue.enqueue("lep.jobs.run_in_app", path, *args)


def run_in_app(path: str, *args: Any) -> Any:
    """Entry point for RQ: the worker runs jobs inside an app context (see commands.worker)."""
    from flask import has_app_context

    if has_app_context():
        return resolve(path)(*args)
    from lep import create_app

    with create_app().app_context():
        return resolve(path)(*args)


QUEUES = {
    "inline": lambda app: InlineQueue(),
    "rq": lambda app: RQQueue(app.config["REDIS_URL"], app.config["RQ_QUEUE_NAME"]),
}


def get_queue() -> JobQueue:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    queue = app.extensions.get("lep_job_queue")
    if queue is None:
        kind = app.config["JOB_QUEUE"]
        if kind not in QUEUES:
            raise RuntimeError(f"unknown JOB_QUEUE {kind!r}: use one of {sorted(QUEUES)}")
        queue = QUEUES[kind](app)
        app.extensions["lep_job_queue"] = queue
    return queue


def enqueue(path: str, *args: Any) -> None:
    get_queue().enqueue(path, *args)
