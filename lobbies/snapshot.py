"""A lobby and everything in it at one `rev`, as one Query read it: an immutable value.

Only lobbies/store.py's snapshot cache holds snapshots. Whatever the pages derive from one
(the group view, rendered fragments, the ranking) is kept under the snapshot's `key`, its
code and rev, plus the variant (zone, language, viewer) by lobbies/derived.py: every change
in a lobby moves its rev after its data is written, so a snapshot at a rev holds every write
that rev counts. Everyone's answers, which most of a page reads, are read from the bitmaps
once per snapshot and kept with it (`answers`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

from lobbies.availability.answers import read_answers
from lobbies.entities import COMMENT_PREFIX, Lobby, Participant
from lobbies.errors import LobbyNotFound


@dataclass(frozen=True, eq=False)
class LobbySnapshot:
    """One lobby at one rev: its Lobby item, participants by id in the order they joined,
    places in the order they were proposed, and comments newest last. Read it, never change it
    or its items."""

    lobby: Lobby
    participants: Mapping[str, Participant]
    places: tuple = ()
    comments: tuple = ()

    @classmethod
    def from_items(cls, items: Iterable, include_expired: bool = False) -> LobbySnapshot:
        """Assemble the items of one lobby's Query; LobbyNotFound without a live Lobby item."""
        lobby, participants, places, comments = None, [], [], []
        for item in items:
            if isinstance(item, Lobby):
                lobby = item
            elif isinstance(item, Participant):
                participants.append(item)
            elif item.sk.startswith("PLACE#"):
                places.append(item)
            elif item.sk.startswith(COMMENT_PREFIX):
                comments.append(item)
        if lobby is None or (lobby.is_expired() and not include_expired):
            raise LobbyNotFound()
        participants.sort(key=lambda person: person.joined_at)
        places.sort(key=lambda place: place.created_at)
        comments.sort(key=lambda comment: comment.sk)  # its time, then its id
        by_id = {person.participant_id: person for person in participants}
        return cls(lobby, MappingProxyType(by_id), tuple(places), tuple(comments))

    @property
    def code(self) -> str:
        return self.lobby.code

    @cached_property
    def answers(self) -> dict:
        """participant id -> (yes, maybe) for everyone whose answers fit the current grid
        (lobbies/availability/answers.py): read from the bitmaps the first time a page asks."""
        return read_answers(self)

    @property
    def rev(self) -> int:
        return int(self.lobby.rev)

    @property
    def key(self) -> tuple[str, int]:
        return (self.code, self.rev)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LobbySnapshot) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    @property
    def organizer(self) -> Participant | None:
        return self.participants.get(self.lobby.owner_id)

    @property
    def needs_organizer(self) -> bool:
        """Nobody can run the lobby: its organizer's seat is gone, or its account deleted."""
        organizer = self.organizer
        return organizer is None or organizer.is_former

    def answering(self) -> dict[str, Participant]:
        """The people whose answers are awaited: everyone but seats of deleted accounts."""
        return {pid: p for pid, p in self.participants.items() if not p.is_former}

    def participant(self, participant_id: str | None) -> Participant | None:
        return self.participants.get(participant_id) if participant_id else None

    def participant_for_user(self, user_id: int | None) -> Participant | None:
        if user_id is None:
            return None
        return next((p for p in self.participants.values() if p.user_id == user_id), None)

    def is_organizer(self, participant_id: str | None) -> bool:
        return participant_id is not None and participant_id == self.lobby.owner_id

    def place(self, place_id: str | None):
        return next((place for place in self.places if place.place_id == place_id), None)

    def comment(self, comment_id: str | None):
        return next((c for c in self.comments if c.comment_id == comment_id), None)
