"""In chromium: two people propose and vote, the organizer settles, and the other person sees
the banner without reloading and downloads an event their calendar can read."""

from __future__ import annotations

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from lobbies import services as lobby_services
from tests.browser.helpers import console_errors, propose
from tests.factories import make_settings
from tests.voting_support import evening_window, mark, reload, slots

pytestmark = pytest.mark.browser


def card(page: Page, name: str):
    return page.locator(".place-card").filter(has=page.get_by_role("heading", name=name))


def vote(page: Page, place: str, answer: str) -> None:
    button = card(page, place).get_by_role("button", name=answer, exact=True)
    button.click()
    expect(card(page, place).get_by_role("button", name=answer, exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )


def test_propose_vote_settle_and_see_it_live(new_context, seat, live_server, tmp_path):
    organizer = lobby_services.create_lobby(make_settings(), "Olivia", None).participant
    code = organizer.code
    ann = lobby_services.join_lobby(reload(code), "Ann", None).participant
    start = evening_window(reload(code), 1, 19)
    mark(code, organizer.participant_id, yes=slots(start, 4))
    mark(code, ann.participant_id, yes=slots(start, 4))

    olivia_context = new_context()
    seat(olivia_context, code, organizer.participant_id)
    olivia = olivia_context.new_page()
    ann_context = new_context(timezone_id="America/New_York", accept_downloads=True)
    seat(ann_context, code, ann.participant_id)
    ann_page = ann_context.new_page()
    errors = {"olivia": console_errors(olivia), "ann": console_errors(ann_page)}

    olivia.goto(f"/l/{code}/")
    ann_page.goto(f"/l/{code}/")

    # Both propose a place (htmx: the page does not reload, the form empties).
    propose(olivia, "Café <Rouge>", "1 Main St")
    expect(olivia.locator("form.propose-form").get_by_label("Place")).to_have_value("")
    propose(ann_page, "Sushi Go")

    # Ann sees Olivia's place appear by herself (the live poll), then both vote in place.
    expect(ann_page.locator("#places-list")).to_contain_text("Café <Rouge>", timeout=15_000)
    vote(ann_page, "Sushi Go", "Yes")
    # The list is swapped in place; the pressed button keeps the keyboard focus.
    expect(card(ann_page, "Sushi Go").get_by_role("button", name="Yes", exact=True)).to_be_focused()
    card(ann_page, "Café <Rouge>").get_by_role("button", name="No", exact=True).focus()
    ann_page.keyboard.press("Enter")
    expect(card(ann_page, "Café <Rouge>")).to_contain_text("1 no")
    expect(olivia.locator("#places-list")).to_contain_text("Sushi Go", timeout=15_000)
    vote(olivia, "Sushi Go", "Yes")
    vote(olivia, "Café <Rouge>", "If need be")
    # A changed mind replaces the answer.
    vote(olivia, "Café <Rouge>", "Yes")
    expect(card(olivia, "Café <Rouge>")).to_contain_text("1 yes")
    expect(card(olivia, "Sushi Go")).to_contain_text("2 yes")
    assert errors == {"olivia": [], "ann": []}

    # The organizer settles on the recommended pair: Sushi Go, day 1 at 19:00 Berlin.
    olivia.reload()
    recommendation = olivia.locator(".recommendation")
    expect(recommendation).to_contain_text("Sushi Go")
    recommendation.get_by_role("button", name="Settle on this").click()
    expect(olivia.locator(".decision-banner")).to_contain_text("It's settled!")

    # Ann's open page gets the banner without a reload, in her own time zone.
    banner = ann_page.locator(".decision-banner")
    expect(banner).to_contain_text("It's settled!", timeout=15_000)
    expect(banner).to_contain_text("Sushi Go")
    expect(banner).to_contain_text("(America/New_York)")
    expect(ann_page.locator("#places-list")).to_contain_text("places and votes are closed")

    with ann_page.expect_download() as download_info:
        banner.get_by_role("link", name="Add to my calendar (.ics)").click()
    path = tmp_path / "event.ics"
    download_info.value.save_as(path)
    (event,) = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    decision = reload(code).lobby.decision
    assert str(event["SUMMARY"]) == "Friday drinks"
    assert str(event["LOCATION"]) == "Sushi Go"
    assert event.decoded("DTSTART") == decision.starts_at
    assert str(event["UID"]) == f"lobby-{code.lower()}@letshangout"
