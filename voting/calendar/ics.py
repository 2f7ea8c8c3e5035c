"""The settled event as an iCalendar file and as "add to Google Calendar" and Outlook links.

Pure code over plain values, so the email, the download and the tests build the same event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration, vRecur

PRODUCT_ID = "-//LetsHangOut//Lobby decision//EN"
UID_DOMAIN = "letshangout"
GOOGLE_CALENDAR_URL = "https://calendar.google.com/calendar/render"
# Outlook's web "new event" deep links. Microsoft publishes no reference for them; the
# parameters (path, rru=addevent, subject, startdt, enddt in UTC ending in Z or a date with
# allday=true, location, body) are collected in InteractionDesignFoundation's
# add-event-to-calendar-docs, services/outlook-web.md, and used as such by the calendar-link
# and spatie/calendar-links libraries. There is no parameter for a repeat.
OUTLOOK_COM = "outlook.live.com"
OFFICE_365 = "outlook.office.com"
OUTLOOK_COMPOSE_PATH = "/calendar/0/deeplink/compose"


@dataclass(frozen=True)
class Recurrence:
    """A weekly meeting's repetition: on `byday` (MO…SU) every week, until the instant `until`
    or `count` times, or without end."""

    byday: str
    until: datetime | None = None
    count: int | None = None

    def rule(self, all_day: bool, tz: str) -> dict:
        """The RRULE as icalendar's vRecur takes it (UNTIL a date for all-day events)."""
        rule: dict = {"FREQ": "WEEKLY", "BYDAY": self.byday}
        if self.until is not None:
            until = self.until.astimezone(ZoneInfo(tz)).date() if all_day else self.until
            rule["UNTIL"] = until if all_day else until.astimezone(UTC)
        if self.count is not None:
            rule["COUNT"] = self.count
        return rule

    def text(self, all_day: bool, tz: str) -> str:
        """The RRULE as a line of text, as Google Calendar's `recur` takes it."""
        return "RRULE:" + vRecur(self.rule(all_day, tz)).to_ical().decode()


@dataclass(frozen=True)
class EventDetails:
    """What a calendar needs to know about a settled lobby."""

    code: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    timezone: str
    location: str
    url: str
    sequence: int
    stamp: datetime
    recurrence: Recurrence | None = None
    # CANCELLED: a meeting a reopen took back, kept in feeds so calendars drop it visibly.
    status: str = "CONFIRMED"

    @property
    def uid(self) -> str:
        # Derived from the lobby code alone: downloading again, even after reopening and
        # settling on another time, updates the same calendar entry instead of adding one.
        return f"lobby-{self.code.lower()}@{UID_DOMAIN}"

    @property
    def first_day(self) -> date:
        return self._local(self.starts_at).date()

    @property
    def last_day_exclusive(self) -> date:
        """All-day events end on the day after (iCalendar and Google both say so)."""
        end = self._local(self.ends_at)
        return end.date() if end.time() == datetime.min.time() else end.date() + timedelta(1)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))

    @property
    def full_description(self) -> str:
        return "\n\n".join(part for part in (self.description, self.url) if part)


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    return calendar


def event_component(event: EventDetails) -> Event:
    """The VEVENT alone: one file holds one, a feed holds many."""
    entry = Event()
    entry.add("uid", event.uid)
    entry.add("sequence", event.sequence)
    entry.add("dtstamp", event.stamp.astimezone(UTC))
    entry.add("summary", event.title)
    if event.all_day:
        entry.add("dtstart", event.first_day)
        entry.add("dtend", event.last_day_exclusive)
    elif event.recurrence is not None:
        # A repeating meeting keeps its wall-clock time across daylight-saving changes, so it
        # is given in the lobby's zone (TZID and a VTIMEZONE), not in UTC.
        entry.add("dtstart", event._local(event.starts_at))
        entry.add("dtend", event._local(event.ends_at))
    else:
        entry.add("dtstart", event.starts_at.astimezone(UTC))
        entry.add("dtend", event.ends_at.astimezone(UTC))
    if event.recurrence is not None:
        entry.add("rrule", event.recurrence.rule(event.all_day, event.timezone))
    if event.location:
        entry.add("location", event.location)
    if event.full_description:
        entry.add("description", event.full_description)
    if event.url:
        entry.add("url", event.url)
    entry.add("status", event.status)
    entry.add("transp", "OPAQUE" if event.status == "CONFIRMED" else "TRANSPARENT")
    return entry


def build_ics(event: EventDetails) -> bytes:
    calendar = _calendar()
    calendar.add_component(event_component(event))
    if event.recurrence is not None and not event.all_day:
        calendar.add_missing_timezones()
    return calendar.to_ical()


def build_feed(name: str, events: list[EventDetails], refresh: timedelta) -> bytes:
    """A subscribed calendar of many events, with a VTIMEZONE for each zone they name and
    how often clients should fetch it again (RFC 7986 and its older Outlook spelling)."""
    calendar = _calendar()
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))
    for event in events:
        calendar.add_component(event_component(event))
    calendar.add_missing_timezones()
    return calendar.to_ical()


@dataclass(frozen=True)
class _TextFields:
    """What a calendar's link calls the event's title, place and notes."""

    title: str
    location: str
    notes: str

    def of(self, event: EventDetails) -> dict[str, str]:
        """The event's words under these names, leaving out an empty place or notes."""
        query = {self.title: event.title}
        if event.location:
            query[self.location] = event.location
        if event.full_description:
            query[self.notes] = event.full_description
        return query


GOOGLE_FIELDS = _TextFields(title="text", location="location", notes="details")
OUTLOOK_FIELDS = _TextFields(title="subject", location="location", notes="body")


def google_calendar_url(event: EventDetails) -> str:
    if event.all_day:
        dates = f"{event.first_day:%Y%m%d}/{event.last_day_exclusive:%Y%m%d}"
    elif event.recurrence is not None:
        # Wall-clock times in `ctz`, so the repeats keep their time across DST changes.
        start, end = event._local(event.starts_at), event._local(event.ends_at)
        dates = f"{start:%Y%m%dT%H%M%S}/{end:%Y%m%dT%H%M%S}"
    else:
        start, end = event.starts_at.astimezone(UTC), event.ends_at.astimezone(UTC)
        dates = f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"
    query = {"action": "TEMPLATE", **GOOGLE_FIELDS.of(event)}
    query |= {"dates": dates, "ctz": event.timezone}
    if event.recurrence is not None:
        query["recur"] = event.recurrence.text(event.all_day, event.timezone)
    return f"{GOOGLE_CALENDAR_URL}?{urlencode(query)}"


def outlook_calendar_url(event: EventDetails, host: str) -> str | None:
    """The "new event" link of Outlook.com (`OUTLOOK_COM`) or Office 365 (`OFFICE_365`), or
    None for a repeating meeting: these links cannot say that it repeats, and a single
    meeting in its place would be wrong without a word."""
    if event.recurrence is not None:
        return None
    if event.all_day:
        start, end = event.first_day.isoformat(), event.last_day_exclusive.isoformat()
    else:
        start, end = _utc_iso(event.starts_at), _utc_iso(event.ends_at)
    query = {"path": "/calendar/action/compose", "rru": "addevent"}
    query |= {"startdt": start, "enddt": end, **OUTLOOK_FIELDS.of(event)}
    if event.all_day:
        query["allday"] = "true"
    # Spaces as %20, as in the documented examples, rather than a "+" that may stay a plus.
    return f"https://{host}{OUTLOOK_COMPOSE_PATH}?{urlencode(query, quote_via=quote)}"


def _utc_iso(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
