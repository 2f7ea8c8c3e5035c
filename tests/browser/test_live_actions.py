"""The organizer's own place actions reach every live part of the page at once, and comment
and place actions log nothing in the console (no Content-Security-Policy refusals, no
script errors)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lobbies import services
from tests.browser.helpers import console_errors, nudge, propose, vote
from tests.factories import make_settings
from tests.voting_support import propose as propose_behind
from tests.voting_support import reload

pytestmark = pytest.mark.browser

# A fixed moment for the page's clock: paused there, live.js's poll timer never fires.
FROZEN = 1_800_000_000_000


def organizer_page(new_context, seat):
    organizer = services.create_lobby(make_settings(), "Olivia", None).participant
    context = new_context()
    seat(context, organizer.code, organizer.participant_id)
    return context, organizer.code


def test_my_new_place_shows_in_the_best_place_box_with_the_list(new_context, seat):
    context, code = organizer_page(new_context, seat)
    page = context.new_page()
    page.clock.install(time=FROZEN)
    page.clock.pause_at(FROZEN + 1000)
    page.goto(f"/l/{code}/")
    box = page.locator(".recommendation")
    expect(box).to_contain_text("No places proposed.")
    propose(page, "Sushi Go")
    # No timer tick: the place's own answer asks the live poll for the rest of the page.
    expect(box).to_contain_text("Sushi Go")


def test_comment_and_place_actions_log_no_errors(new_context, seat):
    context, code = organizer_page(new_context, seat)
    ann = services.join_lobby(reload(code), "Ann", None).participant
    page = context.new_page()
    errors = console_errors(page)
    page.goto(f"/l/{code}/")
    propose(page, "Sushi Go")
    vote(page, "Sushi Go", "Yes")
    page.get_by_label("Your comment").fill("Early is fine")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comments-list")).to_contain_text("Early is fine")
    page.once("dialog", lambda dialog: dialog.accept())  # deleting asks first
    page.get_by_role("button", name="Delete comment by Olivia").click()
    expect(page.locator("#comments")).to_contain_text("Comment deleted.")
    propose_behind(code, ann.participant_id, "Bar Nine")
    nudge(page)
    expect(page.locator("#places-list")).to_contain_text("Bar Nine")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Sushi Go").click()
    expect(page.locator("#places-list")).not_to_contain_text("Sushi Go")
    assert errors == []
