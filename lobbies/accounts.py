"""Deleting an account: the person's seats in lobbies stay, as anonymous guests.

A service beside lobbies/services.py: it reads and writes the entities; the view deletes the
Django user afterwards, so no seat ever points at a user who is gone.
"""

from __future__ import annotations

from lobbies.entities import Participant
from lobbies.errors import LobbyError, LobbyNotFound
from lobbies.store import condition_failed, update_in_lobby


def release_seats(user_id: int, name: str) -> int:
    """Turn every seat of the user into a guest called `name`, without the user id and the
    "my lobbies" index keys: one transaction per seat, with its lobby's rev bump, so everyone
    sees the new name at once. Organizer seats stay organizers; personal links keep working.
    Returns how many seats were released."""
    released = 0
    for seat in Participant.for_user(user_id, limit=None):
        actions = [
            Participant.user_id.remove(),
            Participant.gsi1pk.remove(),
            Participant.gsi1sk.remove(),
            Participant.display_name.set(name),
        ]
        condition = Participant.user_id == user_id
        item = Participant(seat.pk, seat.sk)
        try:
            update_in_lobby(seat.code, item, actions, condition)
        except LobbyNotFound:
            # The lobby is gone and TTL has not removed the seat yet: still let go of the user.
            try:
                item.update(actions=actions, condition=condition)
            except Exception as error:
                if not condition_failed(error):
                    raise
                continue
        except LobbyError:
            continue  # left, removed, or released by a request running at the same time
        released += 1
    return released
