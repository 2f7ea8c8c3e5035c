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

import operator
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
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


def is_int(value: object) -> bool:
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
        if not is_int(self.slot_minutes) or self.slot_minutes not in SLOT_LENGTHS:
            raise ValueError(
                f"The slot length must be 15, 30 or 60 minutes or a whole day, "
                f"not {self.slot_minutes!r}."
            )
        if not is_int(self.day_start) or not 0 <= self.day_start < MINUTES_PER_DAY:
            raise ValueError("The day must start between 00:00 and 23:59.")
        if not is_int(self.day_end) or not 0 < self.day_end <= MINUTES_PER_DAY:
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
        if not is_int(meeting_minutes) or meeting_minutes < 0:
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
        if not is_int(index) or not 0 <= index < self.slot_count:
            raise ValueError(f"Slot {index!r} is outside this grid.")

    def wall_start(self, index: int) -> datetime:
        """Naive local start: wall-clock arithmetic on purpose, DST does not move the grid."""
        day_index, slot_in_day = self.slot_position(index)
        midnight = datetime.combine(self.dates[day_index], time())
        if self.whole_day:
            return midnight
        return midnight + timedelta(minutes=self.day_start + slot_in_day * self.slot_minutes)

    def wall_end(self, index: int) -> datetime:
        return self.wall_start(index) + timedelta(minutes=self.slot_minutes)

    def slot_start(self, index: int) -> datetime:
        """Aware start in the lobby's zone. A repeated time is its first occurrence (fold=0)."""
        return self.wall_start(index).replace(tzinfo=self.zone)

    def slot_end(self, index: int) -> datetime:
        return self.wall_end(index).replace(tzinfo=self.zone)

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
        return mask_over(self._existing, self._powers)

    def mask_of(self, indices: Iterable[int]) -> int:
        """Slot numbers -> int bitset (bit i = slot i); numbers outside the grid are ignored."""
        return mask_over(indices, self._powers)


def _wall_exists(wall: datetime, zone: ZoneInfo) -> bool:
    """A wall time exists iff it survives a round trip through UTC (gaps come back shifted)."""
    round_trip = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return round_trip.replace(tzinfo=None) == wall


# --- bitmaps -------------------------------------------------------------------------------------


def _bitmap_size(length: int) -> int:
    if not is_int(length) or length < 0:
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
        if not is_int(index) or not 0 <= index < spec.slot_count:
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
    wall = spec.wall_start(index)
    if spec.whole_day:
        return wall.date().isoformat()
    return f"{wall:%H:%M} on {wall.date().isoformat()}"


# --- int bitsets ---------------------------------------------------------------------------------


def mask_over(indices: Iterable[int], powers: Mapping[int, int]) -> int:
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
            if is_int(index) and index in powers:
                mask |= powers[index]
    return mask


def byte_row(mask: int, length: int) -> bytes:
    """An int bitset as `length` bytes, byte i = bit i (0 or 1), for C-speed zip/compress."""
    return format(mask, f"0{length}b")[::-1].encode("ascii").translate(_BIT_BYTES)


_BIT_BYTES = bytes.maketrans(b"01", b"\x00\x01")


def bits_of(mask: int) -> Iterator[int]:
    """Indices of the set bits, ascending."""
    text = bin(mask)[:1:-1]  # least significant bit first, without "0b"
    find = text.find
    index = find("1")
    while index >= 0:
        yield index
        index = find("1", index + 1)


def runs_of(mask: int, width: int) -> int:
    """Bit s set iff bits s..s+width-1 are all set in mask, in O(log width) big-int ops."""
    covered = 1
    while covered < width:
        step = min(covered, width - covered)
        mask &= mask >> step
        covered += step
    return mask


def add_bits(counter: list[int], mask: int) -> None:
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


def bit_counts(counter: list[int], length: int) -> list[int]:
    values = [0] * length
    for plane_index, plane in enumerate(counter):
        weight = 1 << plane_index
        for index in bits_of(plane):
            values[index] += weight
    return values
