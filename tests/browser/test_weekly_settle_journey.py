"""Settling a weekly lobby in chromium: the first date follows the chosen weekday, the end
follows what is typed, the count box looks like the others, and "Settle on this" works."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from lobbies import services as lobby_services
from lobbies.availability import weekly
from tests.test_weekly import ZONE, weekly_settings
from tests.voting_support import evening_window, mark, reload, slots

pytestmark = pytest.mark.browser


def next_meeting(weekday: int) -> str:
    return weekly.next_on(weekday, datetime.now(ZoneInfo(ZONE)).date()).isoformat()


@pytest.fixture
def organizer_page(new_context, seat):
    """A Mon/Wed/Fri lobby where the organizer marked Wednesday 19:00-21:00, open as her."""
    organizer = lobby_services.create_lobby(weekly_settings(), "Olivia", None).participant
    code = organizer.code
    start = evening_window(reload(code), 1, 19)
    mark(code, organizer.participant_id, yes=slots(start, 4))
    context = new_context()
    seat(context, code, organizer.participant_id)
    page = context.new_page()
    page.code = code
    return page


def test_first_date_and_end_follow_the_choices(organizer_page):
    page = organizer_page
    page.goto(f"/l/{page.code}/settle/")
    first = page.get_by_label("First date")
    expect(first).to_have_value(next_meeting(3))  # the recommended Wednesday
    friday = evening_window(reload(page.code), 2, 19)
    page.get_by_label("Another time", exact=True).select_option(str(friday))
    expect(page.get_by_role("radio", name="Another time (choose below)")).to_be_checked()
    expect(first).to_have_value(next_meeting(5))

    count = page.get_by_label("How many times")
    last = page.get_by_label("Last date")
    padding = count.evaluate("box => parseFloat(getComputedStyle(box).paddingLeft)")
    assert padding == last.evaluate("box => parseFloat(getComputedStyle(box).paddingLeft)") > 0
    assert count.bounding_box()["height"] >= 44

    last.fill("2027-01-01")
    expect(page.get_by_role("radio", name="Until a date")).to_be_checked()
    count.fill("5")
    expect(page.get_by_role("radio", name="A number of times")).to_be_checked()
    page.get_by_role("button", name="Settle", exact=True).click()
    expect(page.locator(".field-error")).to_have_text(
        ["Give a last date or a number of times, not both."]
    )
    expect(last).to_have_value("2027-01-01")
    expect(first).to_have_value(next_meeting(5))  # what was typed stays
    count.fill("")
    page.get_by_role("radio", name="Until a date").check()
    page.get_by_role("button", name="Settle", exact=True).click()
    banner = page.locator(".decision-banner")
    expect(banner).to_contain_text("Every Friday from")
    expect(banner).to_contain_text("until")


def test_settle_on_the_recommendation(organizer_page):
    page = organizer_page
    page.goto(f"/l/{page.code}/")
    page.get_by_role("button", name="Settle on this").click()
    expect(page.locator(".decision-banner")).to_contain_text("Every Wednesday from")


def test_a_far_first_date_is_refused_and_nothing_is_lost(organizer_page):
    page = organizer_page
    page.goto(f"/l/{page.code}/settle/")
    first = page.get_by_label("First date")
    first.fill("9999-12-29")  # a Wednesday, like the recommended time
    page.get_by_label("How many times").fill(str(weekly.MAX_COUNT))
    page.get_by_role("button", name="Settle", exact=True).click()
    expect(page.locator(".field-error")).to_have_text(["Choose a first date within the next year."])
    expect(first).to_have_value("9999-12-29")
    expect(page.get_by_label("How many times")).to_have_value(str(weekly.MAX_COUNT))
