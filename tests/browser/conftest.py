"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live_server.

- `browser`: one chromium for the whole run; every browser test is skipped, with the reason,
  when /usr/bin/chromium is missing.
- `new_context(**options)`: a fresh context (one person) whose base_url is the live server;
  defaults: 1280x900, en-GB, UTC. Closed after the test.
- `new_page(**options)`: a page in its own context, e.g.
  `new_page(viewport={"width": 375, "height": 812}, has_touch=True, is_mobile=True)`.
- `seat(context, code, participant_id)`: sit a context in a lobby as that participant (a
  session cookie, as joining would leave), so a test can skip the join form.

Mark browser tests `@pytest.mark.browser`; these fixtures bring `transactional_db` themselves,
because the live server's thread must see what the test writes.
"""

from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings

from lobbies.people import identity
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

# Playwright's sync API runs an event loop in this thread; the ORM calls tests and fixtures make
# here (sessions, users) are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PHONE = {
    "viewport": {"width": 375, "height": 812},
    "has_touch": True,
    "is_mobile": True,
}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Browser tests need Debian's chromium at {CHROMIUM} (`make chromium`).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, live_server, transactional_db):
    """new_context(**options) -> a fresh browser context (one person) on the live server."""
    contexts = []

    def make(**options):
        options.setdefault("base_url", live_server.url)
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("locale", "en-GB")
        options.setdefault("timezone_id", "UTC")
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(new_context):
    """new_page(**context options) -> a page in its own context."""

    def make(**options):
        return new_context(**options).new_page()

    return make


@pytest.fixture
def seat(live_server, transactional_db):
    """seat(context, code, participant_id): the context is that participant in that lobby."""

    def sit(context, code: str, participant_id: str) -> None:
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[identity.SESSION_KEY] = {code: participant_id}
        # save() works for every engine: a database row, or the signed cookie's value.
        store.save()
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": store.session_key,
                    "url": live_server.url,
                }
            ]
        )

    return sit
