"""My lobbies' calendar feed section in chromium: making the address, copying it, and
replacing it, on a 375-pixel phone and a desktop (screenshots in test-artifacts/)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from lobbies import services
from tests.browser import helpers
from tests.browser.conftest import PHONE
from tests.browser.helpers import screenshot
from tests.factories import make_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long enough passphrase 7"


@pytest.fixture
def sam(django_user_model):
    user = django_user_model.objects.create_user("sam", "sam@example.com", PASSWORD)
    services.create_lobby(make_settings(title="Friday drinks"), "Sam", user.pk)
    return user


@pytest.mark.parametrize(
    ("name", "options"),
    [("phone", PHONE), ("desktop", {"viewport": {"width": 1280, "height": 900}})],
)
def test_make_copy_and_replace_the_address(new_page, sam, name, options):
    page = new_page(permissions=["clipboard-read", "clipboard-write"], **options)
    helpers.sign_in(page, "sam@example.com", PASSWORD)
    page.goto("/me/lobbies/")
    page.get_by_role("button", name="Create my calendar address").click()
    address = page.get_by_label("Or copy this address into Google Calendar")
    expect(address).to_have_value(first := address.input_value())
    assert "/feeds/" in first and first.endswith(".ics")
    subscribe = page.get_by_role("link", name="Subscribe in your calendar app")
    assert subscribe.get_attribute("href") == "webcal://" + first.split("://", 1)[1]
    assert page.evaluate("document.documentElement.scrollWidth") == options["viewport"]["width"]
    screenshot(page, f"calendar-feed-{name}")

    page.get_by_role("button", name="Copy address").click()
    expect(page.locator(".copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == first

    page.goto("/me/lobbies/")  # shown once: now only the way to replace it
    expect(page.get_by_label("Or copy this address into Google Calendar")).to_have_count(0)
    screenshot(page, f"calendar-feed-later-{name}")
    page.get_by_role("link", name="Get a new address").click()
    screenshot(page, f"calendar-feed-confirm-{name}")
    page.get_by_role("button", name="Get a new address").click()
    replaced = page.get_by_label("Or copy this address into Google Calendar").input_value()
    assert replaced != first
    # Built on SITE_URL; the live server answers on another port.
    assert page.request.get(urlsplit(first).path).status == 404
    assert page.request.get(urlsplit(replaced).path).status == 200
