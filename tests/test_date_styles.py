"""Dates read one way on a page, as each language writes them: month abbreviations in lower
case where the language does ("6 déc.", "6 dic"; German capitalises: "6. Dez."), and the
lobby's deletion date in the same style as its days (not Django's "Jan. 18, 2027")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import dateformat, translation

from letshangout.formats import local_format
from lobbies.comments import services as comments
from lobbies.store import load_lobby
from tests.factories import make_settings

SIXTH_OF_DECEMBER = date(2026, 12, 6)
SHORT_DAYS = {"en": "6 Dec", "de": "6. Dez.", "fr": "6 déc.", "es": "6 dic"}
SHORT_DAYS_WITH_YEAR = {
    "en": "6 Dec 2026",
    "de": "6. Dez. 2026",
    "fr": "6 déc. 2026",
    "es": "6 dic 2026",
}
COMMENT_TIMES = {
    "en": "Sun 6 Dec, 19:30",
    "de": "So, 6. Dez., 19:30",
    "fr": "dim 6 déc., 19:30",
    "es": "dom 6 dic, 19:30",
}


def formatted(value, name: str, language: str) -> str:
    with translation.override(language):
        return dateformat.format(value, local_format(name))


@pytest.mark.parametrize("language", SHORT_DAYS)
def test_short_days_as_the_language_writes_them(language):
    assert formatted(SIXTH_OF_DECEMBER, "SHORT_DAY_FORMAT", language) == SHORT_DAYS[language]
    year = formatted(SIXTH_OF_DECEMBER, "SHORT_DAY_YEAR_FORMAT", language)
    assert year == SHORT_DAYS_WITH_YEAR[language]
    moment = datetime(2026, 12, 6, 19, 30)
    assert formatted(moment, "SHORT_DAY_TIME_FORMAT", language) == COMMENT_TIMES[language]


@pytest.mark.django_db
@pytest.mark.parametrize("language", SHORT_DAYS)
def test_the_lobby_page_uses_one_date_style(organizer_client, lobby, language):
    comments.post_comment(lobby, lobby.organizer.participant_id, "See you there")
    page = organizer_client.get(
        reverse("lobbies:detail", args=[lobby.code]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    snapshot = load_lobby(lobby.code)
    zone = ZoneInfo(snapshot.lobby.timezone)
    # The deletion date reads like the page's days: weekday, day, month, year.
    expires = datetime.fromtimestamp(int(snapshot.lobby.expires_at), UTC).astimezone(zone)
    expiry = re.search(r'<p id="lobby-expiry">(.*?)</p>', page, re.S)[1]
    assert formatted(expires, "DAY_YEAR_FORMAT", language) in expiry
    # A comment's time reads like the grid's column headings.
    (comment,) = snapshot.comments
    when = comment.created_at.astimezone(zone).replace(tzinfo=None)
    shown = re.search(r'<li id="c-[^"]+"[^>]*>\s*<b>[^<]*</b>\s+<time[^>]*>([^<]*)</time>', page)[1]
    assert shown == formatted(when, "SHORT_DAY_TIME_FORMAT", language)
    assert formatted(when.date(), "SHORT_DAY_FORMAT", language) in shown


@pytest.fixture
def lobby_settings():
    return make_settings(dates=(date.today() + timedelta(days=2),))


@pytest.mark.django_db
def test_the_comment_delete_confirmation_dates_the_comment_in_the_language(organizer_client, lobby):
    comment = comments.post_comment(lobby, lobby.organizer.participant_id, "See you there")
    url = reverse("lobbies:delete_comment", args=[lobby.code])
    page = organizer_client.get(
        url, {"comment": comment.comment_id}, HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    zone = ZoneInfo(load_lobby(lobby.code).lobby.timezone)
    when = comment.created_at.astimezone(zone).replace(tzinfo=None)
    assert f"<time>{formatted(when, 'SHORT_DAY_TIME_FORMAT', 'de')}</time>" in page


@pytest.mark.django_db
def test_a_late_deadline_names_the_last_day_in_the_language(organizer_client, lobby):
    from tests.test_time_zones import payload_from_page

    url = reverse("lobbies:edit", args=[lobby.code])
    page = organizer_client.get(url).content.decode()
    snapshot = load_lobby(lobby.code)
    last = max(date.fromisoformat(day) for day in snapshot.lobby.dates)
    payload = payload_from_page(page, snapshot.lobby, deadline="9999-12-31T23:59")
    response = organizer_client.post(url, payload, HTTP_ACCEPT_LANGUAGE="en")
    assert f"the end of the last day, {formatted(last, 'DAY_YEAR_FORMAT', 'en')}." in (
        response.content.decode()
    )


# A settled meeting's start: the day with its year, then the time, joined as the language
# joins them (Japanese with a space, Arabic with its own comma).
SETTLED_STARTS = {
    "en": "Monday 7 December 2026, 19:30",
    "ja": "2026年12月7日(月) 19:30",
    "ar": "الاثنين، 7 ديسمبر 2026، 19:30",
}


@pytest.mark.parametrize("language", SETTLED_STARTS)
def test_a_settled_start_reads_as_the_language_writes_it(language):
    start = datetime(2026, 12, 7, 19, 30)
    assert formatted(start, "DAY_YEAR_TIME_FORMAT", language) == SETTLED_STARTS[language]
