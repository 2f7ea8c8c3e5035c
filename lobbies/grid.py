"""A lobby's time grid: candidate dates x a daily window, cut into slots.

Pure code, no Django and no PynamoDB, so it can be tested fast and reused by services, views and
management commands alike.

The grid is defined in the lobby's time zone in *wall-clock* terms ("09:00 to 17:00 every day"),
because that is how people plan. A slot is numbered ``day_index * slots_per_day + slot_in_day``,
and that number is what availability bitmaps store. When clocks jump (DST), the numbering does not
change: a slot whose start time is skipped still has its number but does not exist, and a time that
happens twice is a slot once (its first occurrence).

Heavy lifting (best windows, heatmap) uses Python ints as bitsets: bit ``i`` is slot ``i``. Big-int
shifts and ANDs run in C over the whole grid at once, which keeps a 50-person, two-week,
15-minute grid well inside a page request.
"""

from __future__ import annotations

import heapq
import operator
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from itertools import compress
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WHOLE_DAY = 1440
"""``slot_minutes`` value meaning "whole days": one slot per date, no daily window."""

SLOT_LENGTHS = (15, 30, 60, WHOLE_DAY)
MINUTES_PER_DAY = 1440

_HEX = re.compile(r"[0-9a-fA-F]*")


def get_zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, or ValueError: callers only need to handle one error type."""
    if not isinstance(name, str) or not name:
        raise ValueError("A time zone is required.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        # ValueError covers malformed keys such as absolute paths or "../x".
        raise ValueError(f"Unknown time zone: {name!r}.") from exc


def _is_int(value: object) -> bool:
    # bool is an int subclass; True as a minute count is always a bug.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class GridSpec:
    """Candidate dates x a daily window, in slots, in the lobby's time zone.

    ``day_start``/``day_end`` are minutes after local midnight (``day_end`` may be 1440, the
    midnight that ends the day). If the window is not a whole number of slots, the trailing
    partial slot is dropped. Whole-day grids (``slot_minutes == WHOLE_DAY``) have one slot per
    date running midnight to midnight; their window fields are validated but otherwise unused.
    """

    dates: tuple[date, ...]
    day_start: int
    day_end: int
    slot_minutes: int
    tz: str

    def __post_init__(self) -> None:
        if not isinstance(self.dates, tuple):
            # Accept lists from callers, but keep the frozen value hashable.
            object.__setattr__(self, "dates", tuple(self.dates))
        self._validate_dates()
        self._validate_window()
        get_zone(self.tz)

    def _validate_dates(self) -> None:
        if not self.dates:
            raise ValueError("Pick at least one date.")
        for value in self.dates:
            # datetime is a date subclass, but a datetime here means the caller mixed up types.
            if not isinstance(value, date) or isinstance(value, datetime):
                raise ValueError(f"Not a date: {value!r}.")
        for earlier, later in zip(self.dates, self.dates[1:], strict=False):
            if later == earlier:
                raise ValueError(f"The date {later.isoformat()} is listed twice.")
            if later < earlier:
                raise ValueError("The dates must be in order.")

    def _validate_window(self) -> None:
        if not _is_int(self.slot_minutes) or self.slot_minutes not in SLOT_LENGTHS:
            raise ValueError(
                f"The slot length must be 15, 30 or 60 minutes or a whole day, "
                f"not {self.slot_minutes!r}."
            )
        if not _is_int(self.day_start) or not 0 <= self.day_start < MINUTES_PER_DAY:
            raise ValueError("The day must start between 00:00 and 23:59.")
        if not _is_int(self.day_end) or not 0 < self.day_end <= MINUTES_PER_DAY:
            raise ValueError("The day must end between 00:01 and 24:00.")
        if self.day_end <= self.day_start:
            raise ValueError("The day must end after it starts.")
        if self.slot_minutes != WHOLE_DAY and self.day_end - self.day_start < self.slot_minutes:
            raise ValueError("The daily window is shorter than one slot.")

    @property
    def zone(self) -> ZoneInfo:
        return get_zone(self.tz)

    @property
    def whole_day(self) -> bool:
        return self.slot_minutes == WHOLE_DAY

    @property
    def slots_per_day(self) -> int:
        if self.whole_day:
            return 1
        return (self.day_end - self.day_start) // self.slot_minutes

    @property
    def slot_count(self) -> int:
        return len(self.dates) * self.slots_per_day

    def meeting_slots(self, meeting_minutes: int) -> int:
        """How many consecutive slots a meeting needs: at least one; a whole-day grid needs one."""
        if not _is_int(meeting_minutes) or meeting_minutes < 0:
            raise ValueError("The meeting length must be a positive number of minutes.")
        if self.whole_day:
            return 1
        return max(1, -(-meeting_minutes // self.slot_minutes))

    def slot_index(self, day_index: int, slot_in_day: int) -> int:
        if not 0 <= day_index < len(self.dates):
            raise ValueError(f"Day {day_index} is outside this grid.")
        if not 0 <= slot_in_day < self.slots_per_day:
            raise ValueError(f"Slot {slot_in_day} is outside the daily window.")
        return day_index * self.slots_per_day + slot_in_day

    def slot_position(self, index: int) -> tuple[int, int]:
        """(day index, slot in day) of a slot number."""
        self._check_index(index)
        return divmod(index, self.slots_per_day)

    def _check_index(self, index: int) -> None:
        if not _is_int(index) or not 0 <= index < self.slot_count:
            raise ValueError(f"Slot {index!r} is outside this grid.")

    def _wall_start(self, index: int) -> datetime:
        """Naive local start: wall-clock arithmetic on purpose, DST does not move the grid."""
        day_index, slot_in_day = self.slot_position(index)
        midnight = datetime.combine(self.dates[day_index], time())
        if self.whole_day:
            return midnight
        return midnight + timedelta(minutes=self.day_start + slot_in_day * self.slot_minutes)

    def _wall_end(self, index: int) -> datetime:
        return self._wall_start(index) + timedelta(minutes=self.slot_minutes)

    def slot_start(self, index: int) -> datetime:
        """Aware start in the lobby's zone. A repeated time is its first occurrence (fold=0)."""
        return self._wall_start(index).replace(tzinfo=self.zone)

    def slot_end(self, index: int) -> datetime:
        return self._wall_end(index).replace(tzinfo=self.zone)

    def slot_exists(self, index: int) -> bool:
        """False when the clocks skip the slot's start (spring forward); such a slot can't be
        answered. A whole day exists unless the zone skipped the entire date."""
        self._check_index(index)
        return index in self._existing

    def existing_slots(self) -> frozenset[int]:
        return self._existing

    @cached_property
    def _existing(self) -> frozenset[int]:
        zone = self.zone
        step = timedelta(minutes=self.slot_minutes)
        existing = []
        index = 0
        for day in self.dates:
            midnight = datetime.combine(day, time())
            if self.whole_day:
                # A day exists if it lasts: Pacific/Apia skipped 2011-12-30 entirely.
                start = midnight.replace(tzinfo=zone).astimezone(UTC)
                end = (midnight + step).replace(tzinfo=zone).astimezone(UTC)
                if end > start:
                    existing.append(index)
                index += 1
                continue
            wall = midnight + timedelta(minutes=self.day_start)
            for _ in range(self.slots_per_day):
                if _wall_exists(wall, zone):
                    existing.append(index)
                wall += step
                index += 1
        return frozenset(existing)

    @cached_property
    def _powers(self) -> dict[int, int]:
        return {index: 1 << index for index in range(self.slot_count)}

    @cached_property
    def existing_mask(self) -> int:
        """Existing slots as an int bitset (bit i = slot i)."""
        return _mask_of(self._existing, self._powers)

    def mask_of(self, indices: Iterable[int]) -> int:
        """Slot numbers -> int bitset (bit i = slot i); numbers outside the grid are ignored."""
        return _mask_of(indices, self._powers)


