"""Places and votes: with lobbies/services.py, the only code that writes entities.

Views hand in validated values and get back entities or a `LobbyError` whose message is shown
to the user as it is. Every change writes its data, then moves the lobby's rev
(lobbies/store.py: no transaction includes the Lobby item, so a crowd never queues on it).

Votes live on the voter's own Participant item as a map place id -> yes | maybe | no, and each
vote sets one key of that map (`SET votes.#place = :value`), so two tabs voting on different
places, or many people voting at once, never overwrite each other. A place's name is held by
a PlaceKey marker written in the same transaction as the place, and the place's room under the
cap is taken first on the lobby's `place_count`, under a condition, so neither duplicates nor
the cap can be raced past.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext as _
from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import size

from letshangout.dynamo import transact
from lobbies import codes
from lobbies.entities import Lobby, Participant
from lobbies.errors import LobbyError, LobbyNotFound, NotAllowed, NotInLobby
from lobbies.services import require_participant
from lobbies.signals import answered
from lobbies.snapshot import LobbySnapshot
from lobbies.store import (
    announce,
    expiry_is,
    get_lobby,
    load_lobby,
    refused,
    release,
    reserve,
    take_back,
    update_in_lobby,
    update_item,
)
from voting.entities import Place, PlaceKey
from voting.ranking import VOTE_VALUES, PlaceScore, normalize_place_key, rank_places

log = logging.getLogger(__name__)

MAX_PLACES = 50
# Keys a voter's ballot may hold: every listed place, and as many withdrawn since.
BALLOT_MAX = 2 * MAX_PLACES
NAME_MAX = 200
ADDRESS_MAX = 300
LINK_MAX = 500
NOTE_MAX = 500
SETTLED, OPEN = "settled", "open"


class DuplicatePlace(LobbyError):
    """The place is already on the list; `existing` is the one to point to (None when it
    arrived a moment ago and is not in the snapshot yet)."""

    def __init__(self, existing: Place | None, name: str):
        super().__init__(
            _("“%(name)s” is already on the list. Vote for it there.")
            % {"name": existing.name if existing else name}
        )
        self.existing = existing


@dataclass(frozen=True)
class PlaceValues:
    """A validated proposal, as the place form produces it."""

    name: str
    address: str = ""
    link: str = ""
    note: str = ""

    @property
    def dedupe_key(self) -> str:
        return normalize_place_key(self.name, self.address)


# --- the lock: deadline and settling ------------------------------------------------------------


def deadline_passed(lobby: Lobby, now: datetime | None = None) -> bool:
    return lobby.deadline is not None and lobby.deadline <= (now or datetime.now(UTC))


def lock_reason(lobby: Lobby, now: datetime | None = None) -> str | None:
    """Why proposals and votes are closed, or None while they are open."""
    if lobby.status == SETTLED:
        return _("This lobby is settled, so places and votes are closed.")
    if deadline_passed(lobby, now):
        return _("The deadline has passed, so places and votes are closed.")
    return None


def votes_open(now: datetime):
    """The write-time twin of lock_reason, as a DynamoDB condition on the Lobby item."""
    return (Lobby.status.does_not_exist() | (Lobby.status == OPEN)) & (
        Lobby.deadline.does_not_exist() | (Lobby.deadline > now)
    )


def _require_open(lobby: Lobby) -> None:
    reason = lock_reason(lobby)
    if reason is not None:
        raise LobbyError(reason)


def require_place(snapshot: LobbySnapshot, place_id: str | None) -> Place:
    place = snapshot.place(place_id)
    if place is None:
        raise LobbyError(_("That place is no longer on the list."))
    return place


def _find_duplicate(snapshot: LobbySnapshot, key: str, except_id: str | None = None):
    return next(
        (p for p in snapshot.places if p.dedupe_key == key and p.place_id != except_id), None
    )


def _full_message() -> str:
    return _(
        "This lobby already has %(count)d places, the most it can hold. Vote for one of "
        "them, or ask whoever proposed one to withdraw it."
    ) % {"count": MAX_PLACES}


# --- places ---------------------------------------------------------------------------------------


def propose_place(
    snapshot: LobbySnapshot, proposer_id: str, values: PlaceValues, tries: int = 3
) -> Place:
    """Add a place: the place, its name marker and the lobby's count in one transaction, so
    equal names and the cap hold however many people propose at once. Both items copy the
    lobby's TTL, on condition that it is still that one (a settings edit may move it)."""
    require_participant(snapshot, proposer_id)
    _require_open(snapshot.lobby)
    duplicate = _find_duplicate(snapshot, values.dedupe_key)
    if duplicate is not None:
        raise DuplicatePlace(duplicate, values.name)
    if len(snapshot.places) >= MAX_PLACES:
        raise LobbyError(_full_message())
    code = snapshot.code
    place = Place(
        *Place.key_for(code, codes.new_id()),
        name=values.name,
        address=values.address,
        link=values.link,
        note=values.note,
        dedupe_key=values.dedupe_key,
        proposer_id=proposer_id,
        created_at=datetime.now(UTC),
        expires_at=snapshot.lobby.expires_at,
    )
    marker = PlaceKey(
        *PlaceKey.key_for(code, values.dedupe_key),
        place_id=place.place_id,
        expires_at=snapshot.lobby.expires_at,
    )
    room = Lobby.place_count.does_not_exist() | (Lobby.place_count < MAX_PLACES)
    taken = reserve(
        code,
        votes_open(datetime.now(UTC)) & room & expiry_is(snapshot.lobby.expires_at),
        place_count=1,
    )
    if taken is None:
        # The snapshot may predate the reason (a settle, a delete or a full list a moment ago).
        current = get_lobby(code)
        if current is None:
            raise LobbyNotFound()
        if current.expires_at != snapshot.lobby.expires_at and tries > 1:
            return propose_place(load_lobby(code), proposer_id, values, tries - 1)
        raise LobbyError(lock_reason(current) or _full_message())

    def writes(transaction) -> None:
        transaction.save(place, condition=Place.pk.does_not_exist())
        transaction.save(marker, condition=PlaceKey.pk.does_not_exist())

    try:
        transact(writes)
    except TransactWriteError as error:
        release(code, place_count=1)
        if (refused(error) + [False, False])[1]:
            raise DuplicatePlace(None, values.name) from error
        raise LobbyError(_("That did not work. Please try again.")) from error
    if announce(code) is None:  # deleted a moment ago: leave nothing behind
        transact(lambda transaction: (transaction.delete(place), transaction.delete(marker)))
        raise LobbyNotFound()
    return place


