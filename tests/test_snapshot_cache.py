"""Showing a lobby costs one Query, and never shows a stale lobby: the first view reads the
whole lobby, the next ones only what changed since (every write gives its item a new etag
and moves the lobby's rev)."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from letshangout import dynamo
from letshangout.dynamo import ETAG_LAG_SECONDS, LobbyChild, TableItem
from lobbies import availability, entities, services, snapshot_cache
from lobbies.entities import IN_OPERANDS, LOBBY_SK, Lobby, Participant
from lobbies.snapshot_cache import SnapshotCache
from tests.factories import make_settings
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


def test_every_view_is_one_query(organizer_client, lobby):
    assert view(organizer_client, lobby.code)[1] == ["Query"]
    first = snapshot_cache.recent.latest(lobby.code)
    assert view(organizer_client, lobby.code)[1] == ["Query"]
    assert snapshot_cache.recent.latest(lobby.code) is first  # unchanged: the same snapshot


def test_an_unchanged_lobby_sends_back_nothing(lobby, join_as):
    join_as(lobby, "Ann")
    snapshot = services.load_lobby(lobby.code)
    voting.propose_place(snapshot, lobby.lobby.owner_id, PlaceValues(name="Bar"))
    read_at = time.time()
    snapshot = services.load_lobby(lobby.code)
    rev = int(snapshot.lobby.rev)
    etags = [item.etag for item in [*snapshot.participants.values(), *snapshot.places]]
    result = Lobby.changes_since(lobby.code, rev, read_at, etags)
    assert list(result) == []
    assert result.page_iter.total_scanned_count == 4
    changed = list(Lobby.changes_since(lobby.code, rev, read_at, etags[1:]))
    assert [item.sk for item in changed] == [f"P#{lobby.lobby.owner_id}"]
    assert [item.sk for item in Lobby.changes_since(lobby.code, rev - 1, read_at, etags)] == [
        LOBBY_SK
    ]
    # Read well after these writes: their etags are older than the read, known or not.
    later = read_at + ETAG_LAG_SECONDS + 1
    assert list(Lobby.changes_since(lobby.code, rev, later, [])) == []


def test_a_write_on_its_way_during_a_read_is_sent_back_by_the_next(lobby, monkeypatch):
    """An etag is made before its write lands: one made shortly before a read began may
    belong to a write the read did not see."""
    owner = lobby.organizer
    read_at = time.time()
    monkeypatch.setattr(dynamo, "new_etag", lambda: dynamo.etag_bound(read_at - 30) + "late")
    services.rename_participant(services.load_lobby(lobby.code), owner.participant_id, "Olive")
    rev = int(services.load_lobby(lobby.code).lobby.rev)
    changed = list(Lobby.changes_since(lobby.code, rev, read_at, [owner.etag]))
    assert [item.sk for item in changed] == [owner.sk]
    assert changed[0].display_name == "Olive"


def test_more_recent_items_than_one_in_list_holds(lobby):
    """DynamoDB takes 100 operands per IN: many etags of the last minute go in several."""
    read_at, rev = time.time(), int(lobby.lobby.rev)
    recent = [f"{dynamo.etag_bound(read_at)}{n}" for n in range(IN_OPERANDS + 5)]
    changes = Lobby.changes_since(lobby.code, rev, read_at, recent)
    assert [type(item) for item in changes] == [Participant]
    organizer = lobby.organizer.etag
    assert list(Lobby.changes_since(lobby.code, rev, 0, [*recent, organizer])) == []


def test_a_read_that_finds_nothing_new_moves_the_snapshots_read_time(organizer_client, lobby):
    view(organizer_client, lobby.code)
    first = snapshot_cache.recent.latest(lobby.code)
    read_at = first.read_at
    view(organizer_client, lobby.code)
    assert snapshot_cache.recent.latest(lobby.code) is first
    assert first.read_at > read_at


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
    assert operations == ["Query"]
    assert shown in after


@pytest.mark.parametrize("leaves", ["leave", "remove", "withdraw"])
def test_someone_or_something_gone_is_gone_on_the_next_view(organizer_client, lobby, leaves):
    ann = services.join_lobby(services.load_lobby(lobby.code), "Ann", None).participant
    owner = lobby.lobby.owner_id
    proposer = owner if leaves == "withdraw" else ann.participant_id
    place = voting.propose_place(
        services.load_lobby(lobby.code), proposer, PlaceValues(name="Zum Goldenen Hirschen")
    )
    before, _ = view(organizer_client, lobby.code)
    assert "Ann" in before and "Zum Goldenen Hirschen" in before
    snapshot = services.load_lobby(lobby.code)
    if leaves == "leave":
        services.leave_lobby(snapshot, ann.participant_id)
    elif leaves == "remove":
        services.remove_participant(snapshot, owner, ann.participant_id)
    else:
        voting.delete_place(snapshot, owner, place.place_id)
    after, operations = view(organizer_client, lobby.code)
    # The changes-only Query cannot say what went, so the whole lobby is read again.
    assert operations == ["Query", "Query"]
    assert ("Zum Goldenen Hirschen" if leaves == "withdraw" else "Ann") not in after


def test_items_written_before_etags_existed_are_read_every_time(organizer_client, lobby, join_as):
    _client, ann = join_as(lobby, "Ann")
    raw = TableItem._get_connection()
    raw.update_item(ann.pk, range_key=ann.sk, actions=[LobbyChild.etag.remove()])
    assert "Ann" in view(organizer_client, lobby.code)[0]
    raw.update_item(ann.pk, range_key=ann.sk, actions=[Participant.display_name.set("Annie")])
    assert "Annie" in view(organizer_client, lobby.code)[0]
    raw.delete_item(ann.pk, range_key=ann.sk)
    page, operations = view(organizer_client, lobby.code)
    assert "Annie" not in page and operations == ["Query"]


def test_a_lobby_item_gone_with_its_rev_unchanged_is_seen(organizer_client, lobby, join_as):
    """An unchanged Lobby item is not sent back: the scanned count says whether it is there."""
    join_as(lobby, "Ann")
    view(organizer_client, lobby.code)
    TableItem._get_connection().delete_item(lobby.lobby.pk, range_key=LOBBY_SK)
    with dynamo.count_calls() as calls:
        response = organizer_client.get(detail(lobby.code))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert calls.operations == ["Query", "Query"]  # the changes, then the whole lobby


def test_items_whose_etag_holds_no_time_are_read_every_time(organizer_client, lobby, join_as):
    """Etags were random text before they held a time."""
    _client, ann = join_as(lobby, "Ann")
    raw = TableItem._get_connection()
    untimed = secrets.token_urlsafe(8)
    raw.update_item(ann.pk, range_key=ann.sk, actions=[LobbyChild.etag.set(untimed)])
    assert "Ann" in view(organizer_client, lobby.code)[0]
    long_after = time.time() + ETAG_LAG_SECONDS + 1
    rev = int(services.load_lobby(lobby.code).lobby.rev)
    sent = Lobby.changes_since(lobby.code, rev, long_after, [untimed])
    assert [item.sk for item in sent] == [ann.sk]
    renamed = [
        Participant.display_name.set("Annie"),
        LobbyChild.etag.set(secrets.token_urlsafe(8)),
    ]
    raw.update_item(ann.pk, range_key=ann.sk, actions=renamed)
    assert "Annie" in view(organizer_client, lobby.code)[0]


def _rename_person(snapshot, owner):
    services.rename_participant(snapshot, owner, "Olive")


def _new_token(snapshot, owner):
    services.new_personal_token(snapshot, owner)


def _notify(snapshot, owner):
    voting.set_notify_settled(snapshot, owner, False)


def _marks(snapshot, owner):
    key = key_of(snapshot.code)
    services.save_availability(snapshot, owner, frozenset({1}), frozenset(), key)


def _cast(snapshot, owner):
    voting.cast_vote(snapshot, owner, snapshot.places[0].place_id, YES)


def _edit_place(snapshot, owner):
    values = PlaceValues(name="Bar Nord", address="1 Main Street")
    voting.edit_place(snapshot, owner, snapshot.places[0].place_id, values)


def _new_dates(snapshot, owner):
    values = make_settings(dates=(date.today() + timedelta(days=40),))
    services.update_settings(snapshot, owner, int(snapshot.lobby.version), values)


def _claim(snapshot, owner):
    services.claim_participations({snapshot.code: owner}, user_id=7)


@pytest.mark.parametrize(
    "write",
    [_rename_person, _new_token, _notify, _marks, _cast, _edit_place, _new_dates, _claim],
    ids=lambda f: f.__name__.strip("_"),
)
def test_every_write_to_a_person_or_place_gives_it_a_new_etag(lobby, write):
    owner = lobby.lobby.owner_id
    voting.propose_place(services.load_lobby(lobby.code), owner, PlaceValues(name="Bar"))
    before = services.load_lobby(lobby.code)
    etags = {item.sk: item.etag for item in [*before.participants.values(), *before.places]}
    assert all(etags.values())
    write(before, owner)
    after = services.load_lobby(lobby.code)
    now = {item.sk: item.etag for item in [*after.participants.values(), *after.places]}
    assert any(now[sk] != etag for sk, etag in etags.items())


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


def test_an_expired_lobby_is_gone_although_its_rev_did_not_move(
    organizer_client, lobby, monkeypatch
):
    view(organizer_client, lobby.code)
    after_expiry = datetime.fromtimestamp(int(lobby.lobby.expires_at) + 1, UTC)

    class AfterExpiry(datetime):
        @classmethod
        def now(cls, tz=None):
            return after_expiry

    monkeypatch.setattr(entities, "datetime", AfterExpiry)  # before TTL deletes anything
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


def test_a_changed_poll_reads_only_what_changed(organizer_client, lobby, join_as):
    view(organizer_client, lobby.code)
    rev = services.lobby_rev(lobby.code)
    join_as(lobby, "Ann")
    with dynamo.count_calls() as calls:
        response = organizer_client.get(
            reverse("lobbies:poll", args=[lobby.code]), {"rev": rev}, **HTMX
        )
    assert calls.operations == ["GetItem", "Query"]
    assert "Ann" in response.content.decode()


def test_a_vote_is_shown_without_changing_the_shared_snapshot(organizer_client, lobby):
    owner = lobby.lobby.owner_id
    place = voting.propose_place(services.load_lobby(lobby.code), owner, PlaceValues(name="Bar"))
    view(organizer_client, lobby.code)
    shared = snapshot_cache.recent.latest(lobby.code)
    url = reverse("voting:vote", args=[lobby.code, place.place_id])
    with dynamo.count_calls() as calls:
        response = organizer_client.post(url, {"value": YES}, **HTMX)
    assert calls.operations == ["Query", "TransactWriteItems"]
    assert 'value="yes" id="vote-' in response.content.decode()
    assert 'aria-pressed="true"><span aria-hidden="true">✓ </span>Yes' in response.content.decode()
    assert voting.votes_of(shared.participant(owner)) == {}
    again, _ = view(organizer_client, lobby.code)
    assert "1 yes" in again


def test_writes_never_touch_the_shared_snapshot(organizer_client, lobby, join_as):
    """A write loads its own snapshot, so what others are shown is not changed under them."""
    view(organizer_client, lobby.code)
    shared = snapshot_cache.recent.latest(lobby.code)
    people, places = dict(shared.participants), list(shared.places)
    organizer_client.post(
        reverse("voting:propose", args=[lobby.code]), {"name": "Somewhere"}, follow=True
    )
    join_as(lobby, "Bea")
    assert shared.participants == people and shared.places == places


def test_derived_values_are_computed_once_per_shared_snapshot(organizer_client, lobby):
    view(organizer_client, lobby.code)
    shared = snapshot_cache.recent.latest(lobby.code)
    computed = []
    assert shared.derive(("x",), lambda: computed.append(1) or "value") == "value"
    assert shared.derive(("x",), lambda: computed.append(1) or "other") == "value"
    assert computed == [1]
    fresh = services.load_lobby(lobby.code)
    assert fresh.derive(("x",), lambda: "fresh") == "fresh"  # not shared: never remembered
    assert fresh.derive(("x",), lambda: "again") == "again"


def test_derived_values_are_bounded_least_recently_used_first(organizer_client, lobby):
    view(organizer_client, lobby.code)
    shared = snapshot_cache.recent.latest(lobby.code)
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
    assert cache.latest(lobby.code) is new
    for title in ("B", "C"):
        other = services.load_lobby(lobby.code)
        other.lobby.pk = f"LOBBY#{title * 8}"
        cache.put(other)
    assert cache.latest(lobby.code) is None
    off = SnapshotCache(size=0)
    off.put(new)
    assert off.latest(lobby.code) is None
