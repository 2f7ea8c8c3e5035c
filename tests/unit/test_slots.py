"""Marks held as int bitmaps (availability/slots.py) and the heatmap counted on them
(availability/windows.py's slot_counts and tally_at): the same answers as the set-based code."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from lobbies.availability.grid import decode_bitmap, encode_bitmap
from lobbies.availability.slots import EMPTY, SlotSet
from lobbies.availability.windows import heatmap, slot_counts, tally_at
from tests.unit.test_grid import ANSWERS, EVENINGS, grids_with_answers

LENGTH = 2976  # 31 days of 15-minute slots


@settings(max_examples=100, deadline=None)
@given(st.frozensets(st.integers(0, LENGTH - 1)))
def test_a_stored_bitmap_reads_as_the_same_slots(slots):
    data = encode_bitmap(slots, LENGTH)
    read = SlotSet.from_bitmap(data, LENGTH)
    assert read == slots == decode_bitmap(data, LENGTH)
    assert slots == read  # either side of the comparison
    assert hash(read) == hash(slots)
    assert sorted(read) == sorted(slots) and len(read) == len(slots)
    assert all(slot in read for slot in slots)
    assert pickle.loads(pickle.dumps(read)) == read


def test_a_bitmap_for_another_grid_is_refused():
    data = encode_bitmap({0, 9}, 10)
    for length in (8, 17):
        try:
            SlotSet.from_bitmap(data, length)
        except ValueError:
            continue
        raise AssertionError(f"read as {length} slots")
    try:
        SlotSet.from_bitmap(data, 9)  # slot 9 is outside a 9-slot grid
    except ValueError:
        return
    raise AssertionError("a bit beyond the grid was read")


def test_set_algebra_stays_compact_and_agrees_with_sets():
    yes, day = SlotSet._from_iterable({1, 2, 40}), SlotSet._from_iterable({2, 3})
    assert isinstance(yes - day, SlotSet) and yes - day == {1, 40}
    assert isinstance(yes | day, SlotSet) and yes | day == {1, 2, 3, 40}
    assert yes & day == {2}
    assert yes - frozenset({40}) == {1, 2}
    assert not EMPTY and len(EMPTY) == 0 and EMPTY.mask == 0
    assert -1 not in yes and "2" not in yes and 10**6 not in yes


def test_the_heatmap_counts_on_bitmaps():
    compact = {
        pid: (SlotSet._from_iterable(yes), SlotSet._from_iterable(maybe))
        for pid, (yes, maybe) in ANSWERS.items()
    }
    full = heatmap(EVENINGS, ANSWERS)
    assert slot_counts(EVENINGS, compact) == {
        slot: (len(tally.yes), len(tally.maybe)) for slot, tally in full.items()
    }
    assert all(tally_at(EVENINGS, compact, slot) == tally for slot, tally in full.items())


@settings(max_examples=100, deadline=None)
@given(grids_with_answers())
def test_counts_and_one_slot_match_the_full_heatmap(grid_and_answers):
    spec, answers = grid_and_answers
    full = heatmap(spec, answers)
    assert slot_counts(spec, answers) == {
        slot: (len(tally.yes), len(tally.maybe)) for slot, tally in full.items()
    }
    for slot in range(spec.slot_count):
        assert tally_at(spec, answers, slot) == full.get(slot)
