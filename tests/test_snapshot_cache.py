"""Showing a lobby again costs one GetItem of its rev, and never shows a stale lobby: every
kind of write moves the rev, so the next view reads the lobby again."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from letshangout import dynamo
from letshangout.dynamo import TableItem
from lobbies import availability, services, snapshot_cache
from lobbies.entities import LOBBY_SK
from lobbies.snapshot_cache import SnapshotCache
from voting import services as voting
from voting.ranking import YES
from voting.services import PlaceValues

HTMX = {"HTTP_HX_REQUEST": "true"}


def detail(code: str) -> str:
    return reverse("lobbies:detail", args=[code])


def view(client, code: str):
    with dynamo.count_calls() as calls:
        response = client.get(detail(code))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode(), calls.operations


def key_of(code: str) -> str:
    return availability.grid_key(availability.spec_for(services.load_lobby(code).lobby))


def test_first_view_queries_then_unchanged_views_read_the_rev(organizer_client, lobby):
    assert view(organizer_client, lobby.code)[1] == ["Query"]
    assert view(organizer_client, lobby.code)[1] == ["GetItem"]
    assert view(organizer_client, lobby.code)[1] == ["GetItem"]


def _join(lobby, join_as):
    join_as(lobby, "Newcomer")
    return "Newcomer"


def _rename(lobby, join_as):
    services.rename_participant(services.load_lobby(lobby.code), lobby.lobby.owner_id, "Olive")
    return "Olive"


def _answer(lobby, join_as):
    snapshot = services.load_lobby(lobby.code)
    services.save_availability(
        snapshot, lobby.lobby.owner_id, frozenset({0, 1}), frozenset(), key_of(lobby.code)
    )
    return '<td class="c" data-s="0" data-st="y">'


def _propose(lobby, join_as):
    snapshot = services.load_lobby(lobby.code)
    voting.propose_place(snapshot, lobby.lobby.owner_id, PlaceValues(name="Café Nord"))
    return "Café Nord"


def _vote(lobby, join_as):
    snapshot = services.load_lobby(lobby.code)
    place = voting.propose_place(snapshot, lobby.lobby.owner_id, PlaceValues(name="Bar"))
    view_after_propose = services.load_lobby(lobby.code)
    voting.cast_vote(view_after_propose, lobby.lobby.owner_id, place.place_id, YES)
    return 'aria-pressed="true"'


def _lock(lobby, join_as):
    services.set_joining_locked(services.load_lobby(lobby.code), lobby.lobby.owner_id, True)
    return "Joining locked"


@pytest.mark.parametrize(
    "change", [_join, _rename, _answer, _propose, _vote, _lock], ids=lambda f: f.__name__
)
def test_every_change_shows_on_the_next_view(organizer_client, lobby, join_as, change):
    before, _ = view(organizer_client, lobby.code)
    shown = change(lobby, join_as)
    assert shown not in before
    after, operations = view(organizer_client, lobby.code)
    assert operations == ["GetItem", "Query"]
    assert shown in after


def test_changes_the_page_does_not_show_move_the_rev_too(lobby):
    """The email setting and the personal link are read from snapshots as well."""
    owner = lobby.lobby.owner_id
    first = services.read_lobby(lobby.code)
    voting.set_notify_settled(services.load_lobby(lobby.code), owner, False)
    second = services.read_lobby(lobby.code)
    assert second is not first and second.participant(owner).notify_settled is False
    token = services.new_personal_token(services.load_lobby(lobby.code), owner)
    third = services.read_lobby(lobby.code)
    assert third is not second and services.participant_by_token(third, token) is not None


def test_a_deleted_lobby_is_gone_although_this_process_saw_it(organizer_client, lobby):
    view(organizer_client, lobby.code)
    services.delete_lobby(services.load_lobby(lobby.code), lobby.lobby.owner_id)
    assert organizer_client.get(detail(lobby.code)).status_code == HTTPStatus.NOT_FOUND


def test_an_expired_lobby_is_gone_although_its_rev_did_not_move(organizer_client, lobby):
    view(organizer_client, lobby.code)
    TableItem._get_connection().update_item(  # time passing, as TTL sees it
        lobby.lobby.pk, range_key=LOBBY_SK, actions=[TableItem.expires_at.set(1)]
    )
    assert organizer_client.get(detail(lobby.code)).status_code == HTTPStatus.NOT_FOUND


def test_the_poll_renders_from_the_snapshot_the_page_read(organizer_client, lobby, join_as):
    rev = services.lobby_rev(lobby.code)
    join_as(lobby, "Ann")
    view(organizer_client, lobby.code)  # someone's page (this process) read the new rev
    with dynamo.count_calls() as calls:
        response = organizer_client.get(
            reverse("lobbies:poll", args=[lobby.code]), {"rev": rev}, **HTMX
        )
    assert response.status_code == HTTPStatus.OK
    assert calls.operations == ["GetItem"]
    assert "Ann" in response.content.decode()


def test_writes_never_touch_the_shared_snapshot(organizer_client, lobby, join_as):
    """A write loads its own snapshot, so what others are shown is not changed under them."""
    view(organizer_client, lobby.code)
    shared = snapshot_cache.recent.get(lobby.code, 0)
    people, places = dict(shared.participants), list(shared.places)
    organizer_client.post(
        reverse("voting:propose", args=[lobby.code]), {"name": "Somewhere"}, follow=True
    )
    join_as(lobby, "Bea")
    assert shared.participants == people and shared.places == places


def test_derived_values_are_computed_once_per_shared_snapshot(organizer_client, lobby):
    view(organizer_client, lobby.code)
    shared = snapshot_cache.recent.get(lobby.code, 0)
    computed = []
    assert shared.derive(("x",), lambda: computed.append(1) or "value") == "value"
    assert shared.derive(("x",), lambda: computed.append(1) or "other") == "value"
    assert computed == [1]
    fresh = services.load_lobby(lobby.code)
    assert fresh.derive(("x",), lambda: "fresh") == "fresh"  # not shared: never remembered
    assert fresh.derive(("x",), lambda: "again") == "again"


def test_derived_values_are_bounded_least_recently_used_first(organizer_client, lobby):
    view(organizer_client, lobby.code)
    shared = snapshot_cache.recent.get(lobby.code, 0)
    limit = shared.MAX_DERIVED
    for n in range(limit):
        shared.derive(("n", n), lambda n=n: n)
    shared.derive(("n", 0), lambda: "recomputed")  # used again: now the most recent
    shared.derive(("n", limit), lambda: limit)  # one too many: the least recent goes
    assert shared.derive(("n", 0), lambda: "recomputed") == 0
    assert shared.derive(("n", 1), lambda: "recomputed") == "recomputed"


def test_the_cache_keeps_the_newest_snapshot_and_forgets_the_oldest_lobby(lobby, join_as):
    cache = SnapshotCache(size=2)
    old = services.load_lobby(lobby.code)
    join_as(lobby, "Ann")
    new = services.load_lobby(lobby.code)
    cache.put(new)
    cache.put(old)  # a slower reader's older snapshot does not replace it
    assert cache.get(lobby.code, int(new.lobby.rev)) is new
    assert cache.get(lobby.code, int(new.lobby.rev) + 1) is None  # changed since
    for title in ("B", "C"):
        other = services.load_lobby(lobby.code)
        other.lobby.pk = f"LOBBY#{title * 8}"
        cache.put(other)
    assert not cache.holds(lobby.code)
    assert SnapshotCache(size=0).get(lobby.code, 0) is None
