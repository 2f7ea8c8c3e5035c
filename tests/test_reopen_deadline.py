"""Reopening a lobby whose deadline has passed asks for a new deadline (or removes it) in the
same step, so reopening never leaves answers, places and votes locked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.voting_support import evening_window, pass_deadline, reload, set_lobby
from voting import decisions
from voting.services import lock_reason

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def closed(lobby):
    """Settled, then past its deadline: what the organizer finds after the deadline."""
    set_lobby(lobby.code, deadline=datetime.now(UTC) + timedelta(hours=1))
    fresh = reload(lobby.code)
    decisions.settle(fresh, fresh.lobby.owner_id, evening_window(fresh, 1, 19), None)
    pass_deadline(lobby.code)
    return reload(lobby.code)


def reopen_url(code: str) -> str:
    return reverse("voting:reopen", args=[code])


def wall_clock(snapshot) -> str:
    """Noon on the lobby's first day (still to come), as a datetime-local input sends it."""
    return f"{snapshot.lobby.dates[0]}T12:00"


def test_the_reopen_form_asks_for_a_new_deadline(closed, organizer_client):
    page = organizer_client.get(reverse("lobbies:detail", args=[closed.code])).content.decode()
    assert 'name="reopen-deadline"' in page
    assert "Leave it empty to reopen without a deadline." in page


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_reopening_with_a_new_deadline_unlocks_everything(closed, organizer_client, headers):
    response = organizer_client.post(
        reopen_url(closed.code), {"reopen-deadline": wall_clock(closed)}, **headers
    )
    assert response.status_code == HTTPStatus.FOUND if not headers else HTTPStatus.OK
    if headers:
        assert response["HX-Redirect"] == reverse("lobbies:detail", args=[closed.code])
    lobby = reload(closed.code).lobby
    assert lobby.status == "open" and lock_reason(lobby) is None
    assert lobby.deadline > datetime.now(UTC)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_reopening_without_a_deadline_removes_it(closed, organizer_client, headers):
    assert closed.lobby.deadline is not None and lock_reason(closed.lobby) is not None
    organizer_client.post(reopen_url(closed.code), {"reopen-deadline": ""}, **headers)
    lobby = reload(closed.code).lobby
    assert lobby.status == "open" and lobby.deadline is None
    assert lock_reason(lobby) is None


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_past_deadline_is_refused_and_nothing_changes(closed, organizer_client, headers):
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = organizer_client.post(reopen_url(closed.code), {"reopen-deadline": past}, **headers)
    assert response.status_code == (HTTPStatus.OK if headers else HTTPStatus.BAD_REQUEST)
    page = response.content.decode()
    assert "The deadline must be in the future." in page
    assert f'value="{past}"' in page  # kept to correct
    assert reload(closed.code).lobby.status == "settled"


def test_a_deadline_still_to_come_stays(lobby, organizer_client):
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=5)
    set_lobby(lobby.code, deadline=deadline)
    fresh = reload(lobby.code)
    decisions.settle(fresh, fresh.lobby.owner_id, evening_window(fresh, 1, 19), None)
    page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
    assert 'name="reopen-deadline"' not in page
    organizer_client.post(reopen_url(lobby.code))
    reopened = reload(lobby.code).lobby
    assert reopened.status == "open" and reopened.deadline == deadline
