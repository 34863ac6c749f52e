"""Public pages for signed-out visitors, kept rendered for a few seconds in each process.

The public roles list and role pages are the same for every signed-out visitor, and on the day a
popular role closes they are asked for far more than anything else. `for_signed_out` keeps the
rendered page (by path and query string) for `PUBLIC_PAGE_CACHE_SECONDS` (0 turns it off), and
never longer than the view says its content holds (`valid_until`: the earliest closing time on
the page, the next London midnight when pay tables in force can change).

What is never cached: anyone signed in; a visitor with a message waiting (a flash); any answer other
than 200; a page whose rendering touched the session. When a transaction that changed roles, their
criteria or questions, pay points or rate cards commits (`lep.service.commit`; seen by SQLAlchemy
events, ORM bulk updates included), this process empties its cache at once, and a page rendered
while the change was being made is not kept. Other worker processes: with `REDIS_URL` set, a
generation number in Redis is raised on such a commit and read before each kept page is served, so
every worker sees the change at once; without Redis (or while it cannot be reached) they notice when
their entries expire, up to `PUBLIC_PAGE_CACHE_SECONDS` later. Staff are signed in and always see
fresh pages. Closing times are exact either way, because entries never outlive them.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from lep.db import utcnow
from lep.service import after_commit_once

F = TypeVar("F", bound=Callable[..., Any])

SIZE = 512
SHARED_KEY = "lep:pagecache:generation"
SHARED_TIMEOUT = 0.5  # seconds: a slow Redis must not hold up a public page
SHARED_RETRY = 30.0  # seconds without asking Redis after it failed (entries still expire)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Entry:
    body: bytes
    mimetype: str
    expires: float  # time.monotonic()


class PageCache:
    def __init__(self, seconds: float, size: int = SIZE, shared: Any = None) -> None:
        self.seconds = seconds
        self.size = size
        self.entries: OrderedDict[str, _Entry] = OrderedDict()
        self.generation = 0
        self.lock = threading.Lock()
        self.shared = shared  # a Redis client, or None
        self.shared_seen: int | None = None
        self.shared_down_until = 0.0

    def _shared_generation(self) -> int | None:
        """The generation in Redis; None without Redis or while it cannot be reached."""
        if self.shared is None or time.monotonic() < self.shared_down_until:
            return None
        from redis.exceptions import RedisError

        try:
            return int(self.shared.get(SHARED_KEY) or 0)
        except (RedisError, ValueError) as exc:
            self.shared_down_until = time.monotonic() + SHARED_RETRY
            log.warning("Page cache: Redis unavailable (%s); kept pages expire by time only", exc)
            return None

    def get(self, key: str) -> tuple[_Entry | None, int]:
        """The kept page (or None) and the generation to hand back to `put`."""
        remote = self._shared_generation()
        with self.lock:
            if remote is not None and remote != self.shared_seen:
                if self.shared_seen is not None:  # another process changed the data
                    self.generation += 1
                    self.entries.clear()
                self.shared_seen = remote
            entry = self.entries.get(key)
            if entry is not None and entry.expires <= time.monotonic():
                del self.entries[key]
                entry = None
            if entry is not None:
                self.entries.move_to_end(key)
            return entry, self.generation

    def put(self, key: str, entry: _Entry, generation: int) -> None:
        with self.lock:
            if generation != self.generation:  # the data changed while the page was rendered
                return
            self.entries[key] = entry
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.generation += 1
            self.entries.clear()

    def changed(self) -> None:
        """This process committed a change the pages show: empty here, and tell the others."""
        self.clear()
        if self.shared is not None:
            from redis.exceptions import RedisError

            try:
                self.shared.incr(SHARED_KEY)
            except RedisError as exc:
                log.warning("Page cache: could not tell other workers of a change (%s)", exc)


def valid_until(moment: dt.datetime | None) -> None:
    """The page being rendered shows something that changes at `moment` (aware UTC)."""
    if moment is None:
        return
    current = g.get("page_valid_until")
    g.page_valid_until = moment if current is None else min(current, moment)


def _cache() -> PageCache | None:
    cache = current_app.extensions.get("lep_pages")
    return cast("PageCache | None", cache)


def _applies() -> bool:
    return (
        request.method == "GET" and "_flashes" not in session and not current_user.is_authenticated
    )


def for_signed_out(view: F) -> F:
    """Serve this GET view from the page cache for signed-out visitors (see the module)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cache = _cache()
        if cache is None or not _applies():
            return view(*args, **kwargs)
        key = request.full_path
        entry, generation = cache.get(key)
        if entry is not None:
            return Response(entry.body, mimetype=entry.mimetype)
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200 and not session.modified:
            lifetime = cache.seconds
            until = g.get("page_valid_until")
            if until is not None:
                lifetime = min(lifetime, (until - utcnow()).total_seconds())
            if lifetime > 0:
                expires = time.monotonic() + lifetime
                cache.put(
                    key,
                    _Entry(response.get_data(), response.mimetype or "text/html", expires),
                    generation,
                )
        return response

    return cast(F, wrapper)


_live: weakref.WeakSet[PageCache] = weakref.WeakSet()


def _changed_all() -> None:
    for cache in list(_live):
        cache.changed()


def _watched(cls: type) -> bool:
    """What the public role pages show: roles, their criteria and questions, and pay."""
    from lep.roles.models import Criterion, PayPoint, Question, RateCard, RateCardRate, Role

    return cls in (Role, Criterion, Question, PayPoint, RateCard, RateCardRate)


# Registered once, on the Session class, so they see every session of every app in the process.
# A change empties the caches when its transaction commits (`lep.service.commit`), once however
# many changes it holds; a rollback drops it. Emptied at the flush, a page rendered by another
# thread (or worker) before the commit would be kept with the old data.
@event.listens_for(Session, "after_flush")
def _after_flush(session_: Session, context: Any) -> None:
    if _live and any(
        _watched(type(i)) for i in (*session_.new, *session_.dirty, *session_.deleted)
    ):
        after_commit_once(_changed_all, session_)


@event.listens_for(Session, "do_orm_execute")
def _bulk_change(state: ORMExecuteState) -> None:
    if (
        _live
        and (state.is_update or state.is_delete or state.is_insert)
        and any(_watched(mapper.class_) for mapper in state.all_mappers)
    ):
        after_commit_once(_changed_all, state.session)


def install(app: Flask, seconds: float, redis_url: str | None = None) -> PageCache:
    shared = None
    if redis_url:
        from redis import Redis

        shared = Redis.from_url(
            redis_url, socket_connect_timeout=SHARED_TIMEOUT, socket_timeout=SHARED_TIMEOUT
        )
    cache = PageCache(seconds, shared=shared)
    app.extensions["lep_pages"] = cache
    _live.add(cache)
    return cache


def init_app(app: Flask) -> None:
    seconds = float(app.config["PUBLIC_PAGE_CACHE_SECONDS"])
    if seconds > 0:
        install(app, seconds, app.config.get("REDIS_URL"))
