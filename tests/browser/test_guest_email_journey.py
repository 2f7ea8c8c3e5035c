"""A guest leaves an email address on a phone, confirms it from the email in another browser,
and the lobby then says where its emails go: with the keyboard, htmx in place, and axe."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from lobbies import services
from lobbies.store import load_lobby
from tests.browser.conftest import PHONE
from tests.browser.helpers import console_errors
from tests.browser.test_accessibility import BLOCKING, audit
from tests.factories import make_settings

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/email/confirm/\S+/")


def no_blocking_violations(page, name: str) -> None:
    blocking = [v for v in audit(page, name) if v["impact"] in BLOCKING]
    assert blocking == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in blocking]


def fits_the_phone(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_guest_leaves_and_confirms_an_address_on_a_phone(new_context, seat, live_server):
    organizer = services.create_lobby(make_settings(), "Olivia", None).participant
    code = organizer.code
    gus = services.join_lobby(load_lobby(code), "Gus", None).participant
    # axe is injected as a script tag, which the strict CSP would refuse.
    context = new_context(bypass_csp=True, **PHONE)
    seat(context, code, gus.participant_id)
    phone = context.new_page()
    errors = console_errors(phone)
    phone.goto(f"/l/{code}/")

    box = phone.get_by_label("Email me when it's settled")
    expect(box).to_have_attribute("autocomplete", "email")
    no_blocking_violations(phone, "lobby with the guest's address form (phone)")
    box.focus()
    phone.keyboard.type("gus@example.com")
    phone.keyboard.press("Enter")
    expect(phone.locator("#guest-email")).to_contain_text("We sent a link to gus@example.com")
    expect(phone.get_by_role("button", name="Remove my address")).to_be_visible()
    assert fits_the_phone(phone)
    # axe counts a control the viewport's edge cuts as "obscured": audit from the top.
    phone.evaluate("window.scrollTo(0, 0)")
    no_blocking_violations(phone, "lobby after saving the address (phone)")

    (verification,) = mail.outbox
    link = LINK.search(verification.body).group(0)
    reader = new_context(bypass_csp=True, **PHONE).new_page()
    reader.goto(link.replace(link.split("/email/")[0], live_server.url))
    no_blocking_violations(reader, "confirm the address (phone)")
    reader.get_by_role("button", name="Confirm").click()
    expect(reader.get_by_role("heading", name="Address confirmed")).to_be_visible()

    phone.reload()
    expect(phone.locator("#guest-email")).to_contain_text("Emails about this lobby go to")
    assert fits_the_phone(phone)
    assert errors == []