def _wall_exists(wall: datetime, zone: ZoneInfo) -> bool:
    """A wall time exists iff it survives a round trip through UTC (gaps come back shifted)."""
    round_trip = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return round_trip.replace(tzinfo=None) == wall


# --- bitmaps -------------------------------------------------------------------------------------


def _bitmap_size(length: int) -> int:
    if not _is_int(length) or length < 0:
        raise ValueError(f"Invalid bitmap length: {length!r}.")
    return (length + 7) // 8


def encode_bitmap(indices: Iterable[int], length: int) -> bytes:
    """Slot numbers -> bytes; slot i is byte i//8, bit i%8 counted from the most significant.

    MSB-first matches how the bytes read in hex, so the JS grid code and humans agree.
    """
    data = bytearray(_bitmap_size(length))
    for raw in indices:
        index = operator.index(raw)
        if not 0 <= index < length:
            raise ValueError(f"Slot {index} is outside a grid of {length} slots.")
        data[index >> 3] |= 0x80 >> (index & 7)
    return bytes(data)


def decode_bitmap(data: bytes, length: int) -> frozenset[int]:
    """Inverse of encode_bitmap; strict, so a bitmap stored for another grid shape is caught."""
    size = _bitmap_size(length)
    if len(data) != size:
        raise ValueError(f"Expected {size} bytes for {length} slots, got {len(data)}.")
    indices = []
    for byte_index, byte in enumerate(data):
        if not byte:
            continue
        base = byte_index << 3
        indices.extend(base + bit for bit in range(8) if byte & (0x80 >> bit))
    if indices and indices[-1] >= length:
        raise ValueError(f"Bits are set beyond the grid's {length} slots.")
    return frozenset(indices)


