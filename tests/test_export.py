"""Taking your data: the lobby page says when the lobby goes away; participants download
their answers and the organizer the whole lobby, as JSON and CSV."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from lobbies import services
from lobbies.availability import weekly
from lobbies.comments import services as comments
from lobbies.exports import tables
from tests.factories import make_settings
from tests.voting_support import evening_window, mark, propose, reload, slots
from voting import decisions
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
    voting.cast_vote(lobby.code, ben.participant_id, place.place_id, "yes")
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
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
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
        rows = lobby_csv_rows(organizer_client, lobby.code)
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


def tuesday_lobby(organizer_client):
    """A weekly lobby on Tuesdays, its organizer seated: its code, snapshot and next Tuesday."""
    from tests.conftest import seat_client

    values = make_settings(dates=weekly.reference_dates((2,)), schedule="weekdays", weekdays=(2,))
    membership = services.create_lobby(values, "Olivia", None)
    code = membership.participant.code
    seat_client(organizer_client, code, membership.participant)
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    return code, reload(code), weekly.next_on(2, today + timedelta(days=1))


def lobby_csv_rows(client: Client, code: str) -> list[dict]:
    """The organizer's CSV read as Excel reads it: UTF-8 only when the file starts with a BOM."""
    content = client.get(lobby_url(code, "csv")).content
    assert content.startswith(codecs.BOM_UTF8), "without a BOM, Excel reads the file as ANSI"
    return list(csv.DictReader(io.StringIO(content[len(codecs.BOM_UTF8) :].decode())))


def lobby_json(client: Client, code: str) -> dict:
    return json.loads(client.get(lobby_url(code, "json")).content)


def berlin_minute(moment: datetime) -> str:
    """An instant as the files give it: in the lobby's zone, to the minute, with the offset."""
    text = moment.astimezone(ZoneInfo("Europe/Berlin")).isoformat(timespec="minutes")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d\+0[12]:00", text)
    return text


@pytest.mark.django_db
class TestInASpreadsheet:
    def test_names_survive_excel(self, lobby, organizer_client, join_as):
        join_as(lobby, "Łukasz")
        join_as(lobby, "Zoë")
        rows = lobby_csv_rows(organizer_client, lobby.code)
        assert {"Łukasz", "Zoë"} <= {row["participant"] for row in rows}

    def test_my_answers_csv_has_a_bom_too(self, lobby, answered):
        ben_client, _ben = answered
        content = ben_client.get(mine_url(lobby.code, "csv")).content
        assert content.startswith(codecs.BOM_UTF8)

    def test_the_file_says_the_time_zone(self, lobby, answered, organizer_client):
        rows = lobby_csv_rows(organizer_client, lobby.code)
        marks = [row for row in rows if row["record"] == "availability" and row["start"]]
        assert marks and {row["time_zone"] for row in marks} == {"Europe/Berlin"}

    def test_people_who_have_not_answered_are_listed(self, lobby, answered, organizer_client):
        rows = lobby_csv_rows(organizer_client, lobby.code)
        assert "Olivia" in {row["participant"] for row in rows}
        services.join_lobby(reload(lobby.code), "Carla", None)
        rows = lobby_csv_rows(organizer_client, lobby.code)
        (carla,) = [row for row in rows if row["participant"] == "Carla"]
        assert carla["record"] == "availability"
        assert carla["answer"] == "" and carla["start"] == ""

    def test_comment_times_in_the_lobbys_zone_to_the_minute(
        self, lobby, answered, organizer_client
    ):
        ben_client, ben = answered
        comment = comments.post_comment(reload(lobby.code), ben.participant_id, "Zoë comes too")
        expected = berlin_minute(comment.created_at)
        (row,) = [
            row
            for row in lobby_csv_rows(organizer_client, lobby.code)
            if row["record"] == "comment"
        ]
        assert row["at"] == expected
        assert row["time_zone"] == "Europe/Berlin"
        data = json.loads(ben_client.get(mine_url(lobby.code, "json")).content)
        assert data["comments"] == [
            {
                "author": "Ben",
                "author_id": ben.participant_id,
                "text": "Zoë comes too",
                "at": expected,
            }
        ]


