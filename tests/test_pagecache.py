"""The public role pages kept rendered for signed-out visitors (lep/pagecache.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text

from lep import pagecache
from lep.extensions import db
from lep.roles.models import Role
from lep.service import commit
from tests.conftest import sign_in
from tests.roles.public_data import make_role, pay_setup


@pytest.fixture
def cache(app: Flask) -> Iterator[pagecache.PageCache]:
    pay_setup()
    cache = pagecache.install(app, 30)
    try:
        yield cache
    finally:
        app.extensions.pop("lep_pages", None)


def rename_behind_the_orms_back(role: Role, title: str) -> None:
    """A change the cache cannot see (plain SQL): shows whether a page came from the cache."""
    db.session.execute(
        text("UPDATE role SET title = :t WHERE id = :id"), {"t": title, "id": role.id}
    )
    db.session.commit()


def test_signed_out_visitors_get_the_kept_page_with_the_security_headers(client, cache):
    role = make_role(title="Carer partner")
    first = client.get("/roles")
    assert "Carer partner" in first.get_data(as_text=True)
    rename_behind_the_orms_back(role, "Renamed quietly")
    second = client.get("/roles")
    assert second.status_code == 200
    assert "Carer partner" in second.get_data(as_text=True)  # the kept page
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert second.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in second.headers
    page = client.get(f"/roles/{role.id}").get_data(as_text=True)
    assert "Renamed quietly" in page  # a different page: rendered afresh


def test_signed_in_people_always_get_a_fresh_page(client, cache, make_user):
    role = make_role(title="Carer partner")
    client.get("/roles")
    rename_behind_the_orms_back(role, "Renamed quietly")
    user = make_user("applicant")
    sign_in(client, user.email)
    page = client.get("/roles").get_data(as_text=True)
    assert "Renamed quietly" in page
    assert "Carer partner" not in page


def test_a_change_to_a_role_through_the_app_shows_at_once(client, cache):
    role = make_role(title="Carer partner")
    client.get("/roles")
    client.get(f"/roles/{role.id}")
    role.title = "Carer and family partner"
    commit()
    assert "Carer and family partner" in client.get("/roles").get_data(as_text=True)
    assert "Carer and family partner" in client.get(f"/roles/{role.id}").get_data(as_text=True)


def test_a_bulk_update_empties_the_cache_too(client, cache):
    from sqlalchemy import update

    role = make_role(title="Carer partner")
    client.get("/roles")
    db.session.execute(update(Role).where(Role.id == role.id).values(title="Bulk renamed"))
    commit()
    assert "Bulk renamed" in client.get("/roles").get_data(as_text=True)


def test_a_kept_page_never_outlives_the_first_closing_time_on_it(client, cache):
    import datetime as dt

    closing = make_role(title="Closing very soon", closes_in=dt.timedelta(seconds=1.5))
    make_role(title="Open for weeks")
    assert "Closing very soon" in client.get("/roles").get_data(as_text=True)
    assert "This role has closed" not in client.get(f"/roles/{closing.id}").get_data(as_text=True)
    time.sleep(1.6)
    page = client.get("/roles").get_data(as_text=True)
    assert "Closing very soon" not in page
    assert "Open for weeks" in page
    role_page = client.get(f"/roles/{closing.id}").get_data(as_text=True)
    assert "This role has closed" in role_page


def test_kept_pages_expire_after_the_configured_seconds(app, client):
    pay_setup()
    pagecache.install(app, 0.5)
    try:
        role = make_role(title="Carer partner")
        client.get("/roles")
        rename_behind_the_orms_back(role, "Renamed quietly")
        assert "Carer partner" in client.get("/roles").get_data(as_text=True)
        time.sleep(0.6)
        assert "Renamed quietly" in client.get("/roles").get_data(as_text=True)
    finally:
        app.extensions.pop("lep_pages", None)


def test_only_the_first_page_of_the_list_and_good_answers_are_kept(client, cache):
    for _ in range(21):
        make_role()
    client.get("/roles?page=2")
    client.get("/roles/999999")
    assert list(cache.entries) == []
    client.get("/roles?type=employed")
    assert list(cache.entries) == ["/roles?type=employed"]


def test_a_visitor_with_a_message_waiting_is_not_served_a_kept_page(client, cache):
    make_role(title="Carer partner")
    client.get("/roles")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "You have signed out")]
    assert "You have signed out" in client.get("/roles").get_data(as_text=True)


REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def other_worker(app: Flask) -> Iterator[pagecache.PageCache]:
    """Another worker's cache, sharing a generation in a real Redis with this app's."""
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.delete(pagecache.SHARED_KEY)
    except RedisError as exc:
        pytest.skip(f"no Redis at 127.0.0.1:6379 ({exc})")
    pay_setup()
    pagecache.install(app, 30, REDIS_URL)
    try:
        yield pagecache.PageCache(30, shared=Redis.from_url(REDIS_URL))
    finally:
        app.extensions.pop("lep_pages", None)
        connection.delete(pagecache.SHARED_KEY)


def test_with_redis_a_change_committed_in_another_worker_shows_at_once(client, other_worker):
    other = other_worker
    role = make_role(title="Carer partner")
    client.get("/roles")
    rename_behind_the_orms_back(role, "Renamed in another worker")
    assert "Carer partner" in client.get("/roles").get_data(as_text=True)  # kept
    other.changed()  # what the other worker does when its change commits
    assert "Renamed in another worker" in client.get("/roles").get_data(as_text=True)


def test_with_redis_a_change_committed_here_tells_the_other_workers(client, other_worker):
    other = other_worker
    role = make_role(title="Carer partner")
    assert other.get("/roles")[0] is None
    other.put("/roles", pagecache._Entry(b"old page", "text/html", time.monotonic() + 30), 0)
    assert other.get("/roles")[0] is not None
    role.title = "Carer and family partner"
    commit()
    assert other.get("/roles")[0] is None  # emptied: the generation in Redis moved on


def test_with_redis_unreachable_kept_pages_still_expire_by_time(app, client):
    pay_setup()
    cache = pagecache.install(app, 0.5, "redis://127.0.0.1:1/0")  # nothing listens there
    try:
        role = make_role(title="Carer partner")
        client.get("/roles")
        rename_behind_the_orms_back(role, "Renamed quietly")
        page = client.get("/roles")
        assert page.status_code == 200
        assert "Carer partner" in page.get_data(as_text=True)
        time.sleep(0.6)
        assert "Renamed quietly" in client.get("/roles").get_data(as_text=True)
        role.title = "Changed through the app"
        commit()  # telling Redis fails quietly; this worker still empties its cache
        assert "Changed through the app" in client.get("/roles").get_data(as_text=True)
        assert cache.shared_down_until > 0
    finally:
        app.extensions.pop("lep_pages", None)
