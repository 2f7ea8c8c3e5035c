"""Joining a settled lobby: the organizer's "Let people join after it is settled" (by default
on for a weekly lobby, off for a dated one), held by the join's own transaction, and what the
join page tells a visitor first."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from lobbies import services
from lobbies.availability import weekly
from lobbies.errors import LobbyError
from lobbies.people.seats import late_join_allowed
from tests.conftest import seat_client
from tests.factories import create_payload, make_settings
from tests.voting_support import evening_window, mark, propose, reload, slots
from voting import decisions

pytestmark = pytest.mark.django_db

ZONE = "Europe/Berlin"


def weekly_values(**overrides) -> services.LobbySettings:
    values = make_settings(
        dates=weekly.reference_dates((2,)), schedule=weekly.WEEKDAYS, weekdays=(2,), timezone=ZONE
    )
    return replace(values, **overrides)


def settle(code: str) -> None:
    snapshot = reload(code)
    start = evening_window(snapshot, 0, 19)
    repeat = None
    if weekly.is_weekly(snapshot.lobby):
        today = datetime.now(ZoneInfo(ZONE)).date()
        repeat = weekly.Repeat(weekly.next_on(2, today + timedelta(days=1)))
    decisions.settle(snapshot, snapshot.lobby.owner_id, start, None, repeat=repeat)


def new_lobby(values: services.LobbySettings) -> str:
    return services.create_lobby(values, "Olivia", None).participant.code


def join_page(code: str) -> str:
    return Client().get(reverse("lobbies:detail", args=[code])).content.decode()


class TestDefaults:
    def test_off_for_dated_on_for_weekly(self):
        assert late_join_allowed(reload(new_lobby(make_settings())).lobby) is False
        assert late_join_allowed(reload(new_lobby(weekly_values())).lobby) is True

    def test_the_organizers_choice_wins(self):
        assert late_join_allowed(reload(new_lobby(make_settings(late_join=True))).lobby) is True
        assert late_join_allowed(reload(new_lobby(weekly_values(late_join=False))).lobby) is False


class TestJoiningASettledLobby:
    def test_a_dated_lobby_refuses_with_a_message(self, client):
        code = new_lobby(make_settings())
        settle(code)
        response = client.post(reverse("lobbies:join", args=[code]), {"display_name": "Zoë"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "This lobby is settled; nobody new can join." in response.content.decode()
        assert len(reload(code).participants) == 1

    def test_a_weekly_lobby_lets_a_latecomer_in(self, client):
        code = new_lobby(weekly_values())
        settle(code)
        response = client.post(reverse("lobbies:join", args=[code]), {"display_name": "Zoë"})
        assert response.status_code == HTTPStatus.FOUND
        assert [p.display_name for p in reload(code).participants.values()] == ["Olivia", "Zoë"]
        page = client.get(reverse("lobbies:detail", args=[code])).content.decode()
        assert reverse("voting:ics", args=[code]) in page

    def test_settling_while_the_form_was_open_still_refuses(self):
        code = new_lobby(make_settings())
        seen = reload(code)  # the join page was read while the lobby was open
        settle(code)
        with pytest.raises(LobbyError, match="settled"):
            services.join_lobby(seen, "Zoë", None)
        assert len(reload(code).participants) == 1

    def test_a_weekly_lobby_closed_to_latecomers_refuses(self):
        code = new_lobby(weekly_values(late_join=False))
        seen = reload(code)
        settle(code)
        with pytest.raises(LobbyError, match="settled"):
            services.join_lobby(seen, "Zoë", None)

    def test_the_lock_still_wins(self):
        code = new_lobby(weekly_values())
        settle(code)
        services.set_joining_locked(reload(code), reload(code).lobby.owner_id, True)
        with pytest.raises(LobbyError, match="locked"):
            services.join_lobby(reload(code), "Zoë", None)


class TestJoinPage:
    def test_closed_says_settled_without_a_form_or_the_plan(self):
        code = new_lobby(make_settings())
        propose(code, reload(code).lobby.owner_id, "Café Rouge")
        settle(code)
        page = join_page(code)
        assert "This lobby is settled; nobody new can join." in page
        assert 'name="display_name"' not in page
        assert "Café Rouge" not in page and "19:00" not in page

    def test_open_to_latecomers_shows_the_plan_but_not_the_people(self, join_as):
        code = new_lobby(weekly_values())
        snapshot = reload(code)
        ann = services.join_lobby(snapshot, "Secret Sally", None).participant
        mark(code, ann.participant_id, yes=slots(evening_window(snapshot, 0, 18), 1))
        settle(code)
        page = join_page(code)
        assert "This lobby is settled. You can still join" in page
        assert "19:00" in page and "Every Tuesday" in page
        assert 'name="display_name"' in page
        assert "Secret Sally" not in page and "Olivia" not in page

    def test_an_open_lobby_is_unchanged(self):
        page = join_page(new_lobby(make_settings()))
        assert "settled" not in page
        assert 'name="display_name"' in page


class TestSetting:
    def url(self, code: str) -> str:
        return reverse("lobbies:edit", args=[code])

    def organizer(self, code: str) -> Client:
        client = Client()
        seat_client(client, code, reload(code).organizer)
        return client

    def test_the_settings_page_shows_the_default(self):
        for values, checked in ((make_settings(), False), (weekly_values(), True)):
            code = new_lobby(values)
            page = self.organizer(code).get(self.url(code)).content.decode()
            box = page.split('name="late_join"')[0].rsplit("<input", 1)[1]
            box += page.split('name="late_join"')[1].split(">", 1)[0]
            assert ("checked" in box) is checked

    def test_saving_keeps_the_choice(self):
        code = new_lobby(make_settings())
        client = self.organizer(code)
        payload = create_payload(version="1", late_join="on")
        assert client.post(self.url(code), payload).status_code == HTTPStatus.FOUND
        assert reload(code).lobby.late_join is True
        payload = create_payload(version="2")
        assert client.post(self.url(code), payload).status_code == HTTPStatus.FOUND
        assert reload(code).lobby.late_join is False
