"""Someone's own calendar beside the grid: which slots an .ics file says they are busy in.

The file is read in memory and forgotten: nothing of it is stored. Recurring events are
expanded by `recurring-ical-events` (RRULE, RDATE, EXDATE and moved or cancelled occurrences
by RECURRENCE-ID, each in the event's own zone), over the grid's range only. An event is busy
unless it says it is free (TRANSP:TRANSPARENT) or cancelled; times without a zone ("floating")
and all-day events are read in the viewer's zone.

Limits keep a hostile file cheap: its size, how many occurrences fall in the grid, and how
much work a repeating rule would make the expansion do before it reaches the grid (dateutil
walks every occurrence from the rule's start, so "every minute since 1970" would take
minutes). An event or series that cannot be read is left out and counted, so one broken
event does not hide the rest; whatever else goes wrong becomes a CalendarError with a message
for the person.

Pure code over the grid's shape: no Django models, no PynamoDB.
"""

from __future__ import annotations

import time as clock
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from math import prod
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lobbies.availability.grid import GridSpec

MAX_BYTES = 1_000_000
MAX_OCCURRENCES = 5_000
# Steps a rule may take from its start to the end of the grid (occurrences times the values
# its BY… parts expand to); a daily event since 1900 takes about 46,000.
MAX_RULE_STEPS = 200_000
TIME_BUDGET_SECONDS = 3.0
FREQ_SECONDS = {
    "YEARLY": 365 * 86400,
    "MONTHLY": 28 * 86400,
    "WEEKLY": 7 * 86400,
    "DAILY": 86400,
    "HOURLY": 3600,
    "MINUTELY": 60,
    "SECONDLY": 1,
}
EXPANDING_PARTS = (
    "BYMONTH",
    "BYWEEKNO",
    "BYYEARDAY",
    "BYMONTHDAY",
    "BYDAY",
    "BYHOUR",
    "BYMINUTE",
    "BYSECOND",
    "BYSETPOS",
)


class CalendarError(ValueError):
    """The file cannot be compared with the grid; `message` says why, for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Busy:
    """What a calendar says about a grid: the busy slots, how many events in the grid make
    time busy, how many repeating events were left out as too costly to expand, how many say
    the time is free (or were cancelled), and how many events or series were left out because
    they cannot be read."""

    slots: frozenset[int]
    events: int
    skipped: int = 0
    free: int = 0
    broken: int = 0


def read_upload(data: bytes) -> str:
    """The text of an uploaded or pasted file, within the size cap."""
    if len(data) > MAX_BYTES:
        raise CalendarError(
            ngettext(
                "That file is too big (the most is %(size)d kB). Export a shorter period.",
                "That file is too big (the most is %(size)d kB). Export a shorter period.",
                MAX_BYTES // 1000,
            )
            % {"size": MAX_BYTES // 1000}
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CalendarError(_("That file is not a calendar (.ics) file.")) from error


def _parse(text: str) -> icalendar.Calendar:
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        raise CalendarError(_("That file is not a calendar (.ics) file."))
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except RecursionError as error:
        raise CalendarError(_("That calendar is nested too deeply to read.")) from error
    except Exception as error:
        raise CalendarError(
            _("That calendar could not be read: it is damaged or not an .ics file.")
        ) from error
    calendars = [c for c in calendars if isinstance(c, icalendar.Calendar)]
    if not calendars:
        raise CalendarError(_("That file is not a calendar (.ics) file."))
    merged = icalendar.Calendar()
    for calendar in calendars:
        for component in calendar.subcomponents:
            merged.add_component(component)
    return merged


def _to_utc(value, zone: ZoneInfo) -> datetime:
    """An occurrence's start or end as an aware instant; dates and floating times are the
    viewer's."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=zone).astimezone(UTC)
    raise CalendarError(_("An event in that calendar has a date that cannot be read."))