@pytest.mark.django_db
class TestJsonOfASettledLobby:
    def test_deletes_at_is_a_date_time(self, lobby, organizer_client):
        data = lobby_json(organizer_client, lobby.code)
        deletes = datetime.fromisoformat(data["lobby"]["deletes_at"])
        assert deletes.timestamp() == int(lobby.lobby.expires_at)
        assert deletes.utcoffset() is not None

    def test_an_open_lobby_has_no_decision(self, lobby, organizer_client):
        assert lobby_json(organizer_client, lobby.code)["lobby"]["decision"] is None

    def test_settled_time_and_place(self, lobby, answered, organizer_client):
        snapshot = reload(lobby.code)
        place = snapshot.places[0]
        start = evening_window(snapshot, 0, 19)
        decisions.settle(snapshot, snapshot.lobby.owner_id, start, place.place_id)
        decision = lobby_json(organizer_client, lobby.code)["lobby"]["decision"]
        day = lobby.lobby.dates[0]
        evening = datetime.fromisoformat(f"{day}T19:00").replace(tzinfo=ZoneInfo("Europe/Berlin"))
        assert decision["starts_at"] == berlin_minute(evening)
        assert decision["ends_at"] == berlin_minute(evening + timedelta(hours=2))
        assert decision["all_day"] is False
        assert decision["place"] == {"name": "Café Rouge", "address": "", "link": ""}
        assert decision["repeat"] is None
        rows = lobby_csv_rows(organizer_client, lobby.code)
        (row,) = [row for row in rows if row["record"] == "decision"]
        assert (row["repeats"], row["repeat_until"], row["repeat_count"]) == ("", "", "")
        assert (row["day"], row["start"], row["end"], row["place"], row["time_zone"]) == (
            day,
            "19:00",
            "21:00",
            "Café Rouge",
            "Europe/Berlin",
        )

    def test_weekly_repeat(self, organizer_client):
        code, snapshot, first = tuesday_lobby(organizer_client)
        start = evening_window(snapshot, 0, 19)
        decisions.settle(
            snapshot, snapshot.lobby.owner_id, start, None, repeat=weekly.Repeat(first, count=8)
        )
        decision = lobby_json(organizer_client, code)["lobby"]["decision"]
        assert decision["starts_at"].startswith(f"{first.isoformat()}T19:00")
        assert decision["place"] is None
        assert decision["repeat"] == {
            "every": "week",
            "weekday": "Tuesday",
            "first_date": first.isoformat(),
            "until_date": None,
            "count": 8,
        }
        (row,) = [
            row for row in lobby_csv_rows(organizer_client, code) if row["record"] == "decision"
        ]
        assert row["day"] == first.isoformat()
        assert (row["repeats"], row["repeat_until"], row["repeat_count"]) == ("weekly", "", "8")

    def test_weekly_repeat_until_a_date_in_the_csv(self, organizer_client):
        code, snapshot, first = tuesday_lobby(organizer_client)
        last = first + timedelta(weeks=10)
        start = evening_window(snapshot, 0, 19)
        repeat = weekly.Repeat(first, until=last)
        decisions.settle(snapshot, snapshot.lobby.owner_id, start, None, repeat=repeat)
        rows = lobby_csv_rows(organizer_client, code)
        (row,) = [row for row in rows if row["record"] == "decision"]
        assert (row["repeats"], row["repeat_until"], row["repeat_count"]) == (
            "weekly",
            last.isoformat(),
            "",
        )
        assert all(None not in row.values() for row in rows)  # every row has every column


