"""Public pages for signed-out visitors, kept rendered for a few seconds in each process.

The public roles list and role pages are the same for every signed-out visitor, and on the day a
popular role closes they are asked for far more than anything else. `for_signed_out` keeps the
rendered page (by path and query string) for `PUBLIC_PAGE_CACHE_SECONDS` (0 turns it off), and
never longer than the view says its content holds (`valid_until`: the earliest closing time on
the page, the next London midnight when pay tables in force can change).

What is never cached: anyone signed in; a visitor with a message waiting (a flash); any answer
other than 200; a page whose rendering touched the session. Any change in this process to roles,
their criteria and questions, pay points or rate cards empties the cache at once (SQLAlchemy
events, ORM bulk updates included). Another worker process notices such a change when its entry
expires, so an edit made by staff can take up to `PUBLIC_PAGE_CACHE_SECONDS` to show everywhere;
closing times are exact because entries never outlive them.
"""

from __future__ import annotations

import datetime as dt
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

F = TypeVar("F", bound=Callable[..., Any])

SIZE = 512


@dataclass(frozen=True)
class _Entry:
    body: bytes
    mimetype: str
    expires: float  # time.monotonic()


class PageCache:
    def __init__(self, seconds: float, size: int = SIZE) -> None:
        self.seconds = seconds
        self.size = size
        self.entries: OrderedDict[str, _Entry] = OrderedDict()
        self.generation = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> _Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry.expires <= time.monotonic():
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return entry

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
        entry = cache.get(key)
        if entry is not None:
            return Response(entry.body, mimetype=entry.mimetype)
        generation = cache.generation
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


def _clear_all() -> None:
    for cache in list(_live):
        cache.clear()


def _watched(cls: type) -> bool:
    """What the public role pages show: roles, their criteria and questions, and pay."""
    from lep.roles.models import Criterion, PayPoint, Question, RateCard, RateCardRate, Role

    return cls in (Role, Criterion, Question, PayPoint, RateCard, RateCardRate)


# Registered once, on the Session class, so they see every session of every app in the process.
@event.listens_for(Session, "after_flush")
def _after_flush(session_: Session, context: Any) -> None:
    if _live and any(
        _watched(type(i)) for i in (*session_.new, *session_.dirty, *session_.deleted)
    ):
        _clear_all()


@event.listens_for(Session, "do_orm_execute")
def _bulk_change(state: ORMExecuteState) -> None:
    if (
        _live
        and (state.is_update or state.is_delete or state.is_insert)
        and any(_watched(mapper.class_) for mapper in state.all_mappers)
    ):
        _clear_all()


def install(app: Flask, seconds: float) -> PageCache:
    cache = PageCache(seconds)
    app.extensions["lep_pages"] = cache
    _live.add(cache)
    return cache


def init_app(app: Flask) -> None:
    seconds = float(app.config["PUBLIC_PAGE_CACHE_SECONDS"])
    if seconds > 0:
        install(app, seconds)
