"""Builders for test data with sensible defaults."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from hangout import demo
from letshangout.dynamo import TableItem
from lobbies import codes
from lobbies.availability import grid
from lobbies.availability.answers import grid_key, spec_for
from lobbies.entities import Lobby, Participant
from lobbies.services import LobbySettings
from lobbies.store import load_lobby


def make_settings(**overrides) -> LobbySettings:
    start = date.today() + timedelta(days=2)
    values = {
        "title": "Friday drinks",
        "description": "",
        "timezone": "Europe/Berlin",
        "dates": tuple(start + timedelta(days=n) for n in range(3)),
        "day_start": 18 * 60,
        "day_end": 23 * 60,
        "slot_minutes": 30,
        "meeting_minutes": 120,
    }
    values.update(overrides)
    return LobbySettings(**values)


def small_demo(seed: int, **overrides):
    """A small lobby with answers, places and votes (hangout.demo.seed_demo), reproducibly."""
    options = {
        "participants": 3,
        "days": 3,
        "slot_minutes": 60,
        "day_start": 18 * 60,
        "day_end": 22 * 60,
        "places": 2,
        "meeting_minutes": 60,
    }
    options.update(overrides)
    return demo.seed_demo(rng=random.Random(seed), **options)


def create_payload(**overrides) -> dict:
    """What the create form posts for a three-evening lobby, with `overrides`."""
    start = date.today() + timedelta(days=3)
    payload = {
        "title": "Board games",
        "range_start": start.isoformat(),
        "range_end": (start + timedelta(days=2)).isoformat(),
        "day_start": "18:00",
        "day_end": "23:00",
        "slot_minutes": "30",
        "meeting_minutes": "120",
        "timezone": "Europe/Berlin",
        "display_name": "Olivia",
    }
    payload.update(overrides)
    return payload


def fill_lobby(code: str, count: int, *, answered: bool = True, name: str = "Person {n:04d}"):
    """Seat `count` more guests in a lobby at once, written straight as items (one batch
    write, then the Lobby item's counts and rev): a thousand-person lobby in a second. Each
    answered person can come at every slot when `answered`. Returns the new snapshot."""
    snapshot = load_lobby(code)
    spec = spec_for(snapshot.lobby)
    every_slot = grid.encode_bitmap(spec.existing_slots(), spec.slot_count)
    joined = datetime.now(UTC)
    with Participant.batch_write() as batch:
        for n in range(count):
            person = Participant(
                *Participant.key_for(code, codes.new_id()),
                display_name=name.format(n=n),
                token_hash=codes.hash_token(codes.new_token()),
                votes={},
                joined_at=joined + timedelta(microseconds=n + 1),
                expires_at=snapshot.lobby.expires_at,
            )
            if answered:
                person.yes, person.maybe = every_slot, grid.encode_bitmap((), spec.slot_count)
                person.answered_at, person.grid_key = joined, grid_key(spec)
            batch.save(person)
    actions = [Lobby.participant_count.add(count), Lobby.rev.add(1)]
    TableItem._get_connection().update_item(*Lobby.key_for(code), actions=actions)
    return load_lobby(code)
