"""Weekly lobbies and taking your data, in a real browser: on a phone with the keyboard, and
without JavaScript; deleting an account."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from icalendar import Calendar
from playwright.sync_api import Page, expect

from lobbies.availability import weekly
from tests.browser.helpers import PHONE, lobby_links, mark_day_without_js, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def create_weekly_with_keyboard(page: Page, title: str) -> None:
    """Fill the create form for Mon, Wed and Fri evenings with the keyboard alone."""
    page.goto("/lobbies/new/")
    page.get_by_label("What are you planning?").fill(title)
    radio = page.get_by_role("radio", name="Days of the week, no dates")
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    for day in ("Monday", "Wednesday", "Friday"):
        box = page.get_by_role("checkbox", name=day, exact=True)
        box.focus()
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    page.get_by_label("Your name").fill("Olivia")
    page.get_by_label("Your name").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_weekly_lobby_on_a_phone_with_the_keyboard(new_context, tmp_path):
    page = new_context(**PHONE).new_page()
    create_weekly_with_keyboard(page, "Five-a-side")
    # The dates part of the form is hidden once weekdays are chosen (checked by the journey
    # only implicitly: it submitted without days). The grid's columns are weekdays, no dates.
    headers = page.locator("#my-grid thead th")
    expect(headers).to_have_count(3)
    expect(headers.nth(0)).to_have_attribute("data-label", "Monday")
    expect(headers.nth(2)).to_have_attribute("data-label", "Friday")
    expect(page.locator("#tz-line")).to_contain_text("the lobby’s time zone, for everyone")
    expect(page.locator("#lobby-expiry")).to_contain_text("will be deleted on")
    link = page.locator("#your-data").get_by_role("link", name="JSON").first
    link.focus()
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    path = tmp_path / "mine.json"
    download.value.save_as(path)
    data = json.loads(path.read_text())
    assert data["lobby"]["weekdays"] == ["Monday", "Wednesday", "Friday"]
    assert data["you"]["name"] == "Olivia"


def test_weekly_lobby_settled_without_javascript(new_context, tmp_path):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/lobbies/new/")
    page.get_by_label("What are you planning?").fill("Choir practice")
    page.get_by_role("radio", name="Days of the week, no dates").check()
    page.get_by_role("checkbox", name="Tuesday", exact=True).check()
    page.get_by_role("checkbox", name="Thursday", exact=True).check()
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_label("Your name").fill("Olivia")
    page.get_by_role("button", name="Create lobby").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choir practice")
    lobby_links(page)
    mark_day_without_js(page, rows=[2, 3, 4, 5])  # the first day, Tuesday, 19:00-21:00
    page.get_by_role("link", name="Choose another time or place").click()
    expect(page.get_by_label("First date")).to_be_visible()
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    first = weekly.next_on(2, today + timedelta(days=1))
    page.get_by_label("First date").fill(first.isoformat())
    page.get_by_role("radio", name="A number of times").check()
    page.get_by_label("How many times").fill("6")
    page.get_by_role("button", name="Settle", exact=True).click()
    banner = page.locator(".decision-banner")
    expect(banner).to_contain_text("Every Tuesday from")
    expect(banner).to_contain_text("6 times")
    with page.expect_download() as download:
        banner.get_by_role("link", name="Add to my calendar (.ics)").click()
    path = tmp_path / "choir.ics"
    download.value.save_as(path)
    (event,) = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert event["RRULE"]["BYDAY"] == ["TU"] and event["RRULE"]["COUNT"] == [6]
    start = event.decoded("DTSTART")
    assert start.date() == first and start.hour == 19
    assert isinstance(first, date)


def test_deleting_an_account(new_context, django_user_model):
    user = django_user_model.objects.create_user(
        username="sam", email="sam@example.com", password="correct horse battery"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page = new_context(**PHONE).new_page()
    sign_in(page, "sam@example.com", "correct horse battery")
    page.goto("/lobbies/new/")
    page.get_by_label("What are you planning?").fill("Sam's party")
    page.get_by_label("Your name").fill("Sam")
    page.get_by_role("button", name="Create lobby").click()
    expect(page).to_have_url(re.compile(r"/l/[^/]+/$"))
    code_url = page.url
    page.goto("/me/lobbies/")
    page.get_by_role("link", name="Delete my account").click()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator(".field-error")).to_contain_text("Tick the box to confirm.")
    box = page.get_by_role("checkbox", name="I understand: my account is deleted for good.")
    box.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("main")).to_contain_text("Your account is deleted.")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert not django_user_model.objects.filter(pk=user.pk).exists()
    page.goto(code_url)  # this browser no longer holds the seat: it may only join
    expect(page.get_by_role("button", name="Join the lobby")).to_be_visible()
