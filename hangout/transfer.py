"""Export one lobby to JSON and import it back: the operator's backup and restore.

An export is every item of the lobby's strongly consistent Query, each as its entity serialises
it (DynamoDB's typed JSON, binary as base64). An import reads each item back through the
entities, so an item of a kind this code does not know is refused rather than half restored.

The Lobby item's `rev` is the only freshness signal pages have: a restore over an existing
lobby always moves it past the old one, and writes the Lobby item last, so no process can keep
a snapshot of half a restore under the new rev.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from letshangout.dynamo import TableItem, is_unavailable, write_item
from lobbies import codes, services
from lobbies.entities import (
    COMMENT_PREFIX,
    LOBBY_SK,
    PARTICIPANT_PREFIX,
    PLACE_KEY_PREFIX,
    PLACE_PREFIX,
    Comment,
    Lobby,
    Participant,
    lobby_pk,
)
from lobbies.errors import LobbyError, LobbyNotFound
from voting.entities import Place, PlaceKey

EXPORT_FORMAT = "letshangout.lobby"
EXPORT_VERSION = 1
# Where each kind of item lives in the partition; anything else is refused.
SORT_KEY_OF = {Lobby: LOBBY_SK, Participant: PARTICIPANT_PREFIX, Place: PLACE_PREFIX}
SORT_KEY_OF[PlaceKey] = PLACE_KEY_PREFIX
SORT_KEY_OF[Comment] = COMMENT_PREFIX
# Counters a restore moves on instead of copying: they only need to differ from before.
MOVED_ON = ("rev", "version")


class TransferError(LobbyError):
    """An export or import that cannot be carried out as asked; the message says why."""


# --- export ----------------------------------------------------------------------------------


def _as_json(item: TableItem) -> dict:
    """One item as DynamoDB's typed JSON, binary as base64, attributes in name order."""
    return dict(sorted(item.to_dynamodb_dict().items()))


def export_lobby(code: str) -> dict:
    """Every item of the lobby (expired or not) as JSON-ready data; `import_lobby` restores
    it. LobbyNotFound when there is no Lobby item."""
    items = list(Lobby.collection(code, consistent=True))
    if not any(isinstance(item, Lobby) for item in items):
        raise LobbyNotFound()
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "code": code,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": [_as_json(item) for item in items],
    }


def export_json(code: str) -> str:
    return json.dumps(export_lobby(code), indent=2, ensure_ascii=False) + "\n"


# --- reading an export -----------------------------------------------------------------------


def _not_a_value() -> TransferError:
    return TransferError(_("The file holds an attribute that is not a DynamoDB value."))


def _decoded(value: Any) -> dict:
    """One typed JSON value as botocore gives it (base64 back to bytes); checks its shape."""
    if not isinstance(value, dict) or len(value) != 1:
        raise _not_a_value()
    ((kind, inner),) = value.items()
    try:
        if kind == "B":
            return {"B": base64.b64decode(inner, validate=True)}
        if kind == "BS":
            return {"BS": [base64.b64decode(v, validate=True) for v in inner]}
        if kind == "M":
            return {"M": {str(k): _decoded(v) for k, v in inner.items()}}
        if kind == "L":
            return {"L": [_decoded(v) for v in inner]}
    except (TypeError, AttributeError, binascii.Error) as error:
        raise _not_a_value() from error
    if kind not in {"S", "N", "SS", "NS", "BOOL", "NULL"}:
        raise _not_a_value()
    return {kind: inner}


def _entity(code: str, raw: Any) -> TableItem:
    """One exported item as its entity, checked: this lobby, a known kind in its place."""
    if not isinstance(raw, dict):
        raise TransferError(_("The export holds an item that is not an object."))
    data = {str(name): _decoded(value) for name, value in raw.items()}
    if data.get("pk") != {"S": lobby_pk(code)} or "S" not in data.get("sk", {}):
        raise TransferError(_("The export holds an item of another lobby."))
    sort_key = data["sk"]["S"]
    try:
        item = TableItem.from_raw_data(data)
    except (ValueError, TypeError) as error:
        kind = data.get("kind", {}).get("S", "?")
        raise TransferError(
            _("The export holds an item of a kind this version cannot restore: %(kind)s (%(key)s).")
            % {"kind": kind, "key": sort_key}
        ) from error
    place = SORT_KEY_OF.get(type(item))
    if place is None or not (
        sort_key == place if place == LOBBY_SK else sort_key.startswith(place)
    ):
        raise TransferError(
            _("The export holds an item of an unknown kind, or out of its place: %(key)s.")
            % {"key": sort_key}
        )
    try:
        item.serialize(null_check=True)  # every required attribute is there
    except (ValueError, TypeError) as error:
        raise TransferError(
            _("The export holds an incomplete item: %(key)s (%(error)s).")
            % {"key": sort_key, "error": error}
        ) from error
    return item


