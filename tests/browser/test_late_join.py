"""The invite link of a settled lobby, in chromium: the join page says first that the lobby is
settled. Where the organizer lets people join late (by default a weekly lobby), a latecomer
sees when and where, joins and downloads the event; elsewhere there is no name to type in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from lobbies import services as lobby_services
from lobbies.availability import weekly
from tests.browser.helpers import download_ics
from tests.browser.test_accessibility import BLOCKING, audit
from tests.factories import make_settings
from tests.voting_support import evening_window, propose, reload
from voting import decisions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE = "Europe/Berlin"


def settled_dated_lobby() -> str:
    organizer = lobby_services.create_lobby(make_settings(), "Olivia", None).participant
    code = organizer.code
    place = propose(code, organizer.participant_id, "Café Rouge")
    snapshot = reload(code)
    start = evening_window(snapshot, 0, 19)
    decisions.settle(snapshot, organizer.participant_id, start, place.place_id)
    return code


def settled_weekly_lobby() -> tuple[str, datetime]:
    values = make_settings(
        dates=weekly.reference_dates((2,)), schedule=weekly.WEEKDAYS, weekdays=(2,), timezone=ZONE
    )
    organizer = lobby_services.create_lobby(values, "Olivia", None).participant
    code = organizer.code
    place = propose(code, organizer.participant_id, "The pitch")
    snapshot = reload(code)
    first = weekly.next_on(2, datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1))
    decisions.settle(
        snapshot,
        organizer.participant_id,
        evening_window(snapshot, 0, 19),
        place.place_id,
        repeat=weekly.Repeat(first, count=10),
    )
    return code, datetime(first.year, first.month, first.day, 19, tzinfo=ZoneInfo(ZONE))


def test_a_settled_dated_lobby_says_so_before_asking_a_name(new_page):
    code = settled_dated_lobby()
    page = new_page()
    page.goto(f"/l/{code}/")
    expect(page.get_by_text("This lobby is settled; nobody new can join.")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_count(0)
    expect(page.get_by_role("button", name="Join the lobby")).to_have_count(0)
    # Whoever cannot join learns nothing of the plan.
    expect(page.locator("main")).not_to_contain_text("Café Rouge")


def test_a_latecomer_joins_a_settled_weekly_lobby_and_gets_the_event(new_context, tmp_path):
    code, first_meeting = settled_weekly_lobby()
    page = new_context(accept_downloads=True, timezone_id=ZONE).new_page()
    page.goto(f"/l/{code}/")
    settled = page.get_by_role("status").filter(has_text="This lobby is settled")
    expect(settled).to_contain_text("The pitch")
    expect(settled).to_contain_text("19:00")
    page.get_by_label("Your name").fill("Zoë")
    page.get_by_role("button", name="Join the lobby").click()
    expect(page.get_by_text("You are in this lobby as")).to_contain_text("Zoë")
    expect(page.locator(".decision-banner")).to_contain_text("The pitch")
    event = download_ics(page, tmp_path, "latecomer")
    assert event.decoded("dtstart") == first_meeting
    assert event["rrule"]["COUNT"] == [10]


def test_the_organizer_lets_people_join_a_settled_lobby_late(new_context, new_page, seat):
    code = settled_dated_lobby()
    olivia = new_context()
    seat(olivia, code, reload(code).lobby.owner_id)
    settings_page = olivia.new_page()
    settings_page.goto(f"/l/{code}/settings/")
    late = settings_page.get_by_role("checkbox", name="Let people join after it is settled")
    expect(late).not_to_be_checked()
    late.check()
    settings_page.get_by_role("button", name="Save settings").click()
    expect(settings_page).to_have_url(re.compile(rf"/l/{code}/$"))

    page = new_page()
    page.goto(f"/l/{code}/")
    expect(page.get_by_role("status").filter(has_text="This lobby is settled")).to_contain_text(
        "Café Rouge"
    )
    page.get_by_label("Your name").fill("Łukasz")
    page.get_by_role("button", name="Join the lobby").click()
    expect(page.locator(".decision-banner")).to_contain_text("Café Rouge")
    calendar = page.locator(".decision-banner").get_by_role(
        "link", name="Add to my calendar (.ics)"
    )
    expect(calendar).to_be_visible()


def test_the_join_pages_and_the_setting_pass_axe(new_context, seat):
    weekly_code, _first = settled_weekly_lobby()
    dated_code = settled_dated_lobby()
    visitor = new_context(bypass_csp=True).new_page()
    found = []
    for name, code in (("late join", weekly_code), ("settled, closed", dated_code)):
        visitor.goto(f"/l/{code}/")
        found += audit(visitor, name)
    olivia = new_context(bypass_csp=True)
    seat(olivia, dated_code, reload(dated_code).lobby.owner_id)
    page = olivia.new_page()
    page.goto(f"/l/{dated_code}/settings/")
    found += audit(page, "settings")
    assert [v for v in found if v["impact"] in BLOCKING] == []
