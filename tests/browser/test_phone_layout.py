"""Every main page fits a 375-pixel phone: nothing makes the page itself scroll sideways
(wide grids scroll inside their own box)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

PHONE_WIDTH = PHONE["viewport"]["width"]


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_main_pages_fit_a_phone(new_page, live_server):
    page = new_page(**PHONE)
    for path in ["/", "/lobbies/new/", "/accounts/login/", "/accounts/signup/"]:
        page.goto(live_server.url + path)
        assert page_width(page) == PHONE_WIDTH, path
    page.goto(live_server.url + "/lobbies/new/")
    page.fill("#id_title", "Phone check")
    page.get_by_role("button", name="Create lobby").click()
    page.wait_for_url("**/l/*/")
    assert page_width(page) == PHONE_WIDTH


def test_a_long_name_without_spaces_wraps_on_a_phone(new_page, live_server):
    page = new_page(**PHONE)
    page.goto(live_server.url + "/lobbies/new/")
    page.fill("#id_title", "Long names")
    page.fill("#id_display_name", "W" * 60)
    page.get_by_role("button", name="Create lobby").click()
    page.wait_for_url("**/l/*/")
    assert page_width(page) == PHONE_WIDTH
    # The organizer's badge keeps its word on one line beside the name, not a letter a line.
    badge = page.locator(".person .badge").first.bounding_box()
    assert badge["width"] > badge["height"]
