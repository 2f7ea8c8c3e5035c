"""The .ics download and the Google Calendar link of a settled lobby."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from lobbies import services as lobby_services
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.voting_support import evening_window, propose, reload
from voting import decisions
from voting.calendar import ics


def ics_url(code: str) -> str:
    return reverse("voting:ics", args=[code])


def parse(content: bytes):
    calendar = Calendar.from_ical(content)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def settle(code: str, owner: str, place_id: str | None, day: int = 0, hour: int = 19):
    snapshot = reload(code)
    decisions.settle(snapshot, owner, evening_window(snapshot, day, hour), place_id)
    return reload(code).lobby.decision


@pytest.mark.django_db
class TestIcsDownload:
    def test_settled_event_parses_back(self, lobby, organizer_client):
        owner = lobby.lobby.owner_id
        place = propose(
            lobby.code, owner, "Café Rouge", address="1 Main St", link="https://rouge.example"
        )
        decision = settle(lobby.code, owner, place.place_id)
        response = organizer_client.get(ics_url(lobby.code))
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="letshangout-{lobby.code.lower()}.ics"'
        )
        calendar, event = parse(response.content)
        assert str(calendar["VERSION"]) == "2.0"
        assert str(calendar["METHOD"]) == "PUBLISH"
        assert str(event["SUMMARY"]) == "Friday drinks"
        assert str(event["LOCATION"]) == "Café Rouge, 1 Main St"
        assert str(event["UID"]) == f"lobby-{lobby.code.lower()}@letshangout"
        assert event.decoded("DTSTART") == decision.starts_at
        assert event.decoded("DTEND") == decision.ends_at
        assert event.decoded("DTSTART").tzinfo is not None
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=2)
        assert "https://rouge.example" in str(event["DESCRIPTION"])
        assert str(event["URL"]).endswith(reverse("lobbies:detail", args=[lobby.code]))
        assert int(event["SEQUENCE"]) >= 1

    def test_uid_is_stable_across_downloads_and_resettling(self, lobby, organizer_client):
        owner = lobby.lobby.owner_id
        settle(lobby.code, owner, None, day=0)
        _cal, first = parse(organizer_client.get(ics_url(lobby.code)).content)
        decisions.reopen(reload(lobby.code), owner)
        settle(lobby.code, owner, None, day=1)
        _cal, second = parse(organizer_client.get(ics_url(lobby.code)).content)
        assert str(first["UID"]) == str(second["UID"])
        assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
        assert second.decoded("DTSTART") - first.decoded("DTSTART") == timedelta(days=1)

    def test_no_place_means_no_location(self, lobby, organizer_client):
        settle(lobby.code, lobby.lobby.owner_id, None)
        _cal, event = parse(organizer_client.get(ics_url(lobby.code)).content)
        assert "LOCATION" not in event

    def test_text_with_html_and_newlines_round_trips(self, organizer_client):
        membership = lobby_services.create_lobby(
            make_settings(title="<b>Drinks</b>; ok, \\ fine", description="Line 1\nLine 2"),
            "Olivia",
            None,
        )
        code = membership.participant.code
        seat_client(organizer_client, code, membership.participant)
        owner = membership.participant.participant_id
        place = propose(code, owner, 'Bar; Grill, "Best"', address="Rue 1\\2")
        settle(code, owner, place.place_id)
        _cal, event = parse(organizer_client.get(ics_url(code)).content)
        assert str(event["SUMMARY"]) == "<b>Drinks</b>; ok, \\ fine"
        assert str(event["LOCATION"]) == 'Bar; Grill, "Best", Rue 1\\2'
        assert str(event["DESCRIPTION"]).startswith("Line 1\nLine 2")

    def test_whole_day_event_uses_dates(self, organizer_client):
        membership = lobby_services.create_lobby(
            make_settings(day_start=0, day_end=1440, slot_minutes=1440, meeting_minutes=1440),
            "Olivia",
            None,
        )
        code = membership.participant.code
        seat_client(organizer_client, code, membership.participant)
        snapshot = reload(code)
        decisions.settle(snapshot, membership.participant.participant_id, 1, None)
        _cal, event = parse(organizer_client.get(ics_url(code)).content)
        first = date.fromisoformat(snapshot.lobby.dates[1])
        assert event.decoded("DTSTART") == first
        assert event.decoded("DTEND") == first + timedelta(days=1)

    def test_not_settled_is_404(self, lobby, organizer_client):
        response = organizer_client.get(ics_url(lobby.code))
        assert response.status_code == HTTPStatus.NOT_FOUND

    def test_outsider_is_404(self, lobby):
        settle(lobby.code, lobby.lobby.owner_id, None)
        assert Client().get(ics_url(lobby.code)).status_code == HTTPStatus.NOT_FOUND

    def test_every_participant_can_download(self, lobby, join_as):
        client, _guest = join_as(lobby, "Gus")
        settle(lobby.code, lobby.lobby.owner_id, None)
        assert client.get(ics_url(lobby.code)).status_code == HTTPStatus.OK


def details(**overrides) -> ics.EventDetails:
    values = {
        "code": "ABCDEFGH",
        "title": "Drinks & games",
        "description": "Bring cards",
        "starts_at": datetime(2030, 3, 30, 18, 0, tzinfo=UTC),
        "ends_at": datetime(2030, 3, 30, 20, 0, tzinfo=UTC),
        "all_day": False,
        "timezone": "Europe/Berlin",
        "location": "Café Rouge, 1 Main St",
        "url": "https://letshangout.example/l/ABCDEFGH/",
        "sequence": 3,
        "stamp": datetime(2030, 3, 1, 12, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return ics.EventDetails(**values)


@pytest.mark.no_dynamodb
class TestPureEvent:
    def test_build_ics_in_utc(self):
        _cal, event = parse(ics.build_ics(details()))
        assert event.decoded("DTSTART") == datetime(2030, 3, 30, 18, 0, tzinfo=UTC)
        assert "DTSTART:20300330T180000Z" in ics.build_ics(details()).decode()
        assert str(event["DESCRIPTION"]) == "Bring cards\n\nhttps://letshangout.example/l/ABCDEFGH/"

    def test_google_link(self):
        url = ics.google_calendar_url(details())
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
            "https://calendar.google.com/calendar/render"
        )
        query = parse_qs(parts.query)
        assert query["action"] == ["TEMPLATE"]
        assert query["text"] == ["Drinks & games"]
        assert query["dates"] == ["20300330T180000Z/20300330T200000Z"]
        assert query["location"] == ["Café Rouge, 1 Main St"]
        assert query["ctz"] == ["Europe/Berlin"]

    def test_google_link_for_a_whole_day(self):
        berlin = ZoneInfo("Europe/Berlin")
        event = details(
            all_day=True,
            starts_at=datetime(2030, 3, 30, tzinfo=berlin).astimezone(UTC),
            ends_at=datetime(2030, 3, 31, tzinfo=berlin).astimezone(UTC),
        )
        query = parse_qs(urlsplit(ics.google_calendar_url(event)).query)
        assert query["dates"] == ["20300330/20300331"]
