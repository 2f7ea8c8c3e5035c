"""Lobby use cases: the only code (with voting/services.py and lobbies/operations.py) that
reads or writes entities.

Views hand in validated values and get back snapshots, entities or a `LobbyError` whose
message is meant for the user.

Reading: `load_lobby` asks DynamoDB for the lobby's `rev` (one strongly consistent GetItem)
and returns the snapshot at that rev, read with one Query the first time this process needs
it. Writing: every change is one transaction that also bumps the Lobby item's `rev`, on
condition that the lobby still exists, so a snapshot at a rev holds every write that rev
counts, whichever process or clock made it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext as _
from pynamodb.exceptions import TransactWriteError

from letshangout.dynamo import TableItem, is_unavailable, refused_items, transact
from lobbies import codes, grid
from lobbies.answers import answers_closed_reason, grid_key, spec_for
from lobbies.entities import Lobby, Participant
from lobbies.errors import (
    AnswersClosed,
    GridChanged,
    InvalidMarks,
    LobbyError,
    LobbyNotFound,
    NotAllowed,
    NotInLobby,
    StaleEdit,
)
from lobbies.snapshot import LobbySnapshot

log = logging.getLogger(__name__)

MAX_PARTICIPANTS = 100
MAX_CODE_ATTEMPTS = 5
SNAPSHOTS_KEPT = 64

__all__ = ["LobbyError", "LobbyNotFound", "LobbySnapshot", "NotAllowed", "StaleEdit"]


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


@dataclass(frozen=True)
class Membership:
    """A participant just created or found, with the personal-link token when it is new."""

    participant: Participant
    token: str | None
    created: bool


def _now() -> datetime:
    return datetime.now(UTC)


def expiry_for(dates: Iterable[date]) -> int:
    """TTL: the lobby is kept for LOBBY_RETENTION_DAYS after its last candidate day."""
    last = max(dates)
    expires = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(
        days=settings.LOBBY_RETENTION_DAYS + 1
    )
    return int(expires.timestamp())


def condition_failed(error: Exception) -> bool:
    """A write (or a transaction) refused by its condition, not by trouble."""
    if any(refused_items(error)):
        return True
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def refused(error: Exception) -> list[bool]:
    """Which items of a transaction said no; anything else than a condition is raised."""
    if is_unavailable(error) or not condition_failed(error):
        raise error
    return refused_items(error)


# --- reading -----------------------------------------------------------------------------------


def lobby_rev(code: str) -> int | None:
    """The change counter alone (one strongly consistent GetItem), or None when it is gone."""
    lobby = Lobby.get_rev(code)
    if lobby is None or lobby.is_expired():
        return None
    return int(lobby.rev)


def load_lobby(code: str) -> LobbySnapshot:
    """The lobby as it is now: its rev (one GetItem), then the snapshot at that rev (one
    Query, unless this process already read the lobby at that rev)."""
    rev = lobby_rev(code)
    if rev is None:
        raise LobbyNotFound()
    return snapshot_at(code, rev)


@lru_cache(maxsize=SNAPSHOTS_KEPT)
def snapshot_at(code: str, rev: int) -> LobbySnapshot:
    """The lobby at `rev` or later (a write may land between the two reads: the Query then
    shows it too, and the next rev read asks again)."""
    return read_whole(code)


def read_whole(code: str, include_expired: bool = False) -> LobbySnapshot:
    """Every item of the lobby in one strongly consistent Query, as a snapshot."""
    items = Lobby.collection(code, consistent=True)
    return LobbySnapshot.from_items(items, include_expired=include_expired)


def forget_snapshots() -> None:
    """Drop the snapshots this process keeps (tests, after emptying the table)."""
    snapshot_at.cache_clear()


def get_lobby(code: str) -> Lobby | None:
    """The Lobby item alone (one GetItem), or None when it is gone: what a save checks,
    without reading everyone's answers."""
    lobby = Lobby.get_current(code)
    return None if lobby is None or lobby.is_expired() else lobby


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


# --- writing -----------------------------------------------------------------------------------


def bump_rev(transaction, code: str, condition=None, **counts: int) -> None:
    """Add the lobby's rev bump (and changes to its counts) to a transaction, done only while
    the lobby exists and meets `condition`. Through the base item, not Lobby: Lobby's
    optimistic lock would make the organizer's open settings edit look stale."""
    actions = [Lobby.rev.add(1), *(getattr(Lobby, name).add(n) for name, n in counts.items())]
    required = Lobby.pk.exists() if condition is None else Lobby.pk.exists() & condition
    transaction.update(TableItem(*Lobby.key_for(code)), actions=actions, condition=required)


