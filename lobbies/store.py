"""The lobby's data in DynamoDB: reading it at its current rev, and the writes every change is
made of. Views read through it (`load_lobby`, `get_lobby`); only service code writes.

Reading: `load_lobby` asks DynamoDB for the lobby's `rev` (one strongly consistent GetItem)
and returns the snapshot at that rev, read with one Query the first time this process needs
it. Writing: a change writes its data, then moves the Lobby item's `rev` with one single-item
write (never a transaction on the Lobby item: see "writing" below), so a snapshot at a rev
holds every write that rev counts, whichever process or clock made it.
"""

from __future__ import annotations

import time
from functools import lru_cache, partial

from django.conf import settings

from letshangout.dynamo import TableItem, is_unavailable, refused_items, write_item
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
#
# No transaction includes a lobby's Lobby item. DynamoDB cancels a transaction that meets
# another write in flight on one of its items, and every change in a lobby moves the Lobby
# item's rev: with the Lobby item in every transaction, a burst of saves in one lobby would
# queue on it and fail. Single-item writes of one item never conflict (DynamoDB applies them
# in turn). So a change is: its data, on the data items (a transaction only where several
# data items must change together), then `announce`, one UpdateItem of the Lobby item that
# moves the rev after the data it announces is written. A reader who sees the new rev reads
# the data too; one who reads the data before the rev moves just reads it again later. A
# count under a cap takes its room first with `reserve` (a conditional ADD, so a burst of
# joins cannot pass the cap) and gives it back with `release` if the data write fails.


def conditional(write) -> dict | None:
    """DynamoDB's answer to a conditional single-item write, or None when its condition said
    no (nothing was written); trouble is raised as it is."""
    try:
        return write_item(write)
    except Exception as error:
        if is_unavailable(error) or not condition_failed(error):
            raise
        return None


def change_lobby(code: str, actions: list, condition=None) -> Lobby | None:
    """One UpdateItem of the Lobby item, done only while the lobby exists and meets
    `condition`: the Lobby item as it is after it (DynamoDB returns it with the write, so
    callers need no read), or None when it was not done. Not through Lobby's own update:
    its optimistic lock would make the organizer's open settings edit look stale."""
    required = Lobby.pk.exists() if condition is None else Lobby.pk.exists() & condition
    connection = TableItem._get_connection()
    answer = conditional(
        lambda: connection.update_item(
            *Lobby.key_for(code), actions=actions, condition=required, return_values="ALL_NEW"
        )
    )
    return None if answer is None else Lobby.from_raw_data(answer["Attributes"])


def _count_changes(counts: dict[str, int]) -> list:
    return [getattr(Lobby, name).add(n) for name, n in counts.items()]


def announce(code: str, condition=None, actions=(), **counts: int) -> Lobby | None:
    """After a change's data is written: move the lobby's rev (and its counts, and `actions`
    on the Lobby item), while the lobby exists and meets `condition`. None when it does not;
    a retry moving rev twice is harmless (a change signal, not a tally)."""
    return change_lobby(code, [Lobby.rev.add(1), *_count_changes(counts), *actions], condition)


def reserve(code: str, condition, **counts: int) -> Lobby | None:
    """Before a capped item is written: take its room on the Lobby item's counts under
    `condition` (the cap). The rev stays: there is nothing new to see yet."""
    return change_lobby(code, _count_changes(counts), condition)


def release(code: str, **counts: int) -> None:
    """Give back room `reserve` took for an item that was not written after all."""
    change_lobby(code, _count_changes({name: -n for name, n in counts.items()}))


def expiry_is(expires_at: int | None):
    """Condition on the Lobby item: its TTL is still the one a new child item copies, so no
    child of a lobby expires before it (a settings edit may move the TTL meanwhile)."""
    if expires_at is None:
        return Lobby.expires_at.does_not_exist()
    return Lobby.expires_at == expires_at


def update_item(item: TableItem, actions: list, condition=None) -> dict:
    """Change attributes of one item (if it exists, and meets `condition`); returns the
    changed attributes as they were before, as Python values, so a change the lobby then
    refuses to announce can be taken back. NotInLobby when the item is gone or refused."""
    required = item.__class__.pk.exists() if condition is None else condition
    connection = item._get_connection()
    answer = conditional(
        lambda: connection.update_item(
            item.pk, item.sk, actions=actions, condition=required, return_values="UPDATED_OLD"
        )
    )
    if answer is None:
        raise NotInLobby()
    return _python_values(item.__class__, answer.get("Attributes", {}))


def _python_values(model, raw: dict) -> dict:
    """DynamoDB's answer (attributes by stored name) as {attribute name: Python value}."""
    by_stored_name = {
        attribute.attr_name: (name, attribute) for name, attribute in model.get_attributes().items()
    }
    values = {}
    for stored_name, value in raw.items():
        name, attribute = by_stored_name[stored_name]
        values[name] = attribute.deserialize(attribute.get_value(value))
    return values


def restoring(item: TableItem, names, before: dict) -> list:
    """The actions that put attributes `names` of an item back as they were `before` a
    change (update_item's answer): set again, or removed where they were absent."""
    attributes = item.__class__.get_attributes()
    return [
        attributes[name].set(before[name]) if name in before else attributes[name].remove()
        for name in names
    ]


def take_back(item: TableItem, actions: list, still=None) -> None:
    """Undo a change of one item that its lobby refused to announce (settled or gone a moment
    before), if the item still holds that change (`still`): a later write of the same person
    wins."""
    required = item.__class__.pk.exists() if still is None else item.__class__.pk.exists() & still
    connection = item._get_connection()
    conditional(
        lambda: connection.update_item(item.pk, item.sk, actions=actions, condition=required)
    )


def update_in_lobby(code: str, item: TableItem, actions: list, condition=None) -> None:
    """Change attributes of one item of a lobby, then announce it. NotInLobby when the item
    is gone, LobbyNotFound when the lobby is."""
    update_item(item, actions, condition)
    if not announce(code):
        raise LobbyNotFound()


def update_lobby(code: str, actions: list, condition=None) -> None:
    """A change of the Lobby item that cannot conflict with an edit of the settings form."""
    if not change_lobby(code, [*actions, Lobby.rev.add(1)], condition):
        raise LobbyNotFound()


def move_expiry(code: str, expires_at: int) -> None:
    """Give every item of the lobby the Lobby item's TTL, or DynamoDB would delete people and
    places while their lobby lives on. Read afresh, so items added since are moved too; run
    again after any failure, it finishes the move. One small update per item: a put could
    undo someone's write."""
    for item in Lobby.collection(code, consistent=True):
        if isinstance(item, Lobby) or item.expires_at == expires_at:
            continue
        conditional(
            partial(
                item.update,
                actions=[TableItem.expires_at.set(expires_at)],
                condition=TableItem.pk.exists(),
            )
        )


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
