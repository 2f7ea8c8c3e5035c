"""Lobby use cases: the only code (with voting/services.py) that reads or writes entities.

Views hand in validated values and get back entities or a `LobbyError` with a message meant
for the user. Every change in a lobby ends with `bump_rev`, the signal pollers watch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from pynamodb.constants import KEY
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from letshangout.dynamo import TableItem, is_unavailable, refused_items, transact_write
from letshangout.memo import ContentMemo
from lobbies import availability, codes, grid, snapshot_cache
from lobbies.entities import LOBBY_SK, Lobby, Participant, lobby_pk
from voting.entities import Place

log = logging.getLogger(__name__)

MAX_PARTICIPANTS = 100
MAX_CODE_ATTEMPTS = 5


class LobbyError(Exception):
    """A rule of the product said no; `message` is shown to the user as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LobbyNotFound(LobbyError):
    def __init__(self):
        super().__init__(_("There is no lobby with that code. Check the code and try again."))


class NotAllowed(LobbyError):
    def __init__(self, message: str | None = None):
        super().__init__(message or _("Only the organizer can do that."))


class StaleEdit(LobbyError):
    def __init__(self):
        super().__init__(
            _(
                "Someone changed this lobby while you were editing. Here are the current "
                "settings; make your change again."
            )
        )


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

    def grid_changes(self, lobby: Lobby) -> bool:
        return (
            [d.isoformat() for d in self.dates] != list(lobby.dates)
            or self.timezone != lobby.timezone
            or (self.day_start, self.day_end, self.slot_minutes)
            != (lobby.day_start, lobby.day_end, lobby.slot_minutes)
        )


@dataclass
class LobbySnapshot:
    """One lobby and everything in it, from one Query.

    A snapshot from `read_lobby` is `shared` with other requests (see snapshot_cache): it
    must not change, which is what lets `derive` remember what is computed from it.
    """

    lobby: Lobby
    participants: dict[str, Participant] = field(default_factory=dict)
    places: list[Place] = field(default_factory=list)
    shared: bool = field(default=False, compare=False)
    # When a read began that found the lobby as this snapshot holds it (time.time()): the
    # next read asks only for what was written after it. The one field a shared snapshot
    # may change, and only forward.
    read_at: float = field(default=0.0, compare=False)
    # A viewer zone or heatmap filter needs ~7 parts (labels, grids, group view, its live
    # twin, places...), plus the participants list as the organizer and the others see it:
    # room for four at once, the least recently used going first.
    MAX_DERIVED = 32
    _derived: ContentMemo = field(
        default_factory=lambda: ContentMemo(LobbySnapshot.MAX_DERIVED), repr=False, compare=False
    )

    def derive(self, key: tuple, compute):
        """`compute()`, remembered under `key` while this snapshot is shared and current."""
        if not self.shared:
            return compute()
        return self._derived.get(key, compute)

    @property
    def code(self) -> str:
        return self.lobby.code

    @property
    def organizer(self) -> Participant | None:
        return self.participants.get(self.lobby.owner_id)

    def participant(self, participant_id: str | None) -> Participant | None:
        return self.participants.get(participant_id) if participant_id else None

    def participant_for_user(self, user_id: int | None) -> Participant | None:
        if user_id is None:
            return None
        return next((p for p in self.participants.values() if p.user_id == user_id), None)

    def is_organizer(self, participant_id: str | None) -> bool:
        return participant_id is not None and participant_id == self.lobby.owner_id


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
            **fields,
        )
        try:
            with TransactWrite(connection=TableItem._get_connection().connection) as tx:
                tx.save(lobby, condition=Lobby.pk.does_not_exist())
                tx.save(organizer, condition=Participant.pk.does_not_exist())
        except TransactWriteError as error:
            if is_unavailable(error) or not condition_failed(error):
                raise
            log.info("lobby code collision, drawing another")
            continue
        lobby.version = 1
        return Membership(organizer, token, created=True)
    raise LobbyError(_("We could not find a free lobby code. Please try again."))


