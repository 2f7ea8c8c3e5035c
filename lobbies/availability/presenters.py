"""What the lobby page shows of the availability grid, from one snapshot.

Presentation beside the views. The big parts are rendered from template partials
(templates/lobbies/_grid.html) and kept with `functools.lru_cache`, keyed by immutable
values only: my grid by the grid's shape, zone, language and my marks (lru_cache, bounded by
LOBBY_GRIDS_KEPT); the group view under the lobby's code and rev with the zone, language and
filter (lobbies/derived.py). A new rev is a new key, so nothing kept can be stale, and
nothing kept holds the snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from lobbies.availability import windows
from lobbies.availability.answers import (
    Marks,
    answers_closed_reason,
    answers_of,
    grid_key,
    spec_for,
)
from lobbies.availability.grid import GridSpec
from lobbies.availability.marks import grid_view
from lobbies.availability.slots import EMPTY
from lobbies.derived import kept
from lobbies.page.labels import (
    cell_label,
    chosen_zone,
    day_label,
    row_label,
    short_day_label,
    timezone_choices,
    viewer_zone,
    window_label,
)
from lobbies.snapshot import LobbySnapshot

BEST_TIMES = 5
HEAT_LEVELS = 5
GRID_TEMPLATE = "lobbies/_grid.html"
NO_MARKS: Marks = (EMPTY, EMPTY)
GRIDS_KEPT = settings.LOBBY_GRIDS_KEPT


@dataclass(frozen=True)
class Labels:
    """A grid's days (columns) and times (rows) as one viewer reads them."""

    whole_day: bool
    columns: tuple[dict, ...]
    rows: tuple[dict, ...]


@lru_cache(maxsize=GRIDS_KEPT)
def labels_for(spec: GridSpec, viewer_tz: str, language: str) -> Labels:
    view = grid_view(spec, viewer_tz)
    columns = []
    for index, day in enumerate(view.columns):
        weekday, short = short_day_label(day)
        columns.append({"i": index, "label": day_label(day), "weekday": weekday, "short": short})
    rows = [
        {"i": i, "label": row_label(row, spec.whole_day, spec)} for i, row in enumerate(view.rows)
    ]
    return Labels(spec.whole_day, tuple(columns), tuple(rows))


def _state(cell, marks: Marks) -> str:
    """A cell's mark as its data-st says it: "" is "no" (and the most common: not written)."""
    if cell.slot is None:
        return ""
    if not cell.exists:
        return "x"
    return "y" if cell.slot in marks[0] else "m" if cell.slot in marks[1] else ""


@lru_cache(maxsize=GRIDS_KEPT)
def my_grid_html(
    spec: GridSpec,
    viewer_tz: str,
    language: str,
    closed: bool,
    marks: Marks,
    busy: frozenset[int] = frozenset(),
):
    """My grid's table: the same for everyone with the same grid, zone, language and marks
    (and `busy` slots from their own calendar, lobbies/availability/calendar_import.py)."""
    labels = labels_for(spec, viewer_tz, language)
    view = grid_view(spec, viewer_tz)
    rows = [
        {
            **label,
            "cells": [(cell.slot, _state(cell, marks), cell.slot in busy) for cell in row.cells],
        }
        for label, row in zip(labels.rows, view.rows, strict=True)
    ]
    context = {"grid": labels, "rows": rows, "closed": closed}
    return mark_safe(render_to_string(f"{GRID_TEMPLATE}#my-grid", context))


@lru_cache(maxsize=GRIDS_KEPT)
def day_editor_html(spec: GridSpec, viewer_tz: str, language: str, closed: bool, day: int, marks):
    """One day of my grid as checkboxes: how the grid is edited without JavaScript."""
    view = grid_view(spec, viewer_tz)
    times = [
        {
            "slot": row.cells[day].slot,
            "label": row_label(row, spec.whole_day, spec),
            "exists": row.cells[day].exists,
            "yes": row.cells[day].slot in marks[0],
            "maybe": row.cells[day].slot in marks[1],
        }
        for row in view.rows
        if row.cells[day].slot is not None
    ]
    label = _("Your marks on %(day)s") % {"day": day_label(view.columns[day])}
    context = {"editor": {"label": label, "times": times}, "closed": closed}
    return mark_safe(render_to_string(f"{GRID_TEMPLATE}#day-table", context))


def _number(text: str | None, limit: int) -> int | None:
    if not text or not text.isdigit() or len(text) > 5 or int(text) >= limit:
        return None
    return int(text)


