"""The measured pages, how a simulated user signs in, and SQL queries counted per request.

Shared by the driver (bench/run.py, over HTTP and in-process) and the CI smoke test. A
`Fetch` is any `(method, path, data) -> (status, headers, body)`: a requests.Session against the
served app, or Flask's test client in-process.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import event

from bench.generate import Manifest

Fetch = Callable[[str, str, "dict[str, str] | None"], "tuple[int, dict[str, str], bytes]"]

CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Page:
    name: str
    label: str
    who: str  # "anonymous", "applicant", "hr" or "finance"
    method: str = "GET"
    public: bool = False  # the public pages' targets: 50% of the ceiling, p95 under 25 ms
    staff: bool = False  # staff pages' target: p95 under 100 ms at M


PAGES = (
    Page("roles_list", "Public roles list", "anonymous", public=True),
    Page("role_page", "A role page", "anonymous", public=True),
    Page("question_get", "Application question (GET)", "applicant", public=True),
    Page("question_post", "Application question (POST)", "applicant", "POST"),
    Page("dashboard", "Applicant dashboard", "applicant"),
    Page("shortlisting_matrix", "Shortlisting matrix, largest role", "hr", staff=True),
    Page("claims_queue", "Claims approval queue", "finance", staff=True),
    Page("approve_claim", "Approve a claim (POST)", "finance", "POST", staff=True),
)


def csrf_token(body: bytes) -> str:
    found = CSRF.search(body)
    if found is None:
        raise RuntimeError("no csrf_token on the page")
    return found.group(1).decode()


_used_steps: dict[str, int] = {}  # the last authenticator step each bench account has used


def _security_code(email: str) -> str:
    """A code from the bench's authenticator secret for a step this account has not used (the
    app takes each step once, and a step either side for clock drift)."""
    import pyotp

    from bench.generate import TOTP_SECRET
    from lep.accounts import two_factor
    from lep.db import utcnow

    totp = pyotp.TOTP(TOTP_SECRET)
    now = totp.timecode(utcnow())
    # This step or the next, never the one before: the server's clock may cross into the next
    # step before it checks.
    step = max(now, _used_steps.get(email, -1) + 1)
    if step > now + two_factor.VALID_WINDOW:
        raise RuntimeError(f"{email} has signed in twice in 30 seconds: wait for a code")
    _used_steps[email] = step
    return totp.generate_otp(step)


def sign_in(fetch: Fetch, email: str, password: str) -> str:
    """Sign in through the real form (and, for staff, the authenticator step); returns the CSRF
    token of the new session."""
    _, _, body = fetch("GET", "/sign-in", None)
    status, headers, _ = fetch(
        "POST",
        "/sign-in",
        {"email": email, "password": password, "csrf_token": csrf_token(body)},
    )
    if status != 302:
        raise RuntimeError(f"sign-in as {email} failed ({status})")
    location = headers.get("Location", headers.get("location", ""))
    if "/sign-in/security-code" in location:
        path = location[location.index("/sign-in/security-code") :]
        _, _, body = fetch("GET", path, None)
        status, _, _ = fetch(
            "POST", path, {"code": _security_code(email), "csrf_token": csrf_token(body)}
        )
        if status != 302:
            raise RuntimeError(f"the security code for {email} was refused ({status})")
    _, _, body = fetch("GET", "/account", None)
    return csrf_token(body)


def answer_form(csrf: str, n: int = 0) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "answer": f"I listened to carers and patients and shared what we heard ({n}).",
    }


def approve_form(app: Flask, claim_id: int, csrf: str) -> dict[str, str]:
    """The approve form as the finance page renders it: seen, every line's amount, approve."""
    from lep.expenses import finance_forms
    from lep.expenses.models import Claim
    from lep.extensions import db

    with app.test_request_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        data = {"csrf_token": csrf, "seen": finance_forms.seen_text(claim), "approve": "1"}
        for line in claim.lines:
            data[f"line_{line.id}"] = finance_forms.pounds_text(line.amount_pence)
        return data


def request_for(
    page: Page, manifest: Manifest, index: int = 0
) -> tuple[str, str]:  # (method, path) without the form
    draft = manifest.drafts[index % len(manifest.drafts)][1] if manifest.drafts else 0
    paths = {
        "roles_list": "/roles",
        "role_page": f"/roles/{manifest.role_ids[index % len(manifest.role_ids)]}",
        "question_get": f"/applications/{draft}/questions/1",
        "question_post": f"/applications/{draft}/questions/1",
        "dashboard": "/dashboard",
        "shortlisting_matrix": f"/hr/roles/{manifest.largest_role_id}/shortlisting",
        "claims_queue": "/finance/claims",
        "approve_claim": "/finance/claims/{claim}",
    }
    return page.method, paths[page.name]


def email_for(page: Page, manifest: Manifest, index: int = 0) -> str | None:
    if page.who == "applicant":
        return manifest.drafts[index % len(manifest.drafts)][0]
    return {"hr": manifest.hr_email, "finance": manifest.finance_email}.get(page.who)


@contextmanager
def counting(engine: Any) -> Iterator[list[str]]:
    """Every statement sent to the database while inside, in order."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


EXPECTED = {"GET": (200,), "POST": (302,)}


def in_process(app: Flask) -> Fetch:
    """A Fetch through a new test client of the app (its own cookies: one simulated user)."""
    client = app.test_client()

    def fetch(
        method: str, path: str, data: dict[str, str] | None
    ) -> tuple[int, dict[str, str], bytes]:
        # Plain http, as the bench serves (the test client would follow PREFERRED_URL_SCHEME).
        response = client.open(path, method=method, data=data, base_url="http://localhost")
        return response.status_code, dict(response.headers), response.get_data()

    return fetch


def count_queries(app: Flask, manifest: Manifest, claims: list[int]) -> dict[str, int]:
    """SQL statements for one request of each page, in-process, after one warm-up request.
    Uses (and approves) the first two claims in `claims`."""
    from lep.extensions import db

    with app.app_context():
        engine = db.engine
    counts: dict[str, int] = {}
    for page in PAGES:
        fetch = in_process(app)
        email = email_for(page, manifest)
        csrf = sign_in(fetch, email, manifest.password) if email else ""
        method, path = request_for(page, manifest)
        results = []
        for attempt in range(2):
            data: dict[str, str] | None = None
            target = path
            if page.name == "question_post":
                data = answer_form(csrf, attempt)
            elif page.name == "approve_claim":
                target = path.format(claim=claims[attempt])
                data = approve_form(app, claims[attempt], csrf)
            pages = app.extensions.get("lep_pages")
            if pages is not None:  # count the queries of rendering, not of a kept page
                pages.clear()
            with counting(engine) as seen:
                status, _, _ = fetch(method, target, data)
            if status not in EXPECTED[method]:
                raise RuntimeError(f"{page.name}: {method} {target} answered {status}")
            results.append(len(seen))
        counts[page.name] = results[-1]
    return counts
