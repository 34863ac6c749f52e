"""The crawl: sign in as a demo role and visit every page reachable from its dashboard and
navigation, following links on our own pages (same origin, GET only, never sign-out, bounded).

What it records for each page is what a person would notice: a server error, markup shown as
text (an `html` value escaped on its way into a component), and links on the page that take the
person who was shown them to "Page not found" or "You cannot see this page".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from tests.conftest import csrf_from
from tests.helpers import escaped_markup

# Each demo role, by the demo account that holds it (README, "Demo accounts").
ROLE_ACCOUNTS = {
    "applicant": "applicant@example.org",
    "partner": "partner@example.org",
    "panel": "panel@example.org",
    "hr": "hr@example.org",
    "finance": "finance@example.org",
    "finance2": "finance2@example.org",
    "admin": "admin@example.org",
}

# The test client signs in and the browser carries on with its session: the same user agent,
# so Flask-Login's session protection sees the same person.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) lep-crawl"

NEVER_FOLLOW = ("/sign-out",)
MAX_PAGES = 2000  # a role's whole crawl; the demo data is far smaller
MAX_PER_ENDPOINT = 200  # distinct URLs of one view (pages of the audit log, say)


def sign_in(client: FlaskClient, email: str, password: str, totp_secret: str) -> FlaskClient:
    """Sign `client` in as the demo account `email`, as a person does at /sign-in: the password,
    then, for the roles that need one (hr, finance, admin), the code of the authenticator app the
    demo set up (`DEMO_TOTP_SECRET`). The one place the crawl signs in: the browser pass carries
    on with this session."""
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302, f"{email} could not sign in: {response.status_code}"
    second_step = urlsplit(response.headers["Location"])
    if second_step.path == "/sign-in/security-code":
        url = second_step.path + (f"?{second_step.query}" if second_step.query else "")
        page = client.get(url)
        response = client.post(
            url,
            data={
                "code": pyotp.TOTP(totp_secret).now(),
                "csrf_token": csrf_from(page.get_data(as_text=True)),
            },
        )
        assert response.status_code == 302, f"{email}: the security code was refused"
    signed_in_at = urlsplit(response.headers["Location"]).path
    assert signed_in_at not in ("/sign-in", "/sign-in/security-code"), (
        f"{email} was not signed in: sent to {response.headers['Location']}"
    )
    return client


class _Links(HTMLParser):
    """The links a page shows (<a href>) and what it loads (stylesheets, scripts, images)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag == "link" and a.get("href"):
            self.loads.append(a["href"] or "")
        elif tag in ("script", "img", "audio", "source") and a.get("src"):
            self.loads.append(a["src"] or "")


def links_on(html: str) -> tuple[list[str], list[str]]:
    parser = _Links()
    parser.feed(html)
    return parser.links, parser.loads


@dataclass
class Visit:
    url: str
    status: int
    endpoint: str | None
    content_type: str
    html: bool
    escaped: list[str] = field(default_factory=list)
    location: str = ""


@dataclass
class Crawl:
    role: str
    visits: dict[str, Visit] = field(default_factory=dict)
    # target URL -> the pages that showed a link to it
    shown_on: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    outside_links: set[str] = field(default_factory=set)
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def problems(self) -> list[str]:
        found = []
        for visit in self.visits.values():
            sources = ", ".join(sorted(self.shown_on.get(visit.url, ()))[:3]) or "navigation"
            if visit.status >= 500:
                found.append(f"{visit.url}: {visit.status} (linked from {sources})")
            elif visit.status >= 400:  # 403, 404, and any other dead end a link leads to
                found.append(f"{visit.url}: {visit.status} to {self.role}, linked from {sources}")
            elif urlsplit(visit.location).path == "/sign-in":
                found.append(f"{visit.url}: asks {self.role} to sign in, linked from {sources}")
            for snippet in visit.escaped:
                found.append(f"{visit.url}: markup shown as text: {snippet}")
        return found

    def pages(self) -> list[Visit]:
        """Every HTML page that answered 200."""
        return [v for v in self.visits.values() if v.html and v.status == 200]


def _endpoint(app: Flask, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path, method="GET")
    except RequestRedirect:
        return None
    except HTTPException:
        return None
    return str(endpoint)


def _ours(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("", "http", "https") and parts.netloc in ("", "localhost")


def _local(url: str) -> str:
    """The path and query of one of our own URLs."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(app: Flask, client: FlaskClient, role: str, start: Iterable[str]) -> Crawl:
    """Breadth first from `start`, following our own links, GET only, never sign-out."""
    result = Crawl(role)
    queue = list(start)
    queued = set(queue)
    per_endpoint: dict[str | None, int] = defaultdict(int)
    while queue and len(result.visits) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        endpoint = _endpoint(app, path)
        if per_endpoint[endpoint] >= MAX_PER_ENDPOINT and endpoint != "static":
            result.skipped[endpoint or path] += 1
            continue
        per_endpoint[endpoint] += 1
        response = client.get(url)
        content_type = response.headers.get("Content-Type", "")
        is_html = content_type.startswith("text/html")
        visit = Visit(url, response.status_code, endpoint, content_type, is_html)
        result.visits[url] = visit
        found: list[str] = []
        if response.status_code in (301, 302, 303, 307, 308):
            visit.location = response.headers["Location"]
            found.append(visit.location)
        elif is_html:
            body = response.get_data(as_text=True)
            visit.escaped = escaped_markup(body)[:3]
            if response.status_code == 200:  # an error page's own links are not the page's
                links, loads = links_on(body)
                found = links + loads
        for href in found:
            target, _ = urldefrag(urljoin("http://localhost" + url, href.strip()))
            if not target:
                continue
            if not _ours(target):
                if urlsplit(target).scheme in ("http", "https"):
                    result.outside_links.add(target)
                continue
            local = _local(target)
            if urlsplit(local).path in NEVER_FOLLOW:
                continue
            result.shown_on[local].add(url)
            if local not in queued:
                queued.add(local)
                queue.append(local)
        response.close()
    return result
