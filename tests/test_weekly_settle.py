"""Settling a weekly lobby: the repeat mode follows what was filled in, the first date follows
the chosen weekday, one error per mistake, and the lobby page's quick "Settle on this"."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import dateformat

from lobbies.availability import weekly
from tests import test_weekly
from tests.test_weekly import next_on
from tests.voting_support import evening_window, mark, reload, slots

weekly_lobby = test_weekly.weekly_lobby  # the fixture, here too

pytestmark = pytest.mark.django_db


def settle_url(code: str) -> str:
    return reverse("voting:settle", args=[code])


def post_settle(client, snapshot, **fields):
    """Settle on Wednesday 19:00 (the lobby's days are Mon, Wed, Fri) with these fields."""
    payload = {
        "window": "other",
        "other_start": str(evening_window(snapshot, 1, 19)),
        "place": "",
        "first_date": next_on(3).isoformat(),
        "ends": "never",
    }
    payload.update(fields)
    return client.post(settle_url(snapshot.code), payload)


def errors_of(response) -> list[str]:
    """Each field error's message: a paragraph "field-error" of its own, or a paragraph in
    a field's "field-error" block (includes/field.html)."""
    page = response.content.decode()
    own = re.findall(r'<p class="field-error"[^>]*>([^<]*)<', page)
    blocks = re.findall(r'<div class="field-error"[^>]*>(.*?)</div>', page, re.S)
    return own + [message for block in blocks for message in re.findall(r"<p>([^<]*)</p>", block)]


class TestRepeatFollowsWhatWasFilledIn:
    def test_a_last_date_under_no_end_settles_until_that_date(self, weekly_lobby, organizer_client):
        last = next_on(3) + timedelta(weeks=20)
        response = post_settle(organizer_client, weekly_lobby, until_date=last.isoformat())
        assert response.status_code == HTTPStatus.FOUND
        decision = reload(weekly_lobby.code).lobby.decision
        assert decision.until_date == last.isoformat() and not decision.repeat_count

    def test_a_count_under_no_end_settles_that_many_times(self, weekly_lobby, organizer_client):
        response = post_settle(organizer_client, weekly_lobby, count="5")
        assert response.status_code == HTTPStatus.FOUND
        decision = reload(weekly_lobby.code).lobby.decision
        assert int(decision.repeat_count) == 5 and not decision.until_date

    @pytest.mark.parametrize("ends", ["never", "until", "count"])
    def test_a_last_date_and_a_count_are_refused_with_one_message(
        self, weekly_lobby, organizer_client, ends
    ):
        response = post_settle(
            organizer_client, weekly_lobby, ends=ends, until_date="2027-01-01", count="5"
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert errors_of(response) == ["Give a last date or a number of times, not both."]
        assert reload(weekly_lobby.code).lobby.status == "open"
        page = response.content.decode()  # nothing lost
        assert 'value="2027-01-01"' in page and 'name="count" value="5"' in page

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"ends": "until", "count": "5"}, "Give the last date, or choose no end."),
            ({"ends": "count", "until_date": "2027-01-01"}, "Say how many times"),
        ],
    )
    def test_a_mode_whose_field_is_empty_is_refused(
        self, weekly_lobby, organizer_client, fields, message
    ):
        response = post_settle(organizer_client, weekly_lobby, **fields)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        (error,) = errors_of(response)
        assert message in error
        assert reload(weekly_lobby.code).lobby.status == "open"

    @pytest.mark.parametrize("ends", ["never", "count"])
    def test_a_count_of_zero_shows_one_error(self, weekly_lobby, organizer_client, ends):
        response = post_settle(organizer_client, weekly_lobby, ends=ends, count="0")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert len(errors_of(response)) == 1


class TestFirstDateFollowsTheWeekday:
    def test_left_empty_it_is_the_next_such_weekday(self, weekly_lobby, organizer_client):
        friday = evening_window(weekly_lobby, 2, 19)
        response = post_settle(
            organizer_client, weekly_lobby, other_start=str(friday), first_date=""
        )
        assert response.status_code == HTTPStatus.FOUND
        first = date.fromisoformat(reload(weekly_lobby.code).lobby.decision.first_date)
        assert first.isoweekday() == 5 and timedelta(0) <= first - date.today() < timedelta(8)

    def test_the_form_gives_each_column_its_next_date(self, weekly_lobby, organizer_client):
        page = organizer_client.get(settle_url(weekly_lobby.code)).content.decode()
        (dates,) = re.findall(r'data-first-dates="([^"]*)"', page)
        days = [date.fromisoformat(day) for day in dates.split()]
        assert [day.isoweekday() for day in days] == [1, 3, 5]
        assert all(timedelta(0) <= day - date.today() < timedelta(8) for day in days)


