"""The availability grid on pages: whose answers count, reading a save, and what the grid,
heatmap and best-times templates show.

Everything here works on a LobbySnapshot already in memory: the lobby page reads nothing more.
The slot arithmetic itself is pure code in lobbies/grid.py; this module turns it into labels
in the viewer's time zone and language.

A save arrives in one of two shapes, both accepted by `read_marks`:
- from grid.js: `yes` and `maybe`, each the hex text of a bitmap over the whole grid;
- from the plain form (no JavaScript): one `y` and/or `m` checkbox value per marked slot,
  optionally with `fill` (a quick action: `col:<i>`, `row:<i>` of the viewer's grid, or
  `clear-all`) and `mark` (`yes`, `maybe` or `clear`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import unquote

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import dateformat
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from letshangout.compression import PagePart
from letshangout.memo import ContentMemo
from lobbies import grid
from lobbies.grid import GridSpec, GridView

TZ_COOKIE = "tz"
TZ_COOKIE_MAX_AGE = 365 * 24 * 3600
MARKS = ("yes", "maybe", "clear")
BEST_TIMES = 5
HEAT_LEVELS = 5


class InvalidMarks(ValueError):
    """A save that cannot be read or does not fit the grid; `message` is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- the grid of a lobby ---------------------------------------------------------------------


def spec_for(lobby) -> GridSpec:
    return _spec(
        tuple(lobby.dates),
        int(lobby.day_start),
        int(lobby.day_end),
        int(lobby.slot_minutes),
        lobby.timezone,
    )


@lru_cache(maxsize=512)
def _spec(dates: tuple[str, ...], start: int, end: int, slot: int, tz: str) -> GridSpec:
    # Lobbies are read far more often than they change; the DST scan of a big grid is cached.
    return GridSpec(tuple(date.fromisoformat(d) for d in dates), start, end, slot, tz)


@lru_cache(maxsize=512)
def _view(spec: GridSpec, viewer_tz: str) -> GridView:
    return grid.view_grid(spec, viewer_tz)


def grid_key(spec: GridSpec) -> str:
    """A short hash of the grid's shape; bitmaps saved under another key are not read."""
    shape = "|".join(
        [
            ",".join(d.isoformat() for d in spec.dates),
            str(spec.day_start),
            str(spec.day_end),
            str(spec.slot_minutes),
            spec.tz,
        ]
    )
    return hashlib.blake2s(shape.encode(), digest_size=6).hexdigest()


def valid_zone(name: object) -> str | None:
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        grid.get_zone(name)
    except ValueError:
        return None
    return name


def viewer_zone(request: HttpRequest, lobby) -> str:
    """The zone the viewer sees times in: ?tz=, else the cookie grid.js sets from the
    browser (or the zone picker), else the lobby's own zone."""
    for candidate in (request.GET.get("tz"), unquote(request.COOKIES.get(TZ_COOKIE, ""))):
        zone = valid_zone(candidate)
        if zone:
            return zone
    return lobby.timezone


# --- answers ---------------------------------------------------------------------------------


def _decode(data: bytes | None, length: int) -> frozenset[int] | None:
    if not data:
        return frozenset()
    try:
        return grid.decode_bitmap(bytes(data), length)
    except ValueError:
        return None


def marks_of(participant, spec: GridSpec, key: str) -> tuple[frozenset[int], frozenset[int]] | None:
    """(yes, maybe) of a participant who answered for this grid, else None."""
    if participant is None or participant.answered_at is None or participant.grid_key != key:
        return None
    yes = _decode(participant.yes, spec.slot_count)
    maybe = _decode(participant.maybe, spec.slot_count)
    if yes is None or maybe is None:
        return None
    return yes, maybe


def answers_of(snapshot, spec: GridSpec, key: str) -> dict[str, tuple[frozenset, frozenset]]:
    """participant id -> (yes, maybe), for everyone whose answers fit the current grid.

    Several parts of the lobby page ask for these: decoded once per shared snapshot."""
    return snapshot.derive(("answers", key), lambda: _decode_answers(snapshot, spec, key))