def edit_place(snapshot: LobbySnapshot, actor_id: str, place_id: str, values: PlaceValues) -> None:
    place = require_place(snapshot, place_id)
    if place.proposer_id != actor_id:
        raise NotAllowed(_("Only the person who proposed a place can edit it."))
    _require_open(snapshot.lobby)
    duplicate = _find_duplicate(snapshot, values.dedupe_key, except_id=place_id)
    if duplicate is not None:
        raise DuplicatePlace(duplicate, values.name)
    code = snapshot.code
    actions = [
        Place.name.set(values.name),
        Place.address.set(values.address),
        Place.link.set(values.link),
        Place.note.set(values.note),
        Place.dedupe_key.set(values.dedupe_key),
    ]
    renamed = values.dedupe_key != place.dedupe_key
    marker = PlaceKey(
        *PlaceKey.key_for(code, values.dedupe_key),
        place_id=place_id,
        expires_at=snapshot.lobby.expires_at,
    )

    def writes(transaction) -> None:
        transaction.update(Place(place.pk, place.sk), actions=actions, condition=Place.pk.exists())
        if renamed:
            transaction.save(marker, condition=PlaceKey.pk.does_not_exist())
            transaction.delete(PlaceKey(*PlaceKey.key_for(code, place.dedupe_key)))

    try:
        transact(writes)
    except TransactWriteError as error:
        said_no = refused(error) + [False] * 3
        if said_no[0]:
            raise LobbyError(_("That place is no longer on the list.")) from error
        if renamed and said_no[1]:
            raise DuplicatePlace(None, values.name) from error
        raise LobbyError(_("Please try again.")) from error
    if announce(code) is None:
        raise LobbyNotFound()


