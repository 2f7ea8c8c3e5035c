"""DynamoDB entity of a proposed place. Votes live on each voter's Participant item."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from letshangout.dynamo import LobbyChild, TableItem
from lobbies.entities import PLACE_PREFIX, lobby_pk


class Place(LobbyChild, TableItem, discriminator="place"):
    """pk = LOBBY#<code>, sk = PLACE#<id>. Written by its proposer, removable by the organizer.

    Places are read with the rest of the lobby (Lobby.collection, one Query); `dedupe_key`
    (voting.ranking.normalize_place_key of name and address) lets a proposal find its twin.
    A place carries the lobby's `expires_at`, so TTL removes it with the lobby.
    """

    name = UnicodeAttribute()
    address = UnicodeAttribute(default="")
    link = UnicodeAttribute(default="")
    note = UnicodeAttribute(default="")
    dedupe_key = UnicodeAttribute()
    proposer_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()

    @property
    def place_id(self) -> str:
        return self.sk.removeprefix(PLACE_PREFIX)

    @property
    def code(self) -> str:
        return self.pk.removeprefix("LOBBY#")

    @property
    def location(self) -> str:
        """Name and address on one line: what calendars show as the event's location."""
        return ", ".join(part for part in (self.name, self.address) if part)

    @classmethod
    def key_for(cls, code: str, place_id: str) -> tuple[str, str]:
        return lobby_pk(code), f"{PLACE_PREFIX}{place_id}"
