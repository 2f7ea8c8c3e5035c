"""Layout facts of the lobby page, measured in chromium at a desktop and a phone size.

- 1280 px: your grid and the group's heatmap sit side by side, their first rows (and header
  rows) on the same line and of the same height; cells are at least 28 x 20 px at 15-minute
  slots; a long lobby scrolls sideways inside its box with the time column kept in view.
- 1280 x 800 with five best times, in English and German: no large empty gap above your grid
  (the best times beside it once made one), and the best times in view without scrolling.
- 375 px, right after joining: the grid's first row is within the first 1.5 screen heights,
  the personal link and the invite box are folded away, and "You" / "Everyone" tabs lead to
  the two grids.
- At both sizes nothing makes the page itself scroll sideways.
"""

from __future__ import annotations

import random
import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from hangout import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
GERMAN = {"locale": "de-DE", "extra_http_headers": {"Accept-Language": "de-DE,de;q=0.9"}}
# Above your grid, the largest vertical distance between one visible block and the next
# (heading, time zone line, "How to mark", the marks to paint with, then the grid).
LARGEST_GAP_ABOVE_MY_GRID = """() => {
  const panel = document.querySelector("#availability");
  const blocks = [...panel.querySelectorAll(".panel-head > *, .panel-tools > *")]
    .concat([panel.querySelector(".grid-scroll")])
    .map(el => el.getBoundingClientRect())
    .filter(r => r.height > 0)
    .sort((a, b) => a.top - b.top);
  let largest = 0;
  for (let i = 1; i < blocks.length; i++) {
    largest = Math.max(largest, blocks[i].top - blocks[i - 1].bottom);
  }
  return largest;
}"""
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
PASSWORD = "a long enough passphrase 7"


def lobby_with_answers(days: int = 7) -> demo.SeedReport:
    return demo.seed_demo(
        participants=5,
        days=days,
        slot_minutes=15,
        day_start=18 * 60,
        day_end=23 * 60,
        places=2,
        title="Layout check",
        rng=random.Random(5),
    )


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not on screen"
    return found


def no_sideways_scroll(page: Page) -> None:
    # Against the viewport asked for: a phone's window widens itself to overflowing content.
    wide = page.evaluate("document.documentElement.scrollWidth")
    screen = page.viewport_size["width"]
    assert wide <= screen, f"the page is {wide} px wide on a {screen} px screen"


def join(page: Page, code: str, name: str) -> None:
    page.goto(f"/l/{code}/")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join the lobby").click()
    expect(page.locator("#my-grid")).to_be_attached()


def test_desktop_grids_side_by_side_with_rows_aligned(new_context, seat):
    lobby = lobby_with_answers()
    context = new_context(**DESKTOP)
    seat(context, lobby.code, lobby.participants[1].participant_id)
    page = context.new_page()
    page.goto(f"/l/{lobby.code}/")
    expect(page.locator("#my-grid [role=gridcell]").first).to_be_attached()

    mine, everyone = box(page, "#my-grid"), box(page, "#heatmap")
    assert mine["x"] + mine["width"] <= everyone["x"], "the two grids overlap or stack"
    assert mine["width"] >= 400 and everyone["width"] >= 400
    for part in ("thead tr", "tbody tr"):
        a, b = box(page, f"#my-grid {part}"), box(page, f"#heatmap {part}")
        assert abs(a["y"] - b["y"]) <= 1, f"first {part} rows at {a['y']} and {b['y']}"
        assert abs(a["height"] - b["height"]) <= 1, f"{part} heights {a['height']}, {b['height']}"
    # The tenth row too: equal heights all the way down, not only at the top.
    a = box(page, "#my-grid tbody tr:nth-child(10)")
    b = box(page, "#heatmap tbody tr:nth-child(10)")
    assert abs(a["y"] - b["y"]) <= 1

    cell = box(page, "#my-grid tbody td[data-s]")
    assert cell["width"] >= 28 and cell["height"] >= 20, cell
    heat = box(page, "#heatmap tbody td")
    assert heat["width"] >= 28 and heat["height"] >= 20, heat
    # Best times sit beside the grids, above the fold.
    assert box(page, "#best-heading")["y"] < 900
    no_sideways_scroll(page)