class TestSettleOnTheRecommendation:
    def test_a_weekly_lobby_has_the_quick_button(self, weekly_lobby, organizer_client):
        start = evening_window(weekly_lobby, 2, 19)
        mark(weekly_lobby.code, weekly_lobby.lobby.owner_id, yes=slots(start, 4))
        page = organizer_client.get(reverse("lobbies:detail", args=[weekly_lobby.code]))
        assert "Settle on this" in page.content.decode()

    def test_the_quick_button_settles_from_the_next_such_weekday(
        self, weekly_lobby, organizer_client
    ):
        start = evening_window(weekly_lobby, 2, 19)
        mark(weekly_lobby.code, weekly_lobby.lobby.owner_id, yes=slots(start, 4))
        response = organizer_client.post(
            settle_url(weekly_lobby.code), {"window": str(start), "place": ""}
        )
        assert response.status_code == HTTPStatus.FOUND
        decision = reload(weekly_lobby.code).lobby.decision
        assert date.fromisoformat(decision.first_date).isoweekday() == 5
        assert not decision.until_date and not decision.repeat_count


def last_monday_within_a_year() -> date:
    """The last Monday a first date may be: within the next year, as days are on creation."""
    limit = datetime.now(ZoneInfo(test_weekly.ZONE)).date() + timedelta(days=365)
    return limit - timedelta(days=(limit.isoweekday() - 1) % 7)


class TestFarDatesAreRefusedClearly:
    """The tester's inputs gave a 500 (OverflowError) and lost the form; each is refused with
    one message, the lobby stays open and what was typed stays."""

    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            (
                {"first_date": "9999-12-27", "ends": "count", "count": "520"},
                "first_date",
                "Choose a first date within the next year.",
            ),
            (
                {"first_date": "9999-12-27", "ends": "until", "until_date": "9999-12-31"},
                "first_date",
                "Choose a first date within the next year.",
            ),
            (
                {"first_date": "9999-12-27", "ends": "never"},
                "first_date",
                "Choose a first date within the next year.",
            ),
            (
                {"first_date": "FIRST", "ends": "until", "until_date": "9999-12-27"},
                "until_date",
                "Choose a last date no later than",
            ),
        ],
    )
    def test_the_testers_inputs(self, weekly_lobby, organizer_client, fields, field, message):
        monday = evening_window(weekly_lobby, 0, 19)
        if fields["first_date"] == "FIRST":
            fields["first_date"] = next_on(1).isoformat()
        response = post_settle(organizer_client, weekly_lobby, other_start=str(monday), **fields)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        (error,) = errors_of(response)
        assert message in error
        assert reload(weekly_lobby.code).lobby.status == "open"
        assert f'value="{fields[field]}"' in response.content.decode()  # nothing lost

    def test_the_last_first_date_within_a_year_settles(self, weekly_lobby, organizer_client):
        monday = evening_window(weekly_lobby, 0, 19)
        first = last_monday_within_a_year()
        response = post_settle(
            organizer_client,
            weekly_lobby,
            other_start=str(monday),
            first_date=first.isoformat(),
            ends="count",
            count=str(weekly.MAX_COUNT),
        )
        assert response.status_code == HTTPStatus.FOUND
        assert (
            organizer_client.get(reverse("lobbies:detail", args=[weekly_lobby.code])).status_code
            == 200
        )
        assert (
            organizer_client.get(reverse("voting:ics", args=[weekly_lobby.code])).status_code == 200
        )

    def test_a_week_later_is_refused(self, weekly_lobby, organizer_client):
        monday = evening_window(weekly_lobby, 0, 19)
        first = last_monday_within_a_year() + timedelta(weeks=1)
        response = post_settle(
            organizer_client, weekly_lobby, other_start=str(monday), first_date=first.isoformat()
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert errors_of(response) == ["Choose a first date within the next year."]

    @pytest.mark.parametrize(
        ("weeks", "settles"), [(weekly.MAX_COUNT - 1, True), (weekly.MAX_COUNT, False)]
    )
    def test_the_last_date_is_within_as_many_weeks_as_a_count(
        self, weekly_lobby, organizer_client, weeks, settles
    ):
        first = next_on(3)
        last = first + timedelta(weeks=weeks)
        response = post_settle(
            organizer_client, weekly_lobby, ends="until", until_date=last.isoformat()
        )
        if settles:
            assert response.status_code == HTTPStatus.FOUND
        else:
            assert response.status_code == HTTPStatus.BAD_REQUEST
            latest = dateformat.format(last - timedelta(weeks=1), "l j F Y")
            assert errors_of(response) == [f"Choose a last date no later than {latest}."]