def _rule_steps(event, range_end: datetime) -> int:
    """About how many steps expanding the event's rules takes up to the grid's end."""
    rules = event.get("RRULE")
    if rules is None:
        return 0
    rules = rules if isinstance(rules, list) else [rules]
    start = event.get("DTSTART")
    if start is None:
        return 0
    begin = _to_utc(start.dt, UTC)
    span = max((range_end - begin).total_seconds(), 0)
    steps = 0
    for rule in rules:
        freq = (rule.get("FREQ") or ["YEARLY"])[0]
        interval = max(int((rule.get("INTERVAL") or [1])[0]), 1)
        period = FREQ_SECONDS.get(str(freq).upper(), 1) * interval
        expands = prod(max(len(rule.get(part) or []), 1) for part in EXPANDING_PARTS)
        steps += int(span // period + 1) * expands
    return steps


def _busy_interval(component) -> bool:
    transparent = str(component.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT"
    cancelled = str(component.get("STATUS", "")).upper() == "CANCELLED"
    return not (transparent or cancelled)


def _range(spec: GridSpec) -> tuple[datetime, datetime]:
    first, last = spec.slot_start(0), spec.slot_end(spec.slot_count - 1)
    return (first - timedelta(days=1)).astimezone(UTC), (last + timedelta(days=1)).astimezone(UTC)


def _slot_index(spec: GridSpec):
    """(starts, [(start, end, slot)]) of the grid's existing slots, sorted by start."""
    slots = sorted(
        (spec.slot_start(i).astimezone(UTC), spec.slot_end(i).astimezone(UTC), i)
        for i in spec.existing_slots()
    )
    return [start for start, _end, _slot in slots], slots


def _by_uid(calendar: icalendar.Calendar):
    """One calendar per event series (its UID), each with the file's time zones."""
    others = [c for c in calendar.subcomponents if c.name != "VEVENT"]
    groups: dict[object, list] = {}
    for component in calendar.subcomponents:
        if component.name == "VEVENT":
            uid = component.get("UID")
            groups.setdefault(str(uid) if uid else id(component), []).append(component)
    for events in groups.values():
        group = icalendar.Calendar()
        for component in [*others, *events]:
            group.add_component(component)
        yield group


def _readable_series(calendar: icalendar.Calendar) -> tuple[list, int]:
    """The calendar's event series, and how many cannot be read (left out). The whole file
    at once first; only when that fails, series by series to find the broken ones."""
    try:
        return list(recurring_ical_events.of(calendar).series), 0
    except RecursionError:
        raise
    except Exception:  # the library raises whatever a broken file provokes
        pass
    series, broken = [], 0
    for group in _by_uid(calendar):
        try:
            series.extend(recurring_ical_events.of(group).series)
        except RecursionError:
            raise
        except Exception:
            broken += 1
    return series, broken


def busy_slots(text: str, spec: GridSpec, viewer_tz: str) -> Busy:
    """The grid's slots the calendar `text` holds a busy event in, or CalendarError."""
    calendar = _parse(text)
    zone = ZoneInfo(viewer_tz)
    range_start, range_end = _range(spec)
    skipped_uids = set()
    for event in calendar.walk("VEVENT"):
        try:
            steps = _rule_steps(event, range_end)
        except (ValueError, TypeError, AttributeError) as error:
            raise CalendarError(
                _("An event in that calendar has a repeat rule that cannot be read.")
            ) from error
        if steps > MAX_RULE_STEPS:
            skipped_uids.add(str(event.get("UID", "")))
    if skipped_uids:
        calendar.subcomponents = [
            c
            for c in calendar.subcomponents
            if not (c.name == "VEVENT" and str(c.get("UID", "")) in skipped_uids)
        ]
    starts, slots = _slot_index(spec)
    longest = max((end - start for start, end, _slot in slots), default=timedelta(0))
    busy: set[int] = set()
    events = free = 0
    deadline = clock.monotonic() + TIME_BUDGET_SECONDS
    try:
        all_series, broken = _readable_series(calendar)
        if broken and not all_series:
            raise CalendarError(
                _("That calendar could not be read: an event in it has dates that make no sense.")
            )
        for series in all_series:
            try:
                # Lazily, so a rule with too many occurrences stops at the cap.
                window = series.between(range_start, range_end)
                occurrences = list(islice(window, MAX_OCCURRENCES - events + 1))
            except RecursionError:
                raise
            except Exception:  # this series' dates make no sense: leave it out
                broken += 1
                continue
            for occurrence in occurrences:
                events += 1
                if events > MAX_OCCURRENCES:
                    raise CalendarError(
                        _(
                            "That calendar has more than %(count)d events in this lobby's "
                            "days. Export a shorter period or a single calendar."
                        )
                        % {"count": MAX_OCCURRENCES}
                    )
                if clock.monotonic() > deadline:
                    raise CalendarError(
                        _("That calendar takes too long to read. Export a shorter period.")
                    )
                if not _busy_interval(occurrence.as_component(False)):
                    free += 1
                    continue
                start, end = _to_utc(occurrence.start, zone), _to_utc(occurrence.end, zone)
                if end <= start:
                    continue
                low, high = bisect_left(starts, start - longest), bisect_left(starts, end)
                busy.update(s for s_start, s_end, s in slots[low:high] if s_end > start)
    except CalendarError:
        raise
    except RecursionError as error:
        raise CalendarError(_("That calendar is nested too deeply to read.")) from error
    except Exception as error:
        raise CalendarError(
            _("That calendar could not be read: an event in it has dates that make no sense.")
        ) from error
    return Busy(frozenset(busy), events - free, len(skipped_uids), free, broken)


def proposal(
    spec: GridSpec, busy: frozenset[int], marks: tuple[frozenset[int], frozenset[int]], fill: bool
) -> tuple[frozenset[int], frozenset[int]]:
    """The marks the calendar suggests. `fill`: "yes" wherever free, "no" where busy.
    Otherwise my marks stay, and the busy slots are cleared to "no"."""
    if fill:
        return spec.existing_slots() - busy, frozenset()
    yes, maybe = marks
    return yes - busy, maybe - busy


def comparable_spec(spec: GridSpec, weekly: bool, today: date) -> GridSpec:
    """The grid to compare a calendar with. A weekly lobby's columns are weekdays of a
    reference week: they are compared with the coming week that starts on the first one."""
    if not weekly:
        return spec
    # The reference week is one week, so moving all of it by the same whole weeks keeps the
    # columns' order and weekdays.
    shift = timedelta(days=7 * -(-(today - spec.dates[0]).days // 7))
    dates = tuple(day + shift for day in spec.dates)
    return GridSpec(dates, spec.day_start, spec.day_end, spec.slot_minutes, spec.tz)