def condition_failed(error: Exception) -> bool:
    """A write (or a transaction) refused by its condition, not by trouble."""
    if any(refused_items(error)):
        return True
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def load_lobby(code: str, consistent: bool = False) -> LobbySnapshot:
    """The whole lobby in one Query; an expired or missing lobby is not found."""
    return _assemble(Lobby.collection(code, consistent=consistent))


def _assemble(items) -> LobbySnapshot:
    lobby = None
    participants: dict[str, Participant] = {}
    places: list[Place] = []
    for item in items:
        if isinstance(item, Lobby):
            lobby = item
        elif isinstance(item, Participant):
            participants[item.participant_id] = item
        elif isinstance(item, Place):
            places.append(item)
    if lobby is None or lobby.is_expired():
        raise LobbyNotFound()
    ordered = dict(sorted(participants.items(), key=lambda kv: kv[1].joined_at))
    places.sort(key=lambda place: place.created_at)
    return LobbySnapshot(lobby, ordered, places)


def read_lobby(code: str, rev: int | None = None) -> LobbySnapshot:
    """The lobby to show (not to change), shared with other requests (see snapshot_cache),
    in one request: the whole lobby the first time this process shows it, afterwards only
    what changed since this process's snapshot (Lobby.changes_since). Given the `rev` the
    caller has just read, a snapshot at least that new is used as it is. Requests for a lobby
    shown here that arrive together share that Query (snapshot_cache.SharedReads)."""
    cached = snapshot_cache.recent.latest(code)
    if cached is None:
        return _read_whole(code)
    if rev is not None and int(cached.lobby.rev) >= rev:
        return cached
    return snapshot_cache.shared_reads.read(
        code, lambda: _read_changes(snapshot_cache.recent.latest(code) or cached)
    )


def _read_whole(code: str) -> LobbySnapshot:
    read_at = time.time()
    return _shared(load_lobby(code, consistent=True), read_at)


def _read_changes(cached: LobbySnapshot) -> LobbySnapshot:
    """`cached` brought up to date with one Query returning only what it does not hold as it
    is: the Lobby item if its rev moved, and new, changed, or untimed items (those without a
    time in their etag come back each time, so one that does not is gone)."""
    children = cached.derive(("children",), lambda: _children_of(cached))
    known = cached.derive(("etags",), lambda: _etags_of(children))
    read_at = time.time()
    result = Lobby.changes_since(cached.code, int(cached.lobby.rev), cached.read_at, known.values())
    returned = list(result)
    moved = next((item for item in returned if isinstance(item, Lobby)), None)
    # Items written within ETAG_LAG_SECONDS come back even when they are the ones held.
    changed = {
        item.sk: item
        for item in returned
        if item is not moved and (item.etag is None or known.get(item.sk) != item.etag)
    }
    unchanged = result.page_iter.total_scanned_count - len(changed)  # the Lobby item too
    if unchanged != len(known.keys() - changed.keys()) + 1:
        # Someone left, a place went, or the lobby: which, filtered results cannot say.
        return _read_whole(cached.code)
    lobby = moved or cached.lobby
    if lobby.is_expired():
        raise LobbyNotFound()
    if changed or len(known) < len(children):  # (fewer known: one without an etag went)
        kept = [children[sk] for sk in known.keys() - changed.keys()]
        return _shared(_assemble([lobby, *changed.values(), *kept]), read_at)
    if moved is None:
        cached.read_at = max(cached.read_at, read_at)
        return cached  # nothing new: keep what was derived from it
    return _shared(LobbySnapshot(lobby, cached.participants, cached.places), read_at)


def _children_of(snapshot: LobbySnapshot) -> dict[str, TableItem]:
    return {item.sk: item for item in [*snapshot.participants.values(), *snapshot.places]}


def _etags_of(children: dict[str, TableItem]) -> dict[str, str]:
    return {sk: item.etag for sk, item in children.items() if item.etag}


