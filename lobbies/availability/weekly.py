"""Weekly lobbies: days of the week instead of dates, on the same grid and bitmaps.

A weekly lobby's columns are weekdays. Each chosen weekday stands for one fixed day of a
reference week (2001-01-01 was a Monday), so the grid, the bitmaps, the heatmap, the best
windows and the ranking work unchanged; only what a column means differs. The reference days
lie in the past, where no dated lobby can have days, so a day tells by itself whether it is a
weekday column. Times of a weekly grid are the lobby's own wall-clock times: a "Monday 19:00"
has no instant to convert to another zone.

Pure code: no Django, no PynamoDB.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DATES = "dates"
WEEKDAYS = "weekdays"
SCHEDULES = (DATES, WEEKDAYS)
REFERENCE_MONDAY = date(2001, 1, 1)
ISO_WEEKDAYS = tuple(range(1, 8))
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_COUNT = 520


def reference_day(weekday: int) -> date:
    """The reference week's day for an ISO weekday (1 = Monday … 7 = Sunday)."""
    if weekday not in ISO_WEEKDAYS:
        raise ValueError(f"Not an ISO weekday: {weekday!r}.")
    return REFERENCE_MONDAY + timedelta(days=weekday - 1)


def reference_dates(weekdays: Iterable[int]) -> tuple[date, ...]:
    """The grid's columns for a set of weekdays, Monday first."""
    return tuple(reference_day(day) for day in sorted(set(weekdays)))


def is_reference(day: date) -> bool:
    """True for a day that stands for a weekday column of a weekly lobby."""
    return REFERENCE_MONDAY <= day < REFERENCE_MONDAY + timedelta(days=7)


def is_weekly_grid(dates: Iterable[date]) -> bool:
    days = tuple(dates)
    return bool(days) and all(is_reference(day) for day in days)


def is_weekly(lobby) -> bool:
    return getattr(lobby, "schedule", DATES) == WEEKDAYS


def rrule_day(weekday: int) -> str:
    return RRULE_DAYS[weekday - 1]


@dataclass(frozen=True)
class Repeat:
    """How a settled weekly meeting repeats: from `first` (a date on the meeting's weekday),
    every week, until `until` (inclusive) or `count` times, or without end."""

    first: date
    until: date | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.until is not None and self.count is not None:
            raise ValueError("Give an end date or a count, not both.")
        if self.until is not None and self.until < self.first:
            raise ValueError("The end date comes before the first date.")
        if self.count is not None and not 1 <= self.count <= MAX_COUNT:
            raise ValueError("The count is out of range.")


def occurrence(wall_start: datetime, wall_end: datetime, first: date, tz: str):
    """The first meeting as aware datetimes: the reference week's wall-clock window moved to
    `first` (which must fall on the same weekday), in the lobby's zone."""
    if first.isoweekday() != wall_start.date().isoweekday():
        raise ValueError("The first date is not on the meeting's weekday.")
    shift = first - wall_start.date()
    zone = ZoneInfo(tz)
    return (wall_start + shift).replace(tzinfo=zone), (wall_end + shift).replace(tzinfo=zone)


def until_instant(until: date, tz: str) -> datetime:
    """The end of the last day in the lobby's zone: RRULE's UNTIL is an instant."""
    return datetime.combine(until + timedelta(days=1), time(), ZoneInfo(tz)) - timedelta(seconds=1)


def latest_until(first: date) -> date:
    """The latest last date of a series from `first`: as long as the longest count, so the
    series, its calendar rule and the lobby kept for it stay within a sane span."""
    return first + timedelta(weeks=MAX_COUNT - 1)


def next_on(weekday: int, today: date) -> date:
    """The first day on `weekday` from `today` on (today itself if it is one)."""
    return today + timedelta(days=(weekday - today.isoweekday()) % 7)


def repeat_of(decision) -> Repeat | None:
    """A stored decision's repetition (lobbies/entities.Decision), or None for a one-off."""
    first = getattr(decision, "first_date", None)
    if not first:
        return None
    until = date.fromisoformat(decision.until_date) if decision.until_date else None
    count = int(decision.repeat_count) if decision.repeat_count else None
    return Repeat(date.fromisoformat(first), until, count)


# Weekday names in exports, which are data rather than pages: English, like ISO's names.
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
