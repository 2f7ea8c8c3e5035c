"""Races, for real, against DynamoDB Local with threads: caps and equal place names hold
however many arrive at once, no item expires before its lobby, and one account holds one
seat per lobby."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from lobbies import services
from lobbies.entities import Lobby, Participant
from lobbies.errors import LobbyError
from lobbies.people import seats
from lobbies.store import load_lobby
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.voting_support import mark, propose, stored_votes, vote
from voting import services as voting


def at_once(function, arguments: list) -> list:
    """Run function(*args) for every args at the same time; each result or its error."""

    def run(args):
        try:
            return function(*args)
        except Exception as error:  # the caller counts refusals
            return error

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(run, arguments))


@pytest.mark.django_db
def test_110_joins_at_once_fill_the_lobby_to_exactly_its_cap(lobby, monkeypatch):
    # A cap of 100 (the setting's default is 1,000): the race is the same, the test shorter.
    monkeypatch.setattr(seats, "MAX_PARTICIPANTS", 100)
    stale = load_lobby(lobby.code)  # everyone read one participant
    results = at_once(services.join_lobby, [(stale, f"P{n}", None) for n in range(110)])
    joined = [r for r in results if isinstance(r, services.Membership)]
    refused = [r for r in results if isinstance(r, LobbyError)]
    assert len(joined) == seats.MAX_PARTICIPANTS - 1
    assert len(refused) == 110 - len(joined)
    after = load_lobby(lobby.code)
    assert len(after.participants) == seats.MAX_PARTICIPANTS
    assert int(after.lobby.participant_count) == seats.MAX_PARTICIPANTS


@pytest.mark.django_db
def test_three_proposals_on_49_places_make_50(lobby):
    owner = lobby.lobby.owner_id
    for n in range(voting.MAX_PLACES - 1):
        propose(lobby.code, owner, f"Place {n}")
    stale = load_lobby(lobby.code)
    values = [voting.PlaceValues(name=f"Late {n}") for n in range(3)]
    results = at_once(voting.propose_place, [(stale, owner, v) for v in values])
    assert sum(not isinstance(r, Exception) for r in results) == 1
    after = load_lobby(lobby.code)
    assert len(after.places) == voting.MAX_PLACES
    assert int(after.lobby.place_count) == voting.MAX_PLACES


@pytest.mark.django_db
def test_equal_names_proposed_at_once_land_once(lobby, join_as):
    _client, ann = join_as(lobby, "Ann")
    stale = load_lobby(lobby.code)
    people = [lobby.lobby.owner_id, ann.participant_id] * 3
    names = ["Café Rouge", "cafe rouge ", "CAFÉ  ROUGE", "Cafe Rouge", "café rouge", "Café Rouge"]
    arguments = [(stale, p, voting.PlaceValues(name=n)) for p, n in zip(people, names, strict=True)]
    results = at_once(voting.propose_place, arguments)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, voting.DuplicatePlace) for r in results if isinstance(r, Exception))
    assert len(load_lobby(lobby.code).places) == 1


# --- expiry -----------------------------------------------------------------------------------


def _later_days(lobby) -> tuple[date, ...]:
    return tuple(date.fromisoformat(d) + timedelta(days=20) for d in lobby.lobby.dates)


def _items_expiry(code: str) -> set:
    return {item.expires_at for item in Lobby.collection(code, consistent=True)}


@pytest.mark.django_db
def test_a_join_from_an_older_snapshot_takes_the_lobbys_current_expiry(lobby):
    stale = load_lobby(lobby.code)
    owner = lobby.lobby.owner_id
    services.update_settings(stale, owner, 1, make_settings(dates=_later_days(lobby)))
    services.join_lobby(stale, "Late", None)  # read before the days moved
    voting.propose_place(stale, owner, voting.PlaceValues(name="Late bar"))
    assert len(_items_expiry(lobby.code)) == 1


@pytest.mark.django_db
def test_a_half_failed_expiry_move_is_finished_by_the_next_save(lobby, join_as, monkeypatch):
    join_as(lobby, "Ann")
    join_as(lobby, "Ben")
    owner = lobby.lobby.owner_id
    real_update = Participant.update
    calls = {"n": 0}

    def flaky_update(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise LobbyError("DynamoDB went away")  # after one item moved
        return real_update(self, *args, **kwargs)

    monkeypatch.setattr(Participant, "update", flaky_update)
    moved = make_settings(dates=_later_days(lobby))
    with pytest.raises(LobbyError):
        services.update_settings(load_lobby(lobby.code), owner, 1, moved)
    assert len(_items_expiry(lobby.code)) == 2  # half moved
    monkeypatch.setattr(Participant, "update", real_update)
    # The organizer saves again, changing nothing.
    services.update_settings(load_lobby(lobby.code), owner, 2, moved)
    assert len(_items_expiry(lobby.code)) == 1


# --- one account, one seat ------------------------------------------------------------------------


@pytest.mark.django_db
def test_signing_in_where_the_account_already_sits_merges_the_guest_seat(lobby, user):
    code = lobby.code
    account = services.join_lobby(load_lobby(code), "Sam", user.pk).participant
    place = propose(code, lobby.lobby.owner_id, "Bar")
    other = propose(code, lobby.lobby.owner_id, "Pub")
    vote(code, account.participant_id, other.place_id, "no")
    device = Client()
    join = device.post(reverse("lobbies:join", args=[code]), {"display_name": "Sam (phone)"})
    assert join.status_code == 302
    guest_id = device.session["lobby_seats"][code]
    mark(code, guest_id, yes={0, 1})
    vote(code, guest_id, place.place_id, "yes")
    vote(code, guest_id, other.place_id, "yes")

    device.force_login(user)

    assert device.session["lobby_seats"][code] == account.participant_id
    after = load_lobby(code)
    assert set(after.participants) == {lobby.lobby.owner_id, account.participant_id}
    assert int(after.lobby.participant_count) == 2
    assert after.participants[account.participant_id].answered_at is not None
    # Votes the account had stay; the guest's fill the gaps.
    assert stored_votes(code, account.participant_id) == {
        place.place_id: "yes",
        other.place_id: "no",
    }
    page = device.get(reverse("lobbies:detail", args=[code])).content.decode()
    assert "Sam (phone)" not in page


@pytest.mark.django_db
def test_a_guest_organizer_seat_merged_into_the_account_keeps_the_lobby_organized(user):
    membership = services.create_lobby(make_settings(), "Olivia", None)
    code = membership.participant.code
    account = services.join_lobby(load_lobby(code), "Olivia", user.pk).participant
    device = Client()
    seat_client(device, code, membership.participant)
    device.force_login(user)
    after = load_lobby(code)
    assert after.lobby.owner_id == account.participant_id
    assert list(after.participants) == [account.participant_id]
    assert device.get(reverse("lobbies:edit", args=[code])).status_code == 200
