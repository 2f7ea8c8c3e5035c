"""Reading a save of someone's availability, beside the views that receive it.

A save arrives in one of three shapes, all read by `read_marks`:
- from grid.js: `yes` and `maybe`, each the hex text of a bitmap over the whole grid;
- from the plain day editor (no JavaScript): `day` (a column of the viewer's grid) and one
  `y` and/or `m` checkbox value per marked slot of that day; other days keep their marks;
- a quick action from the plain form: `fill` (`col:<i>`, `row:<i>` or `clear-all`) with
  `mark` (`yes`, `maybe` or `clear`), applied to the marks already saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext as _

from lobbies.availability import grid
from lobbies.availability.answers import Marks
from lobbies.availability.grid import GridSpec
from lobbies.availability.layout import GridView, view_grid
from lobbies.availability.slots import SlotSet
from lobbies.errors import InvalidMarks
from lobbies.page.labels import cell_label

MARKS = ("yes", "maybe", "clear")


@lru_cache(maxsize=settings.LOBBY_GRIDS_KEPT)
def grid_view(spec: GridSpec, viewer_tz: str) -> GridView:
    return view_grid(spec, viewer_tz)


def _outside() -> InvalidMarks:
    return InvalidMarks(
        _("Some of the chosen times are not part of this lobby's grid. Reload the page.")
    )


def _bitmap(text: str, length: int) -> SlotSet:
    try:
        data = grid.bitmap_from_text(text)
    except ValueError as error:
        raise InvalidMarks(_("The availability data is malformed. Reload the page.")) from error
    if len(data) != (length + 7) // 8:
        raise InvalidMarks(
            _("The availability data does not fit this lobby's grid. Reload the page.")
        )
    try:
        return SlotSet.from_bitmap(data, length)
    except ValueError as error:
        raise _outside() from error


def _index(text: str | None, limit: int) -> int:
    if not text or not text.isdigit() or len(text) > 5 or int(text) >= limit:
        raise _outside()
    return int(text)


def _slots(values: list[str], allowed: frozenset[int]) -> frozenset[int]:
    if len(values) > len(allowed):
        raise _outside()
    slots = frozenset(_index(value, 10**6) for value in values)
    if not slots <= allowed:
        raise _outside()
    return slots


def column_slots(view: GridView, column: int) -> frozenset[int]:
    """The slots shown in one column (a day) of the viewer's grid."""
    return frozenset(
        row.cells[column].slot
        for row in view.rows
        if row.cells[column].slot is not None and row.cells[column].exists
    )


def _row_slots(view: GridView, row: int) -> frozenset[int]:
    return frozenset(
        cell.slot for cell in view.rows[row].cells if cell.slot is not None and cell.exists
    )


def read_marks(data: Mapping, spec: GridSpec, viewer_tz: str, stored: Marks) -> Marks:
    """The (yes, maybe) a save asks for, or InvalidMarks. `stored` are the marks saved
    before, which the day editor and the quick actions change. Not yet checked against double
    marks or the clocks' gaps (`check_marks`), so a refused form can be shown back as sent."""
    if "yes" in data or "maybe" in data:
        yes = _bitmap(data.get("yes", ""), spec.slot_count)
        maybe = _bitmap(data.get("maybe", ""), spec.slot_count)
    else:
        yes, maybe = stored
        view = grid_view(spec, viewer_tz)
        if data.get("day") is not None:
            day = column_slots(view, _index(data.get("day"), len(view.columns)))
            yes = (yes - day) | _slots(data.getlist("y"), day)
            maybe = (maybe - day) | _slots(data.getlist("m"), day)
    fill = data.get("fill")
    if fill:
        yes, maybe = _apply_fill(spec, viewer_tz, fill, data.get("mark", "yes"), (yes, maybe))
    return yes, maybe


def _apply_fill(spec: GridSpec, viewer_tz: str, fill: str, mark: str, marks: Marks) -> Marks:
    """A whole column or row of the viewer's grid, or everything cleared."""
    if mark not in MARKS:
        raise InvalidMarks(_("Choose “yes”, “if need be” or “clear”."))
    if fill == "clear-all":
        return frozenset(), frozenset()
    view = grid_view(spec, viewer_tz)
    kind, _sep, number = fill.partition(":")
    if kind == "col":
        chosen = column_slots(view, _index(number, len(view.columns)))
    elif kind == "row":
        chosen = _row_slots(view, _index(number, len(view.rows)))
    else:
        raise _outside()
    yes, maybe = marks[0] - chosen, marks[1] - chosen
    if mark == "yes":
        yes |= chosen
    elif mark == "maybe":
        maybe |= chosen
    return yes, maybe


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
        raise _outside() from error


def describe_slot(spec: GridSpec, slot: int, viewer_tz: str) -> str:
    for row in grid_view(spec, viewer_tz).rows:
        for cell in row.cells:
            if cell.slot == slot:
                return cell_label(cell.date, row, spec.whole_day, spec)
    return str(slot)
