"""Operator and staff use cases over the whole table: list, count, purge, export, import, seed.

With services.py, the only code that touches entities. Unlike services.py, these may Scan: they
run from `manage.py` or from admin pages that only staff reach (DESIGN.md, "admin lists"), never
on a path a visitor can trigger.

Export and import work on the raw DynamoDB items (the typed JSON DynamoDB itself uses, binary as
base64), not on entities: a restore must give back every attribute exactly, including ones a
newer version of the code added.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from django.utils.translation import gettext as _

from letshangout import dynamo
from letshangout.dynamo import TableItem
from lobbies import availability, codes, grid, services
from lobbies.entities import LOBBY_SK, PARTICIPANT_PREFIX, PLACE_PREFIX, Lobby, Participant
from lobbies.services import LobbyError, LobbySettings, LobbySnapshot
from voting.entities import Place
from voting.ranking import MAYBE, NO, YES, normalize_place_key

EXPORT_FORMAT = "letshangout.lobby"
EXPORT_VERSION = 1
BATCH_SIZE = 25  # DynamoDB's BatchWriteItem limit
MAX_BATCH_ROUNDS = 8
STATES = ("open", "locked", "settled", "expired")


class MaintenanceError(LobbyError):
    """An operator's request that cannot be carried out as asked; the message says why."""


# --- raw DynamoDB access ---------------------------------------------------------------------


@contextmanager
def _raw_errors() -> Iterator[None]:
    """botocore's ClientError for an outage becomes DynamoUnavailable (a 503 in a request),
    as PynamoDB's errors do; any other ClientError is a bug and propagates as it is."""
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in dynamo.UNAVAILABLE_ERROR_CODES:
            raise dynamo.DynamoUnavailable(str(error)) from error
        raise


def _client():
    return dynamo.botocore_client()


def _table() -> str:
    return TableItem.Meta.table_name


def _key_of(item: dict) -> dict:
    return {"pk": item["pk"], "sk": item["sk"]}


def _query_collection(code: str, keys_only: bool = False) -> list[dict]:
    """Every raw item under the lobby's partition key, in sort-key order (strongly consistent:
    an export or a delete right after a write must see that write)."""
    params: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"LOBBY#{code}"}},
        "ConsistentRead": True,
    }
    if keys_only:
        params["ProjectionExpression"] = "pk, sk"
    items: list[dict] = []
    with _raw_errors():
        while True:
            page = _client().query(**params)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _scan(
    names: Iterable[str], filter_expression: str | None = None, values: dict | None = None
) -> Iterator[dict]:
    """A paginated Scan projected to a few attributes (staff and operators only)."""
    placeholders = {f"#a{i}": name for i, name in enumerate(names)}
    params: dict[str, Any] = {
        "TableName": _table(),
        "ProjectionExpression": ", ".join(placeholders),
        "ExpressionAttributeNames": placeholders,
    }
    if filter_expression:
        params["FilterExpression"] = filter_expression
        params["ExpressionAttributeValues"] = values or {}
    with _raw_errors():
        while True:
            page = _client().scan(**params)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _batch_write(requests: list[dict]) -> None:
    """PutRequest/DeleteRequest entries in batches of 25, retrying what DynamoDB left
    unprocessed (it does so under load) with a short backoff."""
    for start in range(0, len(requests), BATCH_SIZE):
        pending = {_table(): requests[start : start + BATCH_SIZE]}
        for attempt in range(MAX_BATCH_ROUNDS):
            with _raw_errors():
                answer = _client().batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise dynamo.DynamoUnavailable("BatchWriteItem left items unprocessed")


def _delete_keys(keys: list[dict]) -> None:
    _batch_write([{"DeleteRequest": {"Key": key}} for key in keys])


def _number(item: dict, name: str) -> int | None:
    value = item.get(name, {}).get("N")
    return int(value) if value is not None else None


# --- listing and looking at lobbies (admin) --------------------------------------------------


@dataclass(frozen=True)
class LobbySummary:
    """One row of the admin's lobby list."""

    code: str
    title: str
    status: str
    joining_locked: bool
    created_at: datetime | None
    expires_at: int | None

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= time.time()

    @property
    def state(self) -> str:
        """One word for the list's filter: expired, settled, locked or open."""
        if self.expired:
            return "expired"
        if self.status == "settled":
            return "settled"
        return "locked" if self.joining_locked else "open"

    @property
    def display_code(self) -> str:
        return codes.display_code(self.code)


