"""A real Redis for RQ tests: database 15 and a queue name of the test's own, removed after."""

from __future__ import annotations

import contextlib
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job

REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclass
class RQ:
    connection: Redis
    name: str
    queue: Queue

    def work(self) -> bool:
        """Run every queued job in this process (burst), as `flask lep worker` does."""
        with kept_signal_handlers():
            worker = SimpleWorker([self.queue], connection=self.connection)
            return worker.work(burst=True)


class kept_signal_handlers:
    """RQ's worker installs SIGINT/SIGTERM handlers and leaves them: put pytest's back."""

    def __enter__(self) -> None:
        self.saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


def redis_or_skip() -> Redis:
    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        connection.ping()
    except RedisError as exc:
        pytest.skip(f"no Redis at 127.0.0.1:6379 ({exc}); start one with redis-server")
    return connection


def remove_queue(connection: Redis, queue: Queue) -> None:
    """Delete the queue, its jobs and results, its registries and worker records."""
    job_ids = set(queue.get_job_ids())
    for registry in (
        queue.started_job_registry,
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.deferred_job_registry,
        queue.scheduled_job_registry,
        queue.canceled_job_registry,
    ):
        job_ids.update(registry.get_job_ids(cleanup=False))
    for job_id in job_ids:
        with contextlib.suppress(NoSuchJobError):  # already gone
            Job.fetch(job_id, connection=connection).delete(remove_from_queue=True)
    queue.delete(delete_jobs=True)
    for key in connection.scan_iter(match=f"*{queue.name}*"):
        connection.delete(key)
    for key in connection.scan_iter(match="rq:worker:*"):  # dead workers' records (they expire)
        if (
            connection.type(key) == b"hash"
            and connection.hget(key, "queues") == queue.name.encode()
        ):
            connection.delete(key)


@pytest.fixture
def rq(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[RQ]:
    """The app queueing jobs on a fresh RQ queue in a real Redis."""
    connection = redis_or_skip()
    name = f"lep-test-{uuid.uuid4().hex}"
    monkeypatch.setitem(app.config, "JOB_QUEUE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "RQ_QUEUE_NAME", name)
    app.extensions.pop("lep_job_queue", None)
    queue = Queue(name, connection=connection)
    try:
        yield RQ(connection, name, queue)
    finally:
        app.extensions.pop("lep_job_queue", None)
        remove_queue(connection, queue)
        connection.close()
