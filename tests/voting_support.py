"""Helpers for the places, votes and decision tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from letshangout.dynamo import TableItem
from lobbies.availability import grid
from lobbies.availability.answers import grid_key, spec_for
from lobbies.entities import LOBBY_SK, Lobby, Participant, lobby_pk
from lobbies.snapshot import LobbySnapshot
from lobbies.store import load_lobby, update_in_lobby
from voting import services as voting


def reload(code: str) -> LobbySnapshot:
    return load_lobby(code)


def mark(code: str, participant_id: str, yes=(), maybe=()) -> None:
    """Store someone's availability straight on their item (with the rev bump), as the
    calendar's save does, without its checks."""
    snapshot = reload(code)
    spec = spec_for(snapshot.lobby)
    update_in_lobby(
        code,
        Participant(*Participant.key_for(code, participant_id)),
        [
            Participant.yes.set(grid.encode_bitmap(yes, spec.slot_count)),
            Participant.maybe.set(grid.encode_bitmap(maybe, spec.slot_count)),
            Participant.answered_at.set(datetime.now(UTC)),
            Participant.grid_key.set(grid_key(spec)),
        ],
    )


def set_lobby(code: str, **values) -> None:
    """Change Lobby attributes behind the services' back (e.g. a deadline in the past), with
    the rev bump every write makes."""
    actions = [
        getattr(Lobby, name).set(value) if value is not None else getattr(Lobby, name).remove()
        for name, value in values.items()
    ]
    actions.append(Lobby.rev.add(1))
    TableItem._get_connection().update_item(lobby_pk(code), range_key=LOBBY_SK, actions=actions)


def pass_deadline(code: str) -> None:
    set_lobby(code, deadline=datetime.now(UTC) - timedelta(minutes=1))


def propose(code: str, proposer_id: str, name: str, **values):
    return voting.propose_place(reload(code), proposer_id, voting.PlaceValues(name=name, **values))


def vote(code: str, voter_id: str, place_id: str, value: str) -> None:
    voting.cast_vote(code, voter_id, place_id, value)


def stored_votes(code: str, participant_id: str) -> dict[str, str]:
    return voting.votes_of(Participant.get(*Participant.key_for(code, participant_id)))


def evening_window(snapshot, day_index: int = 0, hour: int = 19) -> int:
    """The slot number where a meeting starts at `hour` on the lobby's day `day_index`."""
    spec = spec_for(snapshot.lobby)
    return spec.slot_index(day_index, (hour * 60 - spec.day_start) // spec.slot_minutes)


def slots(start: int, count: int) -> set[int]:
    return set(range(start, start + count))