_SUMMARY_ATTRIBUTES = [
    "pk",
    "sk",
    "kind",
    "title",
    "status",
    "joining_locked",
    "created_at",
    "expires_at",
]


def list_lobbies(query: str = "", state: str = "") -> list[LobbySummary]:
    """Every lobby, newest first, optionally matching a code or a word of the title and one
    state. A Scan of the Lobby items projected to the list's columns: staff only."""
    rows = [
        LobbySummary(
            code=lobby.code,
            title=lobby.title or "",
            status=lobby.status or "open",
            joining_locked=bool(lobby.joining_locked),
            created_at=lobby.created_at,
            expires_at=lobby.expires_at,
        )
        for lobby in _scan_lobby_items()
    ]
    matches = _matcher(query)
    rows = [row for row in rows if matches(row) and (not state or row.state == state)]
    oldest = datetime.min.replace(tzinfo=UTC)
    rows.sort(key=lambda row: (row.created_at or oldest, row.code), reverse=True)
    return rows


def _scan_lobby_items() -> Iterator[Lobby]:
    # Scanning the subclass filters on the discriminator by itself.
    with _raw_errors():
        yield from Lobby.scan(attributes_to_get=_SUMMARY_ATTRIBUTES)


def _matcher(query: str) -> Callable[[LobbySummary], bool]:
    text = " ".join(query.split()).casefold()
    if not text:
        return lambda row: True
    code = codes.normalize_code(text)
    compact = text.replace("-", "").replace(" ", "").upper()

    def matches(row: LobbySummary) -> bool:
        return row.code == code or compact in row.code or text in row.title.casefold()

    return matches


def load_any(code: str) -> LobbySnapshot:
    """The whole lobby, expired or not (staff must see what TTL has not removed yet)."""
    lobby = None
    participants: dict[str, Participant] = {}
    places: list[Place] = []
    for item in TableItem.query(f"LOBBY#{code}", consistent_read=True):
        if isinstance(item, Lobby):
            lobby = item
        elif isinstance(item, Participant):
            participants[item.participant_id] = item
        elif isinstance(item, Place):
            places.append(item)
    if lobby is None:
        raise services.LobbyNotFound()
    ordered = dict(sorted(participants.items(), key=lambda kv: kv[1].joined_at))
    places.sort(key=lambda place: place.created_at)
    return LobbySnapshot(lobby, ordered, places)


def set_joining_locked(code: str, locked: bool) -> None:
    """Staff lock or unlock joining, whoever the organizer is."""
    snapshot = load_any(code)  # a missing lobby is LobbyNotFound, not a half-written item
    # Unversioned, like the organizer's own lock: it must not make an open edit look stale.
    services._update_lobby_unversioned(snapshot.lobby, [Lobby.joining_locked.set(locked)])


def delete_lobby(code: str) -> int:
    """Remove every item under the lobby's key, of any kind. Returns how many."""
    keys = [_key_of(item) for item in _query_collection(code, keys_only=True)]
    if not keys:
        raise services.LobbyNotFound()
    _delete_keys(keys)
    return len(keys)


# --- counts ----------------------------------------------------------------------------------


@dataclass
class TableStats:
    lobbies: Counter = field(default_factory=Counter)  # by state
    participants: int = 0
    places: int = 0
    other_items: int = 0
    signed_in_participants: int = 0

    @property
    def lobby_count(self) -> int:
        return sum(self.lobbies.values())

    def as_dict(self) -> dict:
        return {
            "lobbies": self.lobby_count,
            "lobbies_by_state": {state: self.lobbies.get(state, 0) for state in STATES},
            "participants": self.participants,
            "signed_in_participants": self.signed_in_participants,
            "places": self.places,
            "other_items": self.other_items,
        }


