"""Who answered what, and whether answers are open: the domain side of the availability grid.

Pure rules over a lobby's items, shared by services (which enforce them) and the pages
(which show them). Slot arithmetic itself is lobbies/availability/grid.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Set as AbstractSet
from datetime import UTC, date, datetime
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext as _

from lobbies.availability.grid import GridSpec
from lobbies.availability.slots import EMPTY, SlotSet

# (yes, if need be): SlotSets (int bitmaps) as read from storage, or sets from a form.
Marks = tuple[AbstractSet[int], AbstractSet[int]]


def spec_for(lobby) -> GridSpec:
    return _spec(
        tuple(lobby.dates),
        int(lobby.day_start),
        int(lobby.day_end),
        int(lobby.slot_minutes),
        lobby.timezone,
    )


@lru_cache(maxsize=settings.LOBBY_GRIDS_KEPT)
def _spec(dates: tuple[str, ...], start: int, end: int, slot: int, tz: str) -> GridSpec:
    # Lobbies are read far more often than they change; the DST scan of a big grid is kept.
    return GridSpec(tuple(date.fromisoformat(d) for d in dates), start, end, slot, tz)


def grid_key(spec: GridSpec) -> str:
    """A short hash of the grid's shape; bitmaps saved under another key are not read."""
    shape = "|".join(
        [
            ",".join(d.isoformat() for d in spec.dates),
            str(spec.day_start),
            str(spec.day_end),
            str(spec.slot_minutes),
            spec.tz,
        ]
    )
    return hashlib.blake2s(shape.encode(), digest_size=6).hexdigest()


def _decode(data: bytes | None, length: int) -> SlotSet | None:
    if not data:
        return EMPTY
    try:
        return SlotSet.from_bitmap(data, length)
    except ValueError:
        return None


def marks_of(participant, spec: GridSpec, key: str | None = None) -> Marks | None:
    """(yes, maybe) of a participant who answered for this grid (whose `grid_key` is `key`,
    computed when not given), else None."""
    if participant is None or participant.answered_at is None:
        return None
    if participant.grid_key != (key or grid_key(spec)):
        return None
    yes = _decode(participant.yes, spec.slot_count)
    maybe = _decode(participant.maybe, spec.slot_count)
    if yes is None or maybe is None:
        return None
    return yes, maybe


def answers_of(snapshot) -> dict[str, Marks]:
    """participant id -> (yes, maybe), for everyone whose answers fit the current grid.
    Read once per snapshot and kept with it (LobbySnapshot.answers), so it goes when the
    snapshot cache lets the snapshot go."""
    return snapshot.answers


def read_answers(snapshot) -> dict[str, Marks]:
    spec = spec_for(snapshot.lobby)
    key = grid_key(spec)
    answers = {}
    for participant_id, participant in snapshot.participants.items():
        marks = marks_of(participant, spec, key)
        if marks is not None:
            answers[participant_id] = marks
    return answers


def answers_closed_reason(lobby, now: datetime | None = None) -> str | None:
    """Why nobody can change their availability any more, or None while answers are open."""
    now = now or datetime.now(UTC)
    if lobby.status == "settled":
        return _("This lobby is settled, so answers can no longer change.")
    if lobby.joining_locked:
        return _("The organizer has locked this lobby, so answers can no longer change.")
    if lobby.deadline is not None and lobby.deadline <= now:
        return _("The deadline to answer has passed, so answers can no longer change.")
    return None


def unanswered_signed_in(snapshot) -> list:
    """Signed-in participants whose answers do not fit the current grid: those a reminder
    can reach (guests have no address)."""
    answered = answers_of(snapshot)
    return [
        person
        for pid, person in snapshot.participants.items()
        if person.user_id is not None and pid not in answered
    ]


def unanswered_guests(snapshot) -> list:
    """Guests whose answers do not fit the current grid (a reminder reaches those who
    confirmed an address in the lobby)."""
    answered = answers_of(snapshot)
    return [
        person
        for pid, person in snapshot.participants.items()
        if person.user_id is None and pid not in answered
    ]
