"""The crawl, over HTTP: every page each demo role can reach from its dashboard and navigation.

Fails on a server error, markup shown as text, and a link on our page that answers the role it
was shown to with an error (403, 404 or any other 4xx) or a sign-in page.
"""

from __future__ import annotations

import pytest

from tests.crawl.crawler import ROLE_ACCOUNTS

# The fewest pages each role reaches with the demo data: a crawl that stops early (a sign-in
# that failed, links that are no longer found) fails too, instead of passing on nothing.
AT_LEAST = {
    "applicant": 10,
    "partner": 30,
    "panel": 30,
    "hr": 80,
    "finance": 40,
    "finance2": 40,
    "admin": 50,
}


@pytest.mark.parametrize("role", list(ROLE_ACCOUNTS))
def test_every_page_a_role_can_reach_works(crawls, role):
    found, _ = crawls(role)
    problems = found.problems()
    assert not problems, f"{len(problems)} problem(s) for {role}:\n" + "\n".join(problems)
    assert found.visits["/dashboard"].status == 200
    assert len(found.pages()) >= AT_LEAST[role], sorted(v.url for v in found.pages())
    assert not found.skipped, f"the crawl stopped short: {dict(found.skipped)}"