def _parse_export(data: Any) -> tuple[str, list[TableItem]]:
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise TransferError(_("This is not a LetsHangOut lobby export."))
    if data.get("version") != EXPORT_VERSION:
        raise TransferError(
            _("This export has version %(version)s; this code reads version %(expected)s.")
            % {"version": data.get("version"), "expected": EXPORT_VERSION}
        )
    code = data.get("code")
    if not isinstance(code, str) or codes.normalize_code(code) != code:
        raise TransferError(_("The export does not name a valid lobby code."))
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise TransferError(_("The export holds no items."))
    items = [_entity(code, raw) for raw in raw_items]
    sort_keys = [item.sk for item in items]
    if len(set(sort_keys)) != len(sort_keys):
        raise TransferError(_("The export holds the same item twice."))
    if sum(isinstance(item, Lobby) for item in items) != 1:
        raise TransferError(_("The export has no lobby item."))
    return code, items


def _completed(code: str, items: list[TableItem]) -> list[TableItem]:
    """The items with what the app keeps beside them made right: the Lobby item's counts of
    participants and places, and one PlaceKey marker per place name (an older export may
    lack them; a marker naming a place not in the file goes)."""
    places = sorted((i for i in items if isinstance(i, Place)), key=lambda p: p.created_at)
    markers = {item.sk: item for item in items if isinstance(item, PlaceKey)}
    wanted: dict[str, PlaceKey] = {}
    for place in places:
        key = PlaceKey.key_for(code, place.dedupe_key)
        if key[1] in wanted:
            continue  # two places of one name (from before markers): the first keeps it
        marker = markers.get(key[1])
        if marker is None or marker.place_id != place.place_id:
            marker = PlaceKey(*key, place_id=place.place_id, expires_at=place.expires_at)
        wanted[key[1]] = marker
    lobby = next(item for item in items if isinstance(item, Lobby))
    lobby.participant_count = sum(isinstance(item, Participant) for item in items)
    lobby.place_count = len(places)
    kept = [item for item in items if not isinstance(item, PlaceKey)]
    return sorted([*kept, *wanted.values()], key=lambda item: item.sk)


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    code: str
    written: int
    removed: int
    unchanged: bool


def _fingerprint(item: TableItem) -> str:
    data = {k: v for k, v in _as_json(item).items() if k not in MOVED_ON}
    return json.dumps(data, sort_keys=True)


def _read_existing(code: str) -> list[TableItem]:
    return list(Lobby.collection(code, consistent=True))


def import_lobby(data: Any, replace: bool = False) -> ImportReport:
    """Restore an export. The same file twice changes nothing the second time; over a lobby
    that differs it refuses unless `replace`, which then makes the lobby hold exactly the
    file's items, with `rev` and `version` moved past the old ones (open pages reload, open
    settings forms go stale)."""
    code, parsed = _parse_export(data)
    items = _completed(code, parsed)
    existing = _read_existing(code)
    if sorted(map(_fingerprint, existing)) == sorted(map(_fingerprint, items)):
        return ImportReport(code, written=0, removed=0, unchanged=True)
    if existing and not replace:
        raise TransferError(
            _("A different lobby %(code)s is already in the table; replace it explicitly.")
            % {"code": codes.display_code(code)}
        )
    incoming = {item.sk for item in items}
    stale = [item for item in existing if item.sk not in incoming]
    lobby = next(item for item in items if isinstance(item, Lobby))
    old_lobby = next((item for item in existing if isinstance(item, Lobby)), None)
    with TableItem.batch_write() as batch:
        for item in stale:
            batch.delete(item)
        for item in items:
            if item is not lobby:
                batch.save(item)  # a plain put: the item exactly as in the file
    _write_lobby(lobby, old_lobby)
    return ImportReport(code, written=len(items), removed=len(stale), unchanged=False)


def _write_lobby(lobby: Lobby, old: Lobby | None) -> None:
    """The Lobby item, last and on condition that nobody wrote to it since it was read, so
    its `rev` only ever grows. An update setting every attribute rather than a put: a put of
    a versioned item through the entity would move its `version` on its own."""
    if old is None:
        condition = Lobby.pk.does_not_exist()
    else:
        lobby.rev = max(int(old.rev or 0), int(lobby.rev or 0)) + 1
        lobby.version = max(int(old.version or 0), int(lobby.version or 0)) + 1
        condition = Lobby.pk.exists() & (Lobby.rev == int(old.rev or 0))
    keys = {Lobby.pk.attr_name, Lobby.sk.attr_name}
    actions = []
    for name, attribute in Lobby.get_attributes().items():
        if attribute.attr_name in keys:
            continue
        value = getattr(lobby, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    connection = TableItem._get_connection()
    try:
        write_item(
            lambda: connection.update_item(lobby.pk, lobby.sk, actions=actions, condition=condition)
        )
    except Exception as error:  # only a failed condition is ours
        if is_unavailable(error) or not services.condition_failed(error):
            raise
        raise TransferError(
            _("Someone changed lobby %(code)s during the import; run the import again.")
            % {"code": codes.display_code(lobby.code)}
        ) from error
