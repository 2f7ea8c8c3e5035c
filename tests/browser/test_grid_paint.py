"""Painting availability in Debian's chromium: mouse, touch (phone), keyboard alone, and a second
person seeing it in the heatmap without reloading.

The lobby (tests/factories.py) is Europe/Berlin, 3 days of 18:00-23:00 in 30-minute slots:
slot = day * 10 + half-hours after 18:00. Browsers run in the lobby's zone, so the grid on
screen is the lobby's grid.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from lobbies import services
from lobbies.availability.answers import marks_of, spec_for
from lobbies.store import load_lobby
from tests.browser.conftest import PHONE
from tests.browser.helpers import centre, settle_scroll, swipe
from tests.conftest import wait_until
from tests.factories import make_settings
from tests.voting_support import mark

pytestmark = pytest.mark.browser

ZONE = "Europe/Berlin"


@pytest.fixture
def lobby_code():
    membership = services.create_lobby(make_settings(), "Olivia", None)
    return membership.participant.code, membership.participant.participant_id


def open_lobby(new_page, seat, code: str, participant_id: str, **options) -> Page:
    options.setdefault("timezone_id", ZONE)
    page = new_page(**options)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page._errors = errors
    seat(page.context, code, participant_id)
    page.goto(reverse("lobbies:detail", args=[code]))
    expect(page.locator("#my-grid[role=grid]")).to_be_visible()
    return page


def cell(page: Page, slot: int):
    return page.locator(f'#my-grid td[data-s="{slot}"]')


def day_heading(page: Page, day: int):
    """The button marking a whole day (by position: the lobby's weekdays move with today)."""
    return page.locator("#my-grid thead th").nth(day).get_by_role("button")


def heat_cell(page: Page, day: int, row: int):
    """A heatmap cell, by its column (day) and row (time), as a person finds it."""
    return page.locator("#heatmap tbody tr").nth(row).locator("td").nth(day)


def stored_marks(code: str, participant_id: str):
    snapshot = load_lobby(code)
    return marks_of(snapshot.participants[participant_id], spec_for(snapshot.lobby))


def wait_for_marks(code: str, participant_id: str, expected) -> None:
    assert wait_until(lambda: stored_marks(code, participant_id) == expected), stored_marks(
        code, participant_id
    )


def drag(page: Page, start, end) -> None:
    start.scroll_into_view_if_needed()
    page.mouse.move(*centre(start))
    page.mouse.down()
    page.mouse.move(*centre(end), steps=6)
    page.mouse.up()


def test_paint_with_the_mouse(new_page, seat, lobby_code):
    code, me = lobby_code
    page = open_lobby(new_page, seat, code, me)
    drag(page, cell(page, 0), cell(page, 12))  # 18:00-19:00 on the first two days
    expect(page.locator("#save-status")).to_have_text("Saved.")
    wait_for_marks(code, me, ({0, 1, 2, 10, 11, 12}, set()))
    expect(cell(page, 11)).to_have_attribute("aria-label", re.compile(r", 18:30, yes$"))

    page.get_by_role("radio", name="If need be").check()
    drag(page, cell(page, 22), cell(page, 25))
    wait_for_marks(code, me, ({0, 1, 2, 10, 11, 12}, {22, 23, 24, 25}))

    # Dragging from a cell that already has the mark takes it off again.
    page.get_by_role("radio", name="Yes").check()
    drag(page, cell(page, 10), cell(page, 12))
    wait_for_marks(code, me, ({0, 1, 2}, {22, 23, 24, 25}))

    # A day heading is a quick action for the whole day; "Clear all" clears everything.
    day_heading(page, 2).click()
    wait_for_marks(code, me, ({0, 1, 2, *range(20, 30)}, set()))
    page.get_by_role("button", name="Clear all").click()
    wait_for_marks(code, me, (set(), set()))
    assert page._errors == []


def test_paint_with_a_finger_in_paint_mode(new_page, seat, lobby_code):
    code, me = lobby_code
    page = open_lobby(new_page, seat, code, me, **PHONE)
    # Outside paint mode a swipe up the grid scrolls the page and marks nothing...
    cell(page, 9).scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    swipe(page, cell(page, 9), cell(page, 0))
    assert wait_until(lambda: page.evaluate("window.scrollY") > before)
    expect(page.locator('#my-grid td[data-st="y"]')).to_have_count(0)
    # ...and a tap marks one cell (once the swipe's scrolling has come to rest).
    settle_scroll(page)
    cell(page, 4).tap()
    wait_for_marks(code, me, ({4}, set()))

    # In paint mode the same swipe paints a rectangle.
    page.get_by_role("button", name="Paint with finger").click()
    expect(page.get_by_role("button", name="Paint with finger")).to_have_attribute(
        "aria-pressed", "true"
    )
    cell(page, 1).scroll_into_view_if_needed()
    settle_scroll(page)
    swipe(page, cell(page, 1), cell(page, 12))
    expect(page.locator("#save-status")).to_have_text("Saved.")
    wait_for_marks(code, me, ({1, 2, 4, 11, 12}, set()))
    assert page._errors == []


def test_mark_with_the_keyboard_alone(new_page, seat, lobby_code):
    code, me = lobby_code
    page = open_lobby(new_page, seat, code, me)
    page.locator("body").focus()
    # Tab through the page until the grid has focus: it is a single tab stop.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#my-grid') !== null"):
            break
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("data-s", "0")
    expect(focused).to_have_attribute("aria-label", re.compile(r"^\w+day \d+ \w+, 18:00, no$"))

    page.keyboard.press("ArrowDown")  # 18:30
    page.keyboard.press("Space")
    expect(cell(page, 1)).to_have_attribute("aria-label", re.compile(r", 18:30, yes$"))
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowRight")  # select 18:30-19:00 on the first two days
    expect(page.locator("#my-grid td[aria-selected=true]")).to_have_count(4)
    page.keyboard.press("Enter")
    wait_for_marks(code, me, ({1, 2, 11, 12}, set()))

    # Back to the marks (Shift+Tab), pick "if need be" with the arrows, then into the grid.
    for _ in range(5):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.name === 'mark'"):
            break
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="If need be")).to_be_checked()
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#my-grid') !== null"):
            break
    expect(page.locator(":focus")).to_have_attribute("data-s", "12")  # focus was kept
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press(" ")
    wait_for_marks(code, me, ({1, 2, 11, 12}, {14}))

    # Up into the day headings: Enter marks the whole day "if need be".
    for _ in range(6):
        page.keyboard.press("ArrowUp")
    expect(day_heading(page, 1)).to_be_focused()
    page.keyboard.press("Enter")
    wait_for_marks(code, me, ({1, 2}, set(range(10, 20))))
    assert page._errors == []


