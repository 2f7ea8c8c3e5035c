"""What a person does in the browser, step by step, shared by the journeys and the audit.

Steps use what people use: labels, roles and visible text; the grid cells are found by their
row and column, as a person sees them. A step that breaks here breaks for people too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from icalendar import Calendar
from playwright.sync_api import Locator, Page, expect

from tests.conftest import wait_until

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CODE = re.compile(r"/l/([0-9A-Z]{8})/")
LIVE = 20_000  # ms: a live update arrives within a poll interval or two on a busy machine
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    """A PNG of the page in test-artifacts/screenshots/ (CI keeps test-artifacts/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@dataclass
class CreatedLobby:
    code: str
    invite_url: str
    personal_link: str


# --- create, join, sign in -------------------------------------------------------------------


def create_lobby(page: Page, title: str, organizer_name: str = "Olivia") -> CreatedLobby:
    """Fill the create form (defaults: the next 7 days, 18:00-23:00) and land on the lobby."""
    page.goto("/lobbies/new/")
    page.get_by_label("What are you planning?").fill(title)
    page.get_by_label("Your name").fill(organizer_name)
    page.get_by_role("button", name="Create lobby").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.wait_for_load_state("load")  # its scripts have run: the grid listens
    return lobby_links(page)


def lobby_links(page: Page) -> CreatedLobby:
    return CreatedLobby(
        code=CODE.search(page.url)[1],
        invite_url=page.locator("#invite-link").input_value(),
        personal_link=page.locator("#personal-link").input_value(),
    )


def join_lobby(page: Page, name: str) -> str:
    """On a lobby's join page: join under a name; returns the personal link shown once."""
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join the lobby").click()
    expect(page.get_by_text("You are in this lobby as")).to_contain_text(name)
    # The lobby page's scripts run once it has loaded: a click before then (a loaded machine
    # can be that slow) would land on a grid that does not listen yet.
    page.wait_for_load_state("load")
    link = page.locator("#personal-link")
    return link.input_value() if link.count() else ""


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form").first.locator("button[type=submit]").first.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


# --- availability ----------------------------------------------------------------------------


def my_cell(page: Page, row: int, col: int) -> Locator:
    """My grid's cell at a time (row) on a day (column)."""
    return page.locator("#my-grid tbody tr").nth(row).locator("td").nth(col)


def drag_mark(page: Page, col: int, first_row: int, last_row: int) -> None:
    """Press and drag down one day's column with the mouse; the grid saves by itself."""
    start = my_cell(page, first_row, col)
    end = my_cell(page, last_row, col)
    start.scroll_into_view_if_needed()
    a, b = start.bounding_box(), end.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=6)
    page.mouse.up()
    expect(page.locator("#save-status")).to_have_text("Saved.", timeout=LIVE)


def centre(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def swipe(page: Page, start: Locator, end: Locator) -> None:
    """A finger from the middle of one element to the middle of another (real touch events,
    as a phone sends them)."""
    touch = page.context.new_cdp_session(page)
    (x0, y0), (x1, y1) = centre(start), centre(end)
    point = "Input.dispatchTouchEvent"
    touch.send(point, {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for step in range(1, 7):
        x, y = x0 + (x1 - x0) * step / 6, y0 + (y1 - y0) * step / 6
        touch.send(point, {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    touch.send(point, {"type": "touchEnd", "touchPoints": []})
    touch.detach()


def settle_scroll(page: Page) -> None:
    """Wait for momentum scrolling to stop, so coordinates taken now stay true."""
    positions = []

    def still() -> bool:
        positions.append(page.evaluate("window.scrollY"))
        return len(positions) > 2 and positions[-1] == positions[-2] == positions[-3]

    assert wait_until(still, interval=0.1)


def paint_with_finger(page: Page, col: int, first_row: int, last_row: int) -> None:
    """On a touch screen: turn on "Paint with finger" and swipe down one day's column."""
    toggle = page.get_by_role("button", name="Paint with finger")
    if toggle.get_attribute("aria-pressed") != "true":
        toggle.tap()
        expect(toggle).to_have_attribute("aria-pressed", "true")
    start = my_cell(page, first_row, col)
    start.scroll_into_view_if_needed()
    settle_scroll(page)
    swipe(page, start, my_cell(page, last_row, col))
    expect(page.locator("#save-status")).to_have_text("Saved.", timeout=LIVE)


def mark_day_without_js(page: Page, rows, day: int | None = None) -> None:
    """Without JavaScript: show one day in the day editor (by its name in the list), tick "Yes"
    for the times in those rows, and save that day."""
    editor = page.locator("#day-editor")
    if day is not None:
        name = page.locator("#my-grid thead th").nth(day).get_attribute("data-label")
        editor.get_by_label("Mark one day at a time").select_option(label=name)
        editor.get_by_role("button", name="Show this day").click()
        expect(editor.get_by_role("group")).to_contain_text(name)
    times = editor.locator("tbody th").all_inner_texts()
    for row in rows:
        editor.get_by_role("checkbox", name=f"{times[row]} Yes", exact=True).check()
    editor.get_by_role("button", name="Save this day").click()
    expect(page.locator("main")).to_contain_text("Your availability is saved.")
    for row in rows:
        expect(editor.get_by_role("checkbox", name=f"{times[row]} Yes", exact=True)).to_be_checked()


def console_errors(page: Page) -> list[str]:
    """A list that fills with what the page logs as errors from now on: console errors
    (Content-Security-Policy refusals among them) and uncaught exceptions."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def nudge(page: Page) -> None:
    """Ask live.js to poll now rather than at its next tick (the same request and swaps), so a
    journey does not sit through every poll interval."""
    page.evaluate("document.dispatchEvent(new CustomEvent('live:poll'))")


def answered(page: Page, count: int, total: int, wait_for_timer: bool = False) -> None:
    """The group view says how many have answered (live: no reload)."""
    if not wait_for_timer:
        nudge(page)
    expect(page.locator("#group-view")).to_contain_text(
        f"{count} of {total} {'has' if count == 1 else 'have'} answered", timeout=LIVE
    )


# --- places and votes ------------------------------------------------------------------------


def propose(page: Page, name: str, address: str = "") -> None:
    form = page.locator("form.propose-form")
    form.get_by_label("Place").fill(name)
    if address:
        form.get_by_label("Address (optional)").fill(address)
    form.get_by_role("button", name="Propose").click()
    expect(page.locator("#places-list")).to_contain_text(name)


def place_card(page: Page, name: str) -> Locator:
    return page.locator(".place-card").filter(has=page.get_by_role("heading", name=name))


def vote_button(page: Page, place: str, answer: str) -> Locator:
    return place_card(page, place).get_by_role("button", name=answer, exact=True)


def vote(page: Page, place: str, answer: str, tap: bool = False) -> None:
    button = vote_button(page, place, answer)
    button.tap() if tap else button.click()
    expect(vote_button(page, place, answer)).to_have_attribute("aria-pressed", "true")


# --- the decision ----------------------------------------------------------------------------


def download_ics(page: Page, tmp_path: Path, name: str):
    """Download the event from the banner and parse it as a calendar would."""
    banner = page.locator(".decision-banner")
    with page.expect_download() as download:
        banner.get_by_role("link", name="Add to my calendar (.ics)").click()
    path = tmp_path / f"{name}.ics"
    download.value.save_as(path)
    (event,) = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    return event
