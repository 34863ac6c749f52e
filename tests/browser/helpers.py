"""What the browser tests share: axe-core's WCAG 2.0-2.2 A/AA rules, the console log, and the
NHS.UK error pattern. The `axe` and `log` fixtures that use them are in conftest.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Error, Page, expect

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
SUFFIX = " - Lived experience roles - Example NHS Trust"


@dataclass
class BrowserLog:
    """Console errors and uncaught exceptions, collected across navigations."""

    errors: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        # Every error counts: the copied NHS.UK CSS asks for no font from outside any more
        # (scripts/copy_assets.py), so nothing is blocked by our CSP and nothing is logged.
        if message.type == "error":
            where = message.location.get("url", "")
            self.errors.append(f"console error at {where}: {message.text}")

    def page_error(self, error: Error) -> None:
        self.errors.append(f"uncaught exception: {error.message}")

    def take(self) -> list[str]:
        found, self.errors = self.errors, []
        return found

    def watch(self, page: Page) -> BrowserLog:
        page.on("console", self.console)
        page.on("pageerror", self.page_error)
        return self


def axe_report(violations: list[dict]) -> str:
    lines = [f"axe found {len(violations)} WCAG A/AA violation(s):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:200]}")
    return "\n".join(lines)


def page_problems(
    page: Page, axe: Axe, log: BrowserLog, allowed_errors: tuple[str, ...] = ()
) -> list[str]:
    """What is wrong with the page as it is now: axe violations, and console errors (a CSP
    violation by our own scripts, or an exception in them, shows there)."""
    problems = []
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    if violations:
        problems.append(f"{page.url}\n{axe_report(violations)}")
    errors = [e for e in log.take() if not any(allowed in e for allowed in allowed_errors)]
    if errors:
        problems.append(f"{page.url}: browser console errors:\n" + "\n".join(errors))
    return problems


def expect_scripts_ran(page: Page) -> None:
    """js-enabled.js ran (a classic script) and lep.js ran as a module and started NHS.UK
    frontend (the header marks itself initialised): neither was blocked by the CSP."""
    body = page.locator("body")
    expect(body).to_have_class(re.compile(r"\bjs-enabled\b.*\bnhsuk-frontend-supported\b"))
    expect(page.locator("header.nhsuk-header[data-nhsuk-header-init]")).to_have_count(1)


def check_page(page: Page, axe: Axe, log: BrowserLog, allowed_errors: tuple[str, ...] = ()) -> None:
    """The page as it is now: no axe violations, a clean console, and our scripts ran."""
    problems = page_problems(page, axe, log, allowed_errors)
    assert not problems, "\n".join(problems)
    expect_scripts_ran(page)


# The text of the NHS.UK error messages that a control's aria-describedby points to (for radios
# and checkboxes in a fieldset, the fieldset's).
DESCRIBED_ERRORS_JS = """control => [control, control.closest("fieldset")].filter(Boolean)
  .flatMap(el => (el.getAttribute("aria-describedby") || "").split(/\\s+/))
  .filter(Boolean).map(id => document.getElementById(id))
  .filter(el => el && el.classList.contains("nhsuk-error-message") && el.checkVisibility())
  .map(el => el.textContent.replace(/\\s+/g, " ").trim())"""


def expect_error_state(page: Page, errors: dict[str, str], follow_first: bool = True) -> None:
    """GOV.UK/NHS.UK error pattern: 'Error: ' title, a summary linking to each field in error."""
    # Waits for the page the form posted to: reading the title at once can race the navigation.
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # NHS.UK frontend moves focus to it on page load
    expect(summary.locator("h2")).to_have_text("There is a problem")
    links = summary.locator(".nhsuk-error-summary__list a")
    expect(links).to_have_count(len(errors))
    for link, (field_id, message) in zip(links.all(), errors.items(), strict=True):
        expect(link).to_have_text(message)
        expect(link).to_have_attribute("href", f"#{field_id}")
        control = page.locator(f"#{field_id}")
        expect(control).to_have_count(1)
        # The message is shown by the field and tied to it for screen readers (aria-describedby).
        expect(page.locator(".nhsuk-form-group--error", has=control)).to_be_visible()
        described = control.evaluate(DESCRIBED_ERRORS_JS)
        assert any(message in text for text in described), (field_id, described)
    if follow_first:
        # Following a link in the summary takes you to the field.
        first_id = next(iter(errors))
        links.first.click()
        expect(page.locator(f"#{first_id}")).to_be_focused()