def test_second_person_sees_it_in_the_heatmap_live(new_page, seat, lobby_code):
    code, olivia = lobby_code
    bob = services.join_lobby(load_lobby(code), "Bob", None).participant
    bob_page = open_lobby(new_page, seat, code, bob.participant_id)
    heat = heat_cell(bob_page, day=1, row=1)  # 18:30 on the second day
    expect(heat).to_have_class(re.compile(r"\bh0\b"))

    olivia_page = open_lobby(new_page, seat, code, olivia)
    drag(olivia_page, cell(olivia_page, 10), cell(olivia_page, 13))
    expect(olivia_page.locator("#save-status")).to_have_text("Saved.")

    # Within a poll or two Bob's heatmap shows it, without a reload.
    expect(heat).to_have_class(re.compile(r"\bh5\b"), timeout=9000)
    expect(heat).to_have_attribute("aria-label", re.compile(r", 18:30: 1 can come, 0 if need be$"))
    assert bob_page.evaluate("performance.getEntriesByType('navigation').length") == 1
    heat.hover()
    details = bob_page.locator("#slot-details")
    expect(details).to_contain_text("Can come (1)")
    expect(details).to_contain_text("Olivia")
    expect(bob_page.locator("#group-view")).to_contain_text(
        re.compile(r"1 has not answered yet:\s*Bob")
    )
    expect(bob_page.locator(".best-when").first).to_contain_text("18:00–20:00")
    assert bob_page._errors == [] and olivia_page._errors == []