def _shared(snapshot: LobbySnapshot, read_at: float) -> LobbySnapshot:
    # Read consistently, and the Lobby item sorts first: every write its rev counts is in.
    snapshot.shared = True
    snapshot.read_at = read_at
    snapshot_cache.recent.put(snapshot)
    return snapshot


def lobby_rev(code: str) -> int | None:
    """The change counter alone (one GetItem), or None when the lobby is gone."""
    lobby = Lobby.get_rev(code)
    if lobby is None or lobby.is_expired():
        return None
    return int(lobby.rev)


def rev_bump(code: str, condition) -> dict:
    """bump_rev as one item of a transaction, done only if the Lobby item meets `condition`."""
    return TableItem._get_connection().get_operation_kwargs(
        lobby_pk(code), range_key=LOBBY_SK, key=KEY, actions=[Lobby.rev.add(1)], condition=condition
    )


def bump_rev(code: str) -> None:
    """Tell pollers something changed. Not through Model.update: that would also bump the
    settings' optimistic-lock version and make the organizer's open edit look stale."""
    TableItem._get_connection().update_item(
        lobby_pk(code),
        range_key=LOBBY_SK,
        actions=[Lobby.rev.add(1)],
        condition=Lobby.pk.exists(),
    )


def join_lobby(snapshot: LobbySnapshot, display_name: str, user_id: int | None) -> Membership:
    """Join as a guest or signed in; a signed-in person already inside gets their old seat."""
    existing = snapshot.participant_for_user(user_id)
    if existing is not None:
        return Membership(existing, None, created=False)
    lobby = snapshot.lobby
    if lobby.joining_locked:
        raise LobbyError(_("The organizer has locked this lobby; nobody new can join."))
    if lobby.status == "settled":
        raise LobbyError(_("This lobby is settled; nobody new can join."))
    if len(snapshot.participants) >= MAX_PARTICIPANTS:
        raise LobbyError(_("This lobby is full (%(count)d people).") % {"count": MAX_PARTICIPANTS})
    participant, token = _new_participant(snapshot.code, display_name, user_id, lobby.expires_at)
    participant.save(condition=Participant.pk.does_not_exist())
    bump_rev(snapshot.code)
    snapshot.participants[participant.participant_id] = participant
    return Membership(participant, token, created=True)


def new_personal_token(snapshot: LobbySnapshot, participant_id: str) -> str:
    """Replace a participant's personal link; the old one stops working."""
    participant = _require_participant(snapshot, participant_id)
    token = codes.new_token()
    participant.update(
        actions=[Participant.token_hash.set(codes.hash_token(token))],
        condition=Participant.pk.exists(),
    )
    bump_rev(snapshot.code)
    return token


def participant_by_token(snapshot: LobbySnapshot, token: str) -> Participant | None:
    wanted = codes.hash_token(token)
    return next((p for p in snapshot.participants.values() if p.token_hash == wanted), None)


def rename_participant(snapshot: LobbySnapshot, participant_id: str, display_name: str) -> None:
    participant = _require_participant(snapshot, participant_id)
    participant.update(
        actions=[Participant.display_name.set(display_name)],
        condition=Participant.pk.exists(),
    )
    bump_rev(snapshot.code)


def _require_participant(snapshot: LobbySnapshot, participant_id: str) -> Participant:
    participant = snapshot.participant(participant_id)
    if participant is None:
        raise LobbyError(_("That person is no longer in this lobby."))
    return participant


def _require_organizer(snapshot: LobbySnapshot, actor_id: str | None) -> None:
    if not snapshot.is_organizer(actor_id):
        raise NotAllowed()


def leave_lobby(snapshot: LobbySnapshot, participant_id: str) -> None:
    if snapshot.is_organizer(participant_id):
        raise LobbyError(
            _("You organize this lobby, so you cannot leave it. You can delete it instead.")
        )
    _delete_participant(snapshot, participant_id)


def remove_participant(snapshot: LobbySnapshot, actor_id: str, participant_id: str) -> None:
    _require_organizer(snapshot, actor_id)
    if participant_id == actor_id:
        raise LobbyError(_("You cannot remove yourself; delete the lobby instead."))
    _delete_participant(snapshot, participant_id)


