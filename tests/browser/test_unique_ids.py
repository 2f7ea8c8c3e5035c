"""No page has an id twice, in any state a click can reach: panels opened, forms sent back
with errors, fragments htmx swaps in (and the live poll's), settled and open, for the
organizer and a participant, with and without JavaScript. A second element with an id takes
over its label, so "Your comment" would name the wrong box. And every id that a label,
aria-describedby, aria-labelledby or form attribute names is on the page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from lobbies import services as lobby_services
from lobbies.comments import services as comments
from tests.browser.helpers import LIVE
from tests.factories import make_settings
from tests.voting_support import propose, reload
from voting import decisions

pytestmark = pytest.mark.browser

FIRST = date.today() + timedelta(days=2)
DUPLICATES = """() => {
  const seen = new Set(), twice = new Set();
  for (const element of document.querySelectorAll("[id]")) {
    if (seen.has(element.id)) twice.add(element.id);
    seen.add(element.id);
  }
  return [...twice];
}"""
DANGLING = """() => {
  const missing = new Set();
  const check = (element, name) => {
    for (const id of (element.getAttribute(name) || "").split(/\\s+/).filter(Boolean)) {
      if (!document.getElementById(id)) missing.add(`${name}=${id}`);
    }
  };
  for (const name of ["aria-describedby", "aria-labelledby", "form"]) {
    for (const element of document.querySelectorAll(`[${name}]`)) {
      if (element.tagName !== "FORM") check(element, name);
    }
  }
  for (const element of document.querySelectorAll("label[for], output[for]")) check(element, "for");
  return [...missing];
}"""
CALENDAR = (
    "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:t\nBEGIN:VEVENT\nUID:a@t\n"
    f"DTSTART:{FIRST:%Y%m%d}T180000Z\nDTEND:{FIRST:%Y%m%d}T193000Z\nEND:VEVENT\nEND:VCALENDAR\n"
)


def no_duplicate_ids(page: Page, state: str) -> None:
    """No id twice, and no reference to an id that is not there."""
    assert page.evaluate(DUPLICATES) == [], state
    assert page.evaluate(DANGLING) == [], state


def make_lobby():
    values = make_settings(timezone="UTC", dates=(FIRST, FIRST + timedelta(days=1)))
    olivia = lobby_services.create_lobby(values, "Olivia", None).participant
    gus = lobby_services.join_lobby(reload(olivia.code), "Gus", None).participant
    propose(olivia.code, gus.participant_id, "Sushi Go")
    comments.post_comment(reload(olivia.code), gus.participant_id, "Hello")
    return olivia.code, olivia.participant_id, gus.participant_id


def open_as(new_context, seat, code, participant_id, **options) -> Page:
    context = new_context(**options)
    seat(context, code, participant_id)
    page = context.new_page()
    page.goto(f"/l/{code}/")
    return page


def walk_the_lobby_page(page: Page, who: str) -> None:
    no_duplicate_ids(page, f"{who}: the lobby page")
    page.get_by_role("link", name="Compare with my calendar (.ics)").click()
    expect(page.get_by_role("button", name="Show my busy times")).to_be_visible()
    no_duplicate_ids(page, f"{who}: the calendar panel open")
    # The comment box keeps its name: its label focuses it, not the calendar's box.
    page.locator("form.comment-form label", has_text="Your comment").click()
    expect(page.locator("form.comment-form textarea")).to_be_focused()
    page.get_by_role("button", name="Show my busy times").click()
    expect(page.locator("#calendar-result .form-error")).to_be_visible()
    no_duplicate_ids(page, f"{who}: the calendar's error")
    page.get_by_label("Or paste the calendar's text").fill(CALENDAR)
    page.get_by_role("button", name="Show my busy times").click()
    expect(page.locator("#calendar-result")).to_contain_text("busy in")
    no_duplicate_ids(page, f"{who}: the calendar's busy times")
    page.locator("form.propose-form").get_by_role("button", name="Propose").click()
    expect(page.locator("form.propose-form .field-error")).to_be_visible()
    no_duplicate_ids(page, f"{who}: the place form with an error")
    page.get_by_label("Your comment").fill(f"From {who}")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comments")).to_contain_text("Comment posted.")
    no_duplicate_ids(page, f"{who}: a comment posted")


def test_no_page_in_any_state_has_an_id_twice(new_context, seat):
    code, olivia, gus = make_lobby()
    organizer = open_as(new_context, seat, code, olivia)
    walk_the_lobby_page(organizer, "organizer")
    guest = open_as(new_context, seat, code, gus, viewport={"width": 375, "height": 812})
    walk_the_lobby_page(guest, "participant")
    # The live poll swaps in what others did.
    expect(organizer.locator("#comments-list")).to_contain_text("From participant", timeout=LIVE)
    no_duplicate_ids(organizer, "organizer: after the live poll")

    plain = open_as(new_context, seat, code, olivia, java_script_enabled=False)
    for path in ("", "calendar/", "comments/", "settings/", "settle/", "timezone/"):
        plain.goto(f"/l/{code}/{path}")
        no_duplicate_ids(plain, f"without JavaScript: /l/<code>/{path}")
    for path in ("/lobbies/new/", "/accounts/signup/", "/accounts/login/"):
        plain.goto(path)
        no_duplicate_ids(plain, f"without JavaScript: {path}")
    plain.goto("/lobbies/new/")
    plain.get_by_role("button", name="Create lobby").click()
    expect(plain.locator(".field-error").first).to_be_visible()
    no_duplicate_ids(plain, "without JavaScript: a new lobby refused")
    plain.goto(f"/l/{code}/calendar/")
    plain.get_by_label("Or paste the calendar's text").fill(CALENDAR)
    plain.get_by_role("button", name="Show my busy times").click()
    expect(plain.locator("#my-grid td[data-busy]")).to_have_count(3)
    no_duplicate_ids(plain, "without JavaScript: the calendar's busy times")
    proposer = open_as(new_context, seat, code, gus, java_script_enabled=False)
    proposer.get_by_role("link", name="Edit Sushi Go").click()
    expect(proposer.get_by_role("heading", level=1)).to_be_visible()
    no_duplicate_ids(proposer, "without JavaScript: a place's edit page")
    for control, question in (
        ("Withdraw Sushi Go", "Withdraw this place?"),
        ("Delete comment by Gus", "Delete this comment?"),
    ):
        proposer.goto(f"/l/{code}/")
        proposer.get_by_role("button", name=control).first.click()
        expect(proposer.get_by_role("heading", level=1)).to_have_text(question)
        no_duplicate_ids(proposer, f"without JavaScript: {question}")

    snapshot = reload(code)
    decisions.settle(snapshot, olivia, 0, None)
    for page, who in ((organizer, "organizer"), (guest, "participant")):
        expect(page.locator(".decision-banner")).to_be_visible(timeout=LIVE)
        no_duplicate_ids(page, f"{who}: settled, live")
        page.reload()
        no_duplicate_ids(page, f"{who}: settled")
