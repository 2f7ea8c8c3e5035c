"""The lobby's data in DynamoDB: reading it at its current rev, and the transactions every
change is made of. Used by the service modules only (lobbies/services.py, voting/services.py,
lobbies/operations.py, lobbies/transfer.py); views go through them.

Reading: `load_lobby` asks DynamoDB for the lobby's `rev` (one strongly consistent GetItem)
and returns the snapshot at that rev, read with one Query the first time this process needs
it. Writing: every change is one transaction that also bumps the Lobby item's `rev`, on
condition that the lobby still exists, so a snapshot at a rev holds every write that rev
counts, whichever process or clock made it.
"""

from __future__ import annotations

import time
from functools import lru_cache

from django.conf import settings
from pynamodb.exceptions import TransactWriteError

from letshangout.dynamo import TableItem, is_unavailable, refused_items, transact
from lobbies.derived import forget_derived
from lobbies.entities import Lobby
from lobbies.errors import LobbyNotFound, NotInLobby
from lobbies.snapshot import LobbySnapshot

# The only cache that holds snapshots (DESIGN.md); what is derived from them is kept under
# (code, rev) by lobbies/derived.py. Bounded by a setting, as a worker's memory is.
SNAPSHOTS_KEPT = settings.LOBBY_SNAPSHOTS_KEPT


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
    """Drop the snapshots this process keeps, and what it derived from them (tests, after
    emptying the table: codes and revs start over)."""
    snapshot_at.cache_clear()
    forget_derived()


def get_lobby(code: str) -> Lobby | None:
    """The Lobby item alone (one GetItem), or None when it is gone: what a save checks,
    without reading everyone's answers."""
    lobby = Lobby.get_current(code)
    return None if lobby is None or lobby.is_expired() else lobby


# --- writing -----------------------------------------------------------------------------------


def bump_rev(transaction, code: str, condition=None, extra=(), **counts: int) -> None:
    """Add the lobby's rev bump (and changes to its counts, and `extra` actions on it) to a
    transaction, done only while the lobby exists and meets `condition`. Through the base
    item, not Lobby: Lobby's optimistic lock would make the organizer's open settings edit
    look stale."""
    actions = [Lobby.rev.add(1), *(getattr(Lobby, name).add(n) for name, n in counts.items())]
    actions += list(extra)
    required = Lobby.pk.exists() if condition is None else Lobby.pk.exists() & condition
    transaction.update(TableItem(*Lobby.key_for(code)), actions=actions, condition=required)


def expiry_is(expires_at: int | None):
    """Condition on the Lobby item: its TTL is still the one a new child item copies, so no
    child of a lobby expires before it (a settings edit may move the TTL meanwhile)."""
    if expires_at is None:
        return Lobby.expires_at.does_not_exist()
    return Lobby.expires_at == expires_at


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


DELETE_TRIES = 5


def delete_collection(code: str) -> int:
    """Delete the Lobby item, then read the partition again until it is empty (a join or a
    proposal may have been on its way): a delete is complete, never half done. Throttling
    on the way is waited out a few times, since once the Lobby item is gone nobody could
    ask for the rest to go again."""
    removed = 0
    lobby = TableItem(*Lobby.key_for(code))
    lobby.delete()
    removed += 1
    troubles = 0
    while True:
        try:
            items = [
                item
                for item in Lobby.collection(code, consistent=True)
                if not isinstance(item, Lobby)
            ]
            if not items:
                return removed
            for item in items:
                item.delete()
                removed += 1
        except Exception as error:
            troubles += 1
            if not is_unavailable(error) or troubles >= DELETE_TRIES:
                raise
            time.sleep(0.05 * 2**troubles)


def table_is_reachable() -> None:
    """Readiness: one cheap read that fails fast when DynamoDB or the table is missing."""
    Lobby.get_rev("READYZ")