def _decode_answers(snapshot, spec: GridSpec, key: str) -> dict[str, tuple[frozenset, frozenset]]:
    answers = {}
    for participant_id, participant in snapshot.participants.items():
        marks = marks_of(participant, spec, key)
        if marks is not None:
            answers[participant_id] = marks
    return answers


# --- reading a save --------------------------------------------------------------------------


def _bitmap(text: str, length: int) -> frozenset[int]:
    try:
        data = grid.bitmap_from_text(text)
    except ValueError as error:
        raise InvalidMarks(_("The availability data is malformed. Reload the page.")) from error
    if len(data) != (length + 7) // 8:
        raise InvalidMarks(
            _("The availability data does not fit this lobby's grid. Reload the page.")
        )
    try:
        return grid.decode_bitmap(data, length)
    except ValueError as error:
        raise InvalidMarks(_outside_message()) from error


def _outside_message() -> str:
    return _("Some of the chosen times are not part of this lobby's grid. Reload the page.")


def _slot_list(values: list[str], length: int) -> frozenset[int]:
    if len(values) > length:
        raise InvalidMarks(_outside_message())
    slots = set()
    for value in values:
        if not value.isdigit() or len(value) > 6 or int(value) >= length:
            raise InvalidMarks(_outside_message())
        slots.add(int(value))
    return frozenset(slots)


def read_marks(
    data: Mapping, spec: GridSpec, viewer_tz: str
) -> tuple[frozenset[int], frozenset[int]]:
    """The (yes, maybe) a save asks for, or InvalidMarks. Not yet checked against DST gaps
    or double marks: `check_marks` does that, so a form can be shown back with the marks."""
    length = spec.slot_count
    if "yes" in data or "maybe" in data:
        yes = _bitmap(data.get("yes", ""), length)
        maybe = _bitmap(data.get("maybe", ""), length)
    else:
        yes = _slot_list(data.getlist("y"), length)
        maybe = _slot_list(data.getlist("m"), length)
    fill = data.get("fill")
    if fill:
        yes, maybe = _apply_fill(spec, viewer_tz, fill, data.get("mark", "yes"), yes, maybe)
    return yes, maybe


def _apply_fill(spec, viewer_tz, fill: str, mark: str, yes: frozenset, maybe: frozenset):
    """A quick action from the plain form: a whole column or row of the viewer's grid."""
    if mark not in MARKS:
        raise InvalidMarks(_("Choose “yes”, “if need be” or “clear”."))
    view = _view(spec, viewer_tz)
    if fill == "clear-all":
        return frozenset(), frozenset()
    kind, _sep, number = fill.partition(":")
    if kind not in {"col", "row"} or not number.isdigit() or len(number) > 5:
        raise InvalidMarks(_outside_message())
    index = int(number)
    if kind == "col":
        if index >= len(view.columns):
            raise InvalidMarks(_outside_message())
        cells = [row.cells[index] for row in view.rows]
    else:
        if index >= len(view.rows):
            raise InvalidMarks(_outside_message())
        cells = list(view.rows[index].cells)
    chosen = {cell.slot for cell in cells if cell.slot is not None and cell.exists}
    yes, maybe = set(yes) - chosen, set(maybe) - chosen
    if mark == "yes":
        yes |= chosen
    elif mark == "maybe":
        maybe |= chosen
    return frozenset(yes), frozenset(maybe)


def check_marks(spec: GridSpec, viewer_tz: str, yes: frozenset, maybe: frozenset) -> None:
    """InvalidMarks, worded in the viewer's zone, for a slot outside the grid, a slot marked
    twice, or a time the clocks skip."""
    try:
        grid.validate_availability(spec, yes, maybe)
    except grid.AvailabilityError as error:
        if error.code == "both":
            raise InvalidMarks(
                _("%(when)s is marked both “yes” and “if need be”. Pick one.")
                % {"when": describe_slot(spec, error.slot, viewer_tz)}
            ) from error
        if error.code == "skipped":
            raise InvalidMarks(
                _("%(when)s does not exist: the clocks change then. Leave it unmarked.")
                % {"when": describe_slot(spec, error.slot, viewer_tz)}
            ) from error
        raise InvalidMarks(_outside_message()) from error


