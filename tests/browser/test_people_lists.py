"""A 1,000-person lobby on a 375-pixel phone: the people list opens, a name is found by
keyboard alone, and axe finds nothing serious."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lobbies import services
from lobbies.people.seats import MAX_PARTICIPANTS
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import BLOCKING, audit
from tests.factories import fill_lobby, make_settings

pytestmark = pytest.mark.browser


def test_find_a_name_among_a_thousand_on_a_phone(new_context, seat):
    membership = services.create_lobby(make_settings(title="Offsite"), "Olivia", None)
    code = membership.participant.code
    fill_lobby(code, MAX_PARTICIPANTS - 1)
    context = new_context(bypass_csp=True, **PHONE)  # axe is injected as a script tag
    seat(context, code, membership.participant.participant_id)
    page = context.new_page()
    page.goto(f"/l/{code}/")

    people = page.locator("#participants")
    expect(people.get_by_role("heading", level=2)).to_have_text("1000 people here")
    summary = people.locator("summary", has_text="and 988 more")
    summary.focus()
    page.keyboard.press("Enter")
    search = page.get_by_role("searchbox", name="Search by name")
    expect(search).to_be_visible()
    # htmx listens on new content once it has settled; keys typed before would go unheard.
    expect(people.locator(".htmx-added, .htmx-settling")).to_have_count(0)
    search.focus()
    page.keyboard.type("person 0500")
    count = people.get_by_role("status")
    expect(count).to_contain_text("1 person found for")
    expect(people.locator(".people-page .person-name")).to_have_text(["Person 0500"])
    expect(people.get_by_role("button", name="Remove Person 0500")).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["viewport"]["width"]
    blocking = [v for v in audit(page, "people list") if v["impact"] in BLOCKING]
    assert blocking == [], blocking