def update_in_lobby(code: str, item: TableItem, actions: list, condition=None) -> None:
    """Change attributes of one item of a lobby, with the rev bump, in one transaction.
    NotInLobby when the item is gone, LobbyNotFound when the lobby is."""
    required = item.__class__.pk.exists() if condition is None else condition

    def writes(transaction) -> None:
        transaction.update(item, actions=actions, condition=required)
        bump_rev(transaction, code)

    try:
        transact(writes)
    except TransactWriteError as error:
        item_refused, lobby_refused = (refused(error) + [False, False])[:2]
        if lobby_refused:
            raise LobbyNotFound() from error
        raise NotInLobby() from error


def _settings_values(values: LobbySettings) -> dict:
    return {
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
        "expires_at": expiry_for(values.dates),
    }


def _new_participant(
    code: str, display_name: str, user_id: int | None, expires_at: int | None
) -> tuple[Participant, str]:
    token = codes.new_token()
    now = _now()
    participant = Participant(
        *Participant.key_for(code, codes.new_id()),
        display_name=display_name,
        user_id=user_id,
        token_hash=codes.hash_token(token),
        votes={},
        joined_at=now,
        expires_at=expires_at,
    )
    if user_id is not None:
        participant.gsi1pk = f"USER#{user_id}"
        participant.gsi1sk = f"{now.isoformat()}#{code}"
    return participant, token


