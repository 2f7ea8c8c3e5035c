"""A lobby's deadline as the organizer types it: a wall-clock time in the lobby's zone, kept
through any number of saves, and bounded by the candidate days.

Form helpers beside lobbies/forms.py.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from letshangout.formats import local_format

MAX_DAYS_AHEAD = 365


class WallClockDateTimeField(forms.DateTimeField):
    """A date and time as typed, without a zone: the lobby's zone gives it its meaning.

    Django's DateTimeField makes the value aware in the *current* zone, so the lobby's zone
    could never be applied; here the value stays naive (an explicit offset is kept)."""

    def to_python(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is not None:
                return parsed
        # UTC has no gaps or repeats, so the wall-clock time goes through unchanged.
        with timezone.override(UTC):
            result = super().to_python(value)
        return None if result is None else timezone.make_naive(result, UTC)


def check_deadline(
    deadline: datetime, tz: zoneinfo.ZoneInfo, dates: Sequence[date]
) -> tuple[datetime | None, str | None]:
    """The deadline in UTC, or why it cannot be: a time the lobby's clocks skip, a past one,
    or one after the last candidate day (a year ahead for days that are no dates)."""
    if deadline.tzinfo is None:
        aware = deadline.replace(tzinfo=tz)
        if _clocks_skip(deadline, tz):
            return None, _(
                "The clocks skip %(time)s on that day in %(zone)s; choose another time."
            ) % {"time": date_format(deadline, "TIME_FORMAT"), "zone": tz.key}
    else:
        aware = deadline
    now = datetime.now(UTC)
    if aware <= now:
        return None, _("The deadline must be in the future.")
    if dates and dates[-1] >= now.astimezone(tz).date():
        # Answers are about the candidate days: a deadline after the last one makes no
        # sense, and an unbounded one (year 9999) breaks date arithmetic later on.
        end = datetime.combine(dates[-1] + timedelta(days=1), time(), tzinfo=tz)
        if aware > end:
            return None, _("Choose a deadline no later than the end of the last day, %(day)s.") % {
                "day": dateformat.format(dates[-1], local_format("DAY_YEAR_FORMAT"))
            }
    elif aware > now + timedelta(days=MAX_DAYS_AHEAD):
        # Days that are no dates (a weekly lobby's), or all past: a year at most.
        return None, _("Choose a deadline within the next year.")
    return aware.astimezone(UTC), None


def _clocks_skip(wall_clock: datetime, tz: zoneinfo.ZoneInfo) -> bool:
    """The zone's clocks skip this wall-clock time (a DST gap)."""
    try:
        back = wall_clock.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    except OverflowError:
        # Within hours of year 1 or 9999 in a far zone, UTC is out of datetime's range; no
        # zone skips hours there, and such a deadline is refused as past or too late.
        return False
    return back.replace(tzinfo=None) != wall_clock