def availability_context(
    request: HttpRequest,
    snapshot: LobbySnapshot,
    seat: str,
    *,
    marks: Marks | None = None,
    error: str | None = None,
) -> dict:
    """What _availability.html needs. `marks` shows a refused save back as it was sent, in
    the day editor (where it was typed); the grid always shows what is stored. A refusal of
    the day editor's save is said in the day editor, where the person is."""
    lobby = snapshot.lobby
    spec = spec_for(lobby)
    viewer_tz = viewer_zone(request, lobby)
    language = get_language()
    stored = answers_of(snapshot).get(seat)
    me = snapshot.participant(seat)
    saved = stored or NO_MARKS
    marks = marks or saved
    from_day_editor = "day" in request.POST
    closed = answers_closed_reason(lobby)
    labels = labels_for(spec, viewer_tz, language)
    # A refused save from the day editor shows that day again, as it was sent.
    day = _number(request.GET.get("day") or request.POST.get("day"), len(labels.columns)) or 0
    client_key = request.GET.get("grid")
    key = grid_key(spec)
    return {
        "key": key,
        "viewer_tz": viewer_tz,
        "lobby_tz": lobby.timezone,
        "organizer_zone": chosen_zone(request) is None,
        "other_zone": viewer_tz != lobby.timezone and not spec.whole_day,
        "slot_count": spec.slot_count,
        "grid": labels,
        "grid_html": my_grid_html(spec, viewer_tz, language, bool(closed), saved),
        "day": day,
        "day_html": day_editor_html(spec, viewer_tz, language, bool(closed), day, marks),
        "answered": stored is not None,
        "stale": me is not None and me.answered_at is not None and stored is None,
        "closed": closed,
        "error": None if from_day_editor else error,
        "day_error": error if from_day_editor else None,
        "grid_changed": bool(client_key) and client_key != key,
    }


@lru_cache(maxsize=64)
def zone_options_html(viewer_tz: str, language: str) -> SafeString:
    """The zone picker's <option>s (about 430), rendered once per zone and language."""
    context = {"choices": timezone_choices(viewer_tz), "selected": viewer_tz}
    return mark_safe(render_to_string("lobbies/_availability.html#tz-options", context))


# --- the group view ----------------------------------------------------------------------------


def filter_ids(request: HttpRequest, answers: Mapping[str, object]) -> tuple[str, ...] | None:
    """The participants the heatmap is filtered to, or None for everyone who answered.

    The filter form sends `known` (everyone it listed, comma-separated) and `only` (those
    ticked), so it hides known - only; someone who answers later is shown until unticked.
    """
    known = {pid for value in request.GET.getlist("known") for pid in value.split(",") if pid}
    hidden = known - set(request.GET.getlist("only"))
    if not hidden:
        return None
    return tuple(pid for pid in answers if pid not in hidden)


def _picked_slot(request: HttpRequest) -> tuple[int, int] | None:
    """The (day, time) the plain "who can come" form asked about, if any."""
    day, time = request.GET.get("day", ""), request.GET.get("time", "")
    if not (day.isdigit() and time.isdigit() and len(day) < 5 and len(time) < 5):
        return None
    return int(day), int(time)


def group_view(request: HttpRequest, snapshot: LobbySnapshot, *, oob: bool = False) -> dict:
    """The group view's HTML (`group_html`), the same for every viewer with the same zone,
    filter and language (`oob`: marked to replace its twin, as the live poll sends it)."""
    viewer_tz = viewer_zone(request, snapshot.lobby)
    chosen = filter_ids(request, answers_of(snapshot))
    variant = (viewer_tz, get_language(), chosen, _picked_slot(request), oob)
    return {"group_html": kept("group", snapshot, variant, lambda: group_html(snapshot, *variant))}


def group_html(snapshot, viewer_tz, language, chosen, picked, oob) -> SafeString:
    group = group_data(snapshot, viewer_tz, language, chosen, picked)
    context = {"group": group, "grid": group["grid"], "lobby": snapshot.lobby, "oob": oob}
    return mark_safe(render_to_string("lobbies/_group_view.html#group-view", context))


