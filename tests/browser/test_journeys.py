"""Whole journeys in Debian's chromium: people create, join, answer, vote and settle.

Each person is a browser context of their own against the live server, so what is checked is
what people see: pages, live updates between windows, downloads. Four ways through:
three people on desktops (one signed in), the same on phones with touch, keyboard only (no
mouse event at all), and JavaScript switched off. Screenshots of the main pages go to
test-artifacts/screenshots/ (CI keeps test-artifacts/); a few are copied by hand to
docs/screenshots/ for the README.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import helpers
from tests.browser.helpers import LIVE, PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long enough passphrase 7"


def test_three_people_decide_together(new_context, django_user_model, tmp_path):
    """Organizer, guest and signed-in friend: join, answer, vote, see it live, settle."""
    django_user_model.objects.create_user(
        username="sam", email="sam@example.com", password=PASSWORD
    )
    olivia = new_context(accept_downloads=True).new_page()
    olivia.goto("/")
    screenshot(olivia, "home-desktop")
    lobby = helpers.create_lobby(olivia, "Summer dinner", organizer_name="Olivia")
    assert lobby.code in lobby.invite_url

    gus = new_context(accept_downloads=True, timezone_id="Europe/Berlin").new_page()
    gus.goto(lobby.invite_url)
    expect(gus.get_by_role("heading", level=1)).to_have_text("Summer dinner")
    screenshot(gus, "join-desktop")
    gus_link = helpers.join_lobby(gus, "Gus")
    assert re.search(rf"/l/{lobby.code}/me/", gus_link)

    sam = new_context(accept_downloads=True).new_page()
    helpers.sign_in(sam, "sam@example.com", PASSWORD)
    sam.goto(lobby.invite_url)
    helpers.join_lobby(sam, "Sam")

    # Everyone marks the same evening; the others' group views count it without a reload.
    helpers.drag_mark(olivia, col=1, first_row=2, last_row=5)
    helpers.drag_mark(gus, col=1, first_row=2, last_row=5)
    helpers.answered(olivia, 2, 3, wait_for_timer=True)  # the poll's own clock, once
    helpers.drag_mark(sam, col=1, first_row=1, last_row=6)
    helpers.answered(olivia, 3, 3)
    helpers.answered(gus, 3, 3)
    expect(olivia.locator(".best-times")).to_contain_text("3 can come", timeout=LIVE)

    # Places: proposed in one window, they appear in the others by themselves.
    helpers.propose(olivia, "Café Rouge", "1 Main Street")
    helpers.propose(gus, "Sushi Go")
    helpers.nudge(sam)
    expect(sam.locator("#places-list")).to_contain_text("Café Rouge", timeout=LIVE)
    expect(sam.locator("#places-list")).to_contain_text("Sushi Go", timeout=LIVE)
    for page in (olivia, gus, sam):
        helpers.vote(page, "Sushi Go", "Yes")
    helpers.vote(sam, "Café Rouge", "No")
    helpers.vote(gus, "Café Rouge", "If need be")
    # The ranking reaches Olivia live: Sushi Go first, with three yes.
    helpers.nudge(olivia)
    expect(helpers.place_card(olivia, "Sushi Go")).to_contain_text("3 yes", timeout=LIVE)
    expect(olivia.locator(".place-card").first).to_contain_text("Sushi Go", timeout=LIVE)
    screenshot(olivia, "lobby-desktop")
    olivia.evaluate("window.scrollTo(0, 0)")
    screenshot(olivia, "lobby-desktop-top", full_page=False)

    # The organizer settles on the recommendation; everyone sees the banner live.
    olivia.reload()
    recommendation = olivia.locator(".recommendation")
    expect(recommendation).to_contain_text("Sushi Go")
    recommendation.get_by_role("button", name="Settle on this").click()
    expect(olivia.locator(".decision-banner")).to_contain_text("It's settled!")
    for page in (gus, sam):
        helpers.nudge(page)
        expect(page.locator(".decision-banner")).to_contain_text("It's settled!", timeout=LIVE)
        expect(page.locator(".decision-banner")).to_contain_text("Sushi Go")
    expect(gus.locator(".decision-banner")).to_contain_text("Europe/Berlin")
    screenshot(gus, "settled-desktop")
    gus.evaluate("window.scrollTo(0, 0)")
    screenshot(gus, "settled-desktop-top", full_page=False)
    for name, page in (("olivia", olivia), ("gus", gus), ("sam", sam)):
        event = helpers.download_ics(page, tmp_path, name)
        assert str(event["SUMMARY"]) == "Summer dinner"
        assert "Sushi Go" in str(event["LOCATION"])

    # Signed in, Sam finds the lobby under "My lobbies" on any device.
    sam.get_by_role("link", name="My lobbies").click()
    expect(sam.locator("main")).to_contain_text("Summer dinner")

    # Gus's personal link brings him back on a new device, as himself.
    other_device = new_context().new_page()
    other_device.goto(gus_link)
    other_device.get_by_role("button", name="Continue as Gus").click()  # it asks first
    expect(other_device.get_by_text("You are in this lobby as")).to_contain_text("Gus")


def test_on_phones_with_touch(new_context, tmp_path):
    """The same story on phone-sized screens, with taps instead of a mouse."""
    olivia = new_context(**PHONE, accept_downloads=True).new_page()
    lobby = helpers.create_lobby(olivia, "Beach day", organizer_name="Olivia")
    gus = new_context(**PHONE, accept_downloads=True).new_page()
    gus.goto(lobby.invite_url)
    screenshot(gus, "join-phone")
    helpers.join_lobby(gus, "Gus")

    # Olivia taps the slots one by one; Gus paints them in one swipe of his finger.
    tap_mark(olivia, col=2, rows=range(1, 5))
    helpers.paint_with_finger(gus, col=2, first_row=1, last_row=4)
    expect(gus.locator('#my-grid td[data-st="y"]')).to_have_count(4)
    helpers.answered(olivia, 2, 2)
    helpers.my_cell(olivia, 0, 2).scroll_into_view_if_needed()
    screenshot(olivia, "lobby-phone", full_page=False)
    olivia.locator("#group-view").scroll_into_view_if_needed()
    screenshot(olivia, "heatmap-phone", full_page=False)

    helpers.propose(olivia, "Pier café")
    helpers.nudge(gus)
    expect(gus.locator("#places-list")).to_contain_text("Pier café", timeout=LIVE)
    helpers.vote(gus, "Pier café", "Yes", tap=True)
    helpers.vote(olivia, "Pier café", "Yes", tap=True)
    helpers.nudge(olivia)
    expect(helpers.place_card(olivia, "Pier café")).to_contain_text("2 yes", timeout=LIVE)

    olivia.reload()
    olivia.locator(".recommendation").get_by_role("button", name="Settle on this").tap()
    expect(olivia.locator(".decision-banner")).to_contain_text("It's settled!")
    helpers.nudge(gus)
    expect(gus.locator(".decision-banner")).to_contain_text("Pier café", timeout=LIVE)
    gus.evaluate("window.scrollTo(0, 0)")
    screenshot(gus, "settled-phone", full_page=False)
    event = helpers.download_ics(gus, tmp_path, "gus-phone")
    assert str(event["SUMMARY"]) == "Beach day"


def tap_mark(page: Page, col: int, rows) -> None:
    """On a touch screen a tap marks one slot with the chosen mark."""
    for row in rows:
        cell = helpers.my_cell(page, row, col)
        cell.scroll_into_view_if_needed()
        cell.tap()
    expect(page.locator("#save-status")).to_have_text("Saved.", timeout=LIVE)


# --- keyboard only ---------------------------------------------------------------------------

# Counts every mouse-made event; keyboard activation of a button clicks with detail 0.
NO_MOUSE = """
window.__mouse = 0;
for (const type of ["mousedown", "mouseup", "pointerdown", "touchstart"]) {
  addEventListener(type, () => { window.__mouse++; }, true);
}
addEventListener("click", (e) => { if (e.detail > 0) window.__mouse++; }, true);
"""


def tab_to(page: Page, target, limit: int = 400, backwards: bool = False) -> None:
    """Press Tab until the target has the focus: it must be reachable in the tab order."""
    handle = target.element_handle()
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{target} is not reachable with Tab")


def test_keyboard_only(new_context, django_user_model):
    """Create, join, mark availability and vote without a single mouse event."""
    context = new_context()
    context.add_init_script(NO_MOUSE)
    olivia = context.new_page()
    olivia.goto("/")
    tab_to(olivia, olivia.get_by_role("link", name="Create a lobby"))
    olivia.keyboard.press("Enter")
    tab_to(olivia, olivia.get_by_label("What are you planning?"))
    olivia.keyboard.type("Quiz night")
    tab_to(olivia, olivia.get_by_label("Your name"))
    olivia.keyboard.type("Olivia")
    olivia.keyboard.press("Enter")
    expect(olivia.get_by_role("heading", level=1)).to_have_text("Quiz night")
    lobby = helpers.lobby_links(olivia)

    guest_context = new_context()
    guest_context.add_init_script(NO_MOUSE)
    gus = guest_context.new_page()
    gus.goto(lobby.invite_url)
    tab_to(gus, gus.get_by_label("Your name"))
    gus.keyboard.type("Gus")
    gus.keyboard.press("Enter")
    expect(gus.get_by_text("You are in this lobby as")).to_contain_text("Gus")

    for page in (olivia, gus):
        # Into the grid, down to 19:00 on the second day, select two hours, mark them.
        tab_to(page, page.locator("#my-grid td.c[tabindex='0'], #my-grid [tabindex='0']").first)
        page.keyboard.press("ArrowRight")
        for _ in range(2):
            page.keyboard.press("ArrowDown")
        for _ in range(3):
            page.keyboard.press("Shift+ArrowDown")
        page.keyboard.press("Space")
        expect(page.locator("#save-status")).to_have_text("Saved.", timeout=LIVE)
    helpers.answered(olivia, 2, 2)

    tab_to(olivia, olivia.locator("form.propose-form").get_by_label("Place"))
    olivia.keyboard.type("Pub")
    olivia.keyboard.press("Enter")
    expect(olivia.locator("#places-list")).to_contain_text("Pub")
    helpers.nudge(gus)
    expect(gus.locator("#places-list")).to_contain_text("Pub", timeout=LIVE)
    yes = helpers.vote_button(gus, "Pub", "Yes")
    tab_to(gus, yes)
    gus.keyboard.press("Enter")
    expect(helpers.vote_button(gus, "Pub", "Yes")).to_have_attribute("aria-pressed", "true")
    expect(helpers.vote_button(gus, "Pub", "Yes")).to_be_focused()

    for page in (olivia, gus):
        assert page.evaluate("window.__mouse") == 0, "a mouse event was fired"


# --- JavaScript off --------------------------------------------------------------------------


def test_without_javascript(new_context, tmp_path):
    """Every step works as plain forms and links: create, join, mark, propose, vote, settle."""
    olivia = new_context(java_script_enabled=False, accept_downloads=True).new_page()
    lobby = helpers.create_lobby(olivia, "Film club", organizer_name="Olivia")
    gus = new_context(java_script_enabled=False, accept_downloads=True).new_page()
    gus.goto(lobby.invite_url)
    helpers.join_lobby(gus, "Gus")

    # The grid is marked one day at a time: the first day is shown, then the third.
    for page in (olivia, gus):
        helpers.mark_day_without_js(page, rows=range(2, 6))
        helpers.mark_day_without_js(page, rows=range(0, 2), day=2)
    expect(gus.locator("#group-view")).to_contain_text("2 of 2 have answered")
    screenshot(gus, "lobby-nojs")

    helpers.propose(olivia, "Cinema")
    gus.reload()
    gus_yes = helpers.vote_button(gus, "Cinema", "Yes")
    gus_yes.click()
    expect(helpers.vote_button(gus, "Cinema", "Yes")).to_have_attribute("aria-pressed", "true")

    olivia.goto(f"/l/{lobby.code}/settle/")
    olivia.locator(".settle-form input[type=radio]").first.check()
    olivia.get_by_role("radio", name=re.compile("Cinema")).check()
    olivia.get_by_role("button", name="Settle").click()
    expect(olivia.locator(".decision-banner")).to_contain_text("It's settled!")
    gus.reload()
    expect(gus.locator(".decision-banner")).to_contain_text("Cinema")
    event = helpers.download_ics(gus, tmp_path, "gus-nojs")
    assert str(event["SUMMARY"]) == "Film club"

    # The organizer's Remove buttons submit one shared form, each with its own address.
    olivia.get_by_role("button", name="Remove Gus").click()
    expect(olivia.locator("main")).to_contain_text("Gus was removed")
    expect(olivia.locator("#participants")).not_to_contain_text("Gus")