def bitmap_to_text(data: bytes) -> str:
    """Lowercase hex: URL-safe, trivial to read in JS, and obviously one byte per two chars."""
    return bytes(data).hex()


def bitmap_from_text(text: str) -> bytes:
    if not isinstance(text, str) or len(text) % 2 or not _HEX.fullmatch(text):
        # bytes.fromhex alone would accept spaces; form input must be exact.
        raise ValueError("Malformed availability data.")
    return bytes.fromhex(text)


# --- availability validation ---------------------------------------------------------------------


class AvailabilityError(ValueError):
    """Invalid availability; ``code`` lets views pick a translated message, ``slot`` says where.

    Codes: ``"outside"`` (not a slot of this grid), ``"both"`` (yes and if need be at once),
    ``"skipped"`` (the clocks skip that time).
    """

    def __init__(self, message: str, code: str, slot: object) -> None:
        super().__init__(message)
        self.code = code
        self.slot = slot


def validate_availability(spec: GridSpec, yes: AbstractSet[int], maybe: AbstractSet[int]) -> None:
    """Raise AvailabilityError (a ValueError) for the first problem, in slot order."""
    for index in [*yes, *maybe]:
        if not _is_int(index) or not 0 <= index < spec.slot_count:
            raise AvailabilityError(
                "Some of the chosen times are not part of this lobby's grid; "
                "reload the page and try again.",
                "outside",
                index,
            )
    both = yes & maybe
    if both:
        index = min(both)
        raise AvailabilityError(
            f"{_describe(spec, index)} is marked both “yes” and “if need be”; pick one.",
            "both",
            index,
        )
    skipped = sorted((set(yes) | set(maybe)) - spec.existing_slots())
    if skipped:
        index = skipped[0]
        raise AvailabilityError(
            f"{_describe(spec, index)} does not exist in {spec.tz}: the clocks skip it.",
            "skipped",
            index,
        )


def _describe(spec: GridSpec, index: int) -> str:
    wall = spec._wall_start(index)
    if spec.whole_day:
        return wall.date().isoformat()
    return f"{wall:%H:%M} on {wall.date().isoformat()}"


# --- int bitsets ---------------------------------------------------------------------------------