def create_lobby(values: LobbySettings, organizer_name: str, user_id: int | None) -> Membership:
    """A new lobby and its organizer, written together; a taken code is drawn again."""
    for _attempt in range(MAX_CODE_ATTEMPTS):
        code = codes.new_code()
        fields = _settings_values(values)
        organizer, token = _new_participant(code, organizer_name, user_id, fields["expires_at"])
        lobby = Lobby(
            *Lobby.key_for(code),
            owner_id=organizer.participant_id,
            created_at=_now(),
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


def _joining_open():
    return (
        (Lobby.status == "open")
        & (Lobby.joining_locked.does_not_exist() | (Lobby.joining_locked == False))  # noqa: E712
        & (Lobby.participant_count.does_not_exist() | (Lobby.participant_count < MAX_PARTICIPANTS))
    )


def join_lobby(snapshot: LobbySnapshot, display_name: str, user_id: int | None) -> Membership:
    """Join as a guest or signed in; a signed-in person already inside gets their old seat.
    The cap, the lock and the lobby's existence are the transaction's conditions, so a race
    of joins cannot pass the cap and a join cannot outlive a delete."""
    existing = snapshot.participant_for_user(user_id)
    if existing is not None:
        return Membership(existing, None, created=False)
    reason = _join_refusal(snapshot)
    if reason:
        raise LobbyError(reason)
    lobby = snapshot.lobby
    participant, token = _new_participant(snapshot.code, display_name, user_id, lobby.expires_at)

    def writes(transaction) -> None:
        transaction.save(participant, condition=Participant.pk.does_not_exist())
        bump_rev(transaction, snapshot.code, _joining_open(), participant_count=1)

    try:
        transact(writes)
    except TransactWriteError as error:
        refused(error)
        current = get_lobby(snapshot.code)
        if current is None:
            raise LobbyNotFound() from error
        raise LobbyError(_join_refusal_of(current) or _("This lobby is full.")) from error
    return Membership(participant, token, created=True)


def _join_refusal(snapshot: LobbySnapshot) -> str | None:
    if len(snapshot.participants) >= MAX_PARTICIPANTS:
        return _full_message()
    return _join_refusal_of(snapshot.lobby)


def _join_refusal_of(lobby: Lobby) -> str | None:
    if lobby.joining_locked:
        return _("The organizer has locked this lobby; nobody new can join.")
    if lobby.status == "settled":
        return _("This lobby is settled; nobody new can join.")
    if int(lobby.participant_count or 0) >= MAX_PARTICIPANTS:
        return _full_message()
    return None


def _full_message() -> str:
    return _("This lobby is full (%(count)d people).") % {"count": MAX_PARTICIPANTS}


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
    require_organizer(snapshot, actor_id)
    if participant_id == actor_id:
        raise LobbyError(_("You cannot remove yourself; delete the lobby instead."))
    _delete_participant(snapshot, participant_id)


def _delete_participant(snapshot: LobbySnapshot, participant_id: str) -> None:
    participant = require_participant(snapshot, participant_id)

    def writes(transaction) -> None:
        transaction.delete(participant, condition=Participant.pk.exists())
        bump_rev(transaction, snapshot.code, participant_count=-1)

    try:
        transact(writes)
    except TransactWriteError as error:
        if (refused(error) + [False, False])[1]:
            raise LobbyNotFound() from error
        raise NotInLobby() from error


def set_joining_locked(snapshot: LobbySnapshot, actor_id: str | None, locked: bool) -> None:
    """The organizer (or staff, with no actor) locks or unlocks joining and answering."""
    if actor_id is not None:
        require_organizer(snapshot, actor_id)
    update_lobby(snapshot.code, [Lobby.joining_locked.set(locked)])


def update_lobby(code: str, actions: list, condition=None) -> None:
    """A change of the Lobby item that cannot conflict with an edit of the settings form."""

    def writes(transaction) -> None:
        required = Lobby.pk.exists() if condition is None else Lobby.pk.exists() & condition
        transaction.update(
            TableItem(*Lobby.key_for(code)),
            actions=[*actions, Lobby.rev.add(1)],
            condition=required,
        )

    try:
        transact(writes)
    except TransactWriteError as error:
        refused(error)
        raise LobbyNotFound() from error


def update_settings(
    snapshot: LobbySnapshot, actor_id: str, version: int, values: LobbySettings
) -> None:
    """Apply the organizer's edit only if nobody changed the settings since the form loaded."""
    require_organizer(snapshot, actor_id)
    fields = _settings_values(values)
    actions = [
        getattr(Lobby, name).set(value) if value is not None else getattr(Lobby, name).remove()
        for name, value in fields.items()
    ]
    actions += [Lobby.rev.add(1), Lobby.version.add(1)]
    condition = Lobby.pk.exists() & (Lobby.version == version)
    try:
        transact(
            lambda transaction: transaction.update(
                TableItem(*Lobby.key_for(snapshot.code)), actions=actions, condition=condition
            )
        )
    except TransactWriteError as error:
        refused(error)
        raise StaleEdit() from error
    if fields["expires_at"] != snapshot.lobby.expires_at:
        move_expiry(snapshot.code, fields["expires_at"])


def move_expiry(code: str, expires_at: int) -> None:
    """Give every item of the lobby the Lobby item's TTL, or DynamoDB would delete people and
    places while their lobby lives on. Read afresh, so items added since are moved too; run
    again after any failure, it finishes the move. One small update per item: a put could
    undo someone's write."""
    for item in Lobby.collection(code, consistent=True):
        if isinstance(item, Lobby) or item.expires_at == expires_at:
            continue
        try:
            item.update(
                actions=[TableItem.expires_at.set(expires_at)],
                condition=TableItem.pk.exists(),
            )
        except Exception as error:
            if is_unavailable(error) or not condition_failed(error):
                raise


def delete_lobby(snapshot: LobbySnapshot, actor_id: str | None) -> int:
    """Remove every item of the lobby (organizer, or staff with no actor). Returns how many.
    The Lobby item goes first, so nothing can join or write while the rest is removed."""
    if actor_id is not None:
        require_organizer(snapshot, actor_id)
    return delete_collection(snapshot.code)


def delete_collection(code: str) -> int:
    """Delete the Lobby item, then read the partition again until it is empty (a join or a
    proposal may have been on its way): a delete is complete, never half done."""
    removed = 0
    lobby = TableItem(*Lobby.key_for(code))
    lobby.delete()
    removed += 1
    while True:
        items = [
            item for item in Lobby.collection(code, consistent=True) if not isinstance(item, Lobby)
        ]
        if not items:
            return removed
        for item in items:
            item.delete()
        removed += len(items)


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
            Participant.gsi1sk.set(f"{_now().isoformat()}#{code}"),
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


def table_is_reachable() -> None:
    """Readiness: one cheap read that fails fast when DynamoDB or the table is missing."""
    Lobby.get_rev("READYZ")


# --- availability ------------------------------------------------------------------------------


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