def table_stats() -> TableStats:
    """Counts over the whole table: lobbies by state, participants, places (one Scan)."""
    stats = TableStats()
    now = time.time()
    names = ["sk", "kind", "status", "joining_locked", "expires_at", "gsi1pk"]
    for item in _scan(names):
        sk = item["sk"]["S"]
        if sk == LOBBY_SK:
            expires = _number(item, "expires_at")
            if expires is not None and expires <= now:
                state = "expired"
            elif item.get("status", {}).get("S") == "settled":
                state = "settled"
            elif item.get("joining_locked", {}).get("BOOL"):
                state = "locked"
            else:
                state = "open"
            stats.lobbies[state] += 1
        elif sk.startswith(PARTICIPANT_PREFIX):
            stats.participants += 1
            stats.signed_in_participants += "gsi1pk" in item
        elif sk.startswith(PLACE_PREFIX):
            stats.places += 1
        else:
            stats.other_items += 1
    return stats


# --- purge -----------------------------------------------------------------------------------


@dataclass
class PurgeReport:
    codes: list[str] = field(default_factory=list)
    items: int = 0
    skipped_live: int = 0


def purge_expired(now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Delete expired lobbies with all their items now, instead of waiting for TTL (which can
    take days). A lobby counts as expired by its Lobby item; items whose Lobby item is gone
    (TTL removed it first) are removed with their whole partition. Stale `expires_at` on a
    participant of a live lobby never gets it deleted."""
    cutoff = int((now or datetime.now(UTC)).timestamp())
    expired_pks: dict[str, bool] = {}  # pk -> the Lobby item itself was among the expired
    for item in _scan(["pk", "sk", "expires_at"], "#a2 <= :now", {":now": {"N": str(cutoff)}}):
        pk = item["pk"]["S"]
        expired_pks[pk] = expired_pks.get(pk, False) or item["sk"]["S"] == LOBBY_SK
    report = PurgeReport()
    for pk in sorted(expired_pks):
        code = pk.removeprefix("LOBBY#")
        collection = _query_collection(code)
        lobby = next((item for item in collection if item["sk"]["S"] == LOBBY_SK), None)
        expires = _number(lobby, "expires_at") if lobby else None
        if lobby is not None and (expires is None or expires > cutoff):
            # Re-read: still live (or its dates moved since the Scan). Not ours to remove.
            report.skipped_live += 1
            continue
        report.codes.append(code)
        report.items += len(collection)
        if not dry_run:
            _delete_keys([_key_of(item) for item in collection])
    return report


# --- export and import -----------------------------------------------------------------------


def _to_json_value(value: dict) -> dict:
    """One DynamoDB AttributeValue, with bytes as base64 so it fits in JSON."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(v).decode("ascii") for v in inner]}
    if kind == "M":
        return {"M": {k: _to_json_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_to_json_value(v) for v in inner]}
    return {kind: inner}


def _from_json_value(value: dict) -> dict:
    if not isinstance(value, dict) or len(value) != 1:
        raise MaintenanceError(_("The file holds an attribute that is not a DynamoDB value."))
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner, validate=True)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v, validate=True) for v in inner]}
    if kind == "M":
        return {"M": {k: _from_json_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_from_json_value(v) for v in inner]}
    if kind not in {"S", "N", "SS", "NS", "BOOL", "NULL"}:
        raise MaintenanceError(_("The file holds an attribute that is not a DynamoDB value."))
    return {kind: inner}


def _item_to_json(item: dict) -> dict:
    return {name: _to_json_value(value) for name, value in sorted(item.items())}


def export_lobby(code: str) -> dict:
    """Every item of the lobby as JSON-ready data; `import_lobby` restores it exactly."""
    items = _query_collection(code)
    if not any(item["sk"]["S"] == LOBBY_SK for item in items):
        raise services.LobbyNotFound()
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "code": code,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": [_item_to_json(item) for item in items],
    }


