"""Taking your data: the lobby page says when the lobby goes away; participants download
their answers and the organizer the whole lobby, as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from lobbies import services, weekly
from tests.factories import make_settings
from tests.voting_support import evening_window, mark, propose, reload, slots
from voting import services as voting


def mine_url(code: str, fmt: str) -> str:
    return reverse("lobbies:export_mine", args=[code, fmt])


def lobby_url(code: str, fmt: str) -> str:
    return reverse("lobbies:export_lobby", args=[code, fmt])


@pytest.fixture
def answered(lobby, join_as):
    """Olivia (organizer) and Ben marked 19:00-21:00 on the first day; Ben voted."""
    ben_client, ben = join_as(lobby, "Ben")
    owner = lobby.lobby.owner_id
    start = evening_window(lobby, 0, 19)
    mark(lobby.code, owner, yes=slots(start, 4))
    mark(lobby.code, ben.participant_id, yes=slots(start, 2), maybe=slots(start + 2, 2))
    place = propose(lobby.code, owner, "Café Rouge")
    voting.cast_vote(reload(lobby.code), ben.participant_id, place.place_id, "yes")
    return ben_client, ben


@pytest.mark.django_db
class TestExpiry:
    def test_page_states_when_the_lobby_is_deleted(self, lobby, organizer_client):
        page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content
        deleted = datetime.fromtimestamp(int(lobby.lobby.expires_at), UTC)
        text = page.decode()
        assert "This lobby and everything in it will be deleted on" in text
        assert str(deleted.year) in text.split('id="lobby-expiry"')[1][:300]

    def test_in_the_viewers_zone(self, lobby, organizer_client):
        url = reverse("lobbies:detail", args=[lobby.code])
        page = organizer_client.get(url + "?tz=Pacific/Auckland").content.decode()
        assert "(Pacific/Auckland)" in page.split('id="lobby-expiry"')[1][:300]


@pytest.mark.django_db
class TestMyAnswers:
    def test_json_has_marks_as_times_votes_by_name(self, lobby, answered):
        ben_client, ben = answered
        response = ben_client.get(mine_url(lobby.code, "json"))
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]
        assert "no-store" in response["Cache-Control"]
        data = json.loads(response.content)
        you = data["you"]
        assert you["name"] == "Ben"
        day = lobby.lobby.dates[0]
        assert you["availability"] == [
            {"day": day, "start": "19:00", "end": "20:00", "answer": "yes"},
            {"day": day, "start": "20:00", "end": "21:00", "answer": "if need be"},
        ]
        assert you["votes"] == [{"place": "Café Rouge", "vote": "yes"}]
        assert data["lobby"]["time_zone"] == "Europe/Berlin"
        assert "participants" not in data  # nobody else's answers

    def test_csv(self, lobby, answered):
        ben_client, _ben = answered
        response = ben_client.get(mine_url(lobby.code, "csv"))
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        kinds = [(row["participant"], row["record"], row["answer"]) for row in rows]
        assert kinds == [
            ("Ben", "availability", "yes"),
            ("Ben", "availability", "if need be"),
            ("Ben", "vote", "yes"),
        ]
        assert rows[2]["place"] == "Café Rouge"

    def test_outsiders_get_404(self, lobby):
        response = Client().get(mine_url(lobby.code, "json"))
        assert response.status_code == HTTPStatus.NOT_FOUND

    def test_unknown_format_is_404(self, lobby, organizer_client):
        response = organizer_client.get(mine_url(lobby.code, "xml"))
        assert response.status_code == HTTPStatus.NOT_FOUND

    def test_weekly_marks_are_weekday_names(self, organizer_client):
        from tests.conftest import seat_client

        values = make_settings(
            dates=weekly.reference_dates((2,)), schedule="weekdays", weekdays=(2,)
        )
        membership = services.create_lobby(values, "Olivia", None)
        code = membership.participant.code
        seat_client(organizer_client, code, membership.participant)
        snapshot = reload(code)
        mark(code, membership.participant.participant_id, yes=slots(evening_window(snapshot), 2))
        data = json.loads(organizer_client.get(mine_url(code, "json")).content)
        assert data["you"]["availability"][0]["day"] == "Tuesday"
        assert data["lobby"]["weekdays"] == ["Tuesday"]


@pytest.mark.django_db
class TestWholeLobby:
    def test_organizer_gets_everyone(self, lobby, answered, organizer_client):
        data = json.loads(organizer_client.get(lobby_url(lobby.code, "json")).content)
        names = [person["name"] for person in data["participants"]]
        assert names == ["Olivia", "Ben"]
        assert data["participants"][0]["organizer"] is True
        assert data["places"][0]["name"] == "Café Rouge"
        rows = list(
            csv.DictReader(
                io.StringIO(organizer_client.get(lobby_url(lobby.code, "csv")).content.decode())
            )
        )
        assert {row["participant"] for row in rows} == {"Olivia", "Ben"}

    def test_others_are_refused(self, lobby, answered):
        ben_client, _ben = answered
        response = ben_client.get(lobby_url(lobby.code, "json"))
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert Client().get(lobby_url(lobby.code, "csv")).status_code == HTTPStatus.NOT_FOUND

    def test_page_links_the_downloads(self, lobby, answered, organizer_client):
        ben_client, _ben = answered
        page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert mine_url(lobby.code, "json") in page and lobby_url(lobby.code, "csv") in page
        page = ben_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert mine_url(lobby.code, "csv") in page and lobby_url(lobby.code, "csv") not in page