def describe_slot(spec: GridSpec, slot: int, viewer_tz: str) -> str:
    for row in _view(spec, viewer_tz).rows:
        for cell in row.cells:
            if cell.slot == slot:
                return cell_label(cell.date, row, spec.whole_day)
    return str(slot)


# --- labels ----------------------------------------------------------------------------------


def day_label(day: date) -> str:
    return dateformat.format(day, "l j F")


def short_day_label(day: date) -> tuple[str, str]:
    return dateformat.format(day, "D"), dateformat.format(day, "j M")


def row_label(row, whole_day: bool) -> str:
    if whole_day or row.time is None:
        return _("All day")
    text = row.time.strftime("%H:%M")
    if row.skipped:
        return _("%(time)s (skipped)") % {"time": text}
    if row.fold:
        return _("%(time)s (again)") % {"time": text}
    return text


def cell_label(day: date, row, whole_day: bool) -> str:
    if whole_day:
        return day_label(day)
    return _("%(day)s, %(time)s") % {"day": day_label(day), "time": row_label(row, whole_day)}


def _time_text(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def window_label(window: grid.Window, viewer_tz: str, whole_day: bool) -> str:
    zone = grid.get_zone(viewer_tz)
    start, end = window.start.astimezone(zone), window.end.astimezone(zone)
    if whole_day:
        return day_label(window.start.date())
    if start.date() == end.date():
        return _("%(day)s, %(start)s–%(end)s") % {
            "day": day_label(start.date()),
            "start": _time_text(start),
            "end": _time_text(end),
        }
    if end.date() == start.date() + timedelta(days=1) and end.hour == end.minute == 0:
        # Ends at the midnight that closes the day: still "that evening".
        return _("%(day)s, %(start)s–24:00") % {
            "day": day_label(start.date()),
            "start": _time_text(start),
        }
    return _("%(start_day)s %(start)s – %(end_day)s %(end)s") % {
        "start_day": day_label(start.date()),
        "start": _time_text(start),
        "end_day": day_label(end.date()),
        "end": _time_text(end),
    }


# --- page context ----------------------------------------------------------------------------


def answers_closed_reason(lobby, now: datetime | None = None) -> str | None:
    """Why nobody can change their availability any more, or None while answers are open."""
    now = now or datetime.now(UTC)
    if lobby.status == "settled":
        return _("This lobby is settled, so answers can no longer change.")
    if lobby.joining_locked:
        return _("The organizer has locked this lobby, so answers can no longer change.")
    if lobby.deadline is not None and lobby.deadline <= now:
        return _("The deadline to answer has passed, so answers can no longer change.")
    return None


def _strings() -> dict[str, str]:
    """Everything grid.js and the heatmap say, in the active language (shared: read only)."""
    return _strings_in(get_language())


@lru_cache(maxsize=16)
def _strings_in(language: str) -> dict[str, str]:
    return {
        "yes": _("yes"),
        "maybe": _("if need be"),
        "no": _("no"),
        "gap": _("does not exist (the clocks change)"),
        "none": _("no slot"),
        "saving": _("Saving…"),
        "saved": _("Saved."),
        "unsaved": _("Unsaved changes…"),
        "offline": _(
            "Not saved: the connection failed. Your marks are still here; "
            "we will try again, or press Save."
        ),
        "marked": _("%(count)s slots marked “%(mark)s”."),
        "can": _("Can come"),
        "could": _("If need be"),
        "cannot": _("Cannot"),
        "nobody": _("nobody"),
        "pick": _("Point at, focus or tap a slot to see who can come."),
        "heat": _("%(yes)s of %(total)s can come, %(maybe)s if need be"),
    }


def page_context(
    request: HttpRequest,
    snapshot,
    seat: str,
    *,
    marks: tuple[frozenset[int], frozenset[int]] | None = None,
    error: str | None = None,
    saved: bool = False,
    oob: bool = False,
) -> dict:
    """What _availability.html and _group_view.html need, from the snapshot alone.

    `marks` shows a refused save back as it was sent (the plain form keeps the user's work).
    """
    lobby = snapshot.lobby
    spec = spec_for(lobby)
    key = grid_key(spec)
    viewer_tz = viewer_zone(request, lobby)
    me = snapshot.participant(seat)
    answers = answers_of(snapshot, spec, key)
    stored = answers.get(seat)
    if marks is None:
        marks = stored or (frozenset(), frozenset())
    stale = me is not None and me.answered_at is not None and stored is None and me.grid_key != key
    closed = answers_closed_reason(lobby)
    strings = _strings()
    client_key = request.GET.get("grid")
    # What my grid looks like but for my marks follows from these alone, whatever the snapshot.
    shape = (spec, viewer_tz, get_language(), bool(closed))
    shared = _MY_GRID_PARTS.get(
        shape, lambda: _my_grid_parts(*_labels_for(snapshot, spec, viewer_tz), strings, shape[3])
    )
    avail = {
        "key": key,
        "viewer_tz": viewer_tz,
        "lobby_tz": lobby.timezone,
        "other_zone": viewer_tz != lobby.timezone and not spec.whole_day,
        "whole_day": spec.whole_day,
        "slot_count": spec.slot_count,
        "head": shared["head"],
        "body": _MY_GRIDS.get((*shape, *marks), lambda: PagePart(_my_body(shared["rows"], marks))),
        "names": shared["names"],
        "answered": stored is not None,
        "stale": stale,
        "closed": closed,
        "error": error,
        "saved": saved,
        "grid_changed": bool(client_key) and client_key != key,
        "strings": strings,
        "tz_options": _zone_options(viewer_tz),
    }
    return {"avail": avail, **group_view(request, snapshot, oob=oob)}


def group_view(request: HttpRequest, snapshot, *, oob: bool = False) -> dict:
    """The group view (`group`) and its HTML (`group_html`): the same for every viewer with the
    same zone, filter and language, so derived from the snapshot once (`oob`: for the poll)."""
    lobby = snapshot.lobby
    spec = spec_for(lobby)
    viewer_tz = viewer_zone(request, lobby)
    answers = answers_of(snapshot, spec, grid_key(spec))
    columns, rows = _labels_for(snapshot, spec, viewer_tz)
    chosen = _filter_ids(request, answers)
    picked = _picked_slot(request)
    group_key = (viewer_tz, None if chosen is None else tuple(chosen), picked, get_language())
    group = snapshot.derive(
        ("group", *group_key),
        lambda: group_context(snapshot, spec, answers, columns, rows, viewer_tz, chosen, picked),
    )
    group_html = snapshot.derive(
        ("group-html", *group_key, oob),
        lambda: PagePart(
            render_to_string(
                "lobbies/_group_view.html#group-view", {"group": group, "lobby": lobby, "oob": oob}
            )
        ),
    )
    return {"group": group, "group_html": group_html}


def _labels_for(snapshot, spec: GridSpec, viewer_tz: str) -> tuple[list[dict], list[dict]]:
    return snapshot.derive(("labels", viewer_tz, get_language()), lambda: _labels(spec, viewer_tz))


def _labels(spec: GridSpec, viewer_tz: str) -> tuple[list[dict], list[dict]]:
    """The grid's columns (days) and rows (times) as the viewer sees them, labelled."""
    view = _view(spec, viewer_tz)
    columns = [_column(i, day) for i, day in enumerate(view.columns)]
    rows = [
        {"i": i, "label": row_label(row, spec.whole_day), "row": row}
        for i, row in enumerate(view.rows)
    ]
    return columns, rows


@lru_cache(maxsize=64)
def _zone_options(viewer_tz: str) -> PagePart:
    """The <option>s of the zone picker (about 430), built once per zone and language."""
    # Imported here: lobbies.forms imports services, which imports this module.
    from lobbies.forms import timezone_choices

    choices = timezone_choices()
    if not any(value == viewer_tz for value, _label in choices):
        choices = [(viewer_tz, viewer_tz.replace("_", " ")), *choices]
    return PagePart(  # every part escaped here
        "".join(
            f'<option value="{escape(value)}"{" selected" if value == viewer_tz else ""}>'
            f"{escape(label)}</option>"
            for value, label in choices
        )
    )


def _column(index: int, day: date) -> dict:
    weekday, short = short_day_label(day)
    return {"i": index, "label": day_label(day), "weekday": weekday, "short": short}


# My grid's cells in each of their four states, head and hidden names, by grid, zone,
# language and open or closed (~0.7 MB each for a big grid): the same across snapshots.
_MY_GRID_PARTS = ContentMemo(16)
# My grid's cells as one viewer's marks show them, kept for when they come back: a big grid
# is ~180 KB to join and compress, and my marks change far less often than the lobby does.
_MY_GRIDS = ContentMemo(64)


def _my_body(parts: list[dict], marks) -> str:
    """My grid's rows: every cell's HTML for each of its four states is shared by every
    viewer (see _my_row_parts); mine are picked by my marks.

    A big grid has ~900 cells x 2 checkboxes: template nodes (each escaped and localized), or
    even formatting each cell again per viewer, would cost most of the page's time."""
    yes, maybe = marks
    rows = []
    for row in parts:
        cells = "".join(
            html if slot is None else html[(slot in yes) + 2 * (slot in maybe)]
            for slot, html in row["cells"]
        )
        rows.append(f"<tr>{row['th']}{cells}</tr>\n")
    return mark_safe("".join(rows))  # every part escaped when it was built


def _row_header(index: int, label: str, closed: bool) -> str:
    """A row's header: while answers are open, a button marking the time on every day."""
    if closed:
        return format_html('<th scope="row" data-label="{label}">{label}</th>', label=label)
    return format_html(
        '<th scope="row" data-label="{label}"><button type="submit" name="fill" '
        'value="row:{index}" class="fill" title="{title}">{label}</button></th>',
        label=label,
        index=index,
        title=_("Mark %(time)s on every day") % {"time": label},
    )


def _my_grid_parts(columns: list[dict], rows: list[dict], strings: dict, closed: bool) -> dict:
    """Everything of my grid that is the same for every viewer in one zone and language, with
    answers open or closed: its rows' cells, its head (with day buttons while answers are
    open) and the hidden texts its checkboxes are named by."""
    return {
        "rows": _my_row_parts(rows, strings, closed),
        "head": _my_grid_head(columns, closed),
        "names": _my_grid_names(columns, rows, strings),
    }


def _my_grid_head(columns: list[dict], closed: bool) -> str:
    """The day headings: while answers are open, buttons marking a whole day."""
    cells = []
    for column in columns:
        cell = format_html('<th scope="col" data-label="{}">', column["label"])
        day = format_html(
            '<span class="wd">{}</span> <span class="dm">{}</span>',
            column["weekday"],
            column["short"],
        )
        if not closed:
            day = format_html(
                '<button type="submit" name="fill" value="col:{}" class="fill" title="{}">'
                "{}</button>",
                column["i"],
                _("Mark all of %(day)s") % {"day": column["label"]},
                day,
            )
        cells.append(format_html("{}{}</th>", cell, day))
    return mark_safe("".join(cells))  # built escaped


def _my_grid_names(columns: list[dict], rows: list[dict], strings: dict) -> str:
    """Hidden texts the checkboxes point at with aria-labelledby ("gd3 gt12 gy" reads
    "Thursday 3 December, 11:00, yes"): one per day, time and mark rather than a full label
    on each of ~1,800 checkboxes, which was a fifth of a big lobby page."""
    parts = [format_html('<span id="gd{}">{},</span>', c["i"], c["label"]) for c in columns]
    parts += [format_html('<span id="gt{}">{},</span>', r["i"], r["label"]) for r in rows]
    parts.append(format_html('<span id="gy">{}</span>', strings["yes"]))
    parts.append(format_html('<span id="gm">{}</span>', strings["maybe"]))
    return mark_safe(f"<div hidden>{''.join(parts)}</div>")  # built escaped


# A cell's states by index: (slot in yes) + 2 * (slot in maybe), as _my_body picks them.
_CELL_STATES = (
    ("n", "", ""),
    ("y", " checked", ""),
    ("m", "", " checked"),
    ("b", " checked", " checked"),
)


def _my_row_parts(rows: list[dict], strings: dict, closed: bool) -> list[dict]:
    """My grid's rows: each row's header and its cells, as (slot, the cell's HTML in each of
    the four states) or (None, the HTML of a cell without checkboxes)."""
    gap_word = escape(strings["gap"])
    disabled = " disabled" if closed else ""
    parts = []
    for row in rows:
        grid_row = row["row"]
        cells = []
        # A whole-day grid's row has no time: its checkboxes are named by day and mark.
        time_id = "" if grid_row.time is None else f" gt{row['i']}"
        for column_index, cell in enumerate(grid_row.cells):
            slot = cell.slot
            if slot is None:
                cells.append((None, '<td class="c" data-st=""></td>'))
            elif not cell.exists:
                when = escape(cell_label(cell.date, grid_row, grid_row.time is None))
                cells.append(
                    (
                        None,
                        f'<td class="c" data-s="{slot}" data-st="x">'
                        f'<span class="visually-hidden">{when}: {gap_word}</span></td>',
                    )
                )
            else:
                named = f"gd{column_index}{time_id}"
                states = tuple(
                    f'<td class="c" data-s="{slot}" data-st="{state}">'
                    f'<input type="checkbox" name="y" value="{slot}" '
                    f'aria-labelledby="{named} gy"{yes}{disabled}>'
                    f'<input type="checkbox" name="m" value="{slot}" '
                    f'aria-labelledby="{named} gm"{maybe}{disabled}></td>'
                    for state, yes, maybe in _CELL_STATES
                )
                cells.append((slot, states))
        parts.append({"th": _row_header(row["i"], row["label"], closed), "cells": cells})
    return parts


# --- the group view --------------------------------------------------------------------------


def _filter_ids(request: HttpRequest, answers: Mapping[str, object]) -> list[str] | None:
    """The participants the heatmap is filtered to, or None for everyone who answered.

    The filter form sends `known` (everyone it listed) and `only` (those ticked), so it hides
    known = only; someone who answers later is shown until they are unticked.
    """
    hidden = set(request.GET.getlist("known")) - set(request.GET.getlist("only"))
    if not hidden:
        return None
    return [pid for pid in answers if pid not in hidden]


def _picked_slot(request: HttpRequest) -> tuple[int, int] | None:
    """The (day, time) the plain "who can come" form asked about, if any."""
    day, time = request.GET.get("day", ""), request.GET.get("time", "")
    if not (day.isdigit() and time.isdigit() and len(day) < 5 and len(time) < 5):
        return None
    return int(day), int(time)


def group_context(snapshot, spec, answers, columns, rows, viewer_tz, chosen, picked) -> dict:
    people = snapshot.participants
    shown = answers if chosen is None else {pid: answers[pid] for pid in chosen}
    tallies = grid.heatmap(spec, shown)
    total = len(shown)
    heat_rows = _heat_rows(rows, tallies, total)
    windows = grid.best_windows(spec, int(snapshot.lobby.meeting_minutes), answers, BEST_TIMES)
    name = {pid: p.display_name for pid, p in people.items()}
    best = [
        {
            "label": window_label(window, viewer_tz, spec.whole_day),
            "start_slot": window.start_slot,
            "slot_count": window.slot_count,
            "yes": [name[pid] for pid in window.yes],
            "maybe": [name[pid] for pid in window.maybe],
            "missing": [name[pid] for pid in window.missing],
        }
        for window in windows
    ]
    details = _details(picked, columns, rows, tallies, name, spec.whole_day)
    return {
        "columns": columns,
        "rows": heat_rows,
        "total": total,
        "answered_count": len(answers),
        "people_count": len(people),
        "filtering": chosen is not None,
        "filter_choices": [
            {"id": pid, "name": name[pid], "checked": chosen is None or pid in chosen}
            for pid in answers
        ],
        "not_answered": [p.display_name for pid, p in people.items() if pid not in answers],
        "best": best,
        "details": details,
        # For grid.js's who-lists, in an attribute: htmx drops <script> from swapped parts.
        "people_json": json.dumps(
            [
                # The stored bitmaps as they are: answers_of has checked they fit the grid.
                {"n": name[pid], "y": _hex(people[pid].yes), "m": _hex(people[pid].maybe)}
                for pid in shown
            ],
            ensure_ascii=False,
        ),
        "legend": list(range(HEAT_LEVELS + 1)),
    }


def _hex(data: bytes | None) -> str:
    return bytes(data).hex() if data else ""


def _level(count: int, total: int) -> int:
    if not count or not total:
        return 0
    return max(1, -(-count * HEAT_LEVELS // total))


def _heat_rows(rows: list[dict], tallies: Mapping[int, grid.SlotTally], total: int) -> list[dict]:
    """The heatmap's rows, cells' HTML built here for the same reason as in _my_body."""
    texts: dict[tuple[int, int], str] = {}
    gap = escape(_("does not exist"))
    out = []
    for row in rows:
        cells, html = [], []
        for cell in row["row"].cells:
            slot = cell.slot
            if slot is None:
                cells.append({"cls": "h-none"})
                html.append('<td class="h h-none"></td>')
                continue
            tally = tallies.get(slot)
            if tally is None:
                cells.append({"cls": "h-x", "s": slot, "text": gap})
                html.append(
                    f'<td class="h h-x" data-s="{slot}">'
                    f'<span class="visually-hidden">{gap}</span></td>'
                )
                continue
            yes, maybe = len(tally.yes), len(tally.maybe)
            text = texts.get((yes, maybe))
            if text is None:
                text = texts[(yes, maybe)] = escape(
                    _("%(yes)s can come, %(maybe)s if need be") % {"yes": yes, "maybe": maybe}
                    if maybe
                    else _("%(yes)s can come") % {"yes": yes}
                )
            cls = f"h{_level(yes, total)} hm" if maybe else f"h{_level(yes, total)}"
            cells.append({"cls": cls, "s": slot, "text": text})
            html.append(
                f'<td class="h {cls}" data-s="{slot}">'
                f'<span class="visually-hidden">{text}</span></td>'
            )
        out.append(
            {
                "i": row["i"],
                "label": row["label"],
                "cells": cells,
                "html": mark_safe("".join(html)),  # every part escaped above
            }
        )
    return out


def _details(picked, columns, rows, tallies, name, whole_day) -> dict | None:
    """Who can come at the slot picked with the plain form (?day=&time=), for readers
    without JavaScript; grid.js fills the same panel on hover, focus and tap."""
    if picked is None:
        return None
    day_index, row_index = picked
    if day_index >= len(columns) or row_index >= len(rows):
        return None
    row = rows[row_index]["row"]
    cell = row.cells[day_index]
    tally = tallies.get(cell.slot) if cell.slot is not None else None
    when = cell_label(cell.date, row, whole_day)
    if tally is None:
        return {"day": day_index, "time": row_index, "when": when, "missing": True}
    return {
        "day": day_index,
        "time": row_index,
        "when": when,
        "yes": [name[pid] for pid in tally.yes],
        "maybe": [name[pid] for pid in tally.maybe],
        "no": [name[pid] for pid in tally.no],
    }
