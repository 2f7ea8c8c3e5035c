"""Lobby services against DynamoDB Local."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from letshangout import dynamo
from letshangout.dynamo import TableItem
from lobbies import codes, services
from lobbies.entities import Lobby, Participant
from lobbies.errors import LobbyError, LobbyNotFound, NotAllowed, StaleEdit
from lobbies.retention import expiry_for
from lobbies.store import forget_snapshots, load_lobby, lobby_rev
from tests.factories import make_settings


def test_create_lobby_writes_lobby_and_organizer(lobby_settings):
    membership = services.create_lobby(lobby_settings, "Olivia", None)
    snapshot = load_lobby(membership.participant.code)
    assert snapshot.lobby.title == "Friday drinks"
    assert snapshot.lobby.owner_id == membership.participant.participant_id
    assert [p.display_name for p in snapshot.participants.values()] == ["Olivia"]
    assert snapshot.lobby.version == 1
    assert codes.normalize_code(snapshot.code) == snapshot.code
    assert snapshot.lobby.expires_at > 0


def test_load_lobby_reads_the_rev_then_the_lobby_once_per_rev(lobby):
    forget_snapshots()
    with dynamo.count_calls() as calls:
        first = load_lobby(lobby.code)
    assert calls.operations == ["GetItem", "Query"]
    with dynamo.count_calls() as calls:
        again = load_lobby(lobby.code)
    assert calls.operations == ["GetItem"]  # unchanged: the rev alone
    assert again == first


def test_a_snapshot_is_never_changed_by_a_write(lobby):
    before = load_lobby(lobby.code)
    services.join_lobby(before, "Ann", None)
    assert [p.display_name for p in before.participants.values()] == ["Olivia"]
    with pytest.raises(TypeError):
        before.participants["x"] = None
    after = load_lobby(lobby.code)
    assert after.rev == before.rev + 1 and after != before
    assert [p.display_name for p in after.participants.values()] == ["Olivia", "Ann"]


def test_concurrent_creations_never_share_a_code(lobby_settings, monkeypatch):
    # Draw codes from a tiny alphabet so collisions really happen, and check each one is
    # resolved by the conditional write rather than by luck.
    pool = iter(["AAAAAAAA", "AAAAAAAA", "BBBBBBBB"] * 40)
    lock = threading.Lock()

    def next_code():
        with lock:
            return next(pool)

    monkeypatch.setattr(codes, "new_code", next_code)
    created, errors = [], []

    def create():
        try:
            created.append(services.create_lobby(lobby_settings, "X", None).participant.code)
        except LobbyError as error:
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(created)) == len(created) == 2
    assert not errors


def test_many_concurrent_creations_get_unique_codes(lobby_settings):
    results: list[str] = []
    lock = threading.Lock()

    def create():
        code = services.create_lobby(lobby_settings, "X", None).participant.code
        with lock:
            results.append(code)

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20
    assert len(set(results)) == 20
    stored = {item.code for item in TableItem.scan() if isinstance(item, Lobby)}
    assert stored == set(results)


def test_join_twice_as_same_user_keeps_one_seat(lobby, user):
    first = services.join_lobby(lobby, "Sam", user.pk)
    again = services.join_lobby(load_lobby(lobby.code), "Sam again", user.pk)
    assert again.participant.participant_id == first.participant.participant_id
    assert again.created is False
    assert len(load_lobby(lobby.code).participants) == 2


def test_join_bumps_rev(lobby):
    before = lobby_rev(lobby.code)
    services.join_lobby(lobby, "Ann", None)
    assert lobby_rev(lobby.code) == before + 1


def test_locked_lobby_refuses_new_people(lobby):
    services.set_joining_locked(lobby, lobby.lobby.owner_id, True)
    with pytest.raises(LobbyError, match="locked"):
        services.join_lobby(load_lobby(lobby.code), "Ann", None)


def test_stale_settings_edit_is_refused(lobby):
    owner = lobby.lobby.owner_id
    services.update_settings(lobby, owner, 1, make_settings(title="New title"))
    with pytest.raises(StaleEdit):
        services.update_settings(lobby, owner, 1, make_settings(title="Stale title"))
    assert load_lobby(lobby.code).lobby.title == "New title"


def test_rev_bumps_do_not_make_settings_stale(lobby):
    services.join_lobby(lobby, "Ann", None)
    services.update_settings(lobby, lobby.lobby.owner_id, 1, make_settings(title="Still fine"))
    assert load_lobby(lobby.code).lobby.title == "Still fine"


def test_only_organizer_changes_settings(lobby):
    guest = services.join_lobby(lobby, "Ann", None).participant
    with pytest.raises(NotAllowed):
        services.update_settings(lobby, guest.participant_id, 1, make_settings(title="Mine"))
    with pytest.raises(NotAllowed):
        services.remove_participant(lobby, guest.participant_id, lobby.lobby.owner_id)
    with pytest.raises(NotAllowed):
        services.delete_lobby(lobby, guest.participant_id)
    assert load_lobby(lobby.code).lobby.title == "Friday drinks"


def test_delete_removes_every_item(lobby):
    services.join_lobby(lobby, "Ann", None)
    services.delete_lobby(load_lobby(lobby.code), lobby.lobby.owner_id)
    assert list(Lobby.collection(lobby.code)) == []


def test_expired_lobby_reads_as_gone(lobby):
    Lobby(*Lobby.key_for(lobby.code)).update(
        actions=[Lobby.expires_at.set(1)], add_version_condition=False
    )
    with pytest.raises(LobbyNotFound):
        load_lobby(lobby.code)
    assert lobby_rev(lobby.code) is None


def test_claim_gives_guest_seats_to_the_user(lobby, user):
    guest = services.join_lobby(lobby, "Sam", None).participant
    claimed = services.claim_participations({lobby.code: guest.participant_id}, user.pk)
    assert claimed == [lobby.code]
    mine = services.my_lobbies(user.pk)
    assert [entry.lobby.code for entry in mine] == [lobby.code]
    stored = Participant.get(*Participant.key_for(lobby.code, guest.participant_id))
    assert stored.user_id == user.pk


def test_moving_the_dates_moves_every_items_expiry(lobby):
    services.join_lobby(lobby, "Ann", None)
    later = tuple(d + timedelta(days=60) for d in lobby_dates(lobby))
    services.update_settings(lobby, lobby.lobby.owner_id, 1, make_settings(dates=later))
    snapshot = load_lobby(lobby.code)
    expiries = {p.expires_at for p in snapshot.participants.values()}
    assert expiries == {snapshot.lobby.expires_at}
    assert snapshot.lobby.expires_at == expiry_for(later)


def lobby_dates(snapshot):
    return [date.fromisoformat(d) for d in snapshot.lobby.dates]