@pytest.mark.parametrize("language", [{}, GERMAN], ids=["en", "de"])
def test_no_large_gap_above_my_grid_beside_five_best_times(new_context, seat, language):
    lobby = lobby_with_answers()
    context = new_context(viewport={"width": 1280, "height": 800}, **language)
    seat(context, lobby.code, lobby.participants[1].participant_id)
    page = context.new_page()
    page.goto(f"/l/{lobby.code}/")
    expect(page.locator("#my-grid [role=gridcell]").first).to_be_attached()
    expect(page.locator("html")).to_have_attribute("lang", re.compile("^de" if language else "^en"))
    expect(page.locator(".best-time")).to_have_count(5)

    gap = page.evaluate(LARGEST_GAP_ABOVE_MY_GRID)
    assert gap < 48, f"a {gap:.0f} px empty gap above your grid"
    mine, everyone = box(page, "#my-grid"), box(page, "#heatmap")
    assert abs(mine["y"] - everyone["y"]) <= 1, "the two tables start on different lines"
    last_best = box(page, ".best-time:last-child")
    assert last_best["y"] + last_best["height"] <= 800, "the fifth best time is below the fold"


def test_long_lobby_scrolls_sideways_inside_its_box(new_context, seat):
    lobby = lobby_with_answers(days=21)
    context = new_context(**DESKTOP)
    seat(context, lobby.code, lobby.participants[1].participant_id)
    page = context.new_page()
    page.goto(f"/l/{lobby.code}/")
    scroller = page.locator("#my-grid").locator("xpath=..")
    sizes = scroller.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] > sizes[1], "21 days should not fit: the grid scrolls sideways"
    time_column = page.locator("#my-grid tbody th").first
    before = time_column.bounding_box()["x"]
    scroller.evaluate("el => { el.scrollLeft = 300; }")
    page.wait_for_timeout(50)
    assert abs(time_column.bounding_box()["x"] - before) <= 1, "the time column scrolled away"
    assert box(page, "#my-grid tbody td[data-s]")["width"] >= 28
    no_sideways_scroll(page)


def test_phone_after_joining_shows_the_grid_first(new_context):
    lobby = lobby_with_answers()
    page = new_context(**PHONE).new_page()
    join(page, lobby.code, "Gus")

    screen = page.viewport_size["height"]
    first_row = page.locator("#my-grid tbody tr").first.bounding_box()
    scrolled = page.evaluate("window.scrollY")
    assert first_row["y"] + scrolled <= 1.5 * screen, f"first grid row at {first_row['y']} px"
    # The personal link is there (shown once), folded with the invite into "Share".
    share = page.locator("details#share")
    expect(share).not_to_have_attribute("open", "")
    expect(page.locator("#personal-link")).to_be_hidden()
    expect(page.locator("#invite-link")).to_be_hidden()
    share.locator(":scope > summary").click()
    expect(page.locator("#personal-link")).to_be_visible()
    expect(page.locator("#invite-link")).to_be_visible()
    no_sideways_scroll(page)

    # "Everyone" leads to the heatmap, without JavaScript needed.
    page.get_by_role("link", name="Everyone").click()
    expect(page).to_have_url(re.compile(r"#group-view$"))
    assert page.locator("#heatmap").bounding_box()["y"] < screen
    no_sideways_scroll(page)


def test_signed_in_people_get_no_personal_link(new_context):
    lobby = lobby_with_answers()
    get_user_model().objects.create_user(
        username="sam", email="sam@example.com", password=PASSWORD, first_name="Sam"
    )
    page = new_context(**PHONE).new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("sam@example.com")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(f"/l/{lobby.code}/")
    expect(page.get_by_label("Your name")).to_have_value("Sam")
    page.get_by_role("button", name="Join the lobby").click()
    expect(page.locator("#my-grid")).to_be_attached()
    assert page.locator("#personal-link").count() == 0
    no_sideways_scroll(page)


def test_a_six_day_grid_fits_a_phone_whole(new_context):
    """Six days at 375 px: both tables end inside their box, the last column's right border
    included (it was cut off by a pixel or more, the table a little wider than its box)."""
    lobby = lobby_with_answers(days=6)
    page = new_context(**PHONE).new_page()
    join(page, lobby.code, "Gus")
    for table in ("#my-grid", "#heatmap"):
        scroller = page.locator(table).locator("xpath=..")
        wide, room = scroller.evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert wide <= room, f"{table} is {wide} px wide in a {room} px box"
        last = box(page, f"{table} tbody tr td:last-child")
        inner_right = scroller.evaluate("el => el.getBoundingClientRect().left + el.clientLeft")
        inner_right += room
        assert last["x"] + last["width"] <= inner_right + 0.5, f"{table}'s last column is cut"
    no_sideways_scroll(page)
