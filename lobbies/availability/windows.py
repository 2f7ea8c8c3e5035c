"""Best meeting windows and the heatmap of a grid: who can come when.

Pure code over grid.py's slots. Heavy lifting uses Python ints as bitsets: bit ``i`` is
slot ``i``. Big-int shifts and ANDs run in C over the whole grid at once, which keeps a
50-person, two-week, 15-minute grid well inside a page request.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from itertools import compress

from lobbies.availability.grid import (
    GridSpec,
    add_bits,
    bit_counts,
    bits_of,
    byte_row,
    is_int,
    runs_of,
)
from lobbies.availability.slots import SlotSet


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


def _mask(spec: GridSpec, slots: AbstractSet[int]) -> int:
    return slots.mask if isinstance(slots, SlotSet) else spec.mask_of(slots)


def _answer_masks(spec: GridSpec, answers: Answers) -> list[tuple[str, int, int]]:
    """(id, yes mask, maybe mask) limited to existing slots; yes wins over a double mark."""
    grid = spec.existing_mask
    masks = []
    for participant_id, (yes, maybe) in answers.items():
        yes_mask = _mask(spec, yes) & grid
        maybe_mask = _mask(spec, maybe) & grid & ~yes_mask
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
    return starts & runs_of(spec.existing_mask, width)


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
    if not is_int(top) or top < 0:
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
        yes_starts = runs_of(yes_mask, width) & starts
        any_starts = runs_of(yes_mask | maybe_mask, width) & starts
        can_come.append((participant_id, yes_starts, any_starts))
        add_bits(yes_counter, yes_starts)
        add_bits(any_counter, any_starts)

    length = spec.slot_count
    yes_counts = bit_counts(yes_counter, length)
    any_counts = bit_counts(any_counter, length)
    ranked = heapq.nsmallest(
        top,
        (
            (-yes_counts[s], yes_counts[s] - any_counts[s], s)
            for s in bits_of(starts)
            if any_counts[s]
        ),
    )
    return [_window(spec, start, width, can_come) for _, _, start in ranked]


def window_at(spec: GridSpec, start: int, width: int, answers: Answers) -> Window:
    """Any window, not only a best one (the organizer may settle on another), with who can
    come, who could if need be and who would miss it."""
    bit = 1 << start
    can_come = [
        (
            participant_id,
            runs_of(yes_mask, width) & bit,
            runs_of(yes_mask | maybe_mask, width) & bit,
        )
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
        yes_rows.append(byte_row(yes_mask, length))
        maybe_rows.append(byte_row(maybe_mask, length))
        no_rows.append(byte_row(grid & ~(yes_mask | maybe_mask), length))
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


def slot_counts(spec: GridSpec, answers: Answers) -> dict[int, tuple[int, int]]:
    """How many said yes and how many if need be, for every existing slot: what the heatmap
    shows, counted on the bitmaps (bit-sliced counters), without a list of names per slot."""
    yes_counter: list[int] = []
    maybe_counter: list[int] = []
    for _id, yes_mask, maybe_mask in _answer_masks(spec, answers):
        add_bits(yes_counter, yes_mask)
        add_bits(maybe_counter, maybe_mask)
    length = spec.slot_count
    yes_counts = bit_counts(yes_counter, length)
    maybe_counts = bit_counts(maybe_counter, length)
    return {slot: (yes_counts[slot], maybe_counts[slot]) for slot in sorted(spec.existing_slots())}


def tally_at(spec: GridSpec, answers: Answers, slot: int) -> SlotTally | None:
    """Who said yes / if need be / nothing at one slot (ids in answer order), or None for a
    slot that does not exist."""
    if slot not in spec.existing_slots():
        return None
    bit = 1 << slot
    yes, maybe, no = [], [], []
    for participant_id, yes_mask, maybe_mask in _answer_masks(spec, answers):
        if yes_mask & bit:
            yes.append(participant_id)
        elif maybe_mask & bit:
            maybe.append(participant_id)
        else:
            no.append(participant_id)
    return SlotTally(tuple(yes), tuple(maybe), tuple(no))
