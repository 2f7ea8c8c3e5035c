"""A lobby's grid as a viewer in another time zone sees it: columns are the viewer's dates,
rows the viewer's start times, and each of the lobby's slots appears exactly once.

Pure code over lobbies/availability/grid.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from lobbies.availability import weekly
from lobbies.availability.grid import GridSpec, get_zone


@dataclass(frozen=True)
class GridCell:
    """One cell of a viewer's grid. ``slot`` is None where the lobby has no slot.

    ``exists`` is False for an empty cell and for a slot the clocks skip. ``start`` is the slot's
    start in the viewer's zone (for a skipped slot, its nominal position; for whole days, the
    lobby's midnight converted), None for an empty cell.
    """

    date: date
    time: time | None
    slot: int | None
    exists: bool
    start: datetime | None


@dataclass(frozen=True)
class GridRow:
    """A row of cells sharing the viewer's local start time.

    ``fold`` is 1 for the second occurrence of a repeated local time (the viewer's clocks fall
    back). ``skipped`` marks an extra row holding only skipped lobby slots whose nominal time
    coincides with a real slot in the viewer's zone (the lobby's gap has no length elsewhere).
    """

    time: time | None
    fold: int
    skipped: bool
    cells: tuple[GridCell, ...]


@dataclass(frozen=True)
class GridView:
    tz: str
    whole_day: bool
    columns: tuple[date, ...]
    rows: tuple[GridRow, ...]


# Rows sort by (time, fold, lane); skipped-slot lanes (below the normal one) sort first because
# those slots nominally come just before the real slot they collide with.
_NORMAL_LANE = 1


def view_grid(spec: GridSpec, viewer_tz: str) -> GridView:
    """Lay the lobby's slots out on the viewer's own calendar: columns = viewer dates that hold a
    slot, rows = viewer start times. Each slot appears exactly once."""
    if weekly.is_weekly_grid(spec.dates):
        # Weekday columns hold the lobby's wall-clock times: nothing to convert.
        viewer_tz = spec.tz
    viewer = get_zone(viewer_tz)
    if spec.whole_day:
        return _view_whole_days(spec, viewer_tz, viewer)

    # (viewer date, viewer time, fold, lane) -> (slot, exists, viewer start)
    placed: dict[tuple[date, time, int, int], tuple[int, bool, datetime]] = {}
    existing = spec.existing_slots()
    for index in sorted(existing):
        local = spec.slot_start(index).astimezone(viewer)
        wall = local.replace(tzinfo=None, fold=0)
        placed[(wall.date(), wall.time(), local.fold, _NORMAL_LANE)] = (index, True, local)
    for index in range(spec.slot_count):
        if index in existing:
            continue
        wall = _nominal_viewer_wall(spec, index, viewer)
        lane = _NORMAL_LANE
        while (wall.date(), wall.time(), 0, lane) in placed:
            lane -= 1  # never overwrite: each slot appears exactly once
        placed[(wall.date(), wall.time(), 0, lane)] = (index, False, wall.replace(tzinfo=viewer))

    columns = tuple(sorted({key[0] for key in placed}))
    row_keys = sorted({key[1:] for key in placed})
    rows = []
    for row_time, fold, lane in row_keys:
        cells = []
        for column in columns:
            found = placed.get((column, row_time, fold, lane))
            if found is None:
                cells.append(GridCell(column, row_time, None, False, None))
            else:
                index, exists, start = found
                cells.append(GridCell(column, row_time, index, exists, start))
        rows.append(GridRow(row_time, fold, lane != _NORMAL_LANE, tuple(cells)))
    return GridView(viewer_tz, False, columns, tuple(rows))


def _nominal_viewer_wall(spec: GridSpec, index: int, viewer: ZoneInfo) -> datetime:
    """Where a skipped lobby time would sit on the viewer's clock: shift it by the difference
    between the two zones' offsets just before the jump. Same zone -> the unchanged wall time."""
    wall = spec.wall_start(index)
    zone = spec.zone
    # In a gap, fold=0 uses the offset from before the jump and fold=1 the one after, so the
    # fold=1 reading is an instant shortly before the jump.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lobby_offset = wall.replace(tzinfo=zone, fold=0).utcoffset()
    viewer_offset = before.astimezone(viewer).utcoffset()
    if lobby_offset is None or viewer_offset is None:  # pragma: no cover - ZoneInfo always knows
        return wall
    return wall - lobby_offset + viewer_offset


def _view_whole_days(spec: GridSpec, viewer_tz: str, viewer: ZoneInfo) -> GridView:
    # A date is a date: "Saturday" stays Saturday for everyone, so no conversion of the columns.
    cells = tuple(
        GridCell(
            day,
            None,
            index,
            spec.slot_exists(index),
            spec.slot_start(index).astimezone(viewer),
        )
        for index, day in enumerate(spec.dates)
    )
    return GridView(viewer_tz, True, spec.dates, (GridRow(None, 0, False, cells),))