def test_heatmap_cells_are_named_and_fetch_who_can_come(new_page, seat, lobby_code):
    """Each heatmap cell has a name ("<day>, <time>: N can come, M if need be"); the names of
    who can come are not in the page, they are asked for when a cell is pointed at or focused."""
    code, olivia = lobby_code
    ann = services.join_lobby(load_lobby(code), "Ann", None).participant
    mark(code, olivia, yes={0, 1})
    mark(code, ann.participant_id, yes={0}, maybe={1})
    page = open_lobby(new_page, seat, code, olivia)
    heatmap = page.locator("#heatmap")
    day = page.locator("#heatmap thead th").first.get_attribute("data-label")
    details = page.locator("#slot-details")
    expect(details).to_contain_text("Point at, focus or tap a slot to see who can come.")
    expect(details).not_to_contain_text("Ann")

    # Screen readers hear each cell in words; every cell with a time has a name.
    expect(
        heatmap.get_by_role("gridcell", name=f"{day}, 18:00: 2 can come, 0 if need be")
    ).to_have_text("2")
    expect(
        heatmap.get_by_role("gridcell", name=f"{day}, 18:30: 1 can come, 1 if need be")
    ).to_have_text("1+1")
    expect(
        heatmap.get_by_role("gridcell", name=re.compile(r", 19:00: 0 can come, 0 if need be$"))
    ).to_have_count(3)
    expect(heatmap.locator("tbody td:not([aria-label])")).to_have_count(0)

    # Pointing at a cell asks the server who can come there.
    with page.expect_response(lambda r: "/who/" in r.url and r.ok):
        heat_cell(page, day=0, row=1).hover()
    expect(details).to_contain_text("Can come (1)")
    expect(details).to_contain_text("If need be (1)")
    expect(details.locator("dd").nth(0)).to_have_text("Olivia")
    expect(details.locator("dd").nth(1)).to_have_text("Ann")

    # With the keyboard: the heatmap is one tab stop; focus on a cell shows the same.
    page.mouse.move(0, 0)
    page.locator("#group-view h2").first.focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#heatmap') !== null"):
            break
    expect(page.locator(":focus")).to_have_attribute(
        "aria-label", f"{day}, 18:00: 2 can come, 0 if need be"
    )
    with page.expect_response(lambda r: "/who/" in r.url and r.ok):
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")  # 19:00: nobody
    expect(page.locator(":focus")).to_have_attribute(
        "aria-label", re.compile(r", 19:00: 0 can come")
    )
    expect(details).to_contain_text("Can come (0)")
    expect(details).to_contain_text("Cannot (2)")
    expect(details.locator("dd").nth(2)).to_have_text("Olivia, Ann")
    assert page._errors == []


def test_without_javascript_a_refused_day_lands_on_its_error_and_the_grid_shows_what_is_stored(
    new_page, seat, lobby_code
):
    code, me = lobby_code
    page = new_page(timezone_id=ZONE, java_script_enabled=False, **PHONE)
    seat(page.context, code, me)
    page.goto(reverse("lobbies:detail", args=[code]))
    editor = page.locator("#day-editor")
    editor.get_by_role("checkbox", name="18:00 Yes", exact=True).check()
    editor.get_by_role("checkbox", name="18:00 If need be", exact=True).check()
    editor.get_by_role("button", name="Save this day").click()
    # The browser lands on the day editor, its error on screen at once.
    expect(page).to_have_url(re.compile(r"#day-editor$"))
    error = editor.get_by_role("alert")
    expect(error).to_contain_text("marked both")
    expect(error).to_be_in_viewport()
    # The day editor keeps what was typed; the grid shows what is stored: nothing.
    expect(editor.get_by_role("checkbox", name="18:00 Yes", exact=True)).to_be_checked()
    expect(editor.get_by_role("checkbox", name="18:00 If need be", exact=True)).to_be_checked()
    first_cell = page.locator('#my-grid td[data-s="0"]')
    expect(first_cell).not_to_have_attribute("data-st", re.compile("."))
    assert stored_marks(code, me) is None  # nothing was saved


