"""The crawl, in a real browser (Debian's Chromium, 1280 by 720): each kind of page the demo roles
reach, once (the first URL the HTTP crawl found for each view, and every role's dashboard).

Fails on axe-core's WCAG 2.0-2.2 A/AA violations, any console error or uncaught exception, any
request the browser makes outside the site, and a table that scrolls sideways without saying so
(or runs off the page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Request, expect

from tests.browser.helpers import BrowserLog, page_problems
from tests.crawl.crawler import ROLE_ACCOUNTS, USER_AGENT, Crawl

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 720}
ALWAYS = {"main.dashboard"}  # the same view, a different page for each role

# Each table on the page that scrolls sideways with no visible words saying so, or that is wider
# than the window without a scrolling box of its own (the whole page would scroll).
TABLES_JS = """() => {
  const found = [];
  const width = document.documentElement.clientWidth;
  const visible = el => el && el.checkVisibility() && el.textContent.trim() !== "";
  for (const table of document.querySelectorAll("main table")) {
    const name = (table.caption ? table.caption.textContent : "").trim().slice(0, 80);
    const scrolling = el => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
    let box = table.parentElement;
    while (box && box !== document.body && !scrolling(box)) box = box.parentElement;
    if (box && box !== document.body) {
      if (box.scrollWidth - box.clientWidth > 4) {  // NHS.UK tables bleed 2px each side
        const cues = (box.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean)
          .map(id => document.getElementById(id));
        if (!cues.some(visible)) found.push(`table "${name}" scrolls sideways and does not say so`);
      }
    } else if (table.getBoundingClientRect().right > width + 1) {
      found.push(`table "${name}" is wider than the page`);
    }
  }
  return found;
}"""


def browser_pages(crawls: Callable[[str], tuple[Crawl, Any]]) -> dict[str, list[str]]:
    """For each role, the URLs it shows the browser: each view once across all roles (the first
    role in ROLE_ACCOUNTS order that reached it), and every role's own dashboard and account."""
    seen: set[str | None] = set()
    chosen: dict[str, list[str]] = {}
    for role in ROLE_ACCOUNTS:
        found, _ = crawls(role)
        urls = []
        for visit in found.pages():
            if visit.endpoint in ALWAYS or visit.endpoint not in seen:
                seen.add(visit.endpoint)
                urls.append(visit.url)
        chosen[role] = urls
    return chosen


def signed_in(browser: Browser, server: str, client: Any) -> BrowserContext:
    """A browser at 1280 by 720 that carries on with the session the crawl signed in with
    (tests/crawl/crawler.py: sign_in), with the same user agent."""
    context = browser.new_context(base_url=server, user_agent=USER_AGENT, viewport=VIEWPORT)
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None
    context.add_cookies([{"name": "session", "value": cookie.value, "url": server}])
    return context


@pytest.mark.parametrize("role", list(ROLE_ACCOUNTS))
def test_each_kind_of_page_in_a_browser(
    role: str, crawls: Any, crawl_server: str, browser: Browser, axe: Axe
) -> None:
    urls = browser_pages(crawls)[role]
    context = signed_in(browser, crawl_server, crawls(role)[1])
    page = context.new_page()
    log = BrowserLog().watch(page)
    origin = urlsplit(crawl_server)
    outside: list[str] = []

    def request(req: Request) -> None:
        parts = urlsplit(req.url)
        if parts.scheme not in ("data", "blob", "about") and parts.netloc != origin.netloc:
            outside.append(req.url)

    page.on("request", request)
    problems: list[str] = []
    try:
        for url in urls:
            response = page.goto(url)
            assert response is not None
            if response.status != 200 or urlsplit(page.url).path == "/sign-in":
                problems.append(f"{url}: {response.status} at {page.url} in the browser")
                continue
            problems += page_problems(page, axe, log)
            problems += [f"{url}: {p}" for p in page.evaluate(TABLES_JS)]
            if outside:
                problems.append(f"{url}: the browser asked outside the site for {outside}")
                outside.clear()
    finally:
        context.close()
    assert urls and urls[0] == "/dashboard"
    assert not problems, f"{len(problems)} problem(s) for {role}:\n" + "\n".join(problems)


# Where each row's decision is, against the window and the table's scrolling box.
DECISIONS_JS = """() => {
  const table = [...document.querySelectorAll("main table")].find(t => t.tHead &&
    [...t.tHead.rows[0].cells].some(th => th.textContent.trim() === "Decision"));
  if (!table) return [];
  const box = (table.closest(".nhsuk-table-container") || document.body).getBoundingClientRect();
  // The column's place in a body row: the colspans of the header cells before it.
  let column = 0;
  for (const th of table.tHead.rows[0].cells) {
    if (th.textContent.trim() === "Decision") break;
    column += th.colSpan;
  }
  return [...table.tBodies[0].rows].map(row => {
    const cell = row.cells[column].getBoundingClientRect();
    return {reference: row.cells[0].textContent.trim(), text: row.cells[column].textContent.trim(),
            right: cell.right, boxRight: box.right, window: document.documentElement.clientWidth};
  });
}"""


def test_the_lead_sees_each_decision_without_scrolling_sideways(
    crawls: Any, crawl_server: str, browser: Browser
) -> None:
    """Issue 13, item 11: at 1280px the matrix's Decision column was off to the right."""
    found, client = crawls("hr")
    matrices = [v.url for v in found.pages() if v.endpoint == "moderation.matrix"]
    assert matrices
    context = signed_in(browser, crawl_server, client)
    page = context.new_page()
    checked = 0
    try:
        for url in matrices:
            page.goto(url)
            rows = page.evaluate(DECISIONS_JS)
            if not rows:
                continue  # no applications on this view of the matrix
            for row in rows:
                assert row["text"], row
                assert row["right"] <= min(row["boxRight"], row["window"]), (url, row)
                checked += 1
            scrolls = page.evaluate(
                "() => { const b = document.getElementById('matrix');"
                " return b.scrollWidth - b.clientWidth > 4; }"
            )
            cue = page.locator("#matrix-scrolls")
            if scrolls:
                expect(cue).to_be_visible()
                expect(cue).to_have_text("Scroll sideways to see every column of this table.")
            else:
                expect(cue).to_be_hidden()
    finally:
        context.close()
    assert checked >= 10  # the demo's roles in shortlisting have that many applications