def _delete_participant(snapshot: LobbySnapshot, participant_id: str) -> None:
    participant = _require_participant(snapshot, participant_id)
    participant.delete()
    bump_rev(snapshot.code)
    del snapshot.participants[participant_id]


def set_joining_locked(snapshot: LobbySnapshot, actor_id: str, locked: bool) -> None:
    _require_organizer(snapshot, actor_id)
    _update_lobby_unversioned(snapshot.lobby, [Lobby.joining_locked.set(locked)])


def _update_lobby_unversioned(lobby: Lobby, actions: list) -> None:
    """A one-attribute change that cannot conflict with an edit of the settings form."""
    TableItem._get_connection().update_item(
        lobby.pk,
        range_key=LOBBY_SK,
        actions=[*actions, Lobby.rev.add(1)],
        condition=Lobby.pk.exists(),
    )


def update_settings(
    snapshot: LobbySnapshot, actor_id: str, version: int, values: LobbySettings
) -> None:
    """Apply the organizer's edit only if nobody changed the settings since the form loaded."""
    _require_organizer(snapshot, actor_id)
    lobby = Lobby(*Lobby.key_for(snapshot.code), version=version)
    fields = _settings_values(values)
    actions = [
        getattr(Lobby, name).set(value) if value is not None else getattr(Lobby, name).remove()
        for name, value in fields.items()
    ]
    actions.append(Lobby.rev.add(1))
    try:
        lobby.update(actions=actions, condition=Lobby.pk.exists())
    except UpdateError as error:
        if is_unavailable(error):
            raise
        raise StaleEdit() from error
    if fields["expires_at"] != snapshot.lobby.expires_at:
        _move_expiry(snapshot, fields["expires_at"])


def _move_expiry(snapshot: LobbySnapshot, expires_at: int) -> None:
    """Keep every item's TTL with the lobby's, or DynamoDB would delete people and places
    while their lobby lives on. One small update per item: a put could undo their writes."""
    for item in [*snapshot.participants.values(), *snapshot.places]:
        item.update(actions=[TableItem.expires_at.set(expires_at)], condition=TableItem.pk.exists())


def delete_lobby(snapshot: LobbySnapshot, actor_id: str | None) -> None:
    """Remove every item of the lobby (organizer, or staff through the admin with None)."""
    if actor_id is not None:
        _require_organizer(snapshot, actor_id)
    with TableItem.batch_write() as batch:
        for participant in snapshot.participants.values():
            batch.delete(participant)
        for place in snapshot.places:
            batch.delete(place)
        batch.delete(snapshot.lobby)


def claim_participations(memberships: Mapping[str, str], user_id: int) -> list[str]:
    """Give a user who just signed in the guest seats this browser held. Lobbies where the
    user already has a seat keep that one. Returns the codes claimed."""
    held = {p.code for p in Participant.for_user(user_id)}
    claimed = []
    for code, participant_id in memberships.items():
        if code in held:
            continue
        participant = Participant(*Participant.key_for(code, participant_id))
        try:
            participant.update(
                actions=[
                    Participant.user_id.set(user_id),
                    Participant.gsi1pk.set(f"USER#{user_id}"),
                    Participant.gsi1sk.set(f"{_now().isoformat()}#{code}"),
                ],
                condition=Participant.pk.exists() & Participant.user_id.does_not_exist(),
            )
        except UpdateError as error:
            if is_unavailable(error):
                raise
            continue
        bump_rev(code)
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


class AnswersClosed(LobbyError):
    """The lobby is settled, locked or past its deadline: availability is frozen."""


class GridChanged(LobbyError):
    def __init__(self):
        super().__init__(
            _(
                "The organizer changed the days or times since you opened this page. Reload "
                "to see the new grid; these marks were not saved."
            )
        )


class InvalidAvailability(LobbyError):
    def __init__(self):
        super().__init__(_("These marks do not fit this lobby's grid. Reload the page."))


