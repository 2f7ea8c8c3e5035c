"""Times in the browser: a viewer west of UTC joins a lobby planned in Berlin and marks on
their own clock at once; the organizer sets a deadline and saves the settings twice without
it moving; an open page stops painting once the lobby is settled."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from lobbies import services
from lobbies.store import load_lobby
from tests.browser.helpers import LIVE, join_lobby, my_cell
from tests.factories import make_settings
from voting import decisions

pytestmark = pytest.mark.browser


def _berlin_lobby():
    start = date.today() + timedelta(days=3)
    values = make_settings(timezone="Europe/Berlin", dates=(start, start + timedelta(days=1)))
    membership = services.create_lobby(values, "Olivia", None)
    return membership.participant.code, membership.participant.participant_id, start


def test_a_viewer_in_new_york_marks_on_their_own_clock_from_the_first_page(new_context):
    code, _owner, start = _berlin_lobby()
    nia = new_context(timezone_id="America/New_York").new_page()
    nia.goto(f"/l/{code}/")
    join_lobby(nia, "Nia")
    line = nia.locator("#tz-line")
    expect(line).to_contain_text("Times shown in America/New_York.")
    # Berlin's 18:00 on the first day is New York's morning or midday, never 18:00.
    first = datetime.combine(start, datetime.min.time()).replace(
        hour=18, tzinfo=ZoneInfo("Europe/Berlin")
    )
    in_new_york = first.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
    expect(nia.locator("#my-grid tbody tr").first.locator("th")).to_contain_text(in_new_york)
    # Marking a cell stores the Berlin slot it stands for.
    my_cell(nia, 0, 0).click()
    expect(nia.locator("#save-status")).to_have_text("Saved.", timeout=LIVE)


def test_a_deadline_set_and_saved_twice_stays_put(new_context, seat):
    code, owner, start = _berlin_lobby()
    context = new_context(timezone_id="America/New_York")
    seat(context, code, owner)
    page = context.new_page()
    typed = f"{start.isoformat()}T20:00"
    page.goto(f"/l/{code}/settings/")
    page.get_by_text("Deadline and notifications").click()
    page.get_by_label("Answer by (optional)").fill(typed)
    page.get_by_role("button", name="Save settings").click()
    expect(page).to_have_url(re.compile(rf"/l/{code}/$"))
    # The lobby page says the deadline in the viewer's zone.
    berlin = datetime.fromisoformat(typed).replace(tzinfo=ZoneInfo("Europe/Berlin"))
    there = berlin.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
    expect(page.get_by_text("Answers close on")).to_contain_text(f"{there} (America/New_York)")
    for _again in range(2):
        page.goto(f"/l/{code}/settings/")
        expect(page.get_by_label("Answer by (optional)")).to_have_value(typed)
        page.get_by_role("button", name="Save settings").click()
        expect(page).to_have_url(re.compile(rf"/l/{code}/$"))
    stored = load_lobby(code).lobby.deadline
    assert stored == berlin.astimezone(UTC)


def test_an_open_page_stops_painting_once_the_lobby_is_settled(new_context, seat):
    code, owner, _start = _berlin_lobby()
    ann = services.join_lobby(load_lobby(code), "Ann", None).participant
    context = new_context()
    seat(context, code, ann.participant_id)
    page = context.new_page()
    page.goto(f"/l/{code}/")
    cell = my_cell(page, 0, 0)
    before = cell.get_attribute("data-st")
    snapshot = load_lobby(code)
    decisions.settle(snapshot, owner, 0, None)
    cell.click()  # painted at once, refused by the server
    expect(page.locator("#save-status")).to_contain_text("settled", timeout=LIVE)
    expect(page.locator("#my-grid")).to_have_class(re.compile(r"\blocked\b"), timeout=LIVE)
    assert cell.get_attribute("data-st") == before
    my_cell(page, 1, 0).click()
    assert my_cell(page, 1, 0).get_attribute("data-st") in {None, "n"}
