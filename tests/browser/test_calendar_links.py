"""A settled lobby's calendars on a 375-pixel phone and a desktop: the .ics button, then
Google Calendar, Outlook.com and Office 365 as links, all in reach, nothing wider than the
page; a weekly meeting's banner says why Outlook's links are missing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from lobbies import services as lobby_services
from lobbies.availability import weekly
from tests.browser.conftest import PHONE
from tests.browser.helpers import SCREENSHOTS, screenshot
from tests.factories import make_settings
from tests.voting_support import evening_window, propose, reload
from voting import decisions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Drinks & games #3 — Café مساء الخير"
PLACE = "Bäckerei & Bar #1 مقهى"
DEVICES = {"phone": PHONE, "desktop": {}}


def settled_lobby(repeat_weekly: bool = False):
    """A settled lobby; returns (code, organizer's participant id)."""
    options = {"title": TITLE}
    if repeat_weekly:
        days = (1, 3)
        options |= {"dates": weekly.reference_dates(days), "schedule": weekly.WEEKDAYS}
        options["weekdays"] = days
    organizer = lobby_services.create_lobby(make_settings(**options), "Olivia", None).participant
    code, owner = organizer.code, organizer.participant_id
    place = propose(code, owner, PLACE, address="Straße 5")
    repeat = None
    if repeat_weekly:
        today = datetime.now(ZoneInfo("Europe/Berlin")).date()
        repeat = weekly.Repeat(weekly.next_on(3, today + timedelta(days=1)))
    start = evening_window(reload(code), 1, 19)
    decisions.settle(reload(code), owner, start, place.place_id, repeat=repeat)
    return code, owner


def open_settled(new_context, seat, code, owner, device):
    context = new_context(**DEVICES[device])
    seat(context, code, owner)
    page = context.new_page()
    page.goto(f"/l/{code}/")
    return page


@pytest.mark.parametrize("device", DEVICES)
def test_every_calendar_is_in_reach(new_context, seat, device):
    code, owner = settled_lobby()
    page = open_settled(new_context, seat, code, owner, device)
    banner = page.locator(".decision-banner")
    for name in ["Add to my calendar (.ics)", "Google Calendar", "Outlook.com", "Office 365"]:
        link = banner.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        assert link.bounding_box()["height"] >= 44, name
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") == width
    box = banner.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    screenshot(page, f"settled-lobby-{device}", full_page=False)
    banner.screenshot(path=str(SCREENSHOTS / f"calendar-links-{device}.png"))


def test_a_weekly_meeting_says_why_outlook_is_missing(new_context, seat):
    code, owner = settled_lobby(repeat_weekly=True)
    page = open_settled(new_context, seat, code, owner, "phone")
    banner = page.locator(".decision-banner")
    expect(banner.get_by_role("link", name="Google Calendar")).to_be_visible()
    expect(banner.get_by_role("link", name="Outlook.com")).to_have_count(0)
    expect(banner.get_by_text("can add only a single meeting")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["viewport"]["width"]
    banner.screenshot(path=str(SCREENSHOTS / "calendar-links-weekly-phone.png"))
