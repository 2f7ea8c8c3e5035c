"""Screenshots of the main pages at 375 px and 1280 px, in the light and the dark theme.

They always land in test-artifacts/screenshots/ (CI keeps test-artifacts/). To refresh the
pictures committed in docs/screenshots/ (the README shows docs/screenshots/lobby-phone.png),
run this module with SCREENSHOTS_TO_DOCS=1:

    SCREENSHOTS_TO_DOCS=1 DJANGO_ENV=test .venv/bin/python -m pytest \
        tests/browser/test_screenshots.py

Only the visible screen is kept (not the whole page) at one device pixel per CSS pixel, so the
PNGs stay small.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hangout import demo
from lobbies import services
from lobbies.store import load_lobby
from tests.factories import make_settings
from voting import decisions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
SIZES = {
    "phone": {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
THEMES = {"light": "", "dark": "-dark"}
# Kept in test-artifacts/ only: close enough to a picture docs/ has already.
NOT_IN_DOCS = {"lobby-group-desktop", "lobby-empty-desktop", "sign-up-desktop"}


def save(page: Page, name: str) -> None:
    """The visible screen as test-artifacts/screenshots/<name>.png (and docs/, on request)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.wait_for_load_state("load")
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    if (
        os.environ.get("SCREENSHOTS_TO_DOCS") == "1"
        and name.removesuffix("-dark") not in NOT_IN_DOCS
    ):
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)


def answered_lobby() -> demo.SeedReport:
    """A week of evenings in 15-minute slots, six people who answered, three places."""
    return demo.seed_demo(
        participants=6,
        days=7,
        slot_minutes=15,
        day_start=18 * 60,
        day_end=23 * 60,
        places=3,
        title="Summer dinner",
        rng=random.Random(17),
    )


@pytest.mark.parametrize("theme", THEMES)
def test_screenshots_of_the_main_pages(new_context, seat, theme):
    suffix = THEMES[theme]
    lobby = answered_lobby()
    viewer = lobby.participants[1]
    empty = services.create_lobby(make_settings(title="Board games"), "Olivia", None).participant

    for size, options in SIZES.items():
        visitor = new_context(color_scheme=theme, **options).new_page()
        visitor.goto("/")
        save(visitor, f"home-{size}{suffix}")
        visitor.goto("/accounts/login/")
        save(visitor, f"sign-in-{size}{suffix}")
        visitor.goto("/accounts/signup/")
        save(visitor, f"sign-up-{size}{suffix}")

        # Just joined: what the first screen asks of a new person.
        visitor.goto(f"/l/{lobby.code}/")
        visitor.get_by_label("Your name").fill("Gus")
        visitor.get_by_role("button", name="Join the lobby").click()
        expect(visitor.locator("#my-grid")).to_be_visible()
        save(visitor, f"lobby-{size}{suffix}")

        organizer = new_context(color_scheme=theme, **options)
        seat(organizer, empty.code, empty.participant_id)
        page = organizer.new_page()
        page.goto(f"/l/{empty.code}/")
        save(page, f"lobby-empty-{size}{suffix}")

        member = new_context(color_scheme=theme, **options)
        seat(member, lobby.code, viewer.participant_id)
        page = member.new_page()
        page.goto(f"/l/{lobby.code}/")
        page.locator("#group-view").scroll_into_view_if_needed()
        save(page, f"lobby-group-{size}{suffix}")

    _settle(lobby)
    for size, options in SIZES.items():
        member = new_context(color_scheme=theme, **options)
        seat(member, lobby.code, viewer.participant_id)
        page = member.new_page()
        page.goto(f"/l/{lobby.code}/")
        save(page, f"settled-{size}{suffix}")


def _settle(lobby: demo.SeedReport) -> None:
    """The organizer settles on the recommended time and place."""
    snapshot = load_lobby(lobby.code)
    rec = decisions.recommendation(snapshot)
    place = rec.place.place_id if rec.place else None
    decisions.settle(snapshot, lobby.organizer.participant_id, rec.window.start_slot, place)
