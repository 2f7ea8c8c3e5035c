"""A settled lobby's "add to Outlook.com / Office 365" links, beside Google's and the .ics:
parsed back with urllib.parse, for a lobby in Berlin around its spring daylight-saving change,
with a title and place that hold &, #, accents, an emoji and right-to-left text."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from lobbies import services
from lobbies.availability import weekly
from lobbies.store import load_lobby
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.voting_support import evening_window, propose, reload
from voting import decisions
from voting.calendar import ics

ZONE = "Europe/Berlin"
BERLIN = ZoneInfo(ZONE)
TITLE = "Drinks & games #3 — Café ☕ مساء الخير"
PLACE = "Bäckerei & Bar #1 مقهى"
ADDRESS = "Straße 5, tür #2"
OUTLOOK_HOSTS = {ics.OUTLOOK_COM: "outlook.live.com", ics.OFFICE_365: "outlook.office.com"}


def parsed(url: str) -> tuple[str, dict[str, str]]:
    """(scheme://host/path, each parameter's one value); a repeated parameter fails."""
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values()), query
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {k: v[0] for k, v in query.items()}


def utc(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text)


def event(**overrides) -> ics.EventDetails:
    # 2030-03-31: Berlin's clocks go from 02:00 CET to 03:00 CEST. 01:30 CET to 03:30 CEST is
    # one hour of real time, though the wall clock moves two.
    values = {
        "code": "ABCDEFGH",
        "title": TITLE,
        "description": "Bring cards",
        "starts_at": datetime(2030, 3, 31, 1, 30, tzinfo=BERLIN),
        "ends_at": datetime(2030, 3, 31, 3, 30, tzinfo=BERLIN),
        "all_day": False,
        "timezone": ZONE,
        "location": f"{PLACE}, {ADDRESS}",
        "url": "https://letshangout.example/l/ABCDEFGH/",
        "sequence": 1,
        "stamp": datetime(2030, 3, 1, 12, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return ics.EventDetails(**values)


@pytest.mark.no_dynamodb
class TestOutlookLinks:
    @pytest.mark.parametrize("host", [ics.OUTLOOK_COM, ics.OFFICE_365])
    def test_carry_the_event_in_utc_across_the_change(self, host):
        base, query = parsed(ics.outlook_calendar_url(event(), host))
        assert base == f"https://{OUTLOOK_HOSTS[host]}/calendar/0/deeplink/compose"
        assert query["path"] == "/calendar/action/compose"
        assert query["rru"] == "addevent"
        assert query["subject"] == TITLE
        assert query["location"] == f"{PLACE}, {ADDRESS}"
        assert query["body"] == "Bring cards\n\nhttps://letshangout.example/l/ABCDEFGH/"
        assert utc(query["startdt"]) == datetime(2030, 3, 31, 0, 30, tzinfo=UTC)
        assert utc(query["enddt"]) == datetime(2030, 3, 31, 1, 30, tzinfo=UTC)
        assert utc(query["enddt"]) - utc(query["startdt"]) == timedelta(hours=1)
        assert "allday" not in query

    def test_special_characters_stay_inside_their_parameter(self):
        url = ics.outlook_calendar_url(event(), ics.OUTLOOK_COM)
        assert "#" not in url
        assert " " not in url
        assert set(parsed(url)[1]) == {
            "path",
            "rru",
            "startdt",
            "enddt",
            "subject",
            "location",
            "body",
        }

    def test_leave_out_an_empty_place_and_notes(self):
        url = ics.outlook_calendar_url(event(location="", description="", url=""), ics.OFFICE_365)
        assert set(parsed(url)[1]) == {"path", "rru", "startdt", "enddt", "subject"}

    def test_a_whole_day_is_dates_with_allday(self):
        whole = event(
            all_day=True,
            starts_at=datetime(2030, 3, 31, tzinfo=BERLIN),
            ends_at=datetime(2030, 4, 1, tzinfo=BERLIN),
        )
        _base, query = parsed(ics.outlook_calendar_url(whole, ics.OUTLOOK_COM))
        assert (query["startdt"], query["enddt"]) == ("2030-03-31", "2030-04-01")
        assert query["allday"] == "true"

    def test_a_repeating_meeting_gets_none(self):
        repeating = event(recurrence=ics.Recurrence(byday="MO"))
        assert ics.outlook_calendar_url(repeating, ics.OUTLOOK_COM) is None
        assert ics.outlook_calendar_url(repeating, ics.OFFICE_365) is None

    def test_google_reads_the_same_words(self):
        _base, query = parsed(ics.google_calendar_url(event()))
        assert query["text"] == TITLE
        assert query["location"] == f"{PLACE}, {ADDRESS}"
        assert query["details"] == "Bring cards\n\nhttps://letshangout.example/l/ABCDEFGH/"
        assert query["dates"] == "20300331T003000Z/20300331T013000Z"


# --- on the settled lobby's page -----------------------------------------------------------------


def days_around_the_next_spring_change() -> tuple[date, ...]:
    """The day before Berlin's next change to summer time, that day, and the day after."""

    def summer(day: date) -> bool:
        return bool(datetime.combine(day, datetime.min.time(), BERLIN).replace(hour=12).dst())

    day = date.today() + timedelta(days=2)
    while summer(day - timedelta(days=1)) or not summer(day):
        day += timedelta(days=1)
    return (day - timedelta(days=1), day, day + timedelta(days=1))


def links_on(page: str) -> dict[str, str]:
    """The settled banner's links to online calendars, by their text."""
    region = page[page.index('class="calendar-links"') :]
    region = region[: region.index("</ul>")]
    found = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', region)
    return {text: html.unescape(href) for href, text in found}


@pytest.fixture
def berlin_lobby(db, organizer_client):
    dates = days_around_the_next_spring_change()
    membership = services.create_lobby(
        make_settings(title=TITLE, timezone=ZONE, dates=dates), "Olivia", None
    )
    seat_client(organizer_client, membership.participant.code, membership.participant)
    return load_lobby(membership.participant.code)


@pytest.mark.django_db
class TestOnTheSettledPage:
    def settle(self, snapshot, day: int, repeat=None):
        owner = snapshot.lobby.owner_id
        place = propose(snapshot.code, owner, PLACE, address=ADDRESS)
        start = evening_window(snapshot, day, 19)
        decisions.settle(reload(snapshot.code), owner, start, place.place_id, repeat=repeat)

    @pytest.mark.parametrize(("day", "offset"), [(0, 1), (2, 2)])
    def test_outlook_links_on_either_side_of_the_change(
        self, berlin_lobby, organizer_client, join_as, day, offset
    ):
        guest, _ = join_as(berlin_lobby, "Ann")
        self.settle(berlin_lobby, day)
        meeting_day = date.fromisoformat(berlin_lobby.lobby.dates[day])
        expected_start = datetime.combine(meeting_day, datetime.min.time(), UTC) + timedelta(
            hours=19 - offset
        )
        for client in (organizer_client, guest):
            response = client.get(reverse("lobbies:detail", args=[berlin_lobby.code]))
            assert response.status_code == HTTPStatus.OK
            links = links_on(response.content.decode())
            assert set(links) == {"Google Calendar", "Outlook.com", "Office 365"}
            for name, host in [
                ("Outlook.com", "outlook.live.com"),
                ("Office 365", "outlook.office.com"),
            ]:
                base, query = parsed(links[name])
                assert urlsplit(base).netloc == host
                assert query["subject"] == TITLE
                assert query["location"] == f"{PLACE}, {ADDRESS}"
                assert utc(query["startdt"]) == expected_start
                assert utc(query["enddt"]) == expected_start + timedelta(hours=2)
            assert parsed(links["Google Calendar"])[1]["text"] == TITLE

    def test_a_weekly_meeting_offers_the_ics_for_outlook_and_says_why(self, db, organizer_client):
        settings = make_settings(
            title=TITLE,
            timezone=ZONE,
            dates=weekly.reference_dates((1, 3)),
            schedule=weekly.WEEKDAYS,
            weekdays=(1, 3),
        )
        membership = services.create_lobby(settings, "Olivia", None)
        code = membership.participant.code
        seat_client(organizer_client, code, membership.participant)
        today = datetime.now(BERLIN).date()
        self.settle(reload(code), 1, repeat=weekly.Repeat(weekly.next_on(3, today + timedelta(1))))
        page = organizer_client.get(reverse("lobbies:detail", args=[code])).content.decode()
        assert set(links_on(page)) == {"Google Calendar"}
        assert "outlook.live.com" not in page
        assert "outlook.office.com" not in page
        assert "can add only a single meeting, not a repeating one" in page
        assert "Add to my calendar (.ics)" in page

    def test_a_one_off_meeting_has_no_such_note(self, berlin_lobby, organizer_client):
        self.settle(berlin_lobby, 0)
        page = organizer_client.get(reverse("lobbies:detail", args=[berlin_lobby.code]))
        assert "not a repeating one" not in page.content.decode()
