"""Weekly lobbies: days of the week instead of dates, from the form to the .ics."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from letshangout import dynamo
from lobbies import services
from lobbies.availability import weekly
from lobbies.availability.answers import spec_for
from lobbies.availability.layout import view_grid
from lobbies.errors import LobbyError
from lobbies.page.labels import repeat_label
from lobbies.retention import expiry_for
from lobbies.store import load_lobby
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.voting_support import evening_window, mark, propose, reload, slots
from voting import decisions
from voting.calendar import ics

ZONE = "Europe/Berlin"


def weekly_settings(**overrides):
    values = {
        "dates": weekly.reference_dates((1, 3, 5)),
        "schedule": weekly.WEEKDAYS,
        "weekdays": (1, 3, 5),
        "timezone": ZONE,
    }
    values.update(overrides)
    return make_settings(**values)


def create_payload(**overrides) -> dict:
    payload = {
        "title": "Weekly five-a-side",
        "schedule": "weekdays",
        "weekdays": ["1", "3", "5"],
        "day_start": "18:00",
        "day_end": "22:00",
        "slot_minutes": "60",
        "meeting_minutes": "120",
        "timezone": ZONE,
        "display_name": "Olivia",
        "remind_hours": "24",  # the reminder's field, posted by the form as it renders
    }
    payload.update(overrides)
    return payload


def only_lobby_code() -> str:
    (code,) = [item.code for item in dynamo.TableItem.scan() if item.sk == "LOBBY"]
    return code


def next_on(weekday: int) -> date:
    today = datetime.now(ZoneInfo(ZONE)).date()
    return weekly.next_on(weekday, today + timedelta(days=1))


@pytest.fixture
def weekly_lobby(db, organizer_client):
    membership = services.create_lobby(weekly_settings(), "Olivia", None)
    seat_client(organizer_client, membership.participant.code, membership.participant)
    return load_lobby(membership.participant.code)


# --- pure rules ----------------------------------------------------------------------------------


@pytest.mark.no_dynamodb
class TestReferenceWeek:
    def test_weekdays_map_to_the_reference_week(self):
        assert weekly.reference_dates((5, 1)) == (date(2001, 1, 1), date(2001, 1, 5))
        assert [d.isoweekday() for d in weekly.reference_dates(range(1, 8))] == list(range(1, 8))
        assert weekly.is_weekly_grid(weekly.reference_dates((2,)))
        assert not weekly.is_weekly_grid((date.today(),))

    def test_a_weekly_grid_is_never_converted_to_the_viewers_zone(self):
        spec = spec_for(_FakeLobby())
        tokyo = view_grid(spec, "Asia/Tokyo")
        assert tokyo.columns == spec.dates
        assert tokyo.rows[0].time.hour == 18

    def test_occurrence_moves_the_wall_clock_window_to_the_first_date(self):
        monday = date(2026, 3, 30)  # after the spring change in Berlin
        start, end = weekly.occurrence(
            datetime(2001, 1, 1, 19), datetime(2001, 1, 1, 21), monday, ZONE
        )
        assert (start.hour, end.hour, start.date()) == (19, 21, monday)
        assert start.utcoffset() == timedelta(hours=2)
        with pytest.raises(ValueError):
            weekly.occurrence(
                datetime(2001, 1, 1, 19), datetime(2001, 1, 1, 21), monday + timedelta(1), ZONE
            )

    def test_repeat_refuses_contradictions(self):
        with pytest.raises(ValueError):
            weekly.Repeat(date(2026, 1, 5), until=date(2026, 1, 1))
        with pytest.raises(ValueError):
            weekly.Repeat(date(2026, 1, 5), until=date(2026, 2, 1), count=3)

    @pytest.mark.parametrize(
        ("repeat", "words"),
        [
            (weekly.Repeat(date(2026, 12, 14)), "Every Monday from 14 December 2026"),
            (
                weekly.Repeat(date(2026, 12, 14), until=date(2027, 3, 1)),
                "Every Monday from 14 December 2026, until 1 March 2027",
            ),
            (
                weekly.Repeat(date(2026, 12, 14), count=3),
                "Every Monday from 14 December 2026, 3 times",
            ),
        ],
    )
    def test_repeat_names_its_weekday_once(self, repeat, words):
        with translation.override("en"):
            assert repeat_label(repeat) == words

    def test_repeat_dates_follow_the_language(self):
        with translation.override("de"):
            assert "14. Dezember 2026" in repeat_label(weekly.Repeat(date(2026, 12, 14)))


class _FakeLobby:
    dates = [d.isoformat() for d in weekly.reference_dates((1, 2))]
    day_start, day_end, slot_minutes, timezone = 18 * 60, 20 * 60, 60, ZONE


# --- creating and editing ------------------------------------------------------------------------


@pytest.mark.django_db
class TestCreate:
    def test_form_creates_a_weekly_lobby(self, client):
        response = client.post(reverse("lobbies:create"), create_payload())
        assert response.status_code == HTTPStatus.FOUND
        lobby = load_lobby(only_lobby_code()).lobby
        assert lobby.schedule == "weekdays"
        assert list(lobby.weekdays) == [1, 3, 5]
        assert lobby.dates == ["2001-01-01", "2001-01-03", "2001-01-05"]

    def test_weekly_lobby_lives_from_its_creation(self, client, settings):
        settings.WEEKLY_LOBBY_RETENTION_DAYS = 90
        client.post(reverse("lobbies:create"), create_payload())
        lobby = load_lobby(only_lobby_code()).lobby
        expected = (lobby.created_at + timedelta(days=90)).timestamp()
        assert abs(int(lobby.expires_at) - expected) <= 1

    def test_no_weekday_is_refused(self, client):
        response = client.post(reverse("lobbies:create"), create_payload(weekdays=[]))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "Pick at least one day of the week." in response.content.decode()

    def test_bad_weekday_is_refused(self, client):
        response = client.post(reverse("lobbies:create"), create_payload(weekdays=["8"]))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert not list(dynamo.TableItem.scan())

    def test_dates_stay_the_default(self, client):
        payload = create_payload(schedule="", weekdays=[])
        client.post(reverse("lobbies:create"), payload)
        lobby = load_lobby(only_lobby_code()).lobby
        assert lobby.schedule == "dates"
        assert date.fromisoformat(lobby.dates[0]) >= date.today() - timedelta(days=1)

    def test_settings_form_shows_and_keeps_the_weekdays(self, weekly_lobby, organizer_client):
        url = reverse("lobbies:edit", args=[weekly_lobby.code])
        page = organizer_client.get(url).content.decode()
        assert re.search(r'name="schedule" value="weekdays"[^>]*checked', page)
        assert re.search(r'name="weekdays" value="1"[^>]*checked', page)
        payload = create_payload(weekdays=["6", "7"], version=str(weekly_lobby.lobby.version))
        response = organizer_client.post(url, payload)
        assert response.status_code == HTTPStatus.FOUND
        lobby = reload(weekly_lobby.code).lobby
        assert list(lobby.weekdays) == [6, 7]
        assert lobby.expires_at == weekly_lobby.lobby.expires_at


# --- the page ------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestPage:
    def test_columns_are_weekday_names_without_dates(self, weekly_lobby, organizer_client):
        url = reverse("lobbies:detail", args=[weekly_lobby.code])
        page = organizer_client.get(url + "?tz=Asia/Tokyo").content.decode()
        assert "Monday" in page and "Wednesday" in page and "Friday" in page
        assert "2001" not in page and "January" not in page
        assert "the lobby’s time zone, for everyone" in page

    def test_best_times_and_heatmap_work(self, weekly_lobby, organizer_client, join_as):
        _client, ben = join_as(weekly_lobby, "Ben")
        owner = weekly_lobby.lobby.owner_id
        friday = evening_window(weekly_lobby, 2, 19)
        mark(weekly_lobby.code, owner, yes=slots(friday, 4))
        mark(weekly_lobby.code, ben.participant_id, yes=slots(friday, 4))
        rec = decisions.recommendation(reload(weekly_lobby.code))
        assert rec.window.start_slot == friday
        url = reverse("lobbies:detail", args=[weekly_lobby.code])
        page = organizer_client.get(url).content.decode()
        assert "Friday, 19:00–21:00" in page

    def test_plain_day_editor_saves_a_weekday(self, weekly_lobby, organizer_client):
        spec = spec_for(weekly_lobby.lobby)
        slot = spec.slot_index(1, 1)  # Wednesday 19:00
        response = organizer_client.post(
            reverse("lobbies:availability", args=[weekly_lobby.code]),
            {
                "participant": weekly_lobby.lobby.owner_id,
                "grid": _key(weekly_lobby),
                "day": "1",
                "y": [str(slot)],
                "tz": "Asia/Tokyo",
            },
        )
        assert response.status_code == HTTPStatus.FOUND
        from lobbies.availability.answers import answers_of

        marks = answers_of(reload(weekly_lobby.code))[weekly_lobby.lobby.owner_id]
        assert marks[0] == frozenset({slot})


def _key(snapshot) -> str:
    from lobbies.availability.answers import grid_key

    return grid_key(spec_for(snapshot.lobby))


# --- settling ------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestSettle:
    def settle_url(self, code: str) -> str:
        return reverse("voting:settle", args=[code])

    def test_settle_page_asks_for_the_first_date(self, weekly_lobby, organizer_client):
        page = organizer_client.get(self.settle_url(weekly_lobby.code)).content.decode()
        assert 'name="first_date"' in page and 'name="count"' in page
        assert "2001" not in page

    def test_settle_with_first_date_and_count(self, weekly_lobby, organizer_client):
        start = evening_window(weekly_lobby, 1, 19)  # Wednesday 19:00
        first = next_on(3)
        response = organizer_client.post(
            self.settle_url(weekly_lobby.code),
            {
                "window": "other",
                "other_start": str(start),
                "place": "",
                "first_date": first.isoformat(),
                "ends": "count",
                "count": "10",
            },
        )
        assert response.status_code == HTTPStatus.FOUND
        decision = reload(weekly_lobby.code).lobby.decision
        assert decision.first_date == first.isoformat()
        assert int(decision.repeat_count) == 10
        local = decision.starts_at.astimezone(ZoneInfo(ZONE))
        assert (local.date(), local.hour) == (first, 19)
        page = organizer_client.get(reverse("lobbies:detail", args=[weekly_lobby.code]))
        assert "Every Wednesday from" in page.content.decode()
        assert "10 times" in page.content.decode()

    @pytest.mark.parametrize(
        ("first", "message"),
        [
            (lambda: next_on(4), "The first date must be a Wednesday"),
            (lambda: next_on(3) - timedelta(days=14), "must not be in the past"),
        ],
    )
    def test_bad_first_date_is_refused(self, weekly_lobby, organizer_client, first, message):
        day = first()
        response = organizer_client.post(
            self.settle_url(weekly_lobby.code),
            {
                "window": "other",
                "other_start": str(evening_window(weekly_lobby, 1, 19)),
                "first_date": day.isoformat(),
                "ends": "never",
            },
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert message in response.content.decode()
        assert reload(weekly_lobby.code).lobby.status == "open"

    def test_until_before_first_is_refused(self, weekly_lobby, organizer_client):
        first = next_on(3)
        response = organizer_client.post(
            self.settle_url(weekly_lobby.code),
            {
                "window": "other",
                "other_start": str(evening_window(weekly_lobby, 1, 19)),
                "first_date": first.isoformat(),
                "ends": "until",
                "until_date": (first - timedelta(days=1)).isoformat(),
            },
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "The last date comes before the first." in response.content.decode()

    def test_service_refuses_a_first_date_on_another_weekday(self, weekly_lobby):
        with pytest.raises(LobbyError):
            decisions.settle(
                weekly_lobby,
                weekly_lobby.lobby.owner_id,
                evening_window(weekly_lobby, 1, 19),
                None,
                repeat=weekly.Repeat(next_on(1)),
            )

    def test_automatic_settle_picks_the_next_such_weekday(self, weekly_lobby):
        owner = weekly_lobby.lobby.owner_id
        mark(weekly_lobby.code, owner, yes=slots(evening_window(weekly_lobby, 0, 18), 4))
        decision = decisions.settle_automatically(reload(weekly_lobby.code))
        first = date.fromisoformat(decision.first_date)
        assert first.isoweekday() == 1
        assert 0 <= (first - datetime.now(ZoneInfo(ZONE)).date()).days < 7


# --- the calendar --------------------------------------------------------------------------------


@pytest.mark.django_db
class TestCalendar:
    def settle(self, snapshot, repeat, hour=19):
        owner = snapshot.lobby.owner_id
        place = propose(snapshot.code, owner, "The pitch")
        start = evening_window(snapshot, 1, hour)
        decisions.settle(reload(snapshot.code), owner, start, place.place_id, repeat=repeat)
        return reload(snapshot.code)

    def test_ics_carries_a_weekly_rrule_with_count(self, weekly_lobby, organizer_client):
        first = next_on(3)
        self.settle(weekly_lobby, weekly.Repeat(first, count=8))
        response = organizer_client.get(reverse("voting:ics", args=[weekly_lobby.code]))
        assert response.status_code == HTTPStatus.OK
        calendar = Calendar.from_ical(response.content)
        (event,) = calendar.walk("VEVENT")
        rule = event["RRULE"]
        assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["WE"] and rule["COUNT"] == [8]
        start = event.decoded("DTSTART")
        assert (start.date(), start.hour, str(start.tzinfo)) == (first, 19, ZONE)
        assert event["DTSTART"].params["TZID"] == ZONE
        assert calendar.walk("VTIMEZONE")

    def test_ics_until_is_the_end_of_the_last_day(self, weekly_lobby):
        first = next_on(3)
        last = first + timedelta(weeks=4)
        snapshot = self.settle(weekly_lobby, weekly.Repeat(first, until=last))
        event = decisions.settled_event(snapshot, "https://example.test/l/x/")
        (vevent,) = Calendar.from_ical(ics.build_ics(event)).walk("VEVENT")
        (until,) = vevent["RRULE"]["UNTIL"]
        assert until.tzinfo is not None
        assert until.astimezone(ZoneInfo(ZONE)).date() == last

    def test_google_link_carries_the_recurrence(self, weekly_lobby):
        snapshot = self.settle(weekly_lobby, weekly.Repeat(next_on(3)))
        event = decisions.settled_event(snapshot, "https://example.test/l/x/")
        query = parse_qs(urlsplit(ics.google_calendar_url(event)).query)
        assert query["recur"] == ["RRULE:FREQ=WEEKLY;BYDAY=WE"]
        assert query["ctz"] == [ZONE]
        assert query["dates"][0].split("/")[0].endswith("T190000")

    def test_who_can_come_still_shows_after_settling(self, weekly_lobby, join_as):
        _client, ben = join_as(weekly_lobby, "Ben")
        mark(weekly_lobby.code, ben.participant_id, yes=slots(evening_window(weekly_lobby, 0), 4))
        snapshot = self.settle(weekly_lobby, weekly.Repeat(next_on(3)))
        window = decisions.settled_window(snapshot)
        assert window is not None
        assert ben.participant_id in window.missing


@pytest.mark.django_db
def test_dated_lobbies_are_unchanged(lobby):
    assert lobby.lobby.schedule == "dates"
    assert lobby.lobby.weekdays is None
    assert lobby.lobby.expires_at == expiry_for([date.fromisoformat(d) for d in lobby.lobby.dates])
    assert decisions.settled_view(lobby) is None
    assert datetime.now(UTC)  # the dated path needs no first date
    assert Client().get(reverse("lobbies:detail", args=[lobby.code])).status_code in (200, 302)
