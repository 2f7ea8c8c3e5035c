"""The secret in a user's calendar address: 128 random bits, shown once to its owner and
kept only as a SHA-256, like a lobby's personal links. A new one replaces the old one in the
same row, so the old address stops working at once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from lobbies.models import CalendarFeed

TOKEN_BYTES = 16


def fingerprint(token: str) -> str:
    """What is kept of a token (and what rate limits count it by)."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user_id: int) -> str:
    """A new token for the user's feed; any earlier one no longer opens it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    CalendarFeed.objects.update_or_create(
        user_id=user_id, defaults={"token_hash": fingerprint(token)}
    )
    return token


def owner_of(token: str) -> int | None:
    """The user whose feed this token opens, or None (unknown and replaced tokens alike:
    one indexed lookup of the hash either way)."""
    feed = CalendarFeed.objects.filter(token_hash=fingerprint(token)).only("user_id").first()
    return feed.user_id if feed else None


def issued_at(user_id: int) -> datetime | None:
    """When the user's current address was made, or None when they have none."""
    feed = CalendarFeed.objects.filter(user_id=user_id).only("created_at").first()
    return feed.created_at if feed else None
