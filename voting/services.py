"""Places, votes and the decision: with lobbies/services.py, the only code touching entities.

Views hand in validated values and get back entities, plain view data or a `LobbyError` whose
message is shown to the user as it is. Every change ends with `bump_rev`, the pollers' signal.

Votes live on the voter's own Participant item as a map place id -> yes | maybe | no, and each
vote sets one key of that map (`SET votes.#place = :value`), so two tabs voting on different
places, or many people voting at once, never overwrite each other.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext as _
from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from letshangout.dynamo import TableItem, is_unavailable, refused_items, transact_write
from lobbies import availability, codes, grid
from lobbies.entities import LOBBY_SK, Decision, Lobby, Participant, lobby_pk
from lobbies.services import (
    LobbyError,
    LobbyNotFound,
    LobbySnapshot,
    NotAllowed,
    bump_rev,
    condition_failed,
    load_lobby,
    rev_bump,
)
from voting import ics
from voting.entities import Place
from voting.ranking import VOTE_VALUES, PlaceScore, normalize_place_key, rank_places, recommend

log = logging.getLogger(__name__)

MAX_PLACES = 50
NAME_MAX = 200
ADDRESS_MAX = 300
LINK_MAX = 500
NOTE_MAX = 500
TOP_WINDOWS = 5
SETTLED, OPEN = "settled", "open"


class DuplicatePlace(LobbyError):
    """The place is already on the list; `existing` is the one to point to."""

    def __init__(self, existing: Place):
        super().__init__(
            _("“%(name)s” is already on the list. Vote for it there.") % {"name": existing.name}
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


def _now() -> datetime:
    return datetime.now(UTC)


# --- the lock: deadline and settling ------------------------------------------------------------


def deadline_passed(lobby: Lobby, now: datetime | None = None) -> bool:
    return lobby.deadline is not None and lobby.deadline <= (now or _now())


def lock_reason(lobby: Lobby, now: datetime | None = None) -> str | None:
    """Why proposals and votes are closed, or None while they are open."""
    if lobby.status == SETTLED:
        return _("This lobby is settled, so places and votes are closed.")
    if deadline_passed(lobby, now):
        return _("The deadline has passed, so places and votes are closed.")
    return None


def _require_open(lobby: Lobby) -> None:
    reason = lock_reason(lobby)
    if reason is not None:
        raise LobbyError(reason)


def _require_participant(snapshot: LobbySnapshot, participant_id: str | None) -> Participant:
    participant = snapshot.participant(participant_id)
    if participant is None:
        raise LobbyError(_("You are not in this lobby any more."))
    return participant


def place_by_id(snapshot: LobbySnapshot, place_id: str | None) -> Place | None:
    return next((p for p in snapshot.places if p.place_id == place_id), None)


def _require_place(snapshot: LobbySnapshot, place_id: str | None) -> Place:
    place = place_by_id(snapshot, place_id)
    if place is None:
        raise LobbyError(_("That place is no longer on the list."))
    return place


def _find_duplicate(snapshot: LobbySnapshot, key: str, except_id: str | None = None):
    return next(
        (p for p in snapshot.places if p.dedupe_key == key and p.place_id != except_id), None
    )


# --- places ---------------------------------------------------------------------------------------


def propose_place(snapshot: LobbySnapshot, proposer_id: str, values: PlaceValues) -> Place:
    """Add a place to the lobby. The cap and the duplicate check read the snapshot: two people
    proposing the same place in the same second may both succeed, which is harmless."""
    _require_participant(snapshot, proposer_id)
    _require_open(snapshot.lobby)
    duplicate = _find_duplicate(snapshot, values.dedupe_key)
    if duplicate is not None:
        raise DuplicatePlace(duplicate)
    if len(snapshot.places) >= MAX_PLACES:
        raise LobbyError(
            _(
                "This lobby already has %(count)d places, the most it can hold. Vote for one of "
                "them, or ask whoever proposed one to withdraw it."
            )
            % {"count": MAX_PLACES}
        )
    place = Place(
        *Place.key_for(snapshot.code, codes.new_id()),
        name=values.name,
        address=values.address,
        link=values.link,
        note=values.note,
        dedupe_key=values.dedupe_key,
        proposer_id=proposer_id,
        created_at=_now(),
        expires_at=snapshot.lobby.expires_at,
    )
    try:
        place.save(condition=Place.pk.does_not_exist())
    except PutError as error:
        if is_unavailable(error):
            raise
        # Only a 50-bit id collision gets here.
        raise LobbyError(_("That did not work. Please try again.")) from error
    bump_rev(snapshot.code)
    snapshot.places.append(place)
    return place


def edit_place(snapshot: LobbySnapshot, actor_id: str, place_id: str, values: PlaceValues) -> Place:
    place = _require_place(snapshot, place_id)
    if place.proposer_id != actor_id:
        raise NotAllowed(_("Only the person who proposed a place can edit it."))
    _require_open(snapshot.lobby)
    duplicate = _find_duplicate(snapshot, values.dedupe_key, except_id=place_id)
    if duplicate is not None:
        raise DuplicatePlace(duplicate)
    try:
        place.update(
            actions=[
                Place.name.set(values.name),
                Place.address.set(values.address),
                Place.link.set(values.link),
                Place.note.set(values.note),
                Place.dedupe_key.set(values.dedupe_key),
            ],
            condition=Place.pk.exists(),
        )
    except UpdateError as error:
        if is_unavailable(error) or not condition_failed(error):
            raise
        raise LobbyError(_("That place is no longer on the list.")) from error
    bump_rev(snapshot.code)
    return place


def delete_place(snapshot: LobbySnapshot, actor_id: str, place_id: str) -> str:
    """Withdraw (the proposer, while the lobby is open) or remove (the organizer, any time
    but for the settled place). Returns "withdrawn" or "removed".

    Votes for the place stay on the voters' items; ranking ignores votes for unknown places.
    """
    place = _require_place(snapshot, place_id)
    lobby = snapshot.lobby
    if snapshot.is_organizer(actor_id):
        decision = lobby.decision if lobby.status == SETTLED else None
        if decision is not None and decision.place_id == place_id:
            raise LobbyError(
                _("This is the place the lobby settled on. Reopen the lobby to remove it.")
            )
        outcome = "removed"
    elif place.proposer_id == actor_id:
        _require_open(lobby)
        outcome = "withdrawn"
    else:
        raise NotAllowed(
            _("Only the person who proposed a place, or the organizer, can take it off the list.")
        )
    place.delete()
    bump_rev(snapshot.code)
    snapshot.places.remove(place)
    return outcome


# --- votes ----------------------------------------------------------------------------------------


def votes_of(participant: Participant) -> dict[str, str]:
    votes = participant.votes
    if votes is None:
        return {}
    if isinstance(votes, MapAttribute):
        return dict(votes.as_dict())
    return dict(votes)


def cast_vote(snapshot: LobbySnapshot, voter_id: str, place_id: str, value: str) -> LobbySnapshot:
    """Set one answer of one voter for one place; other keys of the map are left alone.

    Returns the lobby with the vote in it, to show. `snapshot` itself is left as it was: it
    may be shared with other requests (read_lobby), and the write's own conditions, not the
    snapshot, decide whether the place and the vote are still open."""
    if value not in VOTE_VALUES:
        raise LobbyError(_("Choose yes, if need be or no."))
    voter = _require_participant(snapshot, voter_id)
    _require_open(snapshot.lobby)
    _require_place(snapshot, place_id)
    _write_vote(snapshot.code, voter_id, place_id, value)
    voted = copy.deepcopy(voter)
    voted.votes = {**votes_of(voter), place_id: value}
    participants = {**snapshot.participants, voter_id: voted}
    return LobbySnapshot(snapshot.lobby, participants, snapshot.places)


def _write_vote(code: str, voter_id: str, place_id: str, value: str) -> None:
    """One TransactWriteItems: my answer in my votes map, the lobby's rev, on condition that
    votes are still open and the place still exists (a moment ago it may have been withdrawn
    or the lobby settled). An item from before the map existed gets the map made instead."""
    setting_one = (
        [Participant.votes[place_id].set(value)],
        Participant.pk.exists() & Participant.votes.exists(),
    )
    making_map = (
        [Participant.votes.set({place_id: value})],
        Participant.pk.exists() & Participant.votes.does_not_exist(),
    )
    # The map made by another tab between the two tries: set the one answer after all.
    for actions, condition in (setting_one, making_map, setting_one):
        failed = _vote_transaction(code, voter_id, place_id, actions, condition)
        if failed is None:
            return
        if failed == "lobby":
            raise LobbyError(
                _("Votes closed a moment ago: the lobby was settled or its deadline passed.")
            )
        if failed == "place":
            raise LobbyError(_("That place is no longer on the list."))
    raise LobbyError(_("You are not in this lobby any more."))


def _vote_transaction(code, voter_id, place_id, actions, condition) -> str | None:
    """None when written, else which condition said no: "voter", "lobby" or "place"."""
    mine = Participant(*Participant.key_for(code, voter_id)).get_update_kwargs_from_instance(
        actions=actions, condition=condition
    )
    place = Place.get_operation_kwargs_from_class(
        *Place.key_for(code, place_id), condition=Place.pk.exists()
    )
    try:
        transact_write([mine, rev_bump(code, _votes_open(_now()))], condition_check_items=[place])
    except TransactWriteError as error:
        if is_unavailable(error) or not condition_failed(error):
            raise
        # DynamoDB lists the reasons in request order: condition checks, then the updates.
        for name, said_no in zip(("place", "voter", "lobby"), refused_items(error), strict=False):
            if said_no:
                return name
        return "voter"
    return None


def _votes_open(now: datetime):
    """The write-time twin of lock_reason, as a DynamoDB condition on the Lobby item."""
    return (
        Lobby.pk.exists()
        & (Lobby.status.does_not_exist() | (Lobby.status == OPEN))
        & (Lobby.deadline.does_not_exist() | (Lobby.deadline > now))
    )


def ranked_places(snapshot: LobbySnapshot) -> list[PlaceScore]:
    """The lobby's places, best first, tallied from every participant's votes."""
    return rank_places(
        [(place.place_id, place.created_at) for place in snapshot.places],
        {pid: votes_of(p) for pid, p in snapshot.participants.items()},
    )


def everyone_answered(snapshot: LobbySnapshot) -> bool:
    """True once a lobby of two or more people has everyone's answers: each marked their
    times for the current grid and, when there are places, voted on at least one."""
    if len(snapshot.participants) < 2:
        return False
    marked = grid_answers(snapshot, grid_spec(snapshot.lobby))
    place_ids = {place.place_id for place in snapshot.places}
    for participant_id, participant in snapshot.participants.items():
        if participant_id not in marked:
            return False
        if place_ids and not place_ids.intersection(votes_of(participant)):
            return False
    return True


def set_notify_settled(snapshot: LobbySnapshot, participant_id: str, enabled: bool) -> None:
    participant = _require_participant(snapshot, participant_id)
    try:
        participant.update(
            actions=[Participant.notify_settled.set(enabled)], condition=Participant.pk.exists()
        )
    except UpdateError as error:
        if is_unavailable(error) or not condition_failed(error):
            raise
        raise LobbyError(_("You are not in this lobby any more.")) from error
    bump_rev(snapshot.code)


# --- time windows ---------------------------------------------------------------------------------


def grid_spec(lobby: Lobby) -> grid.GridSpec:
    return availability.spec_for(lobby)


def grid_answers(snapshot: LobbySnapshot, spec: grid.GridSpec) -> dict[str, tuple]:
    """participant id -> (yes slots, if-need-be slots) for everyone whose marks fit the
    current grid (the calendar's own definition, so both halves agree)."""
    return availability.answers_of(snapshot, spec, availability.grid_key(spec))


def window_starts(spec: grid.GridSpec, width: int) -> list[int]:
    """Every slot where a meeting of `width` slots can start: inside one day, on slots that
    exist (a daylight-saving gap breaks a window)."""
    per_day = spec.slots_per_day
    existing = spec.existing_slots()
    return [
        start
        for start in range(spec.slot_count)
        if start % per_day + width <= per_day
        and all(index in existing for index in range(start, start + width))
    ]


def describe_window(
    spec: grid.GridSpec, answers: Mapping[str, tuple], start: int, width: int
) -> grid.Window:
    """Any window (not only a best one) with who can come, if need be, or not."""
    return grid.window_at(spec, start, width, answers)


@dataclass(frozen=True)
class Recommendation:
    """The best windows, the ranked places, and the recommended pair (either may be None)."""

    spec: grid.GridSpec
    answers: Mapping[str, tuple]
    windows: list[grid.Window]
    places: list[PlaceScore]
    window: grid.Window | None
    place: PlaceScore | None
    width: int


def recommendation(snapshot: LobbySnapshot, top: int = TOP_WINDOWS) -> Recommendation:
    lobby = snapshot.lobby
    spec = grid_spec(lobby)
    answers = grid_answers(snapshot, spec)
    meeting_minutes = int(lobby.meeting_minutes)
    windows = grid.best_windows(spec, meeting_minutes, answers, top=top)
    places = ranked_places(snapshot)
    window, place = recommend(windows, places)
    return Recommendation(
        spec, answers, windows, places, window, place, spec.meeting_slots(meeting_minutes)
    )


# --- settling -------------------------------------------------------------------------------------


def settle(
    snapshot: LobbySnapshot,
    actor_id: str | None,
    start_slot: int,
    place_id: str | None,
    *,
    automatic: bool = False,
) -> Decision:
    """Fix the lobby's time window and place (None: no place). Only the organizer, or the
    operator's command with `automatic`. One unversioned UpdateItem, so it never conflicts
    with the organizer's open settings form; the condition makes a replay or a second
    settler fail cleanly instead of settling twice."""
    lobby = snapshot.lobby
    if not automatic and not snapshot.is_organizer(actor_id):
        raise NotAllowed(_("Only the organizer can settle this lobby."))
    if lobby.status == SETTLED:
        raise LobbyError(_("This lobby is already settled. Reopen it to change the decision."))
    spec = grid_spec(lobby)
    width = spec.meeting_slots(int(lobby.meeting_minutes))
    if not isinstance(start_slot, int) or start_slot not in window_starts(spec, width):
        raise LobbyError(_("That time is not a possible meeting time in this lobby's calendar."))
    if place_id:
        _require_place(snapshot, place_id)
    decision = Decision(
        start_slot=start_slot,
        slot_count=width,
        place_id=place_id or None,
        settled_at=_now(),
        automatic=automatic,
        starts_at=spec.slot_start(start_slot).astimezone(UTC),
        ends_at=spec.slot_end(start_slot + width - 1).astimezone(UTC),
        all_day=spec.whole_day,
    )
    try:
        TableItem._get_connection().update_item(
            lobby_pk(snapshot.code),
            range_key=LOBBY_SK,
            actions=[Lobby.status.set(SETTLED), Lobby.decision.set(decision), Lobby.rev.add(1)],
            condition=Lobby.pk.exists() & (Lobby.status.does_not_exist() | (Lobby.status == OPEN)),
        )
    except UpdateError as error:
        if is_unavailable(error) or not condition_failed(error):
            raise
        raise LobbyError(
            _("This lobby is already settled. Reopen it to change the decision.")
        ) from error
    lobby.status = SETTLED
    lobby.decision = decision
    return decision


def reopen(snapshot: LobbySnapshot, actor_id: str) -> None:
    lobby = snapshot.lobby
    if not snapshot.is_organizer(actor_id):
        raise NotAllowed(_("Only the organizer can reopen this lobby."))
    if lobby.status != SETTLED:
        raise LobbyError(_("This lobby is not settled, so there is nothing to reopen."))
    try:
        TableItem._get_connection().update_item(
            lobby_pk(snapshot.code),
            range_key=LOBBY_SK,
            actions=[Lobby.status.set(OPEN), Lobby.decision.remove(), Lobby.rev.add(1)],
            condition=Lobby.pk.exists() & (Lobby.status == SETTLED),
        )
    except UpdateError as error:
        if is_unavailable(error) or not condition_failed(error):
            raise
        raise LobbyError(_("This lobby is not settled, so there is nothing to reopen.")) from error
    lobby.status = OPEN
    lobby.decision = None


def settle_automatically(snapshot: LobbySnapshot) -> Decision | None:
    """Settle on the recommended pair; None when nobody marked a time that works."""
    best = recommendation(snapshot, top=1)
    if best.window is None:
        return None
    place_id = best.place.place_id if best.place is not None else None
    return settle(snapshot, None, best.window.start_slot, place_id, automatic=True)


def due_lobby_codes(now: datetime | None = None) -> list[str]:
    """Codes of open auto-settle lobbies past their deadline (a Scan: operator use only)."""
    now = now or _now()
    return sorted(
        lobby.code for lobby in Lobby.due_for_auto_settle(now) if not lobby.is_expired(now)
    )


# --- "everyone has answered" ----------------------------------------------------------------------


def load_lobby_consistent(code: str) -> LobbySnapshot | None:
    """The lobby read with a strongly consistent Query: deciding "everyone has answered"
    right after one's own write must see every write that finished before it."""
    try:
        return load_lobby(code, consistent=True)
    except LobbyNotFound:
        return None


def claim_all_answered_notice(code: str) -> bool:
    """Mark the organizer's "everyone has answered" email as sent; True for the one caller
    that wins, so the email goes out once however many answers arrive at the same time."""
    try:
        TableItem._get_connection().update_item(
            lobby_pk(code),
            range_key=LOBBY_SK,
            actions=[Lobby.all_answered_notified_at.set(_now())],
            condition=Lobby.pk.exists()
            & Lobby.all_answered_notified_at.does_not_exist()
            & (Lobby.notify_owner_all_answered == True),  # noqa: E712 - a condition
        )
    except UpdateError as error:
        if is_unavailable(error) or not condition_failed(error):
            raise
        return False
    return True


# --- the settled event ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SettledView:
    """The decision as pages and emails show it."""

    decision: Decision
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    place: Place | None


def settled_view(snapshot: LobbySnapshot) -> SettledView | None:
    lobby = snapshot.lobby
    decision = lobby.decision
    if lobby.status != SETTLED or decision is None:
        return None
    starts_at, ends_at, all_day = decision.starts_at, decision.ends_at, bool(decision.all_day)
    if starts_at is None or ends_at is None:
        # A decision written without its instants: derive them from the grid.
        spec = grid_spec(lobby)
        start, width = int(decision.start_slot), int(decision.slot_count)
        try:
            starts_at = spec.slot_start(start).astimezone(UTC)
            ends_at = spec.slot_end(start + width - 1).astimezone(UTC)
        except ValueError:
            return None
        all_day = spec.whole_day
    place = place_by_id(snapshot, decision.place_id)
    return SettledView(decision, starts_at, ends_at, all_day, place)


def settled_window(snapshot: LobbySnapshot) -> grid.Window | None:
    """Who can come to the settled time, if the grid still has that window (an edit of
    the days or times since settling renumbers the slots, and then nobody's marks apply)."""
    settled = settled_view(snapshot)
    if settled is None:
        return None
    spec = grid_spec(snapshot.lobby)
    start, width = int(settled.decision.start_slot), int(settled.decision.slot_count)
    try:
        if spec.slot_start(start) != settled.starts_at:
            return None
        return describe_window(spec, grid_answers(snapshot, spec), start, width)
    except ValueError:
        return None


def settled_event(snapshot: LobbySnapshot, lobby_url: str) -> ics.EventDetails | None:
    settled = settled_view(snapshot)
    if settled is None:
        return None
    lobby = snapshot.lobby
    place = settled.place
    parts = [lobby.description, place.note, place.link] if place else [lobby.description]
    description = "\n\n".join(part for part in parts if part)
    return ics.EventDetails(
        code=snapshot.code,
        title=lobby.title,
        description=description,
        starts_at=settled.starts_at,
        ends_at=settled.ends_at,
        all_day=settled.all_day,
        timezone=lobby.timezone,
        location=place.location if place else "",
        url=lobby_url,
        sequence=int(lobby.rev or 0),
        stamp=settled.decision.settled_at,
    )
