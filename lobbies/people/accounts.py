"""Deleting an account: the person's seats in lobbies stay, as seats of a former participant,
and every lobby they organize keeps someone who can run it.

A service beside lobbies/services.py: it reads and writes the entities; the view deletes the
Django user afterwards, so no seat ever points at a user who is gone.

An organizer chooses, for each lobby they organize with other people in it, who takes over
(by default whoever joined first); the lobby passes to them, then the seat is released, so a
lobby is never without an organizer. Lobbies that older releases left without an
organizer can be taken over by any of their participants (`take_over`).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext as _

from lobbies.entities import Lobby, Participant
from lobbies.errors import LobbyError, LobbyNotFound
from lobbies.people import former
from lobbies.snapshot import LobbySnapshot
from lobbies.store import announce, condition_failed, load_lobby, update_in_lobby


class SuccessorGone(LobbyError):
    """The chosen successor is no longer in the lobby: nothing of this lobby changed."""

    def __init__(self, title: str):
        super().__init__(
            _("The person you chose to take over “%(title)s” is no longer in it. Choose again.")
            % {"title": title}
        )


@dataclass(frozen=True)
class Handover:
    """A lobby the user organizes with other people in it, and who may take it over:
    (participant id, name) pairs, longest-standing first."""

    code: str
    title: str
    seat_id: str
    candidates: tuple[tuple[str, str], ...]

    @property
    def default(self) -> str:
        return self.candidates[0][0]

    def successor(self, chosen: str | None) -> str:
        """The chosen participant if they can take over, the default when nobody was chosen."""
        if not chosen:
            return self.default
        if chosen not in dict(self.candidates):
            raise SuccessorGone(self.title)
        return chosen


def _seats(user_id: int) -> list[Participant]:
    return list(Participant.for_user(user_id, limit=None))


def handovers(user_id: int) -> list[Handover]:
    """The user's lobbies that need a successor, read afresh: one Query per lobby organized."""
    found = []
    for seat in _seats(user_id):
        try:
            snapshot = load_lobby(seat.code)
        except LobbyNotFound:
            continue
        handover = _handover(snapshot, seat.participant_id)
        if handover is not None:
            found.append(handover)
    return found


def _handover(snapshot: LobbySnapshot, seat_id: str) -> Handover | None:
    if not snapshot.is_organizer(seat_id):
        return None
    candidates = tuple(
        (pid, person.shown_name)
        for pid, person in snapshot.answering().items()  # in the order they joined
        if pid != seat_id
    )
    if not candidates:
        return None
    return Handover(snapshot.code, snapshot.lobby.title, seat_id, candidates)


def _release_actions() -> list:
    return [
        Participant.user_id.remove(),
        Participant.gsi1pk.remove(),
        Participant.gsi1sk.remove(),
        Participant.display_name.set(former.STORED_NAME),
        Participant.released_at.set(datetime.now(UTC)),
    ]


def release_seats(user_id: int, successors: Mapping[str, str] | None = None) -> int:
    """Turn every seat of the user into a former participant's, without the user id and the
    "my lobbies" index keys: one write per seat, then its lobby's rev, so everyone sees it at
    once. Each lobby the user organizes with others in it first goes to the successor chosen
    in `successors` (code -> participant id; by default whoever joined first). SuccessorGone
    when a successor is no longer there (as read just now): that lobby,
    and the seats not handed over or released yet, stay as they were, so the user can choose
    again. Returns how many seats were released."""
    wanted = successors or {}
    plans = {handover.code: handover for handover in handovers(user_id)}
    chosen = {code: plan.successor(wanted.get(code)) for code, plan in plans.items()}
    released = 0
    for code, plan in plans.items():
        released += _hand_over(user_id, plan, chosen[code])
    for seat in _seats(user_id):
        released += _release(user_id, seat)
    return released


def _hand_over(user_id: int, plan: Handover, successor_id: str) -> int:
    """The lobby passes to the successor, then the seat is released: in that order, so the
    lobby is never left without an organizer. The successor was checked in the plan read a
    moment ago; should they leave in between, the lobby shows "take over" to the rest."""
    moved = announce(plan.code, Lobby.owner_id == plan.seat_id, [Lobby.owner_id.set(successor_id)])
    if moved is None:
        return 0  # the lobby is gone or no longer theirs: nothing to hand over
    seat = Participant(*Participant.key_for(plan.code, plan.seat_id))
    # Released by a request running at the same time, or the lobby went meanwhile: done too.
    with suppress(LobbyError):
        update_in_lobby(plan.code, seat, _release_actions(), Participant.user_id == user_id)
    return 1


def _release(user_id: int, seat: Participant) -> int:
    actions, condition = _release_actions(), Participant.user_id == user_id
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
            return 0
    except LobbyError:
        return 0  # left, removed, or released by a request running at the same time
    return 1


def take_over(snapshot: LobbySnapshot, participant_id: str) -> None:
    """A participant becomes the organizer of a lobby that has none any more (its organizer's
    account was deleted before hand-overs existed). Conditioned on the organizer not having
    changed, so of two people taking over at once only the first does."""
    person = snapshot.participant(participant_id)
    if person is None or person.is_former:
        raise LobbyError(_("Only someone in this lobby can take it over."))
    if not snapshot.needs_organizer:
        raise LobbyError(_("This lobby already has an organizer."))
    taken = announce(
        snapshot.code,
        Lobby.owner_id == snapshot.lobby.owner_id,
        [Lobby.owner_id.set(participant_id)],
    )
    if taken is None:
        raise LobbyError(_("Someone else has already taken over this lobby."))
