"""How days, times and windows read, in the viewer's time zone and language.

Presentation helpers for pages, forms and emails; services never import this.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.http import HttpRequest
from django.utils import dateformat
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from letshangout.formats import local_format
from letshangout.zones import TZ_COOKIE, cookie_zone, store_zone, valid_zone
from lobbies.availability import grid, weekly
from lobbies.page.zone_names import zone_countries, zone_label, zone_menu

TZ_COOKIE_MAX_AGE = 365 * 24 * 3600


def timezone_choices(kept: str | None = None) -> list[tuple[str, str]]:
    """The zones to choose from, named in the active language (lobbies/page/zone_names.py);
    `kept` (a lobby's or viewer's zone under an older name) is offered too, so it stays
    selected and can be saved again."""
    language = get_language() or "en"
    menu = list(zone_menu(language))
    offered = kept in zone_countries() or kept == "UTC"
    if kept and not offered and kept in zoneinfo.available_timezones():
        menu.insert(0, (kept, zone_label(kept, language)))
    return menu


def chosen_zone(request: HttpRequest) -> str | None:
    """The zone the viewer asked for: ?tz=, else the cookie set from the browser (or the zone
    picker, or the join form). None when the viewer never said."""
    return valid_zone(request.GET.get("tz")) or cookie_zone(request)


def viewer_zone(request: HttpRequest, lobby) -> str:
    """The zone the viewer sees times in: their chosen one, else the lobby's own zone. A
    weekly lobby's "Monday 19:00" is the lobby's wall-clock time, with no instant to convert:
    always the lobby's zone (instants such as its deadline may use `chosen_zone`)."""
    if weekly.is_weekly(lobby):
        return lobby.timezone
    return chosen_zone(request) or lobby.timezone


def remember_zone(response, request: HttpRequest, zone: str) -> None:
    """Keep the viewer's zone in the cookie the pages read it from, and on a signed-in
    user's account for their emails."""
    response.set_cookie(
        TZ_COOKIE, zone, max_age=TZ_COOKIE_MAX_AGE, samesite="Lax", secure=request.is_secure()
    )
    store_zone(request, zone)


def day_label(day: date) -> str:
    if weekly.is_reference(day):  # a weekday column of a weekly lobby: no date to show
        return dateformat.format(day, "l")
    return dateformat.format(day, local_format("DAY_FORMAT"))


def moment_label(moment: datetime, zone) -> str:
    """An instant in `zone` with its date and year and its time: "7 Dec 2026, 19:30"."""
    local = moment.astimezone(zone)
    return _("%(day)s, %(time)s") % {
        "day": dateformat.format(local, local_format("SHORT_DAY_YEAR_FORMAT")),
        "time": dateformat.format(local, local_format("TIME_FORMAT")),
    }


def long_date(day: date) -> str:
    """A date with its year and without its weekday, for sentences that name the weekday."""
    return dateformat.format(day, local_format("LONG_DATE_FORMAT"))


def short_day_label(day: date) -> tuple[str, str]:
    if weekly.is_reference(day):
        return dateformat.format(day, "D"), ""
    return dateformat.format(day, "D"), dateformat.format(day, local_format("SHORT_DAY_FORMAT"))


def time_text(moment) -> str:
    return dateformat.time_format(moment, local_format("TIME_FORMAT"))


def row_label(row, whole_day: bool, spec=None) -> str:
    """A grid row's time as the viewer reads it. A row of lobby times the lobby's clocks skip
    (shown to a viewer elsewhere, beside the real time it collides with) names the lobby's
    skipped time and place; a time the viewer's own clocks repeat says it is the second one."""
    if whole_day or row.time is None:
        return _("All day")
    text = time_text(row.time)
    if row.skipped:
        slot = next((cell.slot for cell in row.cells if cell.slot is not None), None)
        if spec is None or slot is None:
            return _("%(time)s (a time the clocks skip)") % {"time": text}
        return _("%(time)s (%(lobby_time)s in %(place)s, skipped there)") % {
            "time": text,
            "lobby_time": time_text(spec.wall_start(slot)),
            "place": zone_place(spec.tz),
        }
    if row.fold:
        return _("%(time)s (second time, the clocks go back)") % {"time": text}
    return text


def zone_place(zone: str) -> str:
    """The city or region a zone is named after: "Europe/Berlin" -> "Berlin"."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def cell_label(day: date, row, whole_day: bool, spec=None) -> str:
    if whole_day:
        return day_label(day)
    return _("%(day)s, %(time)s") % {
        "day": day_label(day),
        "time": row_label(row, whole_day, spec),
    }


def window_label(window, viewer_tz: str, whole_day: bool) -> str:
    """A meeting window (anything with aware `start` and `end`) in the viewer's zone."""
    # A weekly window stays on the lobby's clock, whatever zone the caller asks for.
    weekday_window = weekly.is_reference(window.start.date())
    zone = window.start.tzinfo if weekday_window else grid.get_zone(viewer_tz)
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


def repeat_label(repeat: weekly.Repeat | None) -> str | None:
    """How a settled weekly meeting repeats, in words (None for a one-off): the lobby page
    and the emails say it alike."""
    if repeat is None:
        return None
    text = _("Every %(weekday)s from %(first)s") % {
        "weekday": dateformat.format(repeat.first, "l"),
        "first": long_date(repeat.first),
    }
    if repeat.until is not None:
        return _("%(repeats)s, until %(last)s") % {"repeats": text, "last": long_date(repeat.until)}
    if repeat.count is not None:
        return ngettext(
            "%(repeats)s, %(count)d time", "%(repeats)s, %(count)d times", repeat.count
        ) % {"repeats": text, "count": repeat.count}
    return text
