"""How long a weekly lobby is kept (its DynamoDB TTL on every item): as long as its settled
series runs, a stated time for a series with no end, recomputed on reopening and editing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import dateformat

from letshangout.dynamo import TableItem
from lobbies import services
from lobbies.availability import weekly
from lobbies.entities import Lobby
from lobbies.retention import expiry_for
from tests import test_weekly
from tests.test_weekly import next_on
from tests.voting_support import evening_window, propose, reload
from voting import decisions

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo(test_weekly.ZONE)

weekly_lobby = test_weekly.weekly_lobby  # the fixture, here too


def expiries(code: str) -> set[int]:
    """The TTL of every item of the lobby (Lobby, people, places)."""
    return {int(item.expires_at) for item in Lobby.collection(code, consistent=True)}


def settle(snapshot, repeat: weekly.Repeat):
    propose(snapshot.code, snapshot.lobby.owner_id, "The pitch")  # an item besides the people
    fresh = reload(snapshot.code)
    start = evening_window(fresh, 1, 19)  # Wednesday 19:00
    decisions.settle(fresh, fresh.lobby.owner_id, start, None, repeat=repeat)
    return reload(snapshot.code)


def test_a_series_until_a_date_is_kept_past_its_last_meeting(weekly_lobby):
    last = next_on(3) + timedelta(weeks=52)
    settled = settle(weekly_lobby, weekly.Repeat(next_on(3), until=last))
    assert expiries(settled.code) == {expiry_for([last])}


def test_a_counted_series_is_kept_past_its_last_meeting(weekly_lobby):
    first = next_on(3)
    settled = settle(weekly_lobby, weekly.Repeat(first, count=40))
    assert expiries(settled.code) == {expiry_for([first + timedelta(weeks=39)])}


def test_a_short_series_keeps_the_lobby_at_least_as_long_as_before(weekly_lobby):
    before = int(weekly_lobby.lobby.expires_at)
    settled = settle(weekly_lobby, weekly.Repeat(next_on(3), count=1))
    assert expiries(settled.code) == {before}


def test_a_series_with_no_end_is_kept_a_stated_time_after_settling(
    weekly_lobby, organizer_client, settings
):
    settled = settle(weekly_lobby, weekly.Repeat(next_on(3)))
    settled_at = settled.lobby.decision.settled_at
    days = settings.WEEKLY_SERIES_RETENTION_DAYS
    assert days > settings.WEEKLY_LOBBY_RETENTION_DAYS
    assert expiries(settled.code) == {int((settled_at + timedelta(days=days)).timestamp())}
    page = organizer_client.get(reverse("lobbies:detail", args=[settled.code])).content.decode()
    deleted = datetime.fromtimestamp(int(settled.lobby.expires_at), UTC).astimezone(ZONE)
    assert f"will be deleted on {dateformat.format(deleted, 'l j F Y')}" in page
    assert "Calendars that added the meetings keep them" in page


def test_a_series_with_no_end_from_far_ahead_outlives_its_first_meeting(weekly_lobby):
    first = next_on(3) + timedelta(weeks=52)
    settled = settle(weekly_lobby, weekly.Repeat(first))
    assert expiries(settled.code) == {expiry_for([first])}


def test_the_settle_form_says_how_long_the_lobby_is_kept(weekly_lobby, organizer_client, settings):
    response = organizer_client.get(reverse("voting:settle", args=[weekly_lobby.code]))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert f"kept {settings.LOBBY_RETENTION_DAYS} days after the last meeting" in page
    end = datetime.now(ZONE) + timedelta(days=settings.WEEKLY_SERIES_RETENTION_DAYS)
    assert f"With no end, it is kept until {dateformat.format(end, 'l j F Y')}, or" in page


def test_reopening_recomputes_the_expiry(weekly_lobby):
    settled = settle(weekly_lobby, weekly.Repeat(next_on(3), count=40))
    decisions.reopen(settled, settled.lobby.owner_id)
    reopened = reload(settled.code)
    expected = int(reopened.lobby.reopened_at.timestamp()) + 90 * 86400
    assert expiries(settled.code) == {expected}


def test_editing_a_settled_series_keeps_its_expiry(weekly_lobby):
    settled = settle(weekly_lobby, weekly.Repeat(next_on(3), count=40))
    kept = expiries(settled.code)
    services.update_settings(
        settled,
        settled.lobby.owner_id,
        int(settled.lobby.version),
        test_weekly.weekly_settings(title="Five-a-side, renamed"),
    )
    assert reload(settled.code).lobby.title == "Five-a-side, renamed"
    assert expiries(settled.code) == kept


def test_an_old_weekly_lobby_reopened_lives_on(weekly_lobby):
    """Created long ago (its creation-based TTL nearly due), settled, then reopened."""
    created = datetime.now(UTC) - timedelta(days=89)
    TableItem._get_connection().update_item(
        f"LOBBY#{weekly_lobby.code}",
        range_key="LOBBY",
        actions=[Lobby.created_at.set(created), Lobby.rev.add(1)],
    )
    settled = settle(reload(weekly_lobby.code), weekly.Repeat(next_on(3)))
    decisions.reopen(settled, settled.lobby.owner_id)
    soonest = datetime.now(UTC) + timedelta(days=89)
    assert min(expiries(settled.code)) > soonest.timestamp()