def test_without_javascript_the_grid_is_edited_one_day_at_a_time(new_page, seat, lobby_code):
    code, me = lobby_code
    page = new_page(timezone_id=ZONE, java_script_enabled=False)
    seat(page.context, code, me)
    page.goto(reverse("lobbies:detail", args=[code]))
    days = page.locator("#my-grid thead th")
    editor = page.locator("#day-editor")
    expect(editor.get_by_role("group")).to_contain_text(days.first.get_attribute("data-label"))
    editor.get_by_role("checkbox", name="18:00 Yes", exact=True).check()
    editor.get_by_role("checkbox", name="18:30 If need be", exact=True).check()
    editor.get_by_role("button", name="Save this day").click()
    expect(page.get_by_text("Your availability is saved.")).to_be_visible()
    expect(editor.get_by_role("checkbox", name="18:00 Yes", exact=True)).to_be_checked()
    assert stored_marks(code, me) == ({0}, {1})

    # Another day: pick it, show it, mark it; the first day keeps its marks.
    third_day = days.nth(2).get_attribute("data-label")
    editor.get_by_label("Mark one day at a time").select_option(label=third_day)
    editor.get_by_role("button", name="Show this day").click()
    expect(editor.get_by_role("group")).to_contain_text(third_day)
    expect(editor.get_by_role("checkbox", name="18:00 Yes", exact=True)).not_to_be_checked()
    editor.get_by_role("checkbox", name="19:00 Yes", exact=True).check()
    editor.get_by_role("button", name="Save this day").click()
    expect(page.get_by_text("Your availability is saved.")).to_be_visible()
    assert stored_marks(code, me) == ({0, 22}, {1})
    expect(editor.get_by_role("group")).to_contain_text(third_day)  # still on that day
    expect(editor.get_by_role("checkbox", name="19:00 Yes", exact=True)).to_be_checked()

    # A quick action in the grid: the chosen mark on a whole day, over what is saved.
    page.get_by_role("radio", name="If need be").check()
    day_heading(page, 1).click()
    assert stored_marks(code, me) == ({0, 22}, {1, *range(10, 20)})

    # Both marks on one slot: refused with a message, that day's boxes as they were sent.
    editor.get_by_label("Mark one day at a time").select_option(label=third_day)
    editor.get_by_role("button", name="Show this day").click()
    editor.get_by_role("checkbox", name="19:00 If need be", exact=True).check()
    editor.get_by_role("button", name="Save this day").click()
    expect(editor.get_by_role("alert")).to_contain_text("marked both")
    expect(editor.get_by_role("group")).to_contain_text(third_day)
    expect(editor.get_by_role("checkbox", name="19:00 Yes", exact=True)).to_be_checked()
    expect(editor.get_by_role("checkbox", name="19:00 If need be", exact=True)).to_be_checked()
    assert stored_marks(code, me) == ({0, 22}, {1, *range(10, 20)})

    # Who can come at one slot: a plain form shows it.
    who = page.locator("form").filter(has=page.get_by_label("Who can come on"))
    who.get_by_label("Who can come on").select_option(label=third_day)
    who.get_by_label("at").select_option(label="19:00")
    who.get_by_role("button", name="Show").click()
    expect(page.locator("#slot-details")).to_contain_text("Can come (1)")
    expect(page.locator("#slot-details")).to_contain_text("Olivia")


def test_times_in_another_time_zone(new_page, seat, lobby_code):
    """The zone picker is a page of its own: the grid then shows, and saves, the chosen zone's
    times."""
    code, me = lobby_code
    page = open_lobby(new_page, seat, code, me)
    zone_line = page.locator("#tz-line")
    expect(zone_line).to_contain_text("Times shown in Europe/Berlin")
    zone_line.get_by_role("link", name="Change time zone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Show times in another time zone")
    page.get_by_label("Time zone", exact=True).select_option(value="Europe/London")
    page.get_by_role("button", name="Show times in this zone").click()

    expect(page.locator("#tz-line")).to_contain_text("Times shown in Europe/London")
    expect(page.get_by_text("The organizer planned this in Europe/Berlin")).to_be_visible()
    expect(page.locator("#my-grid tbody th").first).to_have_text("17:00")
    drag(page, cell(page, 0), cell(page, 1))  # 17:00-17:30 in London is 18:00-18:30 in Berlin
    expect(page.locator("#save-status")).to_have_text("Saved.")
    wait_for_marks(code, me, ({0, 1}, set()))
    expect(cell(page, 1)).to_have_attribute("aria-label", re.compile(r", 17:30, yes$"))
    assert page._errors == []
