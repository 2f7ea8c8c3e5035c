"""Who sits where: the organizer's removal as a ban, and one seat per account and lobby.

A ban is a string set on the Lobby item (`banned`): "U:<user id>" for a signed-in person and
"B:<browser key hash>" for the browser they joined from (lobbies/people/identity.py). A join's
seat is taken on condition that neither is in it, so a removed person cannot rejoin under
another name, whichever device or account the removal knew of.

On sign-in, a guest seat this browser holds in a lobby where the account already has a seat
is merged into the account's seat (its marks and votes are kept where the account's seat
has none) and removed, in one transaction of the two seats, then the lobby's rev moves.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import PutError, TransactWriteError

from letshangout.dynamo import transact, write_item
from lobbies import codes
from lobbies.availability import weekly
from lobbies.entities import Lobby, Participant
from lobbies.errors import LobbyError, LobbyNotFound
from lobbies.snapshot import LobbySnapshot
from lobbies.store import announce, load_lobby, refused, release

log = logging.getLogger(__name__)


class NotMerged(Exception):
    """The seats changed meanwhile (a seat gone, or claimed by an account): nothing merged."""


MAX_PARTICIPANTS = settings.LOBBY_MAX_PARTICIPANTS
# New participant ids drawn before giving up on a clash (50 bits each: a clash is rare).
ID_ATTEMPTS = 5
USER_MARK = "U:"
BROWSER_MARK = "B:"


def marks_of(user_id: int | None, browser_hash: str | None) -> set[str]:
    """What a ban records of a person (and what a join is checked against)."""
    marks = set()
    if user_id is not None:
        marks.add(f"{USER_MARK}{int(user_id)}")
    if browser_hash:
        marks.add(f"{BROWSER_MARK}{browser_hash}")
    return marks


def ban_of(participant: Participant) -> set[str]:
    return marks_of(participant.user_id, participant.browser_hash)


def is_banned(lobby: Lobby, user_id: int | None, browser_hash: str | None) -> bool:
    return bool(set(lobby.banned or ()) & marks_of(user_id, browser_hash))


def not_banned(user_id: int | None, browser_hash: str | None):
    """The join's condition on the Lobby item: none of this person's marks is banned."""
    condition = None
    for mark in sorted(marks_of(user_id, browser_hash)):
        clause = ~Lobby.banned.contains(mark)
        condition = clause if condition is None else condition & clause
    return condition


# --- who may join ---------------------------------------------------------------------------------


def late_join_allowed(lobby: Lobby) -> bool:
    """Whether people may still join once the lobby is settled: the organizer's choice, else
    yes for a weekly lobby (a newcomer still comes to the next meetings) and no for a dated
    one (its group is complete once the time is fixed)."""
    if lobby.late_join is not None:
        return bool(lobby.late_join)
    return weekly.is_weekly(lobby)


def joining_open():
    """The join's condition on the Lobby item: open (or settled, where people may join late),
    not locked, not full."""
    late = (Lobby.late_join == True) | (  # noqa: E712 - a PynamoDB condition
        Lobby.late_join.does_not_exist() & (Lobby.schedule == weekly.WEEKDAYS)
    )
    return (
        ((Lobby.status == "open") | ((Lobby.status == "settled") & late))
        & (Lobby.joining_locked.does_not_exist() | (Lobby.joining_locked == False))  # noqa: E712
        & (Lobby.participant_count.does_not_exist() | (Lobby.participant_count < MAX_PARTICIPANTS))
    )


def join_refusal(
    snapshot: LobbySnapshot, user_id: int | None = None, browser_hash: str | None = None
) -> str | None:
    if len(snapshot.participants) >= MAX_PARTICIPANTS:
        return full_message()
    return join_refusal_of(snapshot.lobby, user_id, browser_hash)


def join_refusal_of(
    lobby: Lobby, user_id: int | None = None, browser_hash: str | None = None
) -> str | None:
    if is_banned(lobby, user_id, browser_hash):
        return _("The organizer removed you from this lobby, so you cannot join it again.")
    if lobby.joining_locked:
        return _("The organizer has locked this lobby; nobody new can join.")
    if lobby.status == "settled" and not late_join_allowed(lobby):
        return _("This lobby is settled; nobody new can join.")
    if int(lobby.participant_count or 0) >= MAX_PARTICIPANTS:
        return full_message()
    return None


def full_message() -> str:
    return ngettext(
        "This lobby is full (%(count)d person).",
        "This lobby is full (%(count)d people).",
        MAX_PARTICIPANTS,
    ) % {"count": MAX_PARTICIPANTS}


# --- one seat per account -------------------------------------------------------------------------


def seat_in_lobbies(memberships: Mapping[str, str], user_id: int) -> dict[str, str]:
    """After sign-in: for each lobby this browser holds a guest seat in where the account
    already has a seat, merge the guest seat into it. Returns code -> the seat the session
    should point at (only for lobbies whose seat changed)."""
    held = {p.code: p.participant_id for p in Participant.for_user(user_id)}
    moved = {}
    for code, guest_id in memberships.items():
        account_id = held.get(code)
        if account_id is None or account_id == guest_id:
            continue
        try:
            merge_guest_seat(load_lobby(code), guest_id, account_id)
        except LobbyNotFound:
            continue
        except NotMerged:
            log.info("guest seat not merged (gone, or someone else's)", extra={"code": code})
        moved[code] = account_id
    return moved


def new_participant(
    code: str, display_name: str, user_id: int | None, expires_at: int | None
) -> tuple[Participant, str]:
    """A new participant item (not written yet) and the token of its personal link."""
    token = codes.new_token()
    now = datetime.now(UTC)
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


def write_seat(code: str, display_name: str, who: tuple, expires_at: int | None):
    """Write a new participant item in the room `join_lobby` (lobbies/services.py) took for
    it, drawing a new id on the rare clash; the room is given back if it cannot be written."""
    try:
        for _attempt in range(ID_ATTEMPTS):
            participant, token = new_participant(code, display_name, who[0], expires_at)
            participant.browser_hash = who[1]
            try:
                write_item(partial(participant.save, condition=Participant.pk.does_not_exist()))
            except PutError as error:
                refused(error)
                continue
            return participant, token
    except BaseException:
        release(code, participant_count=1)
        raise
    release(code, participant_count=1)
    raise LobbyError(_("The lobby kept changing while you joined. Please try again."))


def merge_guest_seat(snapshot: LobbySnapshot, guest_id: str, account_id: str) -> None:
    """The guest seat's marks and votes go to the account's seat where it has none; the guest
    seat goes (and, were it the organizer's, the account's seat organizes instead)."""
    guest, account = snapshot.participant(guest_id), snapshot.participant(account_id)
    if guest is None or account is None or guest.user_id is not None:
        raise NotMerged()
    actions = []
    if account.answered_at is None and guest.answered_at is not None:
        for name in ("yes", "maybe", "grid_key", "answered_at"):
            value = getattr(guest, name)
            if value is not None:
                actions.append(getattr(Participant, name).set(value))
    mine = _votes(account)
    for place_id, value in _votes(guest).items():
        if place_id not in mine:
            actions.append(Participant.votes[place_id].set(value))
    if snapshot.lobby.owner_id == guest_id:
        # The account's seat organizes first, so the lobby never points at a removed seat.
        moved = announce(
            snapshot.code, Lobby.owner_id == guest_id, [Lobby.owner_id.set(account_id)]
        )
        if moved is None:
            raise NotMerged()

    def writes(transaction) -> None:
        if actions:
            transaction.update(
                Participant(account.pk, account.sk),
                actions=actions,
                condition=Participant.pk.exists(),
            )
        else:
            transaction.condition_check(
                Participant, account.pk, account.sk, condition=Participant.pk.exists()
            )
        transaction.delete(
            Participant(guest.pk, guest.sk),
            condition=Participant.pk.exists() & Participant.user_id.does_not_exist(),
        )

    try:
        transact(writes)
    except TransactWriteError as error:
        refused(error)
        raise NotMerged() from error
    announce(snapshot.code, participant_count=-1)


def _votes(participant: Participant) -> dict[str, str]:
    votes = participant.votes
    if isinstance(votes, MapAttribute):
        return dict(votes.as_dict())
    return dict(votes or {})