def removal(snapshot: LobbySnapshot, actor_id: str, place_id: str) -> str:
    """What taking a place off the list would be for this person, without doing it:
    "withdrawn" (the proposer, while the lobby is open) or "removed" (the organizer, any time
    but for the settled place). NotAllowed for anyone else, LobbyError when not now."""
    place = require_place(snapshot, place_id)
    lobby = snapshot.lobby
    if snapshot.is_organizer(actor_id):
        decision = lobby.decision if lobby.status == SETTLED else None
        if decision is not None and decision.place_id == place_id:
            raise LobbyError(
                _("This is the place the lobby settled on. Reopen the lobby to remove it.")
            )
        return "removed"
    if place.proposer_id == actor_id:
        _require_open(lobby)
        return "withdrawn"
    raise NotAllowed(
        _("Only the person who proposed a place, or the organizer, can take it off the list.")
    )


def delete_place(snapshot: LobbySnapshot, actor_id: str, place_id: str) -> str:
    """Withdraw or remove a place (see `removal`). Returns "withdrawn" or "removed".

    Votes for the place stay on the voters' items; ranking ignores votes for unknown places.
    """
    outcome = removal(snapshot, actor_id, place_id)
    place = snapshot.place(place_id)

    def writes(transaction) -> None:
        transaction.delete(Place(place.pk, place.sk), condition=Place.pk.exists())
        transaction.delete(PlaceKey(*PlaceKey.key_for(snapshot.code, place.dedupe_key)))

    try:
        transact(writes)
    except TransactWriteError as error:
        refused(error)
        raise LobbyError(_("That place is no longer on the list.")) from error
    if announce(snapshot.code, place_count=-1) is None:
        raise LobbyNotFound()
    return outcome


# --- votes ----------------------------------------------------------------------------------------


def votes_of(participant: Participant) -> dict[str, str]:
    votes = participant.votes
    if votes is None:
        return {}
    if isinstance(votes, MapAttribute):
        return dict(votes.as_dict())
    return dict(votes)


def cast_vote(code: str, voter_id: str, place_id: str, value: str) -> Lobby:
    """Set one answer of one voter for one place; other keys of the map are left alone.

    Two writes and no read, so a crowd voting at once never waits on one item: my answer on
    my own item, then the lobby's rev, moved only while votes are open (if they closed a
    moment ago the answer is taken back). A vote for a place withdrawn a moment ago counts
    for nothing (the ranking reads listed places only), and the ballot's size is bounded so
    such votes cannot grow the item. Listeners of `answered` hear of it. Returns the Lobby
    item as the write left it."""
    if value not in VOTE_VALUES:
        raise LobbyError(_("Choose yes, if need be or no."))
    if not codes.is_id(place_id):
        raise LobbyError(_("That place is no longer on the list."))
    voter = Participant(*Participant.key_for(code, voter_id))
    room = (
        Participant.votes.does_not_exist()
        | (size(Participant.votes) < BALLOT_MAX)
        | Participant.votes[place_id].exists()
    )
    try:
        before = update_item(
            voter, [Participant.votes[place_id].set(value)], Participant.pk.exists() & room
        )
    except NotInLobby as error:
        raise LobbyError(_("You are not in this lobby any more.")) from error
    lobby = announce(code, votes_open(datetime.now(UTC)))
    if lobby is None:
        _take_back_vote(voter, place_id, value, before)
        if get_lobby(code) is None:
            raise LobbyNotFound()
        raise LobbyError(
            _("Votes closed a moment ago: the lobby was settled or its deadline passed.")
        )
    answered.send(sender=Participant, lobby=lobby)
    return lobby


def _take_back_vote(voter: Participant, place_id: str, value: str, before: dict) -> None:
    earlier = votes_of(Participant(votes=before["votes"])).get(place_id) if before else None
    vote = Participant.votes[place_id]
    take_back(voter, [vote.set(earlier) if earlier else vote.remove()], still=vote == value)


def ranked_places(snapshot: LobbySnapshot) -> list[PlaceScore]:
    """The lobby's places, best first, tallied from every participant's votes."""
    return rank_places(
        [(place.place_id, place.created_at) for place in snapshot.places],
        {pid: votes_of(p) for pid, p in snapshot.participants.items()},
    )


def set_notify_settled(snapshot: LobbySnapshot, participant_id: str, enabled: bool) -> None:
    participant = require_participant(snapshot, participant_id)
    update_in_lobby(
        snapshot.code,
        Participant(participant.pk, participant.sk),
        [Participant.notify_settled.set(enabled)],
    )
