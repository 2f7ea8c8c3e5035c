"""In chromium: an organizer who deletes their account hands the lobby over, and the person
they chose settles it; a lobby the old release left without an organizer is taken over by one
click. Whatever happens to its organizer, a lobby can always be settled."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lobbies import services
from tests.browser.helpers import sign_in
from tests.factories import make_settings
from tests.test_account_handover import orphan
from tests.voting_support import evening_window, mark, reload, slots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long enough passphrase 7"


@pytest.fixture
def party(django_user_model):
    """Sam (signed in) organizes "Sam's party"; Ann, then Bob, joined; all marked one evening."""
    user = django_user_model.objects.create_user(
        username="sam", email="sam@example.com", password=PASSWORD
    )
    sam = services.create_lobby(make_settings(title="Sam's party"), "Sam", user.pk).participant
    code = sam.code
    ann = services.join_lobby(reload(code), "Ann", None).participant
    bob = services.join_lobby(reload(code), "Bob", None).participant
    start = evening_window(reload(code))
    for person in (sam, ann, bob):
        mark(code, person.participant_id, yes=slots(start, 4))
    return code, sam, ann, bob


def person(page: Page, name: str):
    return page.locator("#participants .person").filter(has_text=name)


def test_the_chosen_successor_settles(party, new_context, seat):
    code, _sam, ann, bob = party
    sam_page = new_context().new_page()
    sign_in(sam_page, "sam@example.com", PASSWORD)
    sam_page.goto("/me/lobbies/")
    sam_page.get_by_role("link", name="Delete my account").click()
    chooser = sam_page.get_by_label("Who organizes “Sam's party” after you?")
    expect(chooser).to_have_value(ann.participant_id)  # the longest-standing by default
    chooser.select_option(label="Bob")
    sam_page.get_by_label("I understand: my account is deleted for good.").check()
    sam_page.get_by_role("button", name="Delete my account").click()
    expect(sam_page.get_by_text("Your account is deleted.")).to_be_visible()

    bob_context = new_context()
    seat(bob_context, code, bob.participant_id)
    bob_page = bob_context.new_page()
    bob_page.goto(f"/l/{code}/")
    expect(person(bob_page, "Bob").locator(".badge", has_text="organizer")).to_be_visible()
    expect(person(bob_page, "Former participant").locator(".badge")).to_have_count(0)
    bob_page.get_by_role("button", name="Settle on this").click()
    expect(bob_page.get_by_role("heading", name="It's settled!")).to_be_visible()


def test_anyone_takes_over_a_lobby_left_without_organizer(party, new_context, seat):
    code, sam, ann, _bob = party
    orphan(code, sam.participant_id)
    context = new_context(java_script_enabled=False)
    seat(context, code, ann.participant_id)
    page = context.new_page()
    page.goto(f"/l/{code}/")
    expect(page.get_by_role("button", name="Settle on this")).to_have_count(0)
    page.get_by_role("button", name="Take over as organizer").click()
    expect(page.get_by_text("You organize this lobby now.")).to_be_visible()
    expect(page.get_by_role("button", name="Take over as organizer")).to_have_count(0)
    page.get_by_role("button", name="Settle on this").click()
    expect(page.get_by_role("heading", name="It's settled!")).to_be_visible()


def test_a_lobby_without_organizer_agrees_with_itself(party, new_context, seat):
    """The released seat wears no organizer badge, and its marks count in every number the
    page shows: answered, the heatmap's people shown and the best times."""
    code, sam, ann, _bob = party
    services.join_lobby(reload(code), "Carla", None)
    orphan(code, sam.participant_id)
    context = new_context()
    seat(context, code, ann.participant_id)
    page = context.new_page()
    page.goto(f"/l/{code}/")
    expect(page.get_by_role("heading", name="This lobby has no organizer")).to_be_visible()
    expect(person(page, "Former participant").locator(".badge")).to_have_count(0)
    expect(page.get_by_text("3 of 4 have answered.")).to_be_visible()
    expect(page.get_by_text("more of the 3 people shown")).to_be_visible()
