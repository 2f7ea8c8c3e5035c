"""Comments, and my calendar beside the grid, in a real browser: on a phone, with the
keyboard, and without JavaScript."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from lobbies import services
from lobbies.availability.answers import answers_of, spec_for
from lobbies.comments import services as comments
from lobbies.store import load_lobby
from tests.browser.conftest import PHONE
from tests.browser.helpers import console_errors
from tests.factories import make_settings

pytestmark = pytest.mark.browser

FIRST = date.today() + timedelta(days=2)


def make_lobby():
    values = make_settings(timezone="UTC", dates=(FIRST, FIRST + timedelta(days=1)))
    organizer = services.create_lobby(values, "Olivia", None).participant
    snapshot = load_lobby(organizer.code)
    guest = services.join_lobby(snapshot, "Gus", None).participant
    return organizer.code, organizer.participant_id, guest.participant_id


def open_as(new_context, seat, code: str, participant_id: str, **options):
    context = new_context(**options)
    seat(context, code, participant_id)
    page = context.new_page()
    page.goto(f"/l/{code}/")
    return page


def test_comments_live_on_a_phone_with_the_keyboard(new_context, seat):
    code, olivia, gus = make_lobby()
    organizer = open_as(new_context, seat, code, olivia)
    phone = open_as(new_context, seat, code, gus, **PHONE)
    errors = {"organizer": console_errors(organizer), "phone": console_errors(phone)}
    box = phone.get_by_label("Your comment")
    box.focus()
    phone.keyboard.type("Shall we <b>meet</b> early?")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    expect(phone.locator("#comments-list")).to_contain_text("Shall we <b>meet</b> early?")
    expect(phone.get_by_label("Your comment")).to_have_value("")
    # The organizer's page gets it from the live poll, escaped, and may delete it.
    expect(organizer.locator("#comments-list")).to_contain_text(
        "Shall we <b>meet</b> early?", timeout=15_000
    )
    # It asks first (the browser's own dialog), then deletes in place.
    organizer.once("dialog", lambda dialog: dialog.accept())
    organizer.get_by_role("button", name="Delete comment by Gus").click()
    expect(organizer.locator("#comments")).to_contain_text("Comment deleted.")
    expect(phone.locator("#comments-list")).not_to_contain_text("meet", timeout=15_000)
    assert load_lobby(code).comments == ()
    assert errors == {"organizer": [], "phone": []}


def test_comments_without_javascript(new_context, seat):
    code, olivia, gus = make_lobby()
    for n in range(52):
        comments.post_comment(load_lobby(code), olivia, f"old note {n}")
    page = open_as(new_context, seat, code, gus, java_script_enabled=False)
    page.get_by_label("Your comment").fill("No script here")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comments-list")).to_contain_text("No script here")
    page.get_by_role("button", name="Delete comment by Gus").click()
    # Without a script a page asks first, showing the comment.
    expect(page.locator("main")).to_contain_text("No script here")
    page.get_by_role("button", name="Delete comment by Gus").click()
    expect(page.locator("#comments-list")).not_to_contain_text("No script here")
    page.get_by_role("link", name="Show 2 older comments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Older comments")
    expect(page.locator(".comment-list")).to_contain_text("old note 0")
    expect(page.locator(".comment-list")).not_to_contain_text("old note 2")


@pytest.mark.parametrize("javascript", [True, False])
def test_a_comment_refused_by_the_rate_limit_says_so_and_keeps_the_text(
    new_context, seat, settings, javascript
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment_post": (1, 600)}
    cache.clear()  # the limit's counts outlive a test: the table is no model to flush
    code, _olivia, gus = make_lobby()
    page = open_as(new_context, seat, code, gus, java_script_enabled=javascript)
    page.get_by_label("Your comment").fill("First")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Comment posted.")).to_be_visible()
    page.get_by_label("Your comment").fill("Second, typed with care")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comments [role=alert]")).to_contain_text(
        re.compile(r"too often in a short time\. Wait \d+ minutes and try again\.")
    )
    expect(page.get_by_text("Comment posted.")).to_have_count(0)
    expect(page.get_by_label("Your comment")).to_have_value("Second, typed with care")
    assert [c.text for c in load_lobby(code).comments] == ["First"]


def calendar_file() -> bytes:
    day = f"{FIRST:%Y%m%d}"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:a@t\r\n"
        f"DTSTART:{day}T180000Z\r\nDTEND:{day}T193000Z\r\nSUMMARY:Busy\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def expected_busy(code: str) -> frozenset[int]:
    return frozenset({0, 1, 2})  # 18:00, 18:30 and 19:00 on the first day


def test_busy_times_that_arrive_before_the_calendar_script_are_still_outlined(new_context, seat):
    code, olivia, _gus = make_lobby()
    page = open_as(new_context, seat, code, olivia)
    held = []
    page.route("**/js/calendar*.js", lambda route: held.append(route))  # a slow script
    page.get_by_role("link", name="Compare with my calendar (.ics)").click()
    page.get_by_label("Calendar file (.ics)").set_input_files(
        files=[{"name": "me.ics", "mimeType": "text/calendar", "buffer": calendar_file()}]
    )
    page.get_by_role("button", name="Show my busy times").click()
    expect(page.locator("#calendar-result")).to_contain_text("busy in 3 slots")
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#my-grid td[data-busy]")).to_have_count(3)


def test_my_calendar_on_the_grid_with_javascript(new_context, seat):
    code, olivia, _gus = make_lobby()
    page = open_as(new_context, seat, code, olivia, **PHONE)
    link = page.get_by_role("link", name="Compare with my calendar (.ics)")
    link.focus()
    page.keyboard.press("Enter")
    page.get_by_label("Calendar file (.ics)").set_input_files(
        files=[{"name": "me.ics", "mimeType": "text/calendar", "buffer": calendar_file()}]
    )
    page.get_by_role("button", name="Show my busy times").click()
    expect(page.locator("#calendar-result")).to_contain_text("busy in 3 slots")
    expect(page.locator("#my-grid td[data-busy]")).to_have_count(3)
    expect(page.locator("#calendar-result .grid-legend")).to_contain_text("busy in your calendar")
    assert answers_of(load_lobby(code)).get(olivia) is None  # nothing saved yet
    page.get_by_role("button", name="Fill in my grid").click()
    expect(page.locator("#save-status")).to_have_text("Saved.", timeout=10_000)
    spec = spec_for(load_lobby(code).lobby)
    yes, maybe = answers_of(load_lobby(code))[olivia]
    assert yes == spec.existing_slots() - expected_busy(code) and maybe == frozenset()
    expect(page.locator('#my-grid td[data-busy][data-st="n"]')).to_have_count(3)


def test_my_calendar_without_javascript(new_context, seat, tmp_path):
    code, _olivia, gus = make_lobby()
    path = tmp_path / "me.ics"
    path.write_bytes(calendar_file())
    page = open_as(new_context, seat, code, gus, java_script_enabled=False)
    page.get_by_role("link", name="Compare with my calendar (.ics)").click()
    page.get_by_label("Calendar file (.ics)").set_input_files(path)
    page.get_by_role("button", name="Show my busy times").click()
    expect(page.locator("#my-grid td[data-busy]")).to_have_count(3)
    page.get_by_role("button", name="Keep my marks, and set “no” where I am busy").click()
    expect(page.get_by_text("Your availability is saved.")).to_be_visible()
    assert answers_of(load_lobby(code))[gus] == (frozenset(), frozenset())


def test_a_paste_over_the_limit_is_refused_whole_not_cut(new_context, seat):
    code, _olivia, gus = make_lobby()
    page = open_as(new_context, seat, code, gus)
    long_text = "word " * 240  # 1,200 characters
    box = page.get_by_label("Your comment")
    box.focus()
    page.keyboard.insert_text(long_text)  # as a paste: the browser's own length rules apply
    expect(box).to_have_value(long_text)
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comments .field-error")).to_contain_text("at most 1000 characters")
    expect(page.get_by_label("Your comment")).to_have_value(long_text)
    assert load_lobby(code).comments == ()


def test_the_suggestion_buttons_do_not_touch_without_javascript(new_context, seat, tmp_path):
    code, _olivia, gus = make_lobby()
    path = tmp_path / "me.ics"
    path.write_bytes(calendar_file())
    page = open_as(new_context, seat, code, gus, java_script_enabled=False, **PHONE)
    page.goto(f"/l/{code}/calendar/")
    page.get_by_label("Calendar file (.ics)").set_input_files(path)
    page.get_by_role("button", name="Show my busy times").click()
    buttons = page.locator("[data-calendar-apply]")
    # Without JavaScript the form posts and a new page loads; .all() does not wait for it.
    expect(buttons).to_have_count(2)
    first, second = (b.bounding_box() for b in buttons.all())
    apart = max(
        second["y"] - (first["y"] + first["height"]), second["x"] - (first["x"] + first["width"])
    )
    assert apart >= 8
