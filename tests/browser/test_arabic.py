"""Right to left: the lobby in an Arabic browser (`locale="ar-EG"`) on a 375 px phone and on a
1280 px desktop. The layout is mirrored (the grid's first day at the right, labels at the
right), the grid marks by touch, mouse and keyboard, the arrow keys move as a right-to-left
reader expects (ArrowLeft on to the next day, which sits to the left), nothing overflows the
screen, and axe finds nothing serious.

The lobby (tests/factories.py) is Europe/Berlin, 3 days of 18:00-23:00 in 30-minute slots:
slot = day * 10 + half-hours after 18:00; browsers run in that zone, so the grid on screen is
the lobby's grid."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lobbies import services as lobby_services
from tests.browser.conftest import PHONE
from tests.browser.helpers import screenshot, settle_scroll, swipe
from tests.browser.page_checks import box, layout_problems, right, watch_errors
from tests.browser.test_accessibility import BLOCKING, answered_lobby, audit, readable
from tests.browser.test_grid_paint import ZONE, cell, drag, wait_for_marks
from tests.voting_support import reload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["answered_lobby"]  # the fixture, shared with the accessibility audit

ARABIC = {
    "locale": "ar-EG",
    "timezone_id": ZONE,
    "extra_http_headers": {"Accept-Language": "ar-EG,ar;q=0.9"},
}
DESKTOP_WIDTH = 1280


def newcomer(code: str, name: str) -> str:
    return lobby_services.join_lobby(reload(code), name, None).participant.participant_id


def open_lobby(new_context, seat, code: str, participant_id: str, **options) -> Page:
    context = new_context(**ARABIC, **options)
    seat(context, code, participant_id)
    page = context.new_page()
    page._errors = watch_errors(page)
    page.goto(f"/l/{code}/")
    expect(page.locator("#my-grid[role=grid]")).to_be_visible()
    return page


def assert_mirrored(page: Page) -> None:
    """The page reads right to left, and the grid's days run from the right edge leftwards,
    the times column at the right."""
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    heads = page.locator("#my-grid thead th")
    times, first_day, second_day = heads.nth(0), heads.nth(1), heads.nth(2)
    assert box(times)["x"] > box(first_day)["x"] > box(second_day)["x"]
    assert right(page.locator("#my-grid tbody th").first) == pytest.approx(
        right(page.locator("#my-grid")), abs=1
    )
    assert box(cell(page, 0))["x"] > box(cell(page, 10))["x"]


def text_box(locator) -> dict:
    """Where an element's text itself lies (a label's box may be as wide as its field)."""
    return locator.evaluate(
        """el => {
      const range = document.createRange();
      range.selectNodeContents(el);
      const found = range.getBoundingClientRect();
      return { x: found.x, right: found.right };
    }"""
    )


def focused_slot(page: Page) -> str:
    return page.evaluate("document.activeElement.closest('td')?.dataset.s ?? ''")


def test_arabic_on_a_desktop(new_context, seat, answered_lobby):
    code, organizer, *_rest = answered_lobby
    sara = newcomer(code, "سارة")
    page = open_lobby(new_context, seat, code, sara)
    assert_mirrored(page)
    # Your grid comes first, so it is the panel at the right; the name of the site too.
    assert box(page.locator("#availability"))["x"] > box(page.locator("#group-view"))["x"]
    assert box(page.locator(".brand"))["x"] > box(page.locator(".site-header nav"))["x"]

    # The keyboard: ArrowLeft goes on to the next day (to the left), ArrowRight back.
    cell(page, 0).focus()
    page.keyboard.press("ArrowLeft")
    assert focused_slot(page) == "10"
    page.keyboard.press("ArrowRight")
    assert focused_slot(page) == "0"

    # The heatmap's arrows run the same way (checked before any save of this page, so no
    # live update swaps the heatmap between the key and the check).
    heat = page.locator("#heatmap tbody td")
    heat.first.focus()
    before = box(page.locator("#heatmap td:focus"))["x"]
    page.keyboard.press("ArrowLeft")
    assert box(page.locator("#heatmap td:focus"))["x"] < before

    cell(page, 0).focus()
    page.keyboard.press("ArrowDown")  # 18:30
    page.keyboard.press("Space")
    wait_for_marks(code, sara, ({1}, set()))
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowLeft")  # 18:30-19:00 on the first two days
    expect(page.locator("#my-grid td[aria-selected=true]")).to_have_count(4)
    page.keyboard.press("Enter")
    wait_for_marks(code, sara, ({1, 2, 11, 12}, set()))

    # The mouse: a drag down the third day (the leftmost column).
    drag(page, cell(page, 20), cell(page, 22))
    wait_for_marks(code, sara, ({1, 2, 11, 12, 20, 21, 22}, set()))

    problems = layout_problems(page, "lobby (desktop)", DESKTOP_WIDTH)
    screenshot(page, "arabic-desktop-lobby")

    # A form's labels start at the right, above their fields.
    page.goto("/lobbies/new/")
    field = page.locator(".field").first
    label, control = field.locator("label").first, field.locator("input, textarea").first
    words = text_box(label)
    assert words["right"] == pytest.approx(right(control), abs=1)
    assert words["x"] > box(control)["x"]
    problems += layout_problems(page, "create (desktop)", DESKTOP_WIDTH)
    assert not problems, "\n".join(problems)
    assert not page._errors, page._errors


def test_arabic_on_a_phone(new_context, seat, answered_lobby):
    code, *_rest = answered_lobby
    layla = newcomer(code, "ليلى")
    page = open_lobby(new_context, seat, code, layla, **PHONE)
    assert_mirrored(page)

    # A tap marks one cell.
    cell(page, 4).tap()
    wait_for_marks(code, layla, ({4}, set()))
    # In paint mode a finger paints a rectangle, here leftwards onto the second day.
    toggle = page.locator("[data-paint-toggle]")
    toggle.tap()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    cell(page, 1).scroll_into_view_if_needed()
    settle_scroll(page)
    swipe(page, cell(page, 1), cell(page, 12))
    wait_for_marks(code, layla, ({1, 2, 4, 11, 12}, set()))

    width = PHONE["viewport"]["width"]
    problems = layout_problems(page, "lobby (phone)", width)
    screenshot(page, "arabic-phone-lobby")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "arabic-phone-lobby-top", full_page=False)
    for name, path in [("home", "/"), ("create", "/lobbies/new/"), ("sign-in", "/accounts/login/")]:
        page.goto(path)
        problems += layout_problems(page, f"{name} (phone)", width)
    screenshot(page, "arabic-phone-sign-in")
    assert not problems, "\n".join(problems)
    assert not page._errors, page._errors


def test_arabic_pages_have_no_serious_violations(new_context, seat, answered_lobby):
    code, organizer, *_rest = answered_lobby
    found: list[dict] = []
    for label, options in [("desktop", {}), ("phone", PHONE)]:
        context = new_context(bypass_csp=True, **ARABIC, **options)
        seat(context, code, organizer.participant_id)
        page = context.new_page()
        for name, path in [("home", "/"), ("create", "/lobbies/new/"), ("lobby", f"/l/{code}/")]:
            page.goto(path)
            found += audit(page, f"{name} (ar, {label})")
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert not blocking, "axe found serious or critical violations:" + readable(blocking)
