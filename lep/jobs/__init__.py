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


class QueueUnavailable(RuntimeError):
    """The job queue cannot take a job now (Redis unreachable): nothing was queued.

    Callers that must not commit work without a job to run it check `ensure_available()` first;
    callers whose work is already committed either run the job here (`enqueue(..., fallback=True)`)
    or leave it for a command that picks up what is waiting.
    """


class JobQueue(Protocol):
    def enqueue(self, path: str, *args: Any) -> None: ...

    def ping(self) -> None: ...


def resolve(path: str) -> Any:
    module, _, name = path.rpartition(".")
    if not module:
        raise ValueError(f"a job is named by its dotted path, not {path!r}")
    return getattr(importlib.import_module(module), name)


class InlineQueue:
    """Runs the job now, in this process and app context."""

    def enqueue(self, path: str, *args: Any) -> None:
        resolve(path)(*args)

    def ping(self) -> None:
        """Always available: jobs run here."""


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
        from redis.exceptions import RedisError

        resolve(path)  # a typo fails here, in the caller, not later in the worker
        try:
            self.queue.enqueue("lep.jobs.run_in_app", path, *args)
        except RedisError as exc:
            raise QueueUnavailable(f"the job queue (Redis) cannot take {path}: {exc}") from exc

    def ping(self) -> None:
        from redis.exceptions import RedisError

        try:
            self.queue.connection.ping()
        except RedisError as exc:
            raise QueueUnavailable(f"the job queue (Redis) is unreachable: {exc}") from exc


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


def ensure_available() -> None:
    """Raise QueueUnavailable unless the queue can take a job now. Call it before committing a
    state that needs a job to move on (a run marked "sending"), so nothing is left waiting for a
    job that was never queued."""
    get_queue().ping()


def enqueue(path: str, *args: Any, fallback: bool = False) -> None:
    """Queue a job. If the queue cannot take it, raise QueueUnavailable; with fallback=True, run
    the job here instead (logged), for work that is committed and must still happen."""
    try:
        get_queue().enqueue(path, *args)
    except QueueUnavailable:
        if not fallback:
            raise
        log.warning("job queue unreachable: running %s in this process", path, exc_info=True)
        resolve(path)(*args)
