"""Staff and operator use cases over the whole table: list, count, purge, look at, lock, delete.

These may Scan (through the entities' `scan_*` classmethods): they run from `manage.py` or from
admin pages that only staff reach (DESIGN.md, "admin lists"), never on a path a visitor can
trigger. Reading one lobby and changing it go through lobbies/services.py, as for everyone.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lobbies import codes, services
from lobbies.entities import Lobby, Participant
from lobbies.snapshot import LobbySnapshot
from lobbies.store import delete_collection, read_whole
from voting.entities import Place, PlaceKey

STATES = ("open", "locked", "settled", "expired")


def audit_ref(code: str) -> str:
    """A stable stand-in for a lobby code in log lines: logs must not hold codes, but an
    operator holding a code can still find its lines by computing this."""
    return hashlib.sha256(f"lobby:{code}".encode()).hexdigest()[:12]


def lobby_state(lobby) -> str:
    """One word for a lobby (a Lobby item or a LobbySummary): expired, settled, locked or
    open. Expired comes first: TTL deletes late."""
    if lobby.expires_at is not None and lobby.expires_at <= time.time():
        return "expired"
    if lobby.status == "settled":
        return "settled"
    return "locked" if lobby.joining_locked else "open"


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
        return self.state == "expired"

    @property
    def state(self) -> str:
        """One word for the list's filter: expired, settled, locked or open."""
        return lobby_state(self)

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
        for lobby in Lobby.scan_all(_SUMMARY_ATTRIBUTES)
    ]
    matches = _matcher(query)
    rows = [row for row in rows if matches(row) and (not state or row.state == state)]
    oldest = datetime.min.replace(tzinfo=UTC)
    rows.sort(key=lambda row: (row.created_at or oldest, row.code), reverse=True)
    return rows


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
    return read_whole(code, include_expired=True)


def set_joining_locked(code: str, locked: bool) -> None:
    """Staff lock or unlock joining, whoever the organizer is (LobbyNotFound when gone)."""
    services.set_joining_locked(load_any(code), None, locked)


def delete_lobby(code: str) -> int:
    """Remove the lobby with every item in it, expired or not. Returns how many items."""
    return services.delete_lobby(load_any(code), None)


# --- counts ----------------------------------------------------------------------------------


@dataclass
class TableStats:
    lobbies: Counter = field(default_factory=Counter)  # by state
    participants: int = 0
    places: int = 0
    place_markers: int = 0
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
            "place_markers": self.place_markers,
            "other_items": self.other_items,
        }


_STATS_ATTRIBUTES = ["pk", "sk", "kind", "status", "joining_locked", "expires_at", "gsi1pk"]


def table_stats() -> TableStats:
    """Counts over the whole table: lobbies by state, participants, places (one Scan)."""
    stats = TableStats()
    for item in Lobby.scan_items(_STATS_ATTRIBUTES):
        if isinstance(item, Lobby):
            stats.lobbies[lobby_state(item)] += 1
        elif isinstance(item, Participant):
            stats.participants += 1
            stats.signed_in_participants += item.gsi1pk is not None
        elif isinstance(item, Place):
            stats.places += 1
        elif isinstance(item, PlaceKey):
            stats.place_markers += 1
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
    (TTL removed it first) are removed with their whole partition. A stale `expires_at` on a
    participant of a live lobby never gets it deleted."""
    cutoff = int((now or datetime.now(UTC)).timestamp())
    partitions = sorted({item.code for item in Lobby.scan_expired_keys(cutoff)})
    report = PurgeReport()
    for code in partitions:
        # Read again, strongly consistent: the organizer may have moved the dates since.
        collection = list(Lobby.collection(code, consistent=True))
        lobby = next((item for item in collection if isinstance(item, Lobby)), None)
        if lobby is not None and (lobby.expires_at is None or lobby.expires_at > cutoff):
            report.skipped_live += 1
            continue
        if not collection:
            continue  # removed by someone else since the Scan
        report.codes.append(code)
        report.items += len(collection)
        if not dry_run:
            delete_collection(code)
    return report
