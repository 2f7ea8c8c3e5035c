"""DynamoDB entity of a proposed place. Votes live on each voter's Participant item."""

from __future__ import annotations

import hashlib

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from letshangout.dynamo import TableItem
from lobbies.entities import PLACE_KEY_PREFIX, PLACE_PREFIX, lobby_pk


class Place(TableItem, discriminator="place"):
    """pk = LOBBY#<code>, sk = PLACE#<id>. Written by its proposer, removable by the organizer.

    Places are read with the rest of the lobby (Lobby.collection, one Query); `dedupe_key`
    (voting.ranking.normalize_place_key of name and address) names its PlaceKey marker, which
    is written in the same transaction, so two equal places cannot both land. A place
    carries the lobby's `expires_at`, so TTL removes it with the lobby.
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
    def location(self) -> str:
        """Name and address on one line: what calendars show as the event's location."""
        return ", ".join(part for part in (self.name, self.address) if part)

    @classmethod
    def key_for(cls, code: str, place_id: str) -> tuple[str, str]:
        return lobby_pk(code), f"{PLACE_PREFIX}{place_id}"


class PlaceKey(TableItem, discriminator="placekey"):
    """pk = LOBBY#<code>, sk = PLACEKEY#<normalised name and address>: the id of the place
    that holds that name. Put on condition that it does not exist, in the transaction that
    writes the place, so "Café Rouge" and "cafe rouge " cannot both be proposed."""

    place_id = UnicodeAttribute()

    @classmethod
    def key_for(cls, code: str, dedupe_key: str) -> tuple[str, str]:
        # Hashed: a normalised name and address can be longer than a sort key may be.
        digest = hashlib.blake2s(dedupe_key.encode(), digest_size=12).hexdigest()
        return lobby_pk(code), f"{PLACE_KEY_PREFIX}{digest}"
