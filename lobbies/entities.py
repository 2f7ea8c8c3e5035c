"""DynamoDB entities of a lobby: the Lobby item itself and one item per participant.

Places live in voting/entities.py; all three share the lobby's partition key (see TableItem).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from letshangout.dynamo import ETAG_LAG_SECONDS, ETAG_PREFIX, LobbyChild, TableItem, etag_bound

LOBBY_SK = "LOBBY"
# DynamoDB takes at most 100 operands in one IN.
IN_OPERANDS = 100
PARTICIPANT_PREFIX = "P#"
PLACE_PREFIX = "PLACE#"


def lobby_pk(code: str) -> str:
    return f"LOBBY#{code}"


class Decision(MapAttribute):
    """What the organizer settled on: a window of grid slots and a place (optional).

    The window's instants are stored too, so the decision keeps its meaning if the organizer
    later edits the grid (which renumbers slots).
    """

    start_slot = NumberAttribute()
    slot_count = NumberAttribute()
    place_id = UnicodeAttribute(null=True)
    settled_at = UTCDateTimeAttribute()
    automatic = BooleanAttribute(default=False)
    starts_at = UTCDateTimeAttribute(null=True)
    ends_at = UTCDateTimeAttribute(null=True)
    all_day = BooleanAttribute(default=False)


class Lobby(TableItem, discriminator="lobby"):
    """pk = LOBBY#<code>, sk = LOBBY. Settings use optimistic locking (`version`); `rev` is a
    change counter every write in the lobby bumps, so pollers can ask "anything new?" cheaply.
    """

    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    owner_id = UnicodeAttribute()
    timezone = UnicodeAttribute()
    dates = ListAttribute(of=UnicodeAttribute)
    day_start = NumberAttribute()
    day_end = NumberAttribute()
    slot_minutes = NumberAttribute()
    meeting_minutes = NumberAttribute()
    deadline = UTCDateTimeAttribute(null=True)
    auto_settle = BooleanAttribute(default=False)
    notify_owner_all_answered = BooleanAttribute(default=False)
    joining_locked = BooleanAttribute(default=False)
    status = UnicodeAttribute(default="open")
    decision = Decision(null=True)
    # Set once the organizer got the "everyone has answered" email, so it is sent only once.
    all_answered_notified_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    rev = NumberAttribute(default=0)
    version = VersionAttribute()

    @property
    def code(self) -> str:
        return self.pk.removeprefix("LOBBY#")

    @classmethod
    def key_for(cls, code: str) -> tuple[str, str]:
        return lobby_pk(code), LOBBY_SK

    @classmethod
    def collection(cls, code: str, consistent: bool = False):
        """Everything in one lobby (Lobby, Participants, Places): one Query."""
        return TableItem.query(lobby_pk(code), consistent_read=consistent)

    @classmethod
    def changes_since(cls, code: str, rev: int, read_at: float, known_etags: Iterable[str]):
        """What is new or changed since a snapshot at `rev`, read at `read_at`, holding the
        items with `known_etags`: the Lobby item if its rev moved; items with an etag made
        later (less ETAG_LAG_SECONDS, for writes that were on their way) that is not a known
        one; and any without a time in their etag. One strongly consistent Query; the
        iterator's page_iter.total_scanned_count says how many items the lobby has."""
        bound = etag_bound(read_at - ETAG_LAG_SECONDS)
        later = LobbyChild.etag > bound
        recent = [etag for etag in known_etags if etag > bound]  # few: those of the last minute
        for start in range(0, len(recent), IN_OPERANDS):
            later &= ~LobbyChild.etag.is_in(*recent[start : start + IN_OPERANDS])
        # Only the Lobby item has a rev (and no etag).
        untimed = (LobbyChild.etag < ETAG_PREFIX) | (
            LobbyChild.etag.does_not_exist() & cls.rev.does_not_exist()
        )
        moved = cls.rev.exists() & (cls.rev != rev)  # a missing rev is != any, too
        changed = moved | later | untimed
        return TableItem.query(lobby_pk(code), filter_condition=changed, consistent_read=True)

    @classmethod
    def get_rev(cls, code: str) -> Lobby | None:
        """Only the change counter: the cheap "has anything changed?" read (one GetItem)."""
        try:
            return cls.get(*cls.key_for(code), attributes_to_get=["rev", "expires_at", "kind"])
        except cls.DoesNotExist:
            return None

    @classmethod
    def due_for_auto_settle(cls, now: datetime):
        """Open lobbies with "settle automatically" whose deadline has passed.

        A paginated Scan, so only the operator's `manage.py settle_due_lobbies` may call it,
        never a visitor's request. Lobbies are few per day and the filter is cheap; a sparse
        index would pay off only at a much larger scale.
        """
        # Scanning a subclass filters on the discriminator by itself.
        return cls.scan(
            (cls.auto_settle == True)  # noqa: E712 - a PynamoDB condition, not a comparison
            & (cls.status == "open")
            & (cls.deadline <= now)
        )

    def is_expired(self, now: datetime | None = None) -> bool:
        # TTL deletes late (up to days), so reads must not trust that the item is gone.
        now = now or datetime.now(UTC)
        return self.expires_at is not None and self.expires_at <= now.timestamp()


class Participant(LobbyChild, TableItem, discriminator="participant"):
    """pk = LOBBY#<code>, sk = P#<id>; gsi1pk = USER#<user id>, gsi1sk = <joined>#<code> when
    signed in. Each person writes only their own item, attribute by attribute.
    """

    display_name = UnicodeAttribute()
    user_id = NumberAttribute(null=True)
    token_hash = UnicodeAttribute()
    yes = BinaryAttribute(null=True, legacy_encoding=False)
    maybe = BinaryAttribute(null=True, legacy_encoding=False)
    votes = MapAttribute(default=dict)
    joined_at = UTCDateTimeAttribute()
    answered_at = UTCDateTimeAttribute(null=True)
    # Short hash of the grid shape the bitmaps were saved for (lobbies/availability.py):
    # after the organizer changes the days, window, slot or zone, old bitmaps are ignored
    # instead of being read against the wrong slots.
    grid_key = UnicodeAttribute(null=True)
    notify_settled = BooleanAttribute(default=True)

    @property
    def participant_id(self) -> str:
        return self.sk.removeprefix(PARTICIPANT_PREFIX)

    @property
    def code(self) -> str:
        return self.pk.removeprefix("LOBBY#")

    @classmethod
    def key_for(cls, code: str, participant_id: str) -> tuple[str, str]:
        return lobby_pk(code), f"{PARTICIPANT_PREFIX}{participant_id}"

    @classmethod
    def for_user(cls, user_id: int, limit: int = 100):
        """A signed-in user's participations, newest first (GSI1)."""
        return cls.user_index.query(f"USER#{user_id}", scan_index_forward=False, limit=limit)
