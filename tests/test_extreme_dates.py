"""Every form that takes a date, a time, a deadline or a zone, driven with extreme and malformed
values in far zones: years 1 and 9999, DST gaps and folds, offsets, garbage. None may answer 500.

Django's test client raises a view's exception instead of answering 500, so any crash fails
the example that caused it. Deterministic (derandomize) and bounded, so it runs in CI.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lobbies import services
from lobbies.availability.weekly import MAX_COUNT
from lobbies.page.labels import TZ_COOKIE
from lobbies.store import load_lobby
from tests.conftest import seat_client
from tests.factories import create_payload
from tests.test_weekly import create_payload as weekly_payload
from tests.test_weekly import next_on, weekly_settings
from tests.voting_support import evening_window

pytestmark = pytest.mark.django_db

ZONES = [
    "Asia/Tokyo",
    "Pacific/Kiritimati",  # UTC+14
    "Etc/GMT+12",  # UTC-12
    "Pacific/Chatham",  # +12:45
    "Australia/Lord_Howe",  # half-hour DST
    "Europe/Berlin",
    "America/New_York",
    "UTC",
    "Not/AZone",
    "",
    "../../etc/passwd",
]
DAYS = [
    "0001-01-01",
    "0001-01-02",
    "9999-12-31",
    "9999-12-30",
    "0000-01-01",
    "10000-01-01",
    "2024-02-29",
    "2025-02-29",
    "2026-03-29",  # Europe's spring-forward day
    "2026-10-25",  # Europe's fall-back day
    "2026-03-08",  # America's spring-forward day
    "2026-11-01",  # America's fall-back day
    "",
    "yesterday",
    "1-1-1",
]
TIMES = ["00:00", "02:30", "01:30", "23:59", "24:00", "23:59:59.999999", "", "25:61", "noon"]
OFFSETS = ["", "Z", "+14:00", "-12:00", "+23:59", "+99:00"]
LOCAL_DAYS = st.one_of(st.sampled_from(DAYS), st.dates().map(lambda d: d.isoformat()))
DATETIMES = st.builds(
    lambda day, time, offset: f"{day}T{time}{offset}" if day or time else "",
    LOCAL_DAYS,
    st.sampled_from(TIMES),
    st.sampled_from(OFFSETS),
) | st.text(max_size=30)
ZONE_VALUES = st.sampled_from(ZONES) | st.text(max_size=40)
BOUNDED = settings(
    derandomize=True,
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANSWERS = {HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.BAD_REQUEST}


@BOUNDED
@given(
    deadline=DATETIMES,
    zone=ZONE_VALUES,
    start=LOCAL_DAYS,
    end=LOCAL_DAYS,
    day_start=st.sampled_from(TIMES),
)
def test_creating_a_lobby(deadline, zone, start, end, day_start):
    payload = create_payload(
        deadline=deadline, timezone=zone, range_start=start, range_end=end, day_start=day_start
    )
    response = Client().post(reverse("lobbies:create"), payload)
    assert response.status_code in ANSWERS


@BOUNDED
@given(deadline=DATETIMES, zone=st.sampled_from(ZONES))
def test_creating_a_weekly_lobby(deadline, zone):
    payload = weekly_payload(deadline=deadline, timezone=zone, remind="on")
    response = Client().post(reverse("lobbies:create"), payload)
    assert response.status_code in ANSWERS


def test_the_deadline_that_underflowed_in_tokyo_is_refused_clearly():
    payload = create_payload(deadline="0001-01-01T00:00", timezone="Asia/Tokyo")
    response = Client().post(reverse("lobbies:create"), payload)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The deadline must be in the future." in response.content.decode()


@BOUNDED
@given(deadline=DATETIMES, zone=ZONE_VALUES, start=LOCAL_DAYS)
def test_the_settings_form(lobby, organizer_client, deadline, zone, start):
    payload = create_payload(
        deadline=deadline, timezone=zone, range_start=start, version=str(lobby.lobby.version)
    )
    response = organizer_client.post(reverse("lobbies:edit", args=[lobby.code]), payload)
    assert response.status_code in ANSWERS


@BOUNDED
@given(window=st.text(max_size=14) | st.integers(-(2**70), 2**70).map(str))
def test_settling_a_dated_lobby(lobby, organizer_client, window):
    payload = {"window": "other", "other_start": window, "place": ""}
    response = organizer_client.post(reverse("voting:settle", args=[lobby.code]), payload)
    assert response.status_code in ANSWERS


NEXT_WEDNESDAY = "next Wednesday"  # replaced by that date when the example runs
COUNTS = ["1", "52", "0", "x", "", str(MAX_COUNT), str(MAX_COUNT + 1), "99999999999999999999"]


@BOUNDED
@given(
    first=LOCAL_DAYS | st.just(NEXT_WEDNESDAY),
    until=LOCAL_DAYS | st.just(NEXT_WEDNESDAY),
    count=st.sampled_from(COUNTS),
)
@example(first="9999-12-29", until="9999-12-31", count="52")  # a Wednesday, the last one
@example(first="9999-12-29", until="", count=str(MAX_COUNT))
@example(first="9999-12-29", until="9999-12-31", count="")
@example(first="9999-12-29", until="", count="")
@example(first=NEXT_WEDNESDAY, until="9999-12-29", count="")
@example(first=NEXT_WEDNESDAY, until="", count=str(MAX_COUNT))
def test_settling_a_weekly_lobby(organizer_client, first, until, count):
    membership = services.create_lobby(weekly_settings(), "Olivia", None)
    code = membership.participant.code
    seat_client(organizer_client, code, membership.participant)
    start = evening_window(load_lobby(code), 1, 19)
    wednesday = next_on(3).isoformat()
    first, until = (wednesday if day == NEXT_WEDNESDAY else day for day in (first, until))
    for ends in ("never", "until", "count"):
        payload = {"window": "other", "other_start": str(start), "place": ""}
        payload.update(first_date=first, ends=ends, until_date=until, count=count)
        response = organizer_client.post(reverse("voting:settle", args=[code]), payload)
        assert response.status_code in ANSWERS
        if response.status_code == HTTPStatus.FOUND:
            # Settled: the page and the calendar file show it, whatever the dates.
            assert organizer_client.get(reverse("lobbies:detail", args=[code])).status_code == 200
            assert organizer_client.get(reverse("voting:ics", args=[code])).status_code == 200
            break


@BOUNDED
@given(zone=ZONE_VALUES)
def test_viewer_zones(lobby, organizer_client, zone):
    response = organizer_client.get(reverse("lobbies:timezone", args=[lobby.code]), {"tz": zone})
    assert response.status_code == HTTPStatus.FOUND
    # A browser sends cookies as bytes; the test client only encodes printable ASCII.
    organizer_client.cookies[TZ_COOKIE] = zone if zone.isascii() and zone.isprintable() else "?"
    page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code]))
    assert page.status_code == HTTPStatus.OK
    join = Client().post(
        reverse("lobbies:join", args=[lobby.code]), {"display_name": "Zed", "tz": zone}
    )
    assert join.status_code in ANSWERS
