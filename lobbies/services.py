"""Lobby use cases: creating, joining, editing and leaving a lobby, and the organizer's
controls over its people.

Views hand in validated values and get back snapshots, entities or a `LobbyError` whose
message is meant for the user. Reading a lobby (`load_lobby`), and how every change writes its
data and then moves the lobby's rev: lobbies/store.py, which views call directly to read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.utils.translation import gettext as _
from pynamodb.exceptions import DeleteError, TransactWriteError

from letshangout.dynamo import transact, write_item
from lobbies import codes
from lobbies.entities import Lobby, Participant
from lobbies.errors import LobbyError, LobbyNotFound, NotAllowed, NotInLobby, StaleEdit
from lobbies.people.seats import (
    ban_of,
    full_message,
    join_refusal,
    join_refusal_of,
    joining_open,
    new_participant,
    not_banned,
    write_seat,
)
from lobbies.retention import expiry_of, kept_by
from lobbies.snapshot import LobbySnapshot
from lobbies.store import (
    announce,
    change_lobby,
    delete_collection,
    expiry_is,
    get_lobby,
    move_expiry,
    refused,
    reserve,
    update_in_lobby,
    update_lobby,
)

log = logging.getLogger(__name__)

MAX_CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class LobbySettings:
    """Validated settings, as the create and edit forms produce them."""

    title: str
    description: str
    timezone: str
    dates: tuple[date, ...]
    day_start: int
    day_end: int
    slot_minutes: int
    meeting_minutes: int
    deadline: datetime | None = None
    auto_settle: bool = False
    notify_owner_all_answered: bool = False
    # Hours before the deadline to remind those who have not answered (None: no reminder).
    remind_hours: int | None = None
    # "dates", or "weekdays" with ISO weekday numbers; `dates` then holds the reference
    # week's days for them (lobbies/availability/weekly.py).
    schedule: str = "dates"
    weekdays: tuple[int, ...] = ()
    # Joining after settling; None leaves it to the schedule (lobbies/seats.late_join_allowed).
    late_join: bool | None = None


@dataclass(frozen=True)
class Membership:
    """A participant just created or found, with the personal-link token when it is new."""

    participant: Participant
    token: str | None
    created: bool


def participant_by_token(snapshot: LobbySnapshot, token: str) -> Participant | None:
    wanted = codes.hash_token(token)
    return next((p for p in snapshot.participants.values() if p.token_hash == wanted), None)


def require_participant(snapshot: LobbySnapshot, participant_id: str | None) -> Participant:
    participant = snapshot.participant(participant_id)
    if participant is None:
        raise NotInLobby()
    return participant


def require_organizer(snapshot: LobbySnapshot, actor_id: str | None) -> None:
    if not snapshot.is_organizer(actor_id):
        raise NotAllowed()


def _settings_values(values: LobbySettings, created_at: datetime, **kept) -> dict:
    return {
        "schedule": values.schedule,
        "weekdays": list(values.weekdays) or None,
        "title": values.title,
        "description": values.description,
        "timezone": values.timezone,
        "dates": [d.isoformat() for d in values.dates],
        "day_start": values.day_start,
        "day_end": values.day_end,
        "slot_minutes": values.slot_minutes,
        "meeting_minutes": values.meeting_minutes,
        "deadline": values.deadline,
        "auto_settle": values.auto_settle,
        "notify_owner_all_answered": values.notify_owner_all_answered,
        "remind_hours": values.remind_hours if values.deadline else None,
        "late_join": values.late_join,
        "remind_at": values.deadline - timedelta(hours=values.remind_hours)
        if values.deadline and values.remind_hours
        else None,
        "expires_at": expiry_of(values.schedule, values.dates, created_at, **kept),
    }


def create_lobby(values: LobbySettings, organizer_name: str, user_id: int | None) -> Membership:
    """A new lobby and its organizer, written together; a taken code is drawn again."""
    for _attempt in range(MAX_CODE_ATTEMPTS):
        code = codes.new_code()
        created_at = datetime.now(UTC)
        fields = _settings_values(values, created_at)
        organizer, token = new_participant(code, organizer_name, user_id, fields["expires_at"])
        lobby = Lobby(
            *Lobby.key_for(code),
            owner_id=organizer.participant_id,
            created_at=created_at,
            rev=1,
            participant_count=1,
            place_count=0,
            **fields,
        )

        def writes(transaction, lobby=lobby, organizer=organizer) -> None:
            transaction.save(lobby, condition=Lobby.pk.does_not_exist())
            transaction.save(organizer, condition=Participant.pk.does_not_exist())

        try:
            transact(writes)
        except TransactWriteError as error:
            refused(error)
            log.info("lobby code collision, drawing another")
            continue
        return Membership(organizer, token, created=True)
    raise LobbyError(_("We could not find a free lobby code. Please try again."))


def join_lobby(
    snapshot: LobbySnapshot,
    display_name: str,
    user_id: int | None,
    browser_hash: str | None = None,
) -> Membership:
    """Join as a guest or signed in; a signed-in person already inside gets their old seat.
    The seat's room is taken first on the lobby's count, conditioned on the cap, the lock, a
    ban, the lobby's existence and its TTL (which the new item copies), so a race of joins
    cannot pass the cap and no seat expires before its lobby; a join that meets a delete
    removes what it wrote."""
    existing = snapshot.participant_for_user(user_id)
    if existing is not None:
        return Membership(existing, None, created=False)
    who = (user_id, browser_hash)
    reason = join_refusal(snapshot, *who)
    if reason:
        raise LobbyError(reason)
    expires_at = snapshot.lobby.expires_at
    for _attempt in range(MAX_CODE_ATTEMPTS):
        condition = joining_open() & expiry_is(expires_at)
        banned = not_banned(*who)
        condition = condition if banned is None else condition & banned
        if reserve(snapshot.code, condition, participant_count=1) is None:
            current = get_lobby(snapshot.code)
            if current is None:
                raise LobbyNotFound()
            if current.expires_at != expires_at:
                expires_at = current.expires_at  # the organizer moved the days meanwhile
                continue
            raise LobbyError(join_refusal_of(current, *who) or full_message())
        participant, token = write_seat(snapshot.code, display_name, who, expires_at)
        if announce(snapshot.code) is None:  # deleted a moment ago: leave nothing behind
            write_item(participant.delete)
            raise LobbyNotFound()
        return Membership(participant, token, created=True)
    raise LobbyError(_("The lobby kept changing while you joined. Please try again."))


def new_personal_token(snapshot: LobbySnapshot, participant_id: str) -> str:
    """Replace a participant's personal link; the old one stops working."""
    participant = require_participant(snapshot, participant_id)
    token = codes.new_token()
    update_in_lobby(
        snapshot.code,
        Participant(participant.pk, participant.sk),
        [Participant.token_hash.set(codes.hash_token(token))],
    )
    return token


