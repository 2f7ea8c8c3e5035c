"""A script without spaces: the lobby in a Japanese browser (`locale="ja-JP"`) on a 375 px
phone and a desktop. Dates read as Japanese writes them (12月7日(月)); lines break by the
Japanese rules and never inside a Latin word; every button's text fits its button; nothing
overflows the screen; axe finds nothing serious.

The lobby's title, description and names are Japanese, long enough to wrap on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lobbies import services as lobby_services
from tests.browser.conftest import PHONE
from tests.browser.helpers import screenshot
from tests.browser.page_checks import (
    BAD_JAPANESE_BREAKS,
    BREAK_ANYWHERE,
    NO_END,
    NO_START,
    SPLIT_WORDS,
    layout_problems,
    watch_errors,
)
from tests.browser.test_accessibility import BLOCKING, audit, readable
from tests.factories import make_settings
from tests.voting_support import evening_window, mark, propose, reload, slots, vote
from voting import decisions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JAPANESE = {
    "locale": "ja-JP",
    "timezone_id": "Europe/Berlin",
    "extra_http_headers": {"Accept-Language": "ja-JP,ja;q=0.9"},
}
TITLE = "みんなで忘年会の日程を決めましょう（駅前の居酒屋で、金曜日の夜に）"
DESCRIPTION = (
    "参加できる時間に印をつけてください。ちょっと長めの説明文で、スマートフォンの画面での"
    "折り返しを確かめます。Karaoke も予定しています。"
)
WEEKDAY = "[日月火水木金土]"
COLUMN_DAY = re.compile(r"\d{1,2}月\d{1,2}日")
SETTLED_START = re.compile(rf"\d{{4}}年\d{{1,2}}月\d{{1,2}}日\({WEEKDAY}\) \d{{1,2}}:\d{{2}}")


@pytest.fixture
def japanese_lobby():
    """Three people with marks, two places with votes; returns (code, organizer, guest,
    start of the best evening, the favourite place)."""
    settings = make_settings(title=TITLE, description=DESCRIPTION)
    organizer = lobby_services.create_lobby(settings, "さくら", None).participant
    code = organizer.code
    takeshi = lobby_services.join_lobby(reload(code), "たけし", None).participant
    yuko = lobby_services.join_lobby(reload(code), "ゆうこ", None).participant
    start = evening_window(reload(code), 1, 19)
    mark(code, organizer.participant_id, yes=slots(start, 4))
    mark(code, takeshi.participant_id, yes=slots(start, 4), maybe=slots(start + 4, 2))
    mark(code, yuko.participant_id, maybe=slots(start, 2))
    address = "東京都中央区銀座1-2-3"
    izakaya = propose(code, organizer.participant_id, "居酒屋 鳥ぎん", address=address)
    karaoke = propose(code, takeshi.participant_id, "カラオケ Big Echo")
    vote(code, organizer.participant_id, izakaya.place_id, "yes")
    vote(code, takeshi.participant_id, izakaya.place_id, "yes")
    vote(code, yuko.participant_id, karaoke.place_id, "maybe")
    return code, organizer, takeshi, start, izakaya


def text_problems(page: Page, name: str) -> list[str]:
    """The page is Japanese, no rule cuts words anywhere, no Latin word is split and no line
    breaks against the Japanese rules."""
    problems = []
    lang = page.evaluate("document.documentElement.lang")
    if lang != "ja":
        problems.append(f"{name}: <html lang={lang!r}>")
    if page.evaluate("getComputedStyle(document.body).lineBreak") != "strict":
        problems.append(f"{name}: Japanese text does not break by the strict rules")
    for label, script, argument in [
        ("cuts words anywhere", BREAK_ANYWHERE, None),
        ("Latin words split", SPLIT_WORDS, None),
        ("lines broken against the Japanese rules", BAD_JAPANESE_BREAKS, [NO_START, NO_END]),
    ]:
        found = page.evaluate(script, argument)
        if found:
            problems.append(f"{name}: {label}: {found[:5]}")
    return problems


def test_japanese_on_a_phone(new_context, seat, japanese_lobby):
    code, organizer, takeshi, start, izakaya = japanese_lobby
    context = new_context(**JAPANESE, **PHONE)
    seat(context, code, takeshi.participant_id)
    page = context.new_page()
    errors = watch_errors(page)
    width = PHONE["viewport"]["width"]

    page.goto(f"/l/{code}/")
    expect(page.locator("#my-grid[role=grid]")).to_be_visible()
    # The grid's columns: the weekday, and the date under it as Japanese writes it.
    weekdays = page.locator("#my-grid thead .wd").all_inner_texts()
    days = page.locator("#my-grid thead .dm").all_inner_texts()
    assert len(days) == 3 and all(COLUMN_DAY.fullmatch(day) for day in days), days
    assert all(re.fullmatch(WEEKDAY, weekday) for weekday in weekdays), weekdays
    problems = text_problems(page, "lobby") + layout_problems(page, "lobby", width)
    screenshot(page, "japanese-phone-lobby")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "japanese-phone-lobby-top", full_page=False)

    for name, path in [("home", "/"), ("create", "/lobbies/new/"), ("sign-in", "/accounts/login/")]:
        page.goto(path)
        problems += text_problems(page, name) + layout_problems(page, name, width)

    # Settled: the line says when as Japanese writes a date and time.
    decisions.settle(reload(code), organizer.participant_id, start, izakaya.place_id)
    page.goto(f"/l/{code}/")
    when = page.locator(".decision-line time").first.inner_text()
    assert SETTLED_START.fullmatch(when), when
    problems += text_problems(page, "settled") + layout_problems(page, "settled", width)
    page.locator(".decision-banner").scroll_into_view_if_needed()
    screenshot(page, "japanese-phone-settled", full_page=False)
    assert not problems, "\n".join(problems)
    assert not errors, errors


def test_japanese_on_a_desktop(new_context, seat, japanese_lobby):
    code, organizer, *_rest = japanese_lobby
    context = new_context(bypass_csp=True, **JAPANESE)
    seat(context, code, organizer.participant_id)
    page = context.new_page()
    problems: list[str] = []
    found: list[dict] = []
    for name, path in [("home", "/"), ("create", "/lobbies/new/"), ("lobby", f"/l/{code}/")]:
        page.goto(path)
        problems += text_problems(page, name) + layout_problems(page, name, 1280)
        found += audit(page, f"{name} (ja)")
    screenshot(page, "japanese-desktop-lobby")
    assert not problems, "\n".join(problems)
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert not blocking, "axe found serious or critical violations:" + readable(blocking)


def test_the_checks_see_words_cut_anywhere(new_page):
    """The checks above can fail: one character a line, as `line-break: anywhere` cuts."""
    page = new_page()
    page.set_content(
        '<p lang="ja" style="width: 1em; line-break: anywhere">コーヒー、Karaoke。</p>'
    )
    assert page.evaluate(BREAK_ANYWHERE) == ["p."]
    assert "Karaoke" in page.evaluate(SPLIT_WORDS)
    assert page.evaluate(BAD_JAPANESE_BREAKS, [NO_START, NO_END])
