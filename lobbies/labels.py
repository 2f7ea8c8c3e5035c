"""How days, times and windows read, in the viewer's time zone and language.

Presentation helpers for pages, forms and emails; services never import this.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import unquote

from django.http import HttpRequest
from django.utils import dateformat
from django.utils.translation import gettext as _

from lobbies import grid

TZ_COOKIE = "tz"
TZ_COOKIE_MAX_AGE = 365 * 24 * 3600


def valid_zone(name: object) -> str | None:
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        grid.get_zone(name)
    except ValueError:
        return None
    return name


def viewer_zone(request: HttpRequest, lobby) -> str:
    """The zone the viewer sees times in: ?tz=, else the cookie set from the browser (or the
    zone picker), else the lobby's own zone."""
    for candidate in (request.GET.get("tz"), unquote(request.COOKIES.get(TZ_COOKIE, ""))):
        zone = valid_zone(candidate)
        if zone:
            return zone
    return lobby.timezone


def day_label(day: date) -> str:
    return dateformat.format(day, "l j F")


def short_day_label(day: date) -> tuple[str, str]:
    return dateformat.format(day, "D"), dateformat.format(day, "j M")


def time_text(moment) -> str:
    return moment.strftime("%H:%M")


def row_label(row, whole_day: bool) -> str:
    """A grid row's time as the viewer reads it; a lobby time the clocks skip, or one that
    comes twice, says so in the viewer's own terms."""
    if whole_day or row.time is None:
        return _("All day")
    text = time_text(row.time)
    if row.skipped:
        return _("%(time)s (the organizer's clocks skip this)") % {"time": text}
    if row.fold:
        return _("%(time)s (again)") % {"time": text}
    return text


def cell_label(day: date, row, whole_day: bool) -> str:
    if whole_day:
        return day_label(day)
    return _("%(day)s, %(time)s") % {"day": day_label(day), "time": row_label(row, whole_day)}


def window_label(window, viewer_tz: str, whole_day: bool) -> str:
    """A meeting window (anything with aware `start` and `end`) in the viewer's zone."""
    zone = grid.get_zone(viewer_tz)
    start, end = window.start.astimezone(zone), window.end.astimezone(zone)
    if whole_day:
        return day_label(window.start.date())
    if start.date() == end.date():
        return _("%(day)s, %(start)s–%(end)s") % {
            "day": day_label(start.date()),
            "start": time_text(start),
            "end": time_text(end),
        }
    if end.date() == start.date() + timedelta(days=1) and end.hour == end.minute == 0:
        # Ends at the midnight that closes the day: still "that evening".
        return _("%(day)s, %(start)s–24:00") % {
            "day": day_label(start.date()),
            "start": time_text(start),
        }
    return _("%(start_day)s %(start)s – %(end_day)s %(end)s") % {
        "start_day": day_label(start.date()),
        "start": time_text(start),
        "end_day": day_label(end.date()),
        "end": time_text(end),
    }


def moment_label(moment: datetime, viewer_tz: str) -> str:
    """A single instant (a deadline, an expiry) in the viewer's zone."""
    local = moment.astimezone(grid.get_zone(viewer_tz))
    return _("%(day)s, %(time)s") % {"day": day_label(local.date()), "time": time_text(local)}