def rename_participant(snapshot: LobbySnapshot, participant_id: str, display_name: str) -> None:
    participant = require_participant(snapshot, participant_id)
    update_in_lobby(
        snapshot.code,
        Participant(participant.pk, participant.sk),
        [Participant.display_name.set(display_name)],
    )


def leave_lobby(snapshot: LobbySnapshot, participant_id: str) -> None:
    if snapshot.is_organizer(participant_id):
        raise LobbyError(
            _("You organize this lobby, so you cannot leave it. You can delete it instead.")
        )
    _delete_participant(snapshot, participant_id)


def remove_participant(snapshot: LobbySnapshot, actor_id: str, participant_id: str) -> None:
    """The organizer removes someone and keeps them out: their account and the browser they
    joined from go into the lobby's ban list before their seat goes (lobbies/people/seats.py)."""
    require_organizer(snapshot, actor_id)
    if participant_id == actor_id:
        raise LobbyError(_("You cannot remove yourself; delete the lobby instead."))
    _delete_participant(snapshot, participant_id, ban=True)


def _delete_participant(snapshot: LobbySnapshot, participant_id: str, ban: bool = False) -> None:
    participant = require_participant(snapshot, participant_id)
    marks = ban_of(participant) if ban else set()
    # The ban first, so the person cannot join again between the two writes.
    if marks and change_lobby(snapshot.code, [Lobby.banned.add(marks)]) is None:
        raise LobbyNotFound()
    try:
        write_item(lambda: participant.delete(condition=Participant.pk.exists()))
    except DeleteError as error:
        refused(error)
        raise NotInLobby() from error
    if announce(snapshot.code, participant_count=-1) is None:
        raise LobbyNotFound()