def group_data(snapshot, viewer_tz, language, chosen, picked) -> dict:
    spec = spec_for(snapshot.lobby)
    answers = answers_of(snapshot)
    people = snapshot.participants
    awaited = snapshot.answering()
    shown = answers if chosen is None else {pid: answers[pid] for pid in chosen}
    counts = windows.slot_counts(spec, shown)
    labels = labels_for(spec, viewer_tz, language)
    name = {pid: person.shown_name for pid, person in people.items()}
    best = windows.best_windows(spec, int(snapshot.lobby.meeting_minutes), answers, BEST_TIMES)
    total = len(answers) if chosen is None else len(chosen)
    return {
        "grid": labels,
        "rows": _heat_rows(spec, viewer_tz, labels, counts, total),
        "total": total,
        # A deleted account's marks are answers it gave: counted, as the heatmap shows them.
        # Nobody waits for such a seat, so one with no marks is counted nowhere.
        "answered_count": len(answers),
        # Marks too short for the meeting are not "nobody has marked one" (the empty state).
        "any_marked": any(yes or maybe for yes, maybe in answers.values()),
        "people_count": len(awaited.keys() | answers.keys()),
        "filtering": chosen is not None,
        "filter_query": _filter_query(answers, chosen),
        "known": ",".join(answers),
        "filter_choices": [
            {"id": pid, "name": name[pid], "checked": chosen is None or pid in chosen}
            for pid in answers
        ],
        "not_answered": [p.display_name for pid, p in awaited.items() if pid not in answers],
        "best": [_best(window, name, viewer_tz, spec.whole_day) for window in best],
        "details": _details(snapshot, spec, viewer_tz, picked, chosen),
        "legend": list(range(HEAT_LEVELS + 1)),
    }


def _filter_query(answers, chosen) -> str:
    """The filter as query parameters, for the `who` requests grid.js makes."""
    if chosen is None:
        return ""
    known = f"known={','.join(answers)}"
    only = "&".join(f"only={pid}" for pid in chosen)
    return "&".join(part for part in (known, only) if part)


def _best(window, name: Mapping[str, str], viewer_tz: str, whole_day: bool) -> dict:
    return {
        "label": window_label(window, viewer_tz, whole_day),
        "start_slot": window.start_slot,
        "yes": [name[pid] for pid in window.yes],
        "maybe": [name[pid] for pid in window.maybe],
        "missing": [name[pid] for pid in window.missing],
    }


def _level(count: int, total: int) -> int:
    if not count or not total:
        return 0
    return max(1, -(-count * HEAT_LEVELS // total))


def _heat_cell(cell, counts, total: int) -> tuple[str, str]:
    """(CSS classes, text) of one heatmap cell: the text is the count that can come, and
    after a plus sign the count that could if need be."""
    if cell.slot is None:
        return "h-none", ""
    count = counts.get(cell.slot)
    if count is None:
        return "h-x", "–"
    yes, maybe = count
    level = f"h{_level(yes, total)}"
    if maybe:
        return f"{level} hm", f"{yes}+{maybe}"
    return level, str(yes)


def _heat_rows(spec, viewer_tz, labels: Labels, counts, total: int) -> list[dict]:
    view = grid_view(spec, viewer_tz)
    return [
        {**label, "cells": [_heat_cell(cell, counts, total) for cell in row.cells]}
        for label, row in zip(labels.rows, view.rows, strict=True)
    ]


def who_can_come(snapshot, spec: GridSpec, cell, row, chosen=None) -> dict:
    """Who can come at one cell of the viewer's grid: the panel beside the heatmap."""
    answers = answers_of(snapshot)
    shown = answers if chosen is None else {pid: answers[pid] for pid in chosen}
    tally = windows.tally_at(spec, shown, cell.slot) if cell.slot is not None else None
    when = cell_label(cell.date, row, spec.whole_day, spec)
    if tally is None:
        return {"when": when, "missing": True}
    name = {pid: person.shown_name for pid, person in snapshot.participants.items()}
    return {
        "when": when,
        "yes": [name[pid] for pid in tally.yes],
        "maybe": [name[pid] for pid in tally.maybe],
        "no": [name[pid] for pid in tally.no],
    }


def _details(snapshot, spec, viewer_tz, picked, chosen) -> dict | None:
    """Who can come at the slot picked with the plain form (?day=&time=), for readers
    without JavaScript; grid.js asks the `who` view for the same on hover, focus and tap."""
    if picked is None:
        return None
    view = grid_view(spec, viewer_tz)
    day_index, row_index = picked
    if day_index >= len(view.columns) or row_index >= len(view.rows):
        return None
    row = view.rows[row_index]
    who = who_can_come(snapshot, spec, row.cells[day_index], row, chosen)
    return {"day": day_index, "time": row_index, **who}


def slot_details(request: HttpRequest, snapshot: LobbySnapshot) -> dict | None:
    """Who can come at the cell ?day=&time= of the viewer's grid (with the viewer's filter)."""
    spec = spec_for(snapshot.lobby)
    viewer_tz = viewer_zone(request, snapshot.lobby)
    chosen = filter_ids(request, answers_of(snapshot))
    return _details(snapshot, spec, viewer_tz, _picked_slot(request), chosen)
