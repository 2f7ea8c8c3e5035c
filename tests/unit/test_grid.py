"""Unit tests of lobbies.availability.grid: pure code, no Django, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lobbies.availability.grid import (
    WHOLE_DAY,
    AvailabilityError,
    GridSpec,
    bitmap_from_text,
    bitmap_to_text,
    decode_bitmap,
    encode_bitmap,
    validate_availability,
)
from lobbies.availability.layout import view_grid
from lobbies.availability.windows import SlotTally, Window, best_windows, heatmap, window_at

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def spec_of(dates, start="09:00", end="12:00", slot=30, tz="Europe/Berlin") -> GridSpec:
    def minutes(text: str) -> int:
        hours, mins = text.split(":")
        return int(hours) * 60 + int(mins)

    return GridSpec(tuple(dates), minutes(start), minutes(end), slot, tz)


def layout(view) -> list[tuple]:
    """A view as plain data: (row time, fold, skipped, [(slot, exists) per column])."""
    return [
        (row.time, row.fold, row.skipped, [(cell.slot, cell.exists) for cell in row.cells])
        for row in view.rows
    ]


# --- spec validation -----------------------------------------------------------------------------


D1, D2, D3 = date(2027, 6, 1), date(2027, 6, 2), date(2027, 6, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dates": ()}, "at least one date"),
        ({"dates": (D2, D1)}, "in order"),
        ({"dates": (D1, D1)}, "listed twice"),
        ({"dates": (datetime(2027, 6, 1, 9, 0),)}, "Not a date"),
        ({"dates": ("2027-06-01",)}, "Not a date"),
        ({"slot_minutes": 45}, "slot length"),
        ({"slot_minutes": 0}, "slot length"),
        ({"slot_minutes": True}, "slot length"),
        ({"day_start": -1}, "day must start"),
        ({"day_start": 1440, "day_end": 1440}, "day must start"),
        ({"day_start": 9.5 * 60}, "day must start"),
        ({"day_end": 0, "day_start": 0}, "day must end between"),
        ({"day_end": 1441}, "day must end between"),
        ({"day_start": 600, "day_end": 600}, "end after it starts"),
        ({"day_start": 600, "day_end": 540}, "end after it starts"),
        ({"day_start": 540, "day_end": 560, "slot_minutes": 30}, "shorter than one slot"),
        ({"tz": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"tz": "../../etc/passwd"}, "Unknown time zone"),
        ({"tz": ""}, "time zone is required"),
    ],
)
def test_invalid_spec_is_rejected(kwargs, message):
    fields = {"dates": (D1,), "day_start": 540, "day_end": 720, "slot_minutes": 30, "tz": "UTC"}
    fields.update(kwargs)
    with pytest.raises(ValueError, match=message):
        GridSpec(**fields)


def test_spec_accepts_a_list_of_dates_and_stays_hashable():
    spec = GridSpec([D1, D2], 540, 720, 30, "UTC")
    assert spec.dates == (D1, D2)
    assert hash(spec) == hash(GridSpec((D1, D2), 540, 720, 30, "UTC"))


def test_whole_day_spec_ignores_the_window():
    spec = GridSpec((D1, D2, D3), 540, 720, WHOLE_DAY, "UTC")
    assert spec.slots_per_day == 1
    assert spec.slot_count == 3


# --- slot arithmetic -----------------------------------------------------------------------------


def test_slot_arithmetic():
    spec = spec_of([D1, D2, D3], "09:00", "12:00", 30)
    assert spec.slots_per_day == 6
    assert spec.slot_count == 18
    assert spec.slot_index(0, 0) == 0
    assert spec.slot_index(1, 2) == 8
    assert spec.slot_index(2, 5) == 17
    assert spec.slot_position(8) == (1, 2)
    assert spec.slot_position(17) == (2, 5)
    assert spec.slot_start(8) == datetime(2027, 6, 2, 10, 0, tzinfo=BERLIN)
    assert spec.slot_end(8) == datetime(2027, 6, 2, 10, 30, tzinfo=BERLIN)
    assert spec.slot_start(8).utcoffset() == timedelta(hours=2)
    assert spec.existing_slots() == frozenset(range(18))


@pytest.mark.parametrize(("day_index", "slot_in_day"), [(-1, 0), (3, 0), (0, -1), (0, 6)])
def test_slot_index_out_of_range(day_index, slot_in_day):
    spec = spec_of([D1, D2, D3], "09:00", "12:00", 30)
    with pytest.raises(ValueError, match="outside"):
        spec.slot_index(day_index, slot_in_day)


@pytest.mark.parametrize("index", [-1, 18, 1.0, None])
def test_slot_position_out_of_range(index):
    spec = spec_of([D1, D2, D3], "09:00", "12:00", 30)
    with pytest.raises(ValueError, match="outside this grid"):
        spec.slot_position(index)
    with pytest.raises(ValueError, match="outside this grid"):
        spec.slot_exists(index)


def test_window_that_is_not_a_whole_number_of_slots_drops_the_remainder():
    spec = spec_of([D1], "09:00", "10:45", 30)
    assert spec.slots_per_day == 3
    assert spec.slot_end(2) == datetime(2027, 6, 1, 10, 30, tzinfo=BERLIN)


def test_window_ending_at_midnight_ends_on_the_next_date():
    spec = GridSpec((D1,), 22 * 60, 1440, 60, "Europe/Berlin")
    assert spec.slots_per_day == 2
    assert spec.slot_start(1) == datetime(2027, 6, 1, 23, 0, tzinfo=BERLIN)
    assert spec.slot_end(1) == datetime(2027, 6, 2, 0, 0, tzinfo=BERLIN)


def test_whole_day_slots_run_midnight_to_midnight():
    spec = GridSpec((D1, D3), 0, 1440, WHOLE_DAY, "Europe/Berlin")
    assert spec.slot_start(1) == datetime(2027, 6, 3, tzinfo=BERLIN)
    assert spec.slot_end(1) == datetime(2027, 6, 4, tzinfo=BERLIN)
    assert spec.existing_slots() == frozenset({0, 1})


@pytest.mark.parametrize(
    ("slot", "meeting", "expected"),
    [(30, 0, 1), (30, 1, 1), (30, 30, 1), (30, 31, 2), (30, 90, 3), (60, 90, 2), (15, 120, 8)],
)
def test_meeting_slots_rounds_up(slot, meeting, expected):
    assert spec_of([D1], "08:00", "20:00", slot).meeting_slots(meeting) == expected


def test_meeting_slots_whole_day_is_one_day():
    assert GridSpec((D1,), 0, 1440, WHOLE_DAY, "UTC").meeting_slots(3000) == 1


def test_meeting_slots_rejects_negative():
    with pytest.raises(ValueError, match="meeting length"):
        spec_of([D1]).meeting_slots(-30)


@st.composite
def specs(draw) -> GridSpec:
    first = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 1)))
    offsets = draw(st.sets(st.integers(0, 30), min_size=1, max_size=6))
    dates = tuple(first + timedelta(days=offset) for offset in sorted(offsets))
    slot = draw(st.sampled_from([15, 30, 60, WHOLE_DAY]))
    start = draw(st.integers(0, 1439 - min(slot, 1439)))
    end = draw(st.integers(start + min(slot, 1440 - start), 1440))
    tz = draw(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]))
    return GridSpec(dates, start, end, slot, tz)


@given(specs(), st.data())
def test_slot_index_and_position_round_trip(spec, data):
    index = data.draw(st.integers(0, spec.slot_count - 1))
    day_index, slot_in_day = spec.slot_position(index)
    assert 0 <= day_index < len(spec.dates)
    assert 0 <= slot_in_day < spec.slots_per_day
    assert spec.slot_index(day_index, slot_in_day) == index
    assert spec.slot_start(index).date() == spec.dates[day_index]
    assert spec.slot_end(index) > spec.slot_start(index) or not spec.slot_exists(index)


# --- bitmaps -------------------------------------------------------------------------------------


def test_bitmap_layout_is_most_significant_bit_first():
    assert encode_bitmap([0], 8) == b"\x80"
    assert encode_bitmap([7], 8) == b"\x01"
    assert encode_bitmap([0, 9], 10) == b"\x80\x40"
    assert encode_bitmap([], 0) == b""
    assert encode_bitmap([], 17) == b"\x00\x00\x00"
    assert decode_bitmap(b"\x80\x40", 10) == frozenset({0, 9})
    assert bitmap_to_text(b"\x80\x40") == "8040"
    assert bitmap_from_text("8040") == b"\x80\x40"
    assert bitmap_from_text("80AB") == b"\x80\xab"


@pytest.mark.parametrize(("indices", "length"), [([10], 10), ([-1], 10), ([0], 0)])
def test_encode_rejects_out_of_range(indices, length):
    with pytest.raises(ValueError, match="outside a grid"):
        encode_bitmap(indices, length)


def test_encode_rejects_non_integers():
    with pytest.raises(TypeError):
        encode_bitmap([1.5], 10)


@pytest.mark.parametrize(
    ("data", "length", "message"),
    [
        (b"\x80", 10, "Expected 2 bytes"),
        (b"\x80\x00\x00", 10, "Expected 2 bytes"),
        (b"\x80\x20", 10, "beyond"),  # bit 10 set in a 10-slot grid
        (b"\x01", 7, "beyond"),
    ],
)
def test_decode_rejects_wrong_shape(data, length, message):
    with pytest.raises(ValueError, match=message):
        decode_bitmap(data, length)


@pytest.mark.parametrize("text", ["8", "zz", "80 40", " 8040", "0x80", "８０", None])
def test_bitmap_from_text_rejects_garbage(text):
    with pytest.raises(ValueError, match="Malformed"):
        bitmap_from_text(text)


@given(st.data(), st.integers(0, 2000))
def test_bitmap_round_trip(data, length):
    indices = data.draw(st.frozensets(st.integers(0, length - 1))) if length else frozenset()
    encoded = encode_bitmap(indices, length)
    assert len(encoded) == (length + 7) // 8
    assert decode_bitmap(encoded, length) == indices
    assert bitmap_from_text(bitmap_to_text(encoded)) == encoded
    assert bitmap_to_text(encoded).isalnum() or not encoded


@given(st.binary(max_size=64))
def test_text_form_round_trips_any_bytes(raw):
    assert bitmap_from_text(bitmap_to_text(raw)) == raw


# --- DST -----------------------------------------------------------------------------------------


def test_berlin_spring_forward_skips_two_oclock():
    # 2027-03-28: clocks jump from 02:00 CET to 03:00 CEST.
    spec = spec_of([date(2027, 3, 27), date(2027, 3, 28)], "01:00", "05:00", 60)
    assert spec.slot_count == 8  # the numbering never changes with DST
    assert spec.existing_slots() == frozenset({0, 1, 2, 3, 4, 6, 7})
    assert spec.slot_exists(1) is True  # 02:00 the day before is fine
    assert spec.slot_exists(5) is False
    assert spec.slot_start(6) == datetime(2027, 3, 28, 3, 0, tzinfo=BERLIN)
    assert spec.slot_start(6).utcoffset() == timedelta(hours=2)
    assert spec.slot_start(4).utcoffset() == timedelta(hours=1)


def test_berlin_spring_forward_quarter_hours():
    spec = spec_of([date(2027, 3, 28)], "01:30", "03:30", 15)
    starts = [spec.slot_start(i).time() for i in sorted(spec.existing_slots())]
    assert starts == [time(1, 30), time(1, 45), time(3, 0), time(3, 15)]


def test_berlin_fall_back_hour_is_one_slot_at_its_first_occurrence():
    # 2027-10-31: 02:00-03:00 happens twice (CEST, then CET).
    spec = spec_of([date(2027, 10, 31)], "01:00", "04:00", 60)
    assert spec.slot_count == 3
    assert spec.existing_slots() == frozenset({0, 1, 2})
    repeated = spec.slot_start(1)
    assert repeated.fold == 0
    assert repeated.utcoffset() == timedelta(hours=2)
    assert repeated.astimezone(UTC) == datetime(2027, 10, 31, 0, 0, tzinfo=UTC)
    assert spec.slot_start(2).astimezone(UTC) == datetime(2027, 10, 31, 2, 0, tzinfo=UTC)
    utc_starts = [spec.slot_start(i).astimezone(UTC) for i in range(3)]
    assert len(set(utc_starts)) == 3


def test_new_york_spring_forward():
    # 2027-03-14: 02:00 EST jumps to 03:00 EDT.
    spec = spec_of([date(2027, 3, 14)], "01:00", "04:00", 30, tz="America/New_York")
    assert spec.existing_slots() == frozenset({0, 1, 4, 5})
    assert spec.slot_start(4) == datetime(2027, 3, 14, 3, 0, tzinfo=NEW_YORK)
    assert spec.slot_start(4).astimezone(UTC) == datetime(2027, 3, 14, 7, 0, tzinfo=UTC)


def test_new_york_fall_back():
    # 2027-11-07: 01:00-02:00 happens twice (EDT, then EST).
    spec = spec_of([date(2027, 11, 7)], "00:30", "02:30", 30, tz="America/New_York")
    assert spec.existing_slots() == frozenset({0, 1, 2, 3})
    assert [spec.slot_start(i).astimezone(UTC).time() for i in range(4)] == [
        time(4, 30),
        time(5, 0),  # 01:00 EDT, the first occurrence
        time(5, 30),
        time(7, 0),  # 02:00 EST
    ]


def test_whole_day_exists_unless_the_date_was_skipped():
    # Samoa crossed the date line: 2011-12-30 never happened in Pacific/Apia.
    spec = GridSpec(
        (date(2011, 12, 29), date(2011, 12, 30), date(2011, 12, 31)),
        0,
        1440,
        WHOLE_DAY,
        "Pacific/Apia",
    )
    assert spec.existing_slots() == frozenset({0, 2})


def test_whole_day_exists_when_midnight_is_skipped():
    # America/Santiago springs forward at midnight on 2027-09-05: the day still exists.
    spec = GridSpec((date(2027, 9, 5),), 0, 1440, WHOLE_DAY, "America/Santiago")
    assert spec.existing_slots() == frozenset({0})


# --- validate_availability -----------------------------------------------------------------------


def test_valid_availability_passes():
    spec = spec_of([date(2027, 3, 28)], "01:00", "05:00", 60)
    validate_availability(spec, {0, 3}, {2})
    validate_availability(spec, set(), set())


@pytest.mark.parametrize(
    ("yes", "maybe", "code", "slot", "message"),
    [
        ({4}, set(), "outside", 4, "not part of this lobby's grid"),
        (set(), {-1}, "outside", -1, "not part of this lobby's grid"),
        ({"0"}, set(), "outside", "0", "not part of this lobby's grid"),
        ({0, 2, 3}, {3, 2}, "both", 2, "03:00 on 2027-03-28 is marked both"),
        ({1}, set(), "skipped", 1, "02:00 on 2027-03-28 does not exist in Europe/Berlin"),
        (set(), {1}, "skipped", 1, "does not exist"),
    ],
)
def test_invalid_availability(yes, maybe, code, slot, message):
    spec = spec_of([date(2027, 3, 28)], "01:00", "05:00", 60)
    with pytest.raises(AvailabilityError, match=message) as caught:
        validate_availability(spec, yes, maybe)
    assert isinstance(caught.value, ValueError)
    assert caught.value.code == code
    assert caught.value.slot == slot


# --- viewer time zones ---------------------------------------------------------------------------


def test_viewer_in_the_lobby_zone_sees_dates_by_window():
    spec = spec_of([date(2027, 3, 27), date(2027, 3, 28)], "01:00", "05:00", 60)
    view = view_grid(spec, "Europe/Berlin")
    assert view.columns == spec.dates
    assert view.whole_day is False
    assert layout(view) == [
        (time(1), 0, False, [(0, True), (4, True)]),
        (time(2), 0, False, [(1, True), (5, False)]),  # skipped, shown in place
        (time(3), 0, False, [(2, True), (6, True)]),
        (time(4), 0, False, [(3, True), (7, True)]),
    ]
    cell = view.rows[2].cells[1]
    assert cell.date == date(2027, 3, 28)
    assert cell.time == time(3)
    assert cell.start == datetime(2027, 3, 28, 3, tzinfo=BERLIN)


def test_same_zone_view_of_a_typical_grid_is_exactly_the_grid():
    spec = spec_of([D1, D2, D3], "09:00", "12:00", 30)
    view = view_grid(spec, "Europe/Berlin")
    assert view.columns == (D1, D2, D3)
    assert [row.time for row in view.rows] == [time(9 + i // 2, 30 * (i % 2)) for i in range(6)]
    for row_index, row in enumerate(view.rows):
        assert [cell.slot for cell in row.cells] == [row_index, 6 + row_index, 12 + row_index]
        assert all(cell.exists for cell in row.cells)


def test_fall_back_day_seen_from_the_lobby_zone_has_no_duplicate_rows():
    spec = spec_of([date(2027, 10, 31)], "01:00", "04:00", 60)
    assert layout(view_grid(spec, "Europe/Berlin")) == [
        (time(1), 0, False, [(0, True)]),
        (time(2), 0, False, [(1, True)]),
        (time(3), 0, False, [(2, True)]),
    ]


def test_spring_forward_seen_from_london_which_jumps_at_the_same_instant():
    spec = spec_of([date(2027, 3, 27), date(2027, 3, 28)], "01:00", "05:00", 60)
    view = view_grid(spec, "Europe/London")
    assert view.columns == spec.dates
    assert layout(view) == [
        (time(0), 0, False, [(0, True), (4, True)]),
        (time(1), 0, False, [(1, True), (5, False)]),
        (time(2), 0, False, [(2, True), (6, True)]),
        (time(3), 0, False, [(3, True), (7, True)]),
    ]
    london = ZoneInfo("Europe/London")
    assert view.rows[2].cells[1].start == datetime(2027, 3, 28, 2, tzinfo=london)
    assert view.rows[2].cells[1].start.utcoffset() == timedelta(hours=1)


def test_spring_forward_seen_from_utc_keeps_the_skipped_slot_on_its_own_row():
    # In UTC the skipped hour has no length: Berlin 01:00 CET is 00:00 UTC, 03:00 CEST is 01:00.
    spec = spec_of([date(2027, 3, 27), date(2027, 3, 28)], "01:00", "05:00", 60)
    view = view_grid(spec, "UTC")
    assert layout(view) == [
        (time(0), 0, False, [(0, True), (4, True)]),
        (time(1), 0, True, [(None, False), (5, False)]),
        (time(1), 0, False, [(1, True), (6, True)]),
        (time(2), 0, False, [(2, True), (7, True)]),
        (time(3), 0, False, [(3, True), (None, False)]),
    ]
    empty = view.rows[4].cells[1]
    assert (empty.slot, empty.exists, empty.start) == (None, False, None)


def test_fall_back_seen_from_a_zone_that_repeats_an_hour_gets_two_rows():
    # A UTC lobby seen from New York on 2027-11-07: 05:00 and 06:00 UTC are both 01:00 there.
    spec = spec_of([date(2027, 11, 7)], "04:00", "08:00", 60, tz="UTC")
    view = view_grid(spec, "America/New_York")
    assert view.columns == (date(2027, 11, 7),)
    assert layout(view) == [
        (time(0), 0, False, [(0, True)]),
        (time(1), 0, False, [(1, True)]),
        (time(1), 1, False, [(2, True)]),
        (time(2), 0, False, [(3, True)]),
    ]
    assert view.rows[1].cells[0].start.utcoffset() == timedelta(hours=-4)
    assert view.rows[2].cells[0].start.utcoffset() == timedelta(hours=-5)


def test_kolkata_half_hour_offset_seen_from_london():
    spec = spec_of([date(2027, 1, 15), date(2027, 6, 15)], "09:00", "10:30", 30, tz="Asia/Kolkata")
    view = view_grid(spec, "Europe/London")
    assert view.columns == spec.dates
    # IST is UTC+5:30; London is UTC+0 in January, UTC+1 in June.
    assert layout(view) == [
        (time(3, 30), 0, False, [(0, True), (None, False)]),
        (time(4, 0), 0, False, [(1, True), (None, False)]),
        (time(4, 30), 0, False, [(2, True), (3, True)]),
        (time(5, 0), 0, False, [(None, False), (4, True)]),
        (time(5, 30), 0, False, [(None, False), (5, True)]),
    ]


def test_viewer_whose_day_differs_sees_the_previous_date():
    # 18:00-21:00 in Auckland (UTC+12 in June) is 23:00-02:00 the day before in Los Angeles.
    spec = spec_of([date(2027, 6, 11)], "18:00", "21:00", 60, tz="Pacific/Auckland")
    view = view_grid(spec, "America/Los_Angeles")
    assert view.columns == (date(2027, 6, 10), date(2027, 6, 11))
    assert layout(view) == [
        (time(0), 0, False, [(None, False), (1, True)]),
        (time(1), 0, False, [(None, False), (2, True)]),
        (time(23), 0, False, [(0, True), (None, False)]),
    ]
    first = view.rows[2].cells[0]
    assert first.date == date(2027, 6, 10)
    assert first.start == datetime(2027, 6, 10, 23, tzinfo=ZoneInfo("America/Los_Angeles"))


def test_whole_day_grid_keeps_the_lobby_dates_in_any_zone():
    spec = GridSpec((D1, D3), 0, 1440, WHOLE_DAY, "Pacific/Auckland")
    view = view_grid(spec, "America/Los_Angeles")
    assert view.whole_day is True
    assert view.columns == (D1, D3)
    assert layout(view) == [(None, 0, False, [(0, True), (1, True)])]
    los_angeles = ZoneInfo("America/Los_Angeles")
    assert view.rows[0].cells[0].start == datetime(2027, 5, 31, 5, tzinfo=los_angeles)


def test_view_grid_rejects_unknown_zone():
    with pytest.raises(ValueError, match="Unknown time zone"):
        view_grid(spec_of([D1]), "Nowhere/Special")


@settings(max_examples=60, deadline=None)
@given(
    specs(),
    st.sampled_from(
        [
            "UTC",
            "Europe/Berlin",
            "Europe/London",
            "America/New_York",
            "America/Los_Angeles",
            "Asia/Kolkata",
            "Pacific/Auckland",
            "Australia/Lord_Howe",
        ]
    ),
)
def test_every_slot_appears_exactly_once_in_any_view(spec, viewer_tz):
    view = view_grid(spec, viewer_tz)
    slots = [cell.slot for row in view.rows for cell in row.cells if cell.slot is not None]
    assert sorted(slots) == list(range(spec.slot_count))
    for row in view.rows:
        assert [cell.date for cell in row.cells] == list(view.columns)
        for cell in row.cells:
            if cell.slot is None:
                assert cell.exists is False
            else:
                assert cell.exists == spec.slot_exists(cell.slot)
            if cell.exists:
                # Same instant. Not ==: across zones, == is always False for an ambiguous
                # wall time (PEP 495), such as a slot landing in the viewer's repeated hour.
                assert cell.start.timestamp() == spec.slot_start(cell.slot).timestamp()
                assert cell.start.fold == row.fold
                if not spec.whole_day:  # whole days keep the lobby's dates, by design
                    assert cell.start.date() == cell.date
                    assert cell.start.time() == row.time
    keys = [(row.time, row.fold, row.skipped) for row in view.rows]
    assert keys == sorted(set(keys), key=lambda key: (key[0] or time(), key[1], not key[2]))


def test_slot_in_the_viewers_repeated_hour_is_its_first_occurrence():
    # New York 20:00 EDT on 30 October 2004 is 02:00 CEST in Berlin, the first of the two
    # 02:00s of that night (Berlin fell back at 03:00 CEST, New York a week later).
    spec = GridSpec((date(2004, 10, 30),), 19 * 60, 21 * 60, 60, "America/New_York")
    view = view_grid(spec, "Europe/Berlin")
    row = next(row for row in view.rows if any(cell.slot == 1 for cell in row.cells))
    cell = next(cell for cell in row.cells if cell.slot == 1)
    assert (cell.date, row.time, row.fold) == (date(2004, 10, 31), time(2, 0), 0)
    assert cell.start.timestamp() == spec.slot_start(1).timestamp()


# --- best windows and heatmap --------------------------------------------------------------------


# Two evenings, 18:00-22:00 in 60-minute slots: slots 0-3 on June 1, 4-7 on June 2.
EVENINGS = spec_of([D1, D2], "18:00", "22:00", 60)
ANSWERS = {
    "c": (frozenset({2, 3, 4, 5}), frozenset({1})),
    "a": (frozenset({0, 1, 2, 3}), frozenset()),
    "d": (frozenset(), frozenset()),
    "b": (frozenset({1, 2}), frozenset({3, 4, 5})),
}


def berlin(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def test_best_windows_exact_ranking():
    assert best_windows(EVENINGS, 120, ANSWERS) == [
        # 2 can come, 1 if need be: tie broken by the earlier start.
        Window(1, 2, berlin(D1, 19), berlin(D1, 21), ("a", "b"), ("c",), ("d",)),
        Window(2, 2, berlin(D1, 20), berlin(D1, 22), ("c", "a"), ("b",), ("d",)),
        # 1 can come: more if-need-be beats the earlier start.
        Window(4, 2, berlin(D2, 18), berlin(D2, 20), ("c",), ("b",), ("a", "d")),
        Window(0, 2, berlin(D1, 18), berlin(D1, 20), ("a",), (), ("c", "d", "b")),
        # 3-4 would cross midnight into the next date (c says yes to both): never a window.
        # 5-6 and 6-7: nobody, dropped.
    ]


def test_window_at_describes_any_window_like_the_ranking_does():
    for window in best_windows(EVENINGS, 120, ANSWERS):
        assert window_at(EVENINGS, window.start_slot, 2, ANSWERS) == window
    # A window nobody can make still says so: everyone misses it.
    assert window_at(EVENINGS, 6, 2, ANSWERS) == Window(
        6, 2, berlin(D2, 20), berlin(D2, 22), (), (), ("c", "a", "d", "b")
    )


def test_best_windows_top_limits_the_list():
    assert [w.start_slot for w in best_windows(EVENINGS, 120, ANSWERS, top=2)] == [1, 2]
    assert best_windows(EVENINGS, 120, ANSWERS, top=0) == []


def test_best_windows_rejects_negative_top():
    with pytest.raises(ValueError, match="top"):
        best_windows(EVENINGS, 120, ANSWERS, top=-1)


def test_best_windows_single_slot_meetings():
    windows = best_windows(EVENINGS, 45, ANSWERS, top=10)
    assert [(w.start_slot, w.slot_count, w.yes, w.maybe) for w in windows] == [
        (2, 1, ("c", "a", "b"), ()),
        (1, 1, ("a", "b"), ("c",)),
        (3, 1, ("c", "a"), ("b",)),
        (4, 1, ("c",), ("b",)),
        (5, 1, ("c",), ("b",)),
        (0, 1, ("a",), ()),
    ]
    assert windows[0].end == berlin(D1, 21)


def test_best_windows_longer_than_the_day_is_empty():
    assert best_windows(EVENINGS, 241, ANSWERS) == []
    assert [w.start_slot for w in best_windows(EVENINGS, 240, ANSWERS)] == [0]


def test_best_windows_without_answers_is_empty():
    assert best_windows(EVENINGS, 60, {}) == []


def test_best_windows_yes_wins_over_a_double_mark_and_stale_slots_are_ignored():
    answers = {"a": (frozenset({0, 1, 99, -3}), frozenset({1}))}
    [window] = best_windows(EVENINGS, 120, answers)
    assert (window.start_slot, window.yes, window.maybe) == (0, ("a",), ())


def test_dst_gap_breaks_windows():
    spec = spec_of([date(2027, 3, 28)], "00:00", "05:00", 60)  # 02:00 is slot 2, skipped
    everything = {"a": (frozenset(range(5)), frozenset())}
    windows = best_windows(spec, 120, everything)
    assert [(w.start_slot, w.start.time(), w.end.time()) for w in windows] == [
        (0, time(0), time(2)),
        (3, time(3), time(5)),
    ]
    assert windows[1].end - windows[1].start == timedelta(hours=2)


def test_whole_day_windows_are_days():
    spec = GridSpec((D1, D2, D3), 0, 1440, WHOLE_DAY, "Europe/Berlin")
    answers = {"a": (frozenset({1}), frozenset({2})), "b": (frozenset({2}), frozenset())}
    windows = best_windows(spec, 180, answers)
    assert windows == [
        Window(2, 1, berlin(D3, 0), berlin(date(2027, 6, 4), 0), ("b",), ("a",), ()),
        Window(1, 1, berlin(D2, 0), berlin(D3, 0), ("a",), (), ("b",)),
    ]


def test_heatmap_exact():
    assert heatmap(EVENINGS, ANSWERS) == {
        0: SlotTally(("a",), (), ("c", "d", "b")),
        1: SlotTally(("a", "b"), ("c",), ("d",)),
        2: SlotTally(("c", "a", "b"), (), ("d",)),
        3: SlotTally(("c", "a"), ("b",), ("d",)),
        4: SlotTally(("c",), ("b",), ("a", "d")),
        5: SlotTally(("c",), ("b",), ("a", "d")),
        6: SlotTally((), (), ("c", "a", "d", "b")),
        7: SlotTally((), (), ("c", "a", "d", "b")),
    }


def test_heatmap_leaves_out_skipped_slots():
    spec = spec_of([date(2027, 3, 28)], "01:00", "04:00", 60)
    answers = {"a": (frozenset({0, 1}), frozenset({2})), "b": (frozenset(), frozenset())}
    assert heatmap(spec, answers) == {
        0: SlotTally(("a",), (), ("b",)),
        2: SlotTally((), ("a",), ("b",)),
    }


def test_heatmap_without_answers():
    assert heatmap(EVENINGS, {}) == {index: SlotTally((), (), ()) for index in range(8)}


# Brute-force references: slow and obvious, to check the bitset code on random grids.


def reference_windows(spec, meeting_minutes, answers):
    width = spec.meeting_slots(meeting_minutes)
    existing = spec.existing_slots()
    found = []
    for day_index in range(len(spec.dates)):
        for first in range(spec.slots_per_day - width + 1):
            start = spec.slot_index(day_index, first)
            slots = set(range(start, start + width))
            if not slots <= existing:
                continue
            yes, maybe, missing = [], [], []
            for pid, (said_yes, said_maybe) in answers.items():
                if slots <= said_yes:
                    yes.append(pid)
                elif slots <= said_yes | said_maybe:
                    maybe.append(pid)
                else:
                    missing.append(pid)
            if yes or maybe:
                found.append((start, tuple(yes), tuple(maybe), tuple(missing)))
    found.sort(key=lambda item: (-len(item[1]), -len(item[2]), item[0]))
    return found


@st.composite
def grids_with_answers(draw):
    spec = draw(specs())
    slot_ids = st.integers(0, spec.slot_count - 1)
    answers = {}
    for pid in draw(st.lists(st.sampled_from("pqrstuvw"), unique=True, max_size=6)):
        yes = draw(st.frozensets(slot_ids))
        maybe = draw(st.frozensets(slot_ids)) - yes
        answers[pid] = (yes, maybe)
    return spec, answers


@settings(max_examples=150, deadline=None)
@given(grids_with_answers(), st.integers(0, 300), st.integers(0, 8))
def test_best_windows_matches_brute_force(grid_and_answers, meeting_minutes, top):
    spec, answers = grid_and_answers
    expected = reference_windows(spec, meeting_minutes, answers)[:top]
    windows = best_windows(spec, meeting_minutes, answers, top=top)
    assert [(w.start_slot, w.yes, w.maybe, w.missing) for w in windows] == expected
    width = spec.meeting_slots(meeting_minutes)
    for window in windows:
        assert window.slot_count == width
        assert window.start == spec.slot_start(window.start_slot)
        assert window.end == spec.slot_end(window.start_slot + width - 1)


@settings(max_examples=100, deadline=None)
@given(grids_with_answers())
def test_heatmap_matches_brute_force(grid_and_answers):
    spec, answers = grid_and_answers
    expected = {
        index: SlotTally(
            tuple(pid for pid, (yes, _) in answers.items() if index in yes),
            tuple(pid for pid, (yes, maybe) in answers.items() if index in maybe - yes),
            tuple(pid for pid, (yes, maybe) in answers.items() if index not in yes | maybe),
        )
        for index in sorted(spec.existing_slots())
    }
    assert heatmap(spec, answers) == expected