def export_json(code: str) -> str:
    return json.dumps(export_lobby(code), indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class ImportReport:
    code: str
    written: int
    removed: int
    unchanged: bool


def _parse_export(data: Any) -> tuple[str, list[dict]]:
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise MaintenanceError(_("This is not a LetsHangOut lobby export."))
    if data.get("version") != EXPORT_VERSION:
        raise MaintenanceError(
            _("This export has version %(version)s; this code reads version %(expected)s.")
            % {"version": data.get("version"), "expected": EXPORT_VERSION}
        )
    code = data.get("code")
    if not isinstance(code, str) or codes.normalize_code(code) != code:
        raise MaintenanceError(_("The export does not name a valid lobby code."))
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise MaintenanceError(_("The export holds no items."))
    items = []
    for raw in raw_items:
        if not isinstance(raw, dict):
            raise MaintenanceError(_("The export holds an item that is not an object."))
        item = {name: _from_json_value(value) for name, value in raw.items()}
        if item.get("pk") != {"S": f"LOBBY#{code}"} or "S" not in item.get("sk", {}):
            raise MaintenanceError(_("The export holds an item of another lobby."))
        items.append(item)
    sort_keys = [item["sk"]["S"] for item in items]
    if len(set(sort_keys)) != len(sort_keys):
        raise MaintenanceError(_("The export holds the same item twice."))
    if LOBBY_SK not in sort_keys:
        raise MaintenanceError(_("The export has no lobby item."))
    return code, items


def _fingerprint(item: dict) -> str:
    return json.dumps(_item_to_json(item), sort_keys=True)


def import_lobby(data: Any, replace: bool = False) -> ImportReport:
    """Restore an export. The same file twice changes nothing the second time; over a lobby
    that differs it refuses unless `replace`, which then makes the table hold exactly the
    file's items (with `rev` moved past the old one, so open pages notice)."""
    code, items = _parse_export(data)
    existing = _query_collection(code)
    if sorted(map(_fingerprint, existing)) == sorted(map(_fingerprint, items)):
        return ImportReport(code, written=0, removed=0, unchanged=True)
    if existing and not replace:
        raise MaintenanceError(
            _("A different lobby %(code)s is already in the table; replace it explicitly.")
            % {"code": codes.display_code(code)}
        )
    incoming = {item["sk"]["S"] for item in items}
    stale = [_key_of(item) for item in existing if item["sk"]["S"] not in incoming]
    old_lobby = next((item for item in existing if item["sk"]["S"] == LOBBY_SK), None)
    if old_lobby is not None:
        new_lobby = next(item for item in items if item["sk"]["S"] == LOBBY_SK)
        rev = max(_number(old_lobby, "rev") or 0, _number(new_lobby, "rev") or 0) + 1
        new_lobby["rev"] = {"N": str(rev)}
    _delete_keys(stale)
    _batch_write([{"PutRequest": {"Item": item}} for item in items])
    return ImportReport(code, written=len(items), removed=len(stale), unchanged=False)


# --- demo data -------------------------------------------------------------------------------

_FIRST_NAMES = [
    "Ada",
    "Ben",
    "Chloé",
    "Dmitri",
    "Emma",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemal",
    "Lea",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tove",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
]
_PLACE_WORDS = [
    "Café Rouge",
    "Harbour Pub",
    "Green Garden",
    "The Library Bar",
    "Noodle House",
    "Riverside Park",
    "Pizza Forno",
    "Tapas Tía",
    "Old Mill Brewery",
    "Sushi Kai",
    "Board Game Café",
    "Taco Stand",
    "Rooftop Terrace",
    "Dumpling Den",
    "Bistro 9",
    "Falafel Corner",
    "Tea Room",
    "Bowling Alley",
    "Jazz Cellar",
    "Food Hall",
]


@dataclass(frozen=True)
class SeededParticipant:
    participant_id: str
    display_name: str
    token: str


@dataclass(frozen=True)
class SeedReport:
    code: str
    participants: list[SeededParticipant]
    places: int
    slots: int

    @property
    def organizer(self) -> SeededParticipant:
        return self.participants[0]


def seed_demo(
    *,
    participants: int,
    days: int,
    slot_minutes: int,
    day_start: int,
    day_end: int,
    places: int,
    timezone: str = "UTC",
    title: str = "Demo lobby",
    meeting_minutes: int = 120,
    start_date: date | None = None,
    rng: random.Random | None = None,
) -> SeedReport:
    """A new lobby with people who answered: availability on the grid, places and votes.

    People, places and votes (a map on each person's item) are written in batches; marks go
    through `save_availability`. A 100-person lobby takes a second or two."""
    rng = rng or random.Random()
    first = start_date or date.today() + timedelta(days=1)
    values = LobbySettings(
        title=title,
        description=_("Made by manage.py seed_demo_lobby for trying the app."),
        timezone=timezone,
        dates=tuple(first + timedelta(days=n) for n in range(days)),
        day_start=day_start,
        day_end=day_end,
        slot_minutes=slot_minutes,
        meeting_minutes=meeting_minutes,
    )
    # Refuse a bad window, slot, zone or meeting length before writing anything.
    spec = grid.GridSpec(values.dates, day_start, day_end, slot_minutes, timezone)
    spec.meeting_slots(meeting_minutes)
    membership = services.create_lobby(values, rng.choice(_FIRST_NAMES), None)
    organizer = membership.participant
    code = organizer.code
    now = datetime.now(UTC)
    people = [organizer]
    seeded = [SeededParticipant(organizer.participant_id, organizer.display_name, membership.token)]
    for n in range(1, participants):
        token = codes.new_token()
        person = Participant(
            *Participant.key_for(code, codes.new_id()),
            display_name=f"{rng.choice(_FIRST_NAMES)} {n}",
            user_id=None,
            token_hash=codes.hash_token(token),
            votes={},
            joined_at=now + timedelta(milliseconds=n),
            expires_at=organizer.expires_at,
        )
        people.append(person)
        seeded.append(SeededParticipant(person.participant_id, person.display_name, token))
    place_items = [
        _demo_place(code, n, rng.choice(people).participant_id, now, organizer.expires_at)
        for n in range(places)
    ]
    for person in people:
        person.votes = _demo_votes(place_items, rng)
    with TableItem.batch_write() as batch:
        for item in [*people, *place_items]:
            batch.save(item)
    # Marks go through the app's own service: it validates them against the grid and stamps
    # them with the grid's key, exactly as the calendar page does.
    snapshot = services.load_lobby(code)
    spec = availability.spec_for(snapshot.lobby)
    key = availability.grid_key(spec)
    existing = sorted(spec.existing_slots())
    for person in people:
        yes, maybe = _demo_availability(spec, existing, rng)
        services.save_availability(snapshot, person.participant_id, yes, maybe, key)
    return SeedReport(code, seeded, places, spec.slot_count)


def _demo_place(code: str, n: int, proposer_id: str, now: datetime, expires_at) -> Place:
    name = _PLACE_WORDS[n % len(_PLACE_WORDS)]
    if n >= len(_PLACE_WORDS):
        name = f"{name} {n // len(_PLACE_WORDS) + 1}"
    address = f"{n + 1} Example Street"
    return Place(
        *Place.key_for(code, codes.new_id()),
        name=name,
        address=address,
        link=f"https://example.com/places/{n + 1}",
        note="",
        dedupe_key=normalize_place_key(name, address),
        proposer_id=proposer_id,
        created_at=now + timedelta(milliseconds=n),
        expires_at=expires_at,
    )


def _demo_availability(
    spec: grid.GridSpec, existing: list[int], rng: random.Random
) -> tuple[set[int], set[int]]:
    """Per day, maybe one stretch of "yes" with a fringe of "if need be": how people answer."""
    yes: set[int] = set()
    maybe: set[int] = set()
    per_day = spec.slots_per_day
    for day in range(len(spec.dates)):
        if rng.random() < 0.35:
            continue
        begin = rng.randrange(per_day)
        length = rng.randint(1, max(1, per_day // 2))
        stretch = range(day * per_day + begin, day * per_day + min(per_day, begin + length))
        yes.update(stretch)
        fringe = rng.randint(0, max(1, per_day // 8))
        maybe.update(range(max(day * per_day, stretch.start - fringe), stretch.start))
        maybe.update(range(stretch.stop, min((day + 1) * per_day, stretch.stop + fringe)))
    real = set(existing)  # clocks may skip some slots (DST); those cannot be answered
    return yes & real, (maybe - yes) & real


def _demo_votes(places: list[Place], rng: random.Random) -> dict[str, str]:
    return {
        place.place_id: rng.choices((YES, MAYBE, NO), weights=(4, 2, 2))[0]
        for place in places
        if rng.random() < 0.7
    }


def audit_ref(code: str) -> str:
    """A stable stand-in for a lobby code in log lines: logs must not hold codes, but an
    operator holding a code can still find its lines by computing this."""
    return hashlib.sha256(f"lobby:{code}".encode()).hexdigest()[:12]
