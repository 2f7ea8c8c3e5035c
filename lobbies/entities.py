"""DynamoDB entities of a lobby: the Lobby item itself and one item per participant.

Places live in voting/entities.py; all three share the lobby's partition key (see TableItem).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from letshangout.dynamo import TableItem
from lobbies.people import former

LOBBY_SK = "LOBBY"
PARTICIPANT_PREFIX = "P#"
PLACE_PREFIX = "PLACE#"
PLACE_KEY_PREFIX = "PLACEKEY#"
COMMENT_PREFIX = "COMMENT#"


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
    # A weekly lobby's meeting repeats (availability/weekly.py): from its first date, every week,
    # until an end date (inclusive) or a count of meetings, or without end. ISO dates.
    first_date = UnicodeAttribute(null=True)
    until_date = UnicodeAttribute(null=True)
    repeat_count = NumberAttribute(null=True)


class Lobby(TableItem, discriminator="lobby"):
    """pk = LOBBY#<code>, sk = LOBBY. Settings use optimistic locking (`version`); `rev` is a
    change counter every write in the lobby bumps in the same transaction, so one read of it
    tells whether a snapshot of the lobby is current.
    """

    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    owner_id = UnicodeAttribute()
    timezone = UnicodeAttribute()
    # "dates", or "weekdays": `weekdays` holds ISO weekday numbers (1 = Monday) and `dates`
    # the reference week's days that stand for them (availability/weekly.py), so the grid and the
    # bitmaps are the same for both. Not `kind`: that is TableItem's discriminator.
    schedule = UnicodeAttribute(default="dates")
    weekdays = ListAttribute(of=NumberAttribute, null=True)
    dates = ListAttribute(of=UnicodeAttribute)
    day_start = NumberAttribute()
    day_end = NumberAttribute()
    slot_minutes = NumberAttribute()
    meeting_minutes = NumberAttribute()
    deadline = UTCDateTimeAttribute(null=True)
    auto_settle = BooleanAttribute(default=False)
    notify_owner_all_answered = BooleanAttribute(default=False)
    joining_locked = BooleanAttribute(default=False)
    # May people still join once it is settled (lobbies/seats.late_join_allowed)? None: as
    # the schedule suggests, yes for a weekly lobby and no for a dated one.
    late_join = BooleanAttribute(null=True)
    status = UnicodeAttribute(default="open")
    decision = Decision(null=True)
    # The decision a reopen took back: settling again tells people what changed from it.
    previous_decision = Decision(null=True)
    # Set once the organizer got the "everyone has answered" email, so it is sent only once.
    all_answered_notified_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    # When the organizer last reopened it: an open weekly lobby is kept from then on.
    reopened_at = UTCDateTimeAttribute(null=True)
    # Caps hold under races: each count changes in the transaction that adds or removes what
    # it counts, on condition that it stays within the cap.
    participant_count = NumberAttribute(default=0)
    place_count = NumberAttribute(default=0)
    # Who the organizer removed, kept out of this lobby: "U:<user id>" and "B:<browser key
    # hash>" (lobbies/people/seats.py); a join's transaction is conditioned on not being in it.
    banned = UnicodeSetAttribute(null=True)
    comment_count = NumberAttribute(default=0)
    # The organizer's reminder (voting/emails/reminders.py): hours before the deadline, and the
    # instant that makes, kept so the operator's Scan can filter on it.
    remind_hours = NumberAttribute(null=True)
    remind_at = UTCDateTimeAttribute(null=True)
    rev = NumberAttribute(default=0)
    version = VersionAttribute()

    @classmethod
    def key_for(cls, code: str) -> tuple[str, str]:
        return lobby_pk(code), LOBBY_SK

    @classmethod
    def collection(cls, code: str, consistent: bool = False):
        """Everything in one lobby (Lobby, Participants, Places): one Query."""
        return TableItem.query(lobby_pk(code), consistent_read=consistent)

    @classmethod
    def get_rev(cls, code: str) -> Lobby | None:
        """Only the change counter: the cheap "has anything changed?" read (one strongly
        consistent GetItem, so a write acknowledged anywhere is counted)."""
        try:
            return cls.get(
                *cls.key_for(code),
                consistent_read=True,
                attributes_to_get=["rev", "expires_at", "kind"],
            )
        except cls.DoesNotExist:
            return None

    @classmethod
    def get_current(cls, code: str) -> Lobby | None:
        """The Lobby item alone, strongly consistent (one GetItem), or None."""
        try:
            return cls.get(*cls.key_for(code), consistent_read=True)
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

    @classmethod
    def due_for_reminders(cls, now: datetime):
        """Open lobbies whose reminder time has come and whose deadline has not passed.

        A paginated Scan, so only the operator's `manage.py send_reminders` may call it,
        never a visitor's request (as due_for_auto_settle).
        """
        return cls.scan(
            (cls.remind_at <= now) & (cls.status == "open") & (cls.deadline > now),
            attributes_to_get=["pk", "sk", "kind"],
        )

    def is_expired(self, now: datetime | None = None) -> bool:
        # TTL deletes late (up to days), so reads must not trust that the item is gone.
        now = now or datetime.now(UTC)
        return self.expires_at is not None and self.expires_at <= now.timestamp()

    # --- Scans: only staff pages and operators' `manage.py` commands may call these, never a
    # visitor's request (DESIGN.md: no Scan on any path a visitor can trigger).

    @classmethod
    def scan_all(cls, attributes: list[str] | None = None):
        """Every Lobby item in the table, optionally projected to `attributes` (a paginated
        Scan that reads the whole table and keeps the Lobby items). Staff and operators only."""
        return cls.scan(attributes_to_get=attributes)

    @classmethod
    def scan_items(cls, attributes: list[str]):
        """Every item of every lobby, projected to `attributes` (include "kind" to get each as
        its own class). A paginated Scan: staff and operators only."""
        return TableItem.scan(attributes_to_get=attributes)

    @classmethod
    def scan_expired_keys(cls, cutoff: int):
        """Keys of the items of any kind whose `expires_at` is at or before `cutoff` (a Unix
        time): what TTL will remove. A paginated Scan: operators only."""
        return TableItem.scan(TableItem.expires_at <= cutoff, attributes_to_get=["pk", "sk"])


class Participant(TableItem, discriminator="participant"):
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
    # A hash of the key of the browser that joined (lobbies/people/identity.py): what a ban holds.
    browser_hash = UnicodeAttribute(null=True)
    # Set, on condition that it was not, before the reminder email goes out: at most once.
    reminded_at = UTCDateTimeAttribute(null=True)
    # Set when the account behind the seat was deleted (lobbies/people/former.py): the seat stays,
    # nameless, and nobody answers for it any more.
    released_at = UTCDateTimeAttribute(null=True)
    # A guest's own address for this lobby's emails (voting/emails/guest_email.py): kept on this
    # item only, so it goes when the lobby does; nothing is sent to it until `verified_at`,
    # and the emails are written in the language the guest used when saving it.
    guest_email = UnicodeAttribute(null=True)
    guest_email_verified_at = UTCDateTimeAttribute(null=True)
    guest_email_language = UnicodeAttribute(null=True)

    @property
    def participant_id(self) -> str:
        return self.sk.removeprefix(PARTICIPANT_PREFIX)

    @property
    def is_former(self) -> bool:
        """The account behind this seat was deleted (marked, or named so by older releases)."""
        if self.released_at is not None:
            return True
        return self.user_id is None and self.display_name in former.legacy_names()

    @property
    def shown_name(self) -> str:
        """The name people read: a released seat's in the reader's language."""
        return former.label() if self.is_former else self.display_name

    @property
    def verified_guest_email(self) -> str | None:
        """The address a guest confirmed, while they have no account (an account's own
        verified address takes over once they sign in)."""
        if self.user_id is not None or self.guest_email_verified_at is None:
            return None
        return self.guest_email

    @classmethod
    def key_for(cls, code: str, participant_id: str) -> tuple[str, str]:
        return lobby_pk(code), f"{PARTICIPANT_PREFIX}{participant_id}"

    @classmethod
    def for_user(cls, user_id: int, limit: int = 100):
        """A signed-in user's participations, newest first (GSI1)."""
        return cls.user_index.query(f"USER#{user_id}", scan_index_forward=False, limit=limit)


class Comment(TableItem, discriminator="comment"):
    """pk = LOBBY#<code>, sk = COMMENT#<time>#<id>: a participant's short note in the lobby,
    read with the rest of it (one Query, oldest first by its sort key). Carries the lobby's
    `expires_at`; the Lobby item's `comment_count` moves in the same transaction.
    """

    author_id = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()

    @property
    def comment_id(self) -> str:
        return self.sk.rsplit("#", 1)[-1]

    @classmethod
    def key_for(cls, code: str, created: datetime, comment_id: str) -> tuple[str, str]:
        stamp = created.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        return lobby_pk(code), f"{COMMENT_PREFIX}{stamp}#{comment_id}"