def _mask_of(indices: Iterable[int], powers: Mapping[int, int]) -> int:
    """Slot numbers -> int bitset (``powers[i] == 1 << i``), ignoring numbers outside the grid.

    Stored answers can outlive a grid edit; dropping stale bits beats failing a page render.
    A dict of powers makes any stale number (negative, too big, not an int) a KeyError, so the
    common, valid case runs one plain loop with no per-item range check.
    """
    if not isinstance(indices, Collection):
        indices = list(indices)
    mask = 0
    try:
        for index in indices:
            mask |= powers[index]
    except (KeyError, TypeError):
        mask = 0
        for index in indices:
            if _is_int(index) and index in powers:
                mask |= powers[index]
    return mask


def _byte_row(mask: int, length: int) -> bytes:
    """An int bitset as `length` bytes, byte i = bit i (0 or 1), for C-speed zip/compress."""
    return format(mask, f"0{length}b")[::-1].encode("ascii").translate(_BIT_BYTES)


_BIT_BYTES = bytes.maketrans(b"01", b"\x00\x01")


def _bits(mask: int) -> Iterator[int]:
    """Indices of the set bits, ascending."""
    text = bin(mask)[:1:-1]  # least significant bit first, without "0b"
    find = text.find
    index = find("1")
    while index >= 0:
        yield index
        index = find("1", index + 1)


def _runs(mask: int, width: int) -> int:
    """Bit s set iff bits s..s+width-1 are all set in mask, in O(log width) big-int ops."""
    covered = 1
    while covered < width:
        step = min(covered, width - covered)
        mask &= mask >> step
        covered += step
    return mask


def _add(counter: list[int], mask: int) -> None:
    """Add 1 to every position set in mask, on a bit-sliced counter (plane b = bit b of counts).

    One ripple-carry over a handful of big ints per participant, instead of a Python loop per
    slot: this is what keeps best_windows fast.
    """
    carry = mask
    for plane_index, plane in enumerate(counter):
        if not carry:
            return
        counter[plane_index] = plane ^ carry
        carry &= plane
    if carry:
        counter.append(carry)


def _counts(counter: list[int], length: int) -> list[int]:
    values = [0] * length
    for plane_index, plane in enumerate(counter):
        weight = 1 << plane_index
        for index in _bits(plane):
            values[index] += weight
    return values


