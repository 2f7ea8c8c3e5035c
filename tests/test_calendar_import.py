"""My calendar beside the grid: .ics files read against the grid, and the page and htmx
panel that show busy times and save a suggestion only when asked."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lobbies import services
from lobbies.availability import calendar_import, grid
from lobbies.availability.answers import answers_of, grid_key, spec_for
from lobbies.availability.calendar_import import (
    CalendarError,
    busy_slots,
    comparable_spec,
    proposal,
)
from lobbies.availability.grid import GridSpec
from lobbies.store import load_lobby
from tests.factories import make_settings
from tests.html import first_element

NEW_YORK, TOKYO, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo"), "Europe/Berlin"
START = date.today() + timedelta(days=2)


def two_weeks() -> GridSpec:
    dates = tuple(START + timedelta(days=n) for n in range(15))
    return GridSpec(dates, 18 * 60, 23 * 60, 30, BERLIN)


def weekly_calendar() -> tuple[bytes, list[tuple[datetime, datetime]]]:
    """A weekly 12:00 New York meeting: the second week's is cancelled (EXDATE), the third
    is moved to 14:00 New York, written in Tokyo time (RECURRENCE-ID). Returns the file and
    the instants it is busy in."""
    first = datetime.combine(START, datetime.min.time()).replace(hour=12, tzinfo=NEW_YORK)
    third = datetime.combine((first + timedelta(days=14)).date(), first.time(), tzinfo=NEW_YORK)
    moved = datetime.combine(third.date(), datetime.min.time(), tzinfo=NEW_YORK).replace(hour=14)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//test//EN")
    cal.add("version", "2.0")
    series = icalendar.Event()
    series.add("uid", "weekly@test")
    series.add("summary", "Team call")
    series.add("dtstart", first)
    series.add("dtend", first + timedelta(hours=1))
    series.add("rrule", {"freq": "weekly", "count": 10})
    second = datetime.combine((first + timedelta(days=7)).date(), first.time(), tzinfo=NEW_YORK)
    series.add("exdate", second)
    cal.add_component(series)
    override = icalendar.Event()
    override.add("uid", "weekly@test")
    override.add("summary", "Team call (moved)")
    override.add("recurrence-id", third)
    override.add("dtstart", moved.astimezone(TOKYO))
    override.add("dtend", (moved + timedelta(hours=1)).astimezone(TOKYO))
    cal.add_component(override)
    free = icalendar.Event()
    free.add("uid", "free@test")
    free.add("dtstart", first + timedelta(days=1))
    free.add("dtend", first + timedelta(days=1, hours=5))
    free.add("transp", "TRANSPARENT")
    cal.add_component(free)
    cal.add_missing_timezones()
    return cal.to_ical(), [(first, first + timedelta(hours=1)), (moved, moved + timedelta(hours=1))]


def overlapping(spec: GridSpec, spans) -> frozenset[int]:
    return frozenset(
        i
        for i in spec.existing_slots()
        for start, end in spans
        if spec.slot_start(i) < end and spec.slot_end(i) > start
    )


def ics(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\nUID:{n}@t\r\n{e}END:VEVENT\r\n" for n, e in enumerate(events))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n{body}END:VCALENDAR\r\n"


def stamp(day: date, hour: int) -> str:
    return f"{day:%Y%m%d}T{hour:02d}0000Z"


class TestReading:
    pytestmark = pytest.mark.no_dynamodb

    def test_weekly_event_with_exdate_and_a_moved_occurrence_in_another_zone(self):
        spec = two_weeks()
        data, spans = weekly_calendar()
        busy = busy_slots(data.decode(), spec, BERLIN)
        expected = overlapping(spec, spans)
        assert expected and busy.slots == expected
        cancelled = overlapping(
            spec, [(s + timedelta(days=7), e + timedelta(days=7)) for s, e in spans[:1]]
        )
        original_third = overlapping(
            spec, [(s + timedelta(days=14), e + timedelta(days=14)) for s, e in spans[:1]]
        )
        assert not busy.slots & cancelled
        assert not busy.slots & (original_third - expected)
        # Only events that make time busy are counted: the first and the moved one.
        assert busy.events == 2 and busy.free == 1

    def test_floating_and_all_day_events_are_the_viewers(self):
        spec = GridSpec((START,), 0, 1440, 1440, BERLIN)
        after = START + timedelta(days=1)
        text = ics(f"DTSTART;VALUE=DATE:{START:%Y%m%d}\r\nDTEND;VALUE=DATE:{after:%Y%m%d}\r\n")
        assert busy_slots(text, spec, BERLIN).slots == {0}
        timed = GridSpec((START,), 18 * 60, 20 * 60, 60, BERLIN)
        floating = ics(f"DTSTART:{START:%Y%m%d}T190000\r\nDTEND:{START:%Y%m%d}T200000\r\n")
        assert busy_slots(floating, timed, BERLIN).slots == {1}
        assert busy_slots(floating, timed, "UTC").slots == set()  # 19:00 UTC is 20:00 Berlin

    def test_cancelled_events_are_free(self):
        spec = GridSpec((START,), 18 * 60, 20 * 60, 60, "UTC")
        text = ics(
            f"DTSTART:{stamp(START, 18)}\r\nDTEND:{stamp(START, 19)}\r\nSTATUS:CANCELLED\r\n"
        )
        assert busy_slots(text, spec, "UTC").slots == set()

    @pytest.mark.parametrize(
        "text",
        [
            "hello, not a calendar",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261301T990000Z\r\nDTEND:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\n" + "BEGIN:VEVENT\r\n" * 5000,
            ics("DTSTART:20260101T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT=x\r\n"),
        ],
    )
    def test_broken_files_are_a_message(self, text):
        with pytest.raises(CalendarError) as caught:
            busy_slots(text, two_weeks(), BERLIN)
        assert caught.value.message

    def test_size_cap(self):
        with pytest.raises(CalendarError, match="too big"):
            calendar_import.read_upload(b"x" * (calendar_import.MAX_BYTES + 1))

    def test_event_cap(self, monkeypatch):
        monkeypatch.setattr(calendar_import, "MAX_OCCURRENCES", 5)
        text = ics(
            f"DTSTART:{stamp(START, 18)}\r\nDTEND:{stamp(START, 19)}\r\nRRULE:FREQ=DAILY\r\n"
        )
        with pytest.raises(CalendarError, match="more than 5 events"):
            busy_slots(text, two_weeks(), BERLIN)

    def test_a_rule_that_would_take_minutes_is_left_out_quickly(self):
        hostile = ics(
            "DTSTART:19700101T000000Z\r\nDTEND:19700101T000100Z\r\nRRULE:FREQ=SECONDLY\r\n"
        )
        fine = ics(f"DTSTART:{stamp(START, 18)}\r\nDTEND:{stamp(START, 19)}\r\n")
        text = hostile.replace(
            "END:VCALENDAR",
            fine.split("PRODID:t\r\n")[1]
            .replace("UID:0@t", "UID:9@t")
            .replace("END:VCALENDAR\r\n", "")
            + "END:VCALENDAR",
        )
        began = time.monotonic()
        busy = busy_slots(text, GridSpec((START,), 18 * 60, 20 * 60, 60, "UTC"), "UTC")
        assert time.monotonic() - began < 2
        assert busy.skipped == 1 and busy.slots == {0}

    def test_proposal(self):
        spec = GridSpec((START,), 18 * 60, 21 * 60, 60, "UTC")
        busy = frozenset({1})
        assert proposal(spec, busy, (frozenset({1, 2}), frozenset({0})), True) == ({0, 2}, set())
        assert proposal(spec, busy, (frozenset({1, 2}), frozenset({0})), False) == ({2}, {0})

    def test_a_weekly_grid_is_compared_with_the_coming_week(self):
        reference = tuple(date(2001, 1, 1) + timedelta(days=n) for n in (0, 2, 4))
        spec = GridSpec(reference, 18 * 60, 20 * 60, 60, BERLIN)
        today = date(2026, 12, 2)  # a Wednesday
        shifted = comparable_spec(spec, True, today).dates
        assert shifted == (date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 11))
        assert comparable_spec(spec, False, today) is spec


def calendar_url(code: str) -> str:
    return reverse("lobbies:calendar", args=[code])


@pytest.fixture
def two_week_lobby(db, organizer_client):
    from tests.conftest import seat_client

    settings = make_settings(dates=two_weeks().dates, timezone=BERLIN)
    membership = services.create_lobby(settings, "Olivia", None)
    seat_client(organizer_client, membership.participant.code, membership.participant)
    return load_lobby(membership.participant.code)


@pytest.mark.django_db
class TestPage:
    def test_upload_shows_busy_marks_and_saves_the_suggestion_only_on_save(
        self, two_week_lobby, organizer_client
    ):
        code = two_week_lobby.code
        data, spans = weekly_calendar()
        spec = spec_for(two_week_lobby.lobby)
        expected = overlapping(spec, spans)
        upload = SimpleUploadedFile("me.ics", data, content_type="text/calendar")
        response = organizer_client.post(calendar_url(code), {"file": upload})
        body = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert body.count("data-busy>") + body.count("data-busy ") >= len(expected)
        hex_busy = grid.bitmap_to_text(grid.encode_bitmap(expected, spec.slot_count))
        assert f'data-busy="{hex_busy}"' in body
        assert answers_of(load_lobby(code)).get(two_week_lobby.lobby.owner_id) is None
        # The first suggestion's form, as the plain page posts it.
        yes = grid.bitmap_to_text(
            grid.encode_bitmap(spec.existing_slots() - expected, spec.slot_count)
        )
        assert f'name="yes" value="{yes}"' in body
        saved = organizer_client.post(
            reverse("lobbies:availability", args=[code]),
            {
                "participant": two_week_lobby.lobby.owner_id,
                "grid": grid_key(spec),
                "tz": BERLIN,
                "yes": yes,
                "maybe": grid.bitmap_to_text(grid.encode_bitmap(set(), spec.slot_count)),
            },
        )
        assert saved.status_code == HTTPStatus.FOUND
        marks = answers_of(load_lobby(code))[two_week_lobby.lobby.owner_id]
        assert marks == (spec.existing_slots() - expected, frozenset())

    def test_pasted_text_and_htmx_panel(self, lobby, organizer_client):
        panel = organizer_client.get(calendar_url(lobby.code), headers={"HX-Request": "true"})
        answer = first_element(panel.content.decode())
        assert not answer.before.strip() and answer.tag == "div"
        assert answer.attrs["id"] == "calendar-panel"
        first = date.fromisoformat(lobby.lobby.dates[0])
        text = ics(f"DTSTART:{stamp(first, 17)}\r\nDURATION:PT1H\r\n")
        response = organizer_client.post(
            calendar_url(lobby.code), {"text": text}, headers={"HX-Request": "true"}
        )
        body = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert "data-calendar-apply" in body and "<html" not in body

    @pytest.mark.parametrize("htmx", [False, True])
    def test_the_words_say_what_the_panel_does(self, lobby, organizer_client, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        panel = organizer_client.get(calendar_url(lobby.code), headers=headers).content.decode()
        assert "Nothing changes until you press Save" not in panel
        assert "Nothing is saved until you press one of the buttons" in panel
        first = date.fromisoformat(lobby.lobby.dates[0])
        text = ics(
            f"DTSTART:{stamp(first, 17)}\r\nDURATION:PT2H\r\n",
            f"DTSTART:{stamp(first, 19)}\r\nDURATION:PT1H\r\nTRANSP:TRANSPARENT\r\n",
        )
        body = organizer_client.post(calendar_url(lobby.code), {"text": text}, headers=headers)
        body = body.content.decode()
        assert "hatched" not in body and "dashed outline" in body
        assert "(1 event that makes you busy; 1 event marked free is not counted)" in body
        # With JavaScript the legend under the grid is the lobby page's: the result adds busy.
        assert "data-busy></span> busy in your calendar" in body

    @pytest.mark.parametrize("htmx", [False, True])
    def test_a_calendar_with_nothing_busy_in_the_lobby_says_so_plainly(
        self, lobby, organizer_client, htmx
    ):
        headers = {"HX-Request": "true"} if htmx else {}
        long_before = date.fromisoformat(lobby.lobby.dates[0]) - timedelta(days=400)
        text = ics(f"DTSTART:{stamp(long_before, 17)}\r\nDURATION:PT1H\r\n")
        response = organizer_client.post(calendar_url(lobby.code), {"text": text}, headers=headers)
        body = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert "Your calendar has nothing busy in this lobby’s days." in body
        assert "busy in 0 slots" not in body and "dashed outline" not in body
        assert "Keep my marks" not in body and "Fill in my grid" not in body
        # The one offer says that it marks every time, over what is there.
        assert body.count("data-calendar-apply") == 1
        assert "Mark me “yes” at every time (this replaces my marks)" in body
        spec = spec_for(lobby.lobby)
        every = grid.bitmap_to_text(grid.encode_bitmap(spec.existing_slots(), spec.slot_count))
        assert f'name="yes" value="{every}"' in body

    def test_a_whole_day_lobby_says_a_busy_hour_makes_the_day_busy(self, organizer_client):
        from tests.conftest import seat_client

        days = make_settings(slot_minutes=grid.WHOLE_DAY, day_start=0, day_end=1440)
        membership = services.create_lobby(days, "Olivia", None)
        code = membership.participant.code
        seat_client(organizer_client, code, membership.participant)
        first = spec_for(load_lobby(code).lobby).dates[0]
        text = ics(f"DTSTART:{stamp(first, 10)}\r\nDURATION:PT1H\r\n")
        body = organizer_client.post(calendar_url(code), {"text": text}).content.decode()
        assert "busy in 1 slot" in body
        assert "a day with any busy time in your calendar counts as busy" in body

    @pytest.mark.parametrize("htmx", [False, True])
    def test_garbage_is_a_message_not_a_500(self, lobby, organizer_client, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        upload = SimpleUploadedFile(
            "cat.ics", b"\x89PNG\x00\xff garbage", content_type="text/calendar"
        )
        response = organizer_client.post(
            calendar_url(lobby.code), {"file": upload}, headers=headers
        )
        assert response.status_code == (HTTPStatus.OK if htmx else HTTPStatus.BAD_REQUEST)
        assert "not a calendar" in response.content.decode()
        empty = organizer_client.post(calendar_url(lobby.code), {"text": ""}, headers=headers)
        assert "Choose an .ics file" in empty.content.decode()

    def test_too_big_upload(self, lobby, organizer_client, monkeypatch):
        monkeypatch.setattr(calendar_import, "MAX_BYTES", 100)
        monkeypatch.setattr("lobbies.availability.calendar_views.MAX_BYTES", 100)
        upload = SimpleUploadedFile("big.ics", b"BEGIN:VCALENDAR\r\n" * 20)
        response = organizer_client.post(calendar_url(lobby.code), {"file": upload})
        assert (
            response.status_code == HTTPStatus.BAD_REQUEST
            and "too big" in response.content.decode()
        )

    def test_outsiders_get_404_and_uploads_are_rate_limited(
        self, lobby, organizer_client, settings
    ):
        from django.test import Client

        assert Client().get(calendar_url(lobby.code)).status_code == HTTPStatus.NOT_FOUND
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "calendar_import": (1, 600)}
        organizer_client.post(calendar_url(lobby.code), {"text": "x"})
        refused = organizer_client.post(calendar_url(lobby.code), {"text": "x"})
        assert refused.status_code == 429 and refused["Retry-After"]
        assert "too often in a short time. Wait" in refused.content.decode()
        htmx = organizer_client.post(
            calendar_url(lobby.code), {"text": "x"}, headers={"HX-Request": "true"}
        )
        assert htmx.status_code == 429 and "<html" not in htmx.content.decode()
        assert "too often in a short time. Wait" in htmx.content.decode()

    def test_lobby_page_links_to_it(self, lobby, organizer_client):
        page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert f'href="{calendar_url(lobby.code)}"' in page


# --- A calendar with a broken event: the rest is read, and the broken one said -------------------


def with_a_broken_event() -> str:
    """As icalendar's own parsing_error.ics: two daily series over the first ten days, the
    second with an empty EXDATE that cannot be read."""
    first, until = START.strftime("%Y%m%d"), (START + timedelta(days=9)).strftime("%Y%m%d")
    series = (
        "DTSTART;VALUE=DATE:{first}\r\nDTEND;VALUE=DATE:{next}\r\n"
        "RRULE:FREQ=DAILY;UNTIL={until}T235959Z\r\n"
    ).format(first=first, next=(START + timedelta(days=1)).strftime("%Y%m%d"), until=until)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:fine@test\r\nSUMMARY:Fine\r\n{series}END:VEVENT\r\n"
        f"BEGIN:VEVENT\r\nUID:broken@test\r\nSUMMARY:Broken\r\n{series}"
        "EXDATE;VALUE=DATE:\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


def test_a_broken_event_is_left_out_and_counted():
    busy = busy_slots(with_a_broken_event(), two_weeks(), BERLIN)
    assert (busy.events, busy.broken) == (10, 1)
    spec = two_weeks()
    assert busy.slots == {s for s in spec.existing_slots() if spec.slot_position(s)[0] < 10}


def test_a_calendar_of_broken_events_only_is_refused():
    text = with_a_broken_event().replace("UID:fine@test", "UID:broken2@test\r\nEXDATE;VALUE=DATE:")
    with pytest.raises(CalendarError, match="could not be read"):
        busy_slots(text, two_weeks(), BERLIN)


@pytest.mark.django_db
def test_the_page_says_how_many_events_were_left_out(two_week_lobby, organizer_client):
    response = organizer_client.post(
        calendar_url(two_week_lobby.code), {"text": with_a_broken_event()}
    )
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "1 event could not be read and was left out." in body


def test_icalendars_own_parsing_error_file_gives_its_readable_events():
    """icalendar's test file: a daily series in March 2008 beside the same series broken."""
    path = Path(icalendar.__file__).parent / "tests" / "calendars" / "parsing_error.ics"
    if not path.exists():
        pytest.skip("this icalendar release ships no test calendars")
    march = tuple(date(2008, 3, 1) + timedelta(days=n) for n in range(31))
    busy = busy_slots(path.read_text(), GridSpec(march, 0, 24 * 60, 60, "UTC"), "UTC")
    assert (busy.events, busy.broken) == (20, 1)
