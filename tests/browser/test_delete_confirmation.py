"""Deleting a comment or a place asks first, in a real browser: with JavaScript the browser's
own dialog (dismissing it deletes nothing, accepting deletes in place), without it a page that
shows the item, and from a page of older comments back to that very page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from lobbies import services
from lobbies.comments import services as comments
from lobbies.store import load_lobby
from tests.browser.helpers import LIVE, place_card, vote
from tests.factories import make_settings
from tests.voting_support import propose

pytestmark = pytest.mark.browser

FIRST = date.today() + timedelta(days=2)


@pytest.fixture
def lobby():
    """(code, Olivia the organizer's id, Gus's id) with a comment and a place by Gus."""
    values = make_settings(timezone="UTC", dates=(FIRST, FIRST + timedelta(days=1)))
    olivia = services.create_lobby(values, "Olivia", None).participant
    gus = services.join_lobby(load_lobby(olivia.code), "Gus", None).participant
    comments.post_comment(load_lobby(olivia.code), gus.participant_id, "Shall we?")
    propose(olivia.code, gus.participant_id, "Pizza Bar")
    return olivia.code, olivia.participant_id, gus.participant_id


def open_as(new_context, seat, code: str, participant_id: str, **options) -> Page:
    context = new_context(**options)
    seat(context, code, participant_id)
    page = context.new_page()
    page.goto(f"/l/{code}/")
    return page


def answer_next_dialog(page: Page, accept: bool) -> list[str]:
    """The messages of the dialogs that open next, each answered as asked."""
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", answer)
    return asked


def test_a_comment_is_deleted_only_once_the_dialog_is_accepted(new_context, seat, lobby):
    code, _olivia, gus = lobby
    page = open_as(new_context, seat, code, gus)
    page.evaluate("window.notReloaded = true")
    button = page.get_by_role("button", name="Delete comment by Gus")
    asked = answer_next_dialog(page, accept=False)
    button.click()
    assert asked == ["Delete this comment by Gus?"]
    expect(page.locator("#comments-list")).to_contain_text("Shall we?")
    assert len(load_lobby(code).comments) == 1

    answer_next_dialog(page, accept=True)
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#comments")).to_contain_text("Comment deleted.")
    expect(page.locator("#comments-list")).not_to_contain_text("Shall we?")
    assert load_lobby(code).comments == ()
    assert page.evaluate("window.notReloaded") is True  # deleted in place


def test_a_place_is_removed_only_once_the_dialog_is_accepted(new_context, seat, lobby):
    code, olivia, gus = lobby
    page = open_as(new_context, seat, code, olivia)
    page.evaluate("window.notReloaded = true")
    button = place_card(page, "Pizza Bar").get_by_role("button", name="Remove Pizza Bar")
    asked = answer_next_dialog(page, accept=False)
    button.focus()
    page.keyboard.press("Enter")
    assert asked == ["Remove “Pizza Bar” from the list?"]
    expect(place_card(page, "Pizza Bar")).to_be_visible()
    assert len(load_lobby(code).places) == 1

    answer_next_dialog(page, accept=True)
    button.click()
    said = page.locator("#places-messages")
    expect(said).to_contain_text("“Pizza Bar” was removed.")
    expect(place_card(page, "Pizza Bar")).to_have_count(0)
    assert not load_lobby(code).places
    assert page.evaluate("window.notReloaded") is True

    # Someone else's place arrives with the live poll, which replaces the list: what the
    # removal said stays on screen.
    propose(code, gus, "Noodle Bar")
    expect(place_card(page, "Noodle Bar")).to_be_visible(timeout=LIVE)
    expect(said).to_contain_text("“Pizza Bar” was removed.")
    # Until the next change there: a vote's answer is empty, and the old message goes.
    vote(page, "Noodle Bar", "Yes")
    expect(said).to_have_text("")


def test_without_javascript_a_page_asks_first(new_context, seat, lobby):
    code, _olivia, gus = lobby
    page = open_as(new_context, seat, code, gus, java_script_enabled=False)
    page.get_by_role("button", name="Delete comment by Gus").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this comment?")
    expect(page.locator("main")).to_contain_text("Shall we?")
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("#comments-list")).to_contain_text("Shall we?")
    assert len(load_lobby(code).comments) == 1

    page.get_by_role("button", name="Delete comment by Gus").click()
    page.get_by_role("button", name="Delete comment by Gus").click()
    expect(page.get_by_text("Comment deleted.")).to_be_visible()
    assert load_lobby(code).comments == ()

    place_card(page, "Pizza Bar").get_by_role("button", name="Withdraw Pizza Bar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw this place?")
    page.get_by_role("button", name="Withdraw Pizza Bar").click()
    expect(page.get_by_text("You withdrew “Pizza Bar”.")).to_be_visible()
    assert not load_lobby(code).places


@pytest.mark.parametrize("javascript", [True, False])
def test_deleting_from_an_older_page_comes_back_to_it(
    new_context, seat, lobby, monkeypatch, javascript
):
    code, olivia, _gus = lobby
    monkeypatch.setattr("lobbies.comments.presenters.SHOWN", 2)
    for n in range(6):
        comments.post_comment(load_lobby(code), olivia, f"note {n}")
    page = open_as(new_context, seat, code, olivia, java_script_enabled=javascript)
    page.get_by_role("link", name="Show 5 older comments").click()
    page.get_by_role("link", name="Show 3 older comments").click()
    expect(page.locator(".comment-list")).to_contain_text("note 1")
    older = page.url
    page.get_by_role("button", name="Delete comment by Olivia").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this comment?")
    page.get_by_role("button", name="Delete comment by Olivia").click()
    expect(page.get_by_text("Comment deleted.")).to_be_visible()
    assert page.url == older
    expect(page.locator(".comment-list")).not_to_contain_text("note 0")
    expect(page.locator(".comment-list")).to_contain_text("note 1")
