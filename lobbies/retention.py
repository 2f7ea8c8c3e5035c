"""How long a lobby is kept: its DynamoDB TTL (`expires_at`, a Unix time)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.conf import settings


def expiry_for(dates: Iterable[date]) -> int:
    """TTL: the lobby is kept for LOBBY_RETENTION_DAYS after its last candidate day."""
    last = max(dates)
    expires = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(
        days=settings.LOBBY_RETENTION_DAYS + 1
    )
    return int(expires.timestamp())


def weekly_expiry(created_at: datetime) -> int:
    """TTL of a weekly lobby, which has no last day: WEEKLY_LOBBY_RETENTION_DAYS after it
    was created (editing it does not extend its life)."""
    return int((created_at + timedelta(days=settings.WEEKLY_LOBBY_RETENTION_DAYS)).timestamp())


def expiry_of(schedule: str, dates: Iterable[date], created_at: datetime) -> int:
    if schedule == "weekdays":
        return weekly_expiry(created_at)
    return expiry_for(dates)