FORMULAS = ('=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rReturn")


@pytest.mark.django_db
class TestFormulaInjection:
    """A cell a spreadsheet would read as a formula is prefixed with a quote (OWASP's CSV
    injection advice): names, places and comments are typed by anyone with the link."""

    def test_lobby_csv_neutralises_names_places_and_comments(
        self, lobby, organizer_client, join_as
    ):
        owner = lobby.lobby.owner_id
        for formula in FORMULAS:
            join_as(lobby, formula)
            comments.post_comment(reload(lobby.code), owner, formula)
        place = propose(lobby.code, owner, "=cmd|' /C calc'!A0")
        voting.cast_vote(lobby.code, owner, place.place_id, "yes")
        rows = lobby_csv_rows(organizer_client, lobby.code)
        names = {row["participant"] for row in rows}
        texts = {row["text"] for row in rows if row["record"] == "comment"}
        for formula in FORMULAS:  # joined through the service, which keeps the name as given
            assert "'" + formula in names
        for formula in FORMULAS[:4]:
            assert "'" + formula in texts
        assert {"Tab", "Return"} <= texts  # a comment loses its surrounding whitespace
        assert {row["place"] for row in rows if row["record"] == "vote"} == {"'=cmd|' /C calc'!A0"}
        every_cell = [cell for row in rows for cell in row.values()]
        assert not [cell for cell in every_cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]

    def test_my_answers_csv_too(self, lobby, join_as):
        client, person = join_as(lobby, "@me")
        comments.post_comment(reload(lobby.code), person.participant_id, "=1+1")
        rows = list(
            csv.DictReader(
                io.StringIO(client.get(mine_url(lobby.code, "csv")).content.decode("utf-8-sig"))
            )
        )
        assert {row["participant"] for row in rows} == {"'@me"}
        assert [row["text"] for row in rows if row["record"] == "comment"] == ["'=1+1"]

    def test_json_keeps_the_text_as_typed(self, lobby, organizer_client, join_as):
        join_as(lobby, "=1+1")
        names = {
            person["name"] for person in lobby_json(organizer_client, lobby.code)["participants"]
        }
        assert "=1+1" in names


GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


@pytest.fixture
def weekly_lobby(organizer_client):
    """A Tuesday lobby where Olivia marked two evening slots."""
    from tests.conftest import seat_client

    values = make_settings(dates=weekly.reference_dates((2,)), schedule="weekdays", weekdays=(2,))
    membership = services.create_lobby(values, "Olivia", None)
    code = membership.participant.code
    seat_client(organizer_client, code, membership.participant)
    snapshot = reload(code)
    mark(code, membership.participant.participant_id, yes=slots(evening_window(snapshot), 2))
    return code


@pytest.mark.django_db
class TestGermanDownload:
    """A German reader gets German words where people read, and the same machine keys."""

    def test_json_keeps_its_keys_and_carries_german_labels(self, weekly_lobby, organizer_client):
        response = organizer_client.get(mine_url(weekly_lobby, "json"), **GERMAN)
        data = json.loads(response.content)
        assert data["you"]["availability"][0]["day"] == "Tuesday"
        assert data["you"]["availability"][0]["answer"] == "yes"
        labels = data["labels"]
        assert labels["language"] == "de"
        assert labels["weekdays"]["Tuesday"] == "Dienstag"
        assert set(labels["answers"]) >= {"yes", "if need be", "no"}

    def test_csv_shows_weekdays_and_headings_in_german(self, weekly_lobby, organizer_client):
        from django.utils import translation

        from lobbies.exports import headings as export_labels

        response = organizer_client.get(lobby_url(weekly_lobby, "csv"), **GERMAN)
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        with translation.override("de"):
            headings = export_labels.column_names()
            words = export_labels.cell_words()
        assert rows[0] == [headings[column] for column in tables.CSV_COLUMNS]
        day = rows[0].index(headings["day"])
        answer = rows[0].index(headings["answer"])
        record = rows[0].index(headings["record"])
        assert rows[1][day] == "Dienstag"
        assert rows[1][answer] == words["yes"]
        assert rows[1][record] == words["availability"]

    def test_english_csv_is_unchanged(self, weekly_lobby, organizer_client):
        response = organizer_client.get(lobby_url(weekly_lobby, "csv"), HTTP_ACCEPT_LANGUAGE="en")
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert (rows[0]["record"], rows[0]["day"], rows[0]["answer"]) == (
            "availability",
            "Tuesday",
            "yes",
        )
