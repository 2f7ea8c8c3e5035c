"""The organizer's desktop page in normal use logs no error: while someone else comments and
proposes places (the live poll swaps them in), the organizer posts, deletes after the
confirmation dialog and votes, with the comment and note boxes enlarged by their corner
handle. A strict CSP refuses any inline style a script applies, and says so in the console:
the browser keeps a resized box's size in its style attribute, which htmx would copy onto
the box it swaps in."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from lobbies import services
from lobbies.store import load_lobby
from tests.browser.helpers import LIVE, console_errors, nudge, propose, vote
from tests.factories import make_settings

pytestmark = pytest.mark.browser

FIRST = date.today() + timedelta(days=2)
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def enlarge(page: Page, box: Locator) -> None:
    """Drag a text box's corner handle down, as a person makes room to write."""
    box.scroll_into_view_if_needed()
    corner = box.bounding_box()
    x, y = corner["x"] + corner["width"] - 2, corner["y"] + corner["height"] - 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 60, steps=5)
    page.mouse.up()
    expect(box).to_have_attribute("style", re.compile("height"))


def open_as(new_context, seat, code: str, participant_id: str, **options):
    context = new_context(**options)
    seat(context, code, participant_id)
    page = context.new_page()
    return page


def test_the_organizers_page_logs_no_error_while_others_act(new_context, seat):
    values = make_settings(timezone="UTC", dates=(FIRST, FIRST + timedelta(days=1)))
    olivia = services.create_lobby(values, "Olivia", None).participant
    gus = services.join_lobby(load_lobby(olivia.code), "Gus", None).participant
    code = olivia.code
    organizer = open_as(new_context, seat, code, olivia.participant_id, **DESKTOP)
    errors = console_errors(organizer)
    organizer.goto(f"/l/{code}/")
    guest = open_as(new_context, seat, code, gus.participant_id)
    guest.goto(f"/l/{code}/")
    enlarge(organizer, organizer.get_by_label("Your comment"))
    enlarge(organizer, organizer.get_by_label("Note (optional)"))

    for n in range(2):
        guest.get_by_label("Your comment").fill(f"From Gus {n}")
        guest.get_by_role("button", name="Post comment").click()
        expect(guest.locator("#comments-list")).to_contain_text(f"From Gus {n}")
        propose(guest, f"Place {n}")
        nudge(organizer)
        expect(organizer.locator("#comments-list")).to_contain_text(f"From Gus {n}", timeout=LIVE)
        expect(organizer.locator("#places-list")).to_contain_text(f"Place {n}", timeout=LIVE)

    organizer.get_by_label("Your comment").fill("From Olivia")
    organizer.get_by_role("button", name="Post comment").click()
    expect(organizer.locator("#comments-list")).to_contain_text("From Olivia")
    organizer.once("dialog", lambda dialog: dialog.accept())
    organizer.get_by_role("button", name="Delete comment by Olivia").click()
    expect(organizer.locator("#comments")).to_contain_text("Comment deleted.")
    vote(organizer, "Place 0", "Yes")
    propose(organizer, "Olivia's place")
    guest.get_by_label("Your comment").fill("Last from Gus")
    guest.get_by_role("button", name="Post comment").click()
    nudge(organizer)
    expect(organizer.locator("#comments-list")).to_contain_text("Last from Gus", timeout=LIVE)
    vote(organizer, "Place 1", "No")
    assert errors == []
