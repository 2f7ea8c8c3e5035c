"""How long a lobby is kept: its DynamoDB TTL (`expires_at`, a Unix time)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.conf import settings

from lobbies.availability import weekly


def expiry_for(dates: Iterable[date]) -> int:
    """TTL: the lobby is kept for LOBBY_RETENTION_DAYS after its last candidate day."""
    last = max(dates)
    expires = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(
        days=settings.LOBBY_RETENTION_DAYS + 1
    )
    return int(expires.timestamp())


def weekly_expiry(since: datetime) -> int:
    """TTL of an open weekly lobby, which has no last day: WEEKLY_LOBBY_RETENTION_DAYS after
    it was created or last reopened (editing it does not extend its life)."""
    return int((since + timedelta(days=settings.WEEKLY_LOBBY_RETENTION_DAYS)).timestamp())


def endless_series_end(settled_at: datetime) -> datetime:
    """When the lobby of a weekly series settled with no end goes away: the series runs on
    in calendars, but the lobby cannot be kept for ever."""
    return settled_at + timedelta(days=settings.WEEKLY_SERIES_RETENTION_DAYS)


def series_expiry(repeat: weekly.Repeat, settled_at: datetime) -> int:
    """TTL of a settled weekly series: as dated lobbies, LOBBY_RETENTION_DAYS after its last
    meeting, so the link in everyone's calendar leads somewhere while the meetings last."""
    if repeat.until is not None:
        return expiry_for([repeat.until])
    if repeat.count is not None:
        return expiry_for([repeat.first + timedelta(weeks=repeat.count - 1)])
    # A first meeting far ahead outlives the stated time after settling: keep it as the
    # last meeting of a dated lobby, so the series is never deleted before it starts.
    return max(int(endless_series_end(settled_at).timestamp()), expiry_for([repeat.first]))


def kept_by(lobby) -> dict:
    """What, besides its schedule, keeps a lobby (lobbies/entities.Lobby): expiry_of's
    keywords, so an edit of the settings keeps what reopening and settling gave it."""
    return {"reopened_at": lobby.reopened_at, "decision": lobby.decision}


def expiry_of(
    schedule: str,
    dates: Iterable[date],
    created_at: datetime,
    *,
    reopened_at: datetime | None = None,
    decision=None,
) -> int:
    """The TTL a lobby's items carry. A weekly lobby: from its creation or last reopening,
    and while settled (`decision`, lobbies/entities.Decision) at least as long as its
    series runs."""
    if schedule != weekly.WEEKDAYS:
        return expiry_for(dates)
    kept = weekly_expiry(max(created_at, reopened_at) if reopened_at else created_at)
    repeat = weekly.repeat_of(decision) if decision is not None else None
    if repeat is not None:
        kept = max(kept, series_expiry(repeat, decision.settled_at))
    return kept