class NotInLobby(LobbyError):
    def __init__(self):
        super().__init__(_("That person is no longer in this lobby."))


def get_lobby(code: str) -> Lobby | None:
    """The Lobby item alone (one GetItem), or None when it is gone: what a save needs to
    check, without reading everyone's answers."""
    try:
        lobby = Lobby.get(*Lobby.key_for(code))
    except Lobby.DoesNotExist:
        return None
    return None if lobby.is_expired() else lobby


def check_can_answer(
    lobby_or_snapshot: Lobby | LobbySnapshot, participant_id: str, grid_key: str
) -> None:
    """Refuse a save before reading it: frozen lobby, or a grid that changed since the page
    was loaded (its bitmaps would be read against the wrong slots). Given a snapshot, also a
    participant who is gone; otherwise the write's own condition catches that."""
    lobby = lobby_or_snapshot
    if isinstance(lobby_or_snapshot, LobbySnapshot):
        _require_participant(lobby_or_snapshot, participant_id)
        lobby = lobby_or_snapshot.lobby
    reason = availability.answers_closed_reason(lobby)
    if reason:
        raise AnswersClosed(reason)
    if grid_key != availability.grid_key(availability.spec_for(lobby)):
        raise GridChanged()


def _answers_open(now: datetime):
    """The write-time twin of availability.answers_closed_reason, as a DynamoDB condition."""
    return (
        Lobby.pk.exists()
        & (Lobby.status == "open")
        & (Lobby.joining_locked.does_not_exist() | (Lobby.joining_locked == False))  # noqa: E712
        & (Lobby.deadline.does_not_exist() | (Lobby.deadline > now))
    )


def save_availability(
    lobby_or_snapshot: Lobby | LobbySnapshot,
    participant_id: str,
    yes: AbstractSet[int],
    maybe: AbstractSet[int],
    grid_key: str,
) -> None:
    """Store someone's marks: one TransactWriteItems that sets both bitmaps on their own item
    (if it still exists) and bumps the lobby's rev (if answers are still open).

    With the Lobby item read by GetItem first, a save is two small requests, and a lobby
    settled or locked a moment ago refuses the write rather than the stale read deciding.
    The whole state goes at once, so a retry or a second tab can only repeat it, never mix two
    versions. Given a snapshot, its participant is updated in memory too.
    """
    snapshot = lobby_or_snapshot if isinstance(lobby_or_snapshot, LobbySnapshot) else None
    lobby = snapshot.lobby if snapshot else lobby_or_snapshot
    check_can_answer(lobby_or_snapshot, participant_id, grid_key)
    spec = availability.spec_for(lobby)
    try:
        grid.validate_availability(spec, yes, maybe)
    except grid.AvailabilityError as error:
        raise InvalidAvailability() from error
    now = _now()
    yes_data = grid.encode_bitmap(yes, spec.slot_count)
    maybe_data = grid.encode_bitmap(maybe, spec.slot_count)
    item = Participant(*Participant.key_for(lobby.code, participant_id))
    # Built by hand, not with TransactWrite.update(): that would bump the settings' version
    # and make the organizer's open edit look stale (see bump_rev).
    mine = item.get_update_kwargs_from_instance(
        actions=[
            Participant.yes.set(yes_data),
            Participant.maybe.set(maybe_data),
            Participant.answered_at.set(now),
            Participant.grid_key.set(grid_key),
        ],
        condition=Participant.pk.exists(),
    )
    try:
        transact_write([mine, rev_bump(lobby.code, _answers_open(now))])
    except TransactWriteError as error:
        if is_unavailable(error) or not condition_failed(error):
            raise
        if refused_items(error)[:1] == [True]:
            raise NotInLobby() from error
        raise AnswersClosed(
            _("This lobby was settled or locked a moment ago, so answers can no longer change.")
        ) from error
    if snapshot is not None:
        stored = snapshot.participants[participant_id]
        stored.yes, stored.maybe = yes_data, maybe_data
        stored.answered_at, stored.grid_key = now, grid_key