def set_joining_locked(snapshot: LobbySnapshot, actor_id: str | None, locked: bool) -> None:
    """The organizer (or staff, with no actor) locks or unlocks joining and answering."""
    if actor_id is not None:
        require_organizer(snapshot, actor_id)
    update_lobby(snapshot.code, [Lobby.joining_locked.set(locked)])


def update_settings(
    snapshot: LobbySnapshot, actor_id: str, version: int, values: LobbySettings
) -> None:
    """Apply the organizer's edit only if nobody changed the settings since the form loaded."""
    require_organizer(snapshot, actor_id)
    fields = _settings_values(values, snapshot.lobby.created_at, **kept_by(snapshot.lobby))
    actions = [
        getattr(Lobby, name).set(value) if value is not None else getattr(Lobby, name).remove()
        for name, value in fields.items()
    ]
    actions += [Lobby.rev.add(1), Lobby.version.add(1)]
    if change_lobby(snapshot.code, actions, Lobby.version == version) is None:
        raise StaleEdit()
    # Compared with every item, not just the Lobby's old TTL: a move that failed half-way is
    # finished by the next save, even an unchanged one.
    items = [*snapshot.participants.values(), *snapshot.places, snapshot.lobby]
    if any(item.expires_at != fields["expires_at"] for item in items):
        move_expiry(snapshot.code, fields["expires_at"])


def delete_lobby(snapshot: LobbySnapshot, actor_id: str | None) -> int:
    """Remove every item of the lobby (organizer, or staff with no actor). Returns how many.
    The Lobby item goes first, so nothing can join or write while the rest is removed."""
    if actor_id is not None:
        require_organizer(snapshot, actor_id)
    return delete_collection(snapshot.code)


def claim_participations(memberships: Mapping[str, str], user_id: int) -> list[str]:
    """Give a user who just signed in the guest seats this browser held. Lobbies where the
    user already has a seat keep that one. Returns the codes claimed."""
    held = {p.code for p in Participant.for_user(user_id)}
    claimed = []
    for code, participant_id in memberships.items():
        if code in held:
            continue
        seat = Participant(*Participant.key_for(code, participant_id))
        actions = [
            Participant.user_id.set(user_id),
            Participant.gsi1pk.set(f"USER#{user_id}"),
            Participant.gsi1sk.set(f"{datetime.now(UTC).isoformat()}#{code}"),
        ]
        condition = Participant.pk.exists() & Participant.user_id.does_not_exist()
        try:
            update_in_lobby(code, seat, actions, condition)
        except LobbyError:
            continue
        claimed.append(code)
    return claimed


@dataclass(frozen=True)
class MyLobby:
    lobby: Lobby
    participant: Participant

    @property
    def is_organizer(self) -> bool:
        return self.lobby.owner_id == self.participant.participant_id


def my_lobbies(user_id: int) -> list[MyLobby]:
    """Lobbies a user created or joined, newest first: a GSI Query and one BatchGet."""
    participations = list(Participant.for_user(user_id))
    if not participations:
        return []
    keys = list({Lobby.key_for(p.code) for p in participations})
    lobbies = {lobby.code: lobby for lobby in Lobby.batch_get(keys)}
    return [
        MyLobby(lobbies[p.code], p)
        for p in participations
        if p.code in lobbies and not lobbies[p.code].is_expired()
    ]
