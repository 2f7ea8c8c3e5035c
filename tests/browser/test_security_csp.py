"""The policy in a real browser: chromium reports no violation on any page type, including
what scripts do after load (htmx, the grid, the admin's widgets)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import small_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script; DevTools-injected, so the policy does not apply to it.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' '
                    + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


def settled(page, expression: str):
    """The expression's value once a frame was drawn and the tasks queued before it ran
    (violation reports are queued tasks)."""
    page.evaluate("new Promise((done) => requestAnimationFrame(() => setTimeout(done)))")
    return page.evaluate(expression)


@pytest.fixture
def chromium(browser):
    """The session's shared chromium (tests/browser/conftest.py): one browser per run."""
    return browser


def visit_all(browser, base: str, paths: list[str], sign_in: tuple[str, str] | None = None):
    context = browser.new_context(base_url=base)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    if sign_in:
        page.goto("/accounts/login/")
        page.fill("input[name=login]", sign_in[0])
        page.fill("input[name=password]", sign_in[1])
        page.click("form button[type=submit]")
        page.wait_for_load_state("networkidle")
    found = {}
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found[path] = settled(page, "window.__csp")
    # The recorder itself works: an inline style set by script is a violation it reports.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("window.__csp.length > 0")
    assert settled(page, "window.__csp.length") == 1
    context.close()
    return found


def test_no_violations_anywhere(chromium, live_server, django_user_model):
    django_user_model.objects.create_superuser(
        username="root", email="root@example.com", password="pw-root-123"
    )
    report = small_demo(4)
    code = report.code
    personal = reverse("lobbies:personal_link", args=[code, report.organizer.token])
    visitor = visit_all(
        chromium,
        live_server.url,
        [
            "/",
            "/lobbies/new/",
            f"/l/{code}/",  # the join page: not seated
            "/accounts/login/",
            "/accounts/signup/",
            "/no/such/page/",
            personal,  # seats this browser, then the lobby page with the grid and places
            f"/l/{code}/settings/",
            f"/l/{code}/settle/",
        ],
    )
    staff = visit_all(
        chromium,
        live_server.url,
        [
            "/admin/",
            "/admin/lobbies/lobby/",
            f"/admin/lobbies/lobby/{code}/",
            f"/admin/lobbies/lobby/{code}/settle/",
            "/admin/auth/user/",
            "/admin/auth/user/1/change/",
            "/admin/auth/user/add/",
        ],
        sign_in=("root@example.com", "pw-root-123"),
    )
    violations = {path: v for path, v in {**visitor, **staff}.items() if v}
    assert violations == {}
