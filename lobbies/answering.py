"""Saving someone's availability: the rules a save must meet at the moment it is written.

The marks arrive read and checked against the grid (lobbies/marks.py); here the lobby's
state decides, once from the Lobby item and again as the transaction's condition.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from datetime import UTC, datetime

from django.utils.translation import gettext as _
from pynamodb.exceptions import TransactWriteError

from letshangout.dynamo import transact
from lobbies import grid
from lobbies.answers import answers_closed_reason, grid_key, spec_for
from lobbies.entities import Lobby, Participant
from lobbies.errors import AnswersClosed, GridChanged, InvalidMarks, NotInLobby
from lobbies.store import bump_rev, refused


def _now() -> datetime:
    return datetime.now(UTC)


def check_can_answer(lobby: Lobby, grid_key_sent: str) -> None:
    """Refuse a save before reading it: a frozen lobby, or a grid that changed since the page
    was loaded (its bitmaps would be read against the wrong slots)."""
    reason = answers_closed_reason(lobby)
    if reason:
        raise AnswersClosed(reason)
    if grid_key_sent != grid_key(spec_for(lobby)):
        raise GridChanged()


def _answers_open(now: datetime):
    """The write-time twin of answers_closed_reason, as a DynamoDB condition."""
    return (
        (Lobby.status == "open")
        & (Lobby.joining_locked.does_not_exist() | (Lobby.joining_locked == False))  # noqa: E712
        & (Lobby.deadline.does_not_exist() | (Lobby.deadline > now))
    )


def save_availability(
    lobby: Lobby,
    participant_id: str,
    yes: AbstractSet[int],
    maybe: AbstractSet[int],
    grid_key_sent: str,
) -> None:
    """Store someone's marks: one transaction that sets both bitmaps on their own item (if it
    still exists) and bumps the lobby's rev (if answers are still open). The marks come
    checked against the grid (lobbies/marks.py); the whole state goes at once, so a retry or a
    second tab can only repeat it, never mix two versions."""
    check_can_answer(lobby, grid_key_sent)
    slot_count = spec_for(lobby).slot_count
    try:
        yes_data, maybe_data = (
            grid.encode_bitmap(yes, slot_count),
            grid.encode_bitmap(maybe, slot_count),
        )
    except ValueError as error:
        raise InvalidMarks(
            _("These marks do not fit this lobby's grid. Reload the page.")
        ) from error
    now = _now()
    mine = Participant(*Participant.key_for(lobby.code, participant_id))
    actions = [
        Participant.yes.set(yes_data),
        Participant.maybe.set(maybe_data),
        Participant.answered_at.set(now),
        Participant.grid_key.set(grid_key_sent),
    ]

    def writes(transaction) -> None:
        transaction.update(mine, actions=actions, condition=Participant.pk.exists())
        bump_rev(transaction, lobby.code, _answers_open(now))

    try:
        transact(writes)
    except TransactWriteError as error:
        if refused(error)[:1] == [True]:
            raise NotInLobby() from error
        raise AnswersClosed(
            _("This lobby was settled or locked a moment ago, so answers can no longer change.")
        ) from error
