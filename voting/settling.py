"""Settling a lobby and telling its people: the one flow that the organizer's form, the admin
and the scheduled auto-settle all go through, so each sends the same emails."""

from __future__ import annotations

from lobbies.availability import weekly
from lobbies.snapshot import LobbySnapshot
from lobbies.store import load_lobby
from voting import decisions
from voting.emails import notifications


def settle(
    snapshot: LobbySnapshot,
    actor_id: str | None,
    start_slot: int,
    place_id: str | None,
    *,
    repeat: weekly.Repeat | None = None,
) -> int:
    """Settle on this time and place (decisions.settle's rules), then email everyone who
    asked; returns how many emails went out."""
    decisions.settle(snapshot, actor_id, start_slot, place_id, repeat=repeat)
    return _tell(snapshot.code)


def settle_automatically(snapshot: LobbySnapshot) -> int | None:
    """Settle on the recommended pair and email; None when nobody marked a time that works."""
    if decisions.settle_automatically(snapshot) is None:
        return None
    return _tell(snapshot.code)


def _tell(code: str) -> int:
    # The decision is in the lobby's next rev, not in the snapshot it was made from.
    return notifications.send_settled(load_lobby(code), notifications.lobby_link(code))