# --- best windows and heatmap --------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A candidate meeting time: ``slot_count`` consecutive slots from ``start_slot``, in one day.

    ``yes`` can come, ``maybe`` can come if need be, ``missing`` can't; participant ids in the
    order the answers were given.
    """

    start_slot: int
    slot_count: int
    start: datetime
    end: datetime
    yes: tuple[str, ...]
    maybe: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class SlotTally:
    yes: tuple[str, ...]
    maybe: tuple[str, ...]
    no: tuple[str, ...]


Answers = Mapping[str, tuple[AbstractSet[int], AbstractSet[int]]]


def _answer_masks(spec: GridSpec, answers: Answers) -> list[tuple[str, int, int]]:
    """(id, yes mask, maybe mask) limited to existing slots; yes wins over a double mark."""
    grid = spec.existing_mask
    masks = []
    for participant_id, (yes, maybe) in answers.items():
        yes_mask = spec.mask_of(yes) & grid
        maybe_mask = spec.mask_of(maybe) & grid & ~yes_mask
        masks.append((participant_id, yes_mask, maybe_mask))
    return masks


def _window_starts(spec: GridSpec, width: int) -> int:
    """Slots where a window of `width` existing slots can start without leaving its day."""
    per_day = spec.slots_per_day
    if width > per_day:
        return 0
    day_starts = (1 << (per_day - width + 1)) - 1
    starts = 0
    for day_index in range(len(spec.dates)):
        starts |= day_starts << (day_index * per_day)
    return starts & _runs(spec.existing_mask, width)


def best_windows(
    spec: GridSpec,
    meeting_minutes: int,
    answers: Answers,
    top: int = 5,
) -> list[Window]:
    """The `top` windows, most can-come first, then most if-need-be, then earliest.

    A window nobody can attend, even if need be, is left out. A skipped (DST) slot breaks a
    window, so no window spans a time that does not exist.
    """
    if not _is_int(top) or top < 0:
        raise ValueError("top must be a non-negative number.")
    width = spec.meeting_slots(meeting_minutes)
    starts = _window_starts(spec, width)
    if not starts or not top:
        return []

    masks = _answer_masks(spec, answers)
    can_come: list[tuple[str, int, int]] = []  # id, all-yes starts, all-yes-or-maybe starts
    yes_counter: list[int] = []
    any_counter: list[int] = []
    for participant_id, yes_mask, maybe_mask in masks:
        yes_starts = _runs(yes_mask, width) & starts
        any_starts = _runs(yes_mask | maybe_mask, width) & starts
        can_come.append((participant_id, yes_starts, any_starts))
        _add(yes_counter, yes_starts)
        _add(any_counter, any_starts)

    length = spec.slot_count
    yes_counts = _counts(yes_counter, length)
    any_counts = _counts(any_counter, length)
    ranked = heapq.nsmallest(
        top,
        (
            (-yes_counts[s], yes_counts[s] - any_counts[s], s)
            for s in _bits(starts)
            if any_counts[s]
        ),
    )
    return [_window(spec, start, width, can_come) for _, _, start in ranked]


def window_at(spec: GridSpec, start: int, width: int, answers: Answers) -> Window:
    """Any window, not only a best one (the organizer may settle on another), with who can
    come, who could if need be and who would miss it."""
    bit = 1 << start
    can_come = [
        (participant_id, _runs(yes_mask, width) & bit, _runs(yes_mask | maybe_mask, width) & bit)
        for participant_id, yes_mask, maybe_mask in _answer_masks(spec, answers)
    ]
    return _window(spec, start, width, can_come)


def _window(spec: GridSpec, start: int, width: int, can_come: list[tuple[str, int, int]]) -> Window:
    bit = 1 << start
    yes, maybe, missing = [], [], []
    for participant_id, yes_starts, any_starts in can_come:
        if yes_starts & bit:
            yes.append(participant_id)
        elif any_starts & bit:
            maybe.append(participant_id)
        else:
            missing.append(participant_id)
    return Window(
        start_slot=start,
        slot_count=width,
        start=spec.slot_start(start),
        end=spec.slot_end(start + width - 1),
        yes=tuple(yes),
        maybe=tuple(maybe),
        missing=tuple(missing),
    )


def heatmap(spec: GridSpec, answers: Answers) -> dict[int, SlotTally]:
    """Who said yes / if need be / nothing, for every existing slot (ids in answer order).

    The output is participants x slots ids, so a Python loop per (slot, participant) would
    dominate; instead each participant becomes a row of 0/1 bytes and zip() transposes the rows
    into per-slot columns that itertools.compress turns into id tuples, all in C.
    """
    length = spec.slot_count
    grid = spec.existing_mask
    ids: list[str] = []
    yes_rows: list[bytes] = []
    maybe_rows: list[bytes] = []
    no_rows: list[bytes] = []
    for participant_id, yes_mask, maybe_mask in _answer_masks(spec, answers):
        ids.append(participant_id)
        yes_rows.append(_byte_row(yes_mask, length))
        maybe_rows.append(_byte_row(maybe_mask, length))
        no_rows.append(_byte_row(grid & ~(yes_mask | maybe_mask), length))
    existing = spec.existing_slots()
    if not ids:
        return dict.fromkeys(sorted(existing), SlotTally((), (), ()))
    # zip(*rows) yields one column per slot: the 0/1 flags of every participant for that slot.
    columns = zip(
        range(length),
        zip(*yes_rows, strict=True),
        zip(*maybe_rows, strict=True),
        zip(*no_rows, strict=True),
        strict=True,
    )
    return {
        index: SlotTally(
            tuple(compress(ids, yes_column)),
            tuple(compress(ids, maybe_column)),
            tuple(compress(ids, no_column)),
        )
        for index, yes_column, maybe_column, no_column in columns
        if index in existing
    }


# --- the grid as a viewer in another zone sees it ------------------------------------------------


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
    wall = spec._wall_start(index)
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
