"""Saving someone's availability: the rules a save must meet at the moment it is written.

The marks arrive read and checked against the grid (availability/marks.py); here the lobby's
state decides, once from the Lobby item and again as the condition of the rev's move.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext as _

from lobbies.availability import grid
from lobbies.availability.answers import answers_closed_reason, grid_key, spec_for
from lobbies.availability.grid import GridSpec
from lobbies.entities import Lobby, Participant
from lobbies.errors import AnswersClosed, GridChanged, InvalidMarks
from lobbies.signals import answered
from lobbies.store import announce, restoring, take_back, update_item


@dataclass(frozen=True)
class AnswerSheet:
    """A lobby that takes answers, on the grid the answering page was drawn for: what a save
    reads its marks against and writes them with."""

    lobby: Lobby
    spec: GridSpec
    grid_key: str


def answer_sheet(lobby: Lobby, grid_key_sent: str) -> AnswerSheet:
    """Refuse a save before reading it: a frozen lobby, or a grid that changed since the page
    was loaded (its bitmaps would be read against the wrong slots)."""
    reason = answers_closed_reason(lobby)
    if reason:
        raise AnswersClosed(reason)
    spec = spec_for(lobby)
    if grid_key_sent != grid_key(spec):
        raise GridChanged()
    return AnswerSheet(lobby, spec, grid_key_sent)


def _answers_open(now: datetime):
    """The write-time twin of answers_closed_reason, as a DynamoDB condition."""
    return (
        (Lobby.status == "open")
        & (Lobby.joining_locked.does_not_exist() | (Lobby.joining_locked == False))  # noqa: E712
        & (Lobby.deadline.does_not_exist() | (Lobby.deadline > now))
    )


def save_availability(
    sheet: AnswerSheet, participant_id: str, yes: AbstractSet[int], maybe: AbstractSet[int]
) -> None:
    """Store someone's marks: one write that sets both bitmaps on their own item (if it still
    exists; NotInLobby if not), then the lobby's rev, moved only if answers are still open.
    The marks come checked against the sheet's grid (availability/marks.py); the whole state goes
    at once, so a retry or a second tab can only repeat it, never mix two versions. Listeners
    of `answered` hear of it."""
    lobby, grid_key_sent = sheet.lobby, sheet.grid_key
    slot_count = sheet.spec.slot_count
    try:
        yes_data, maybe_data = (
            grid.encode_bitmap(yes, slot_count),
            grid.encode_bitmap(maybe, slot_count),
        )
    except ValueError as error:
        raise InvalidMarks(
            _("These marks do not fit this lobby's grid. Reload the page.")
        ) from error
    now = datetime.now(UTC)
    mine = Participant(*Participant.key_for(lobby.code, participant_id))
    written = {"yes": yes_data, "maybe": maybe_data, "answered_at": now, "grid_key": grid_key_sent}
    actions = [getattr(Participant, name).set(value) for name, value in written.items()]
    before = update_item(mine, actions)
    announced = announce(lobby.code, _answers_open(now))
    if not announced:
        # Settled, locked or past its deadline since the check above: the save is taken back
        # rather than left to surface on a reopen.
        take_back(mine, restoring(mine, written, before), still=Participant.answered_at == now)
        raise AnswersClosed(
            _("This lobby was settled or locked a moment ago, so answers can no longer change.")
        )
    answered.send(sender=AnswerSheet, lobby=announced)
