"""Sessions are Django's signed-cookie engine: no database read on a page or a poll, and
signing out ends the session."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.conf import settings
from django.urls import reverse

from lobbies.store import lobby_rev

pytestmark = pytest.mark.django_db


def test_the_engine_is_djangos_signed_cookies():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.signed_cookies"


def test_a_browser_keeps_its_seat_across_requests(lobby, join_as):
    client, _ann = join_as(lobby, "Ann")
    page = client.get(reverse("lobbies:detail", args=[lobby.code]))
    assert "Ann" in page.content.decode() and b"Leave this lobby" in page.content


def test_a_lobby_page_and_a_poll_make_no_database_query(lobby, join_as, django_assert_num_queries):
    client, _ann = join_as(lobby, "Ann")
    rev = lobby_rev(lobby.code)
    with django_assert_num_queries(0):
        page = client.get(reverse("lobbies:detail", args=[lobby.code]))
        poll = client.get(reverse("lobbies:poll", args=[lobby.code]), {"rev": rev})
    assert page.status_code == HTTPStatus.OK and b"Leave this lobby" in page.content
    assert poll.status_code == HTTPStatus.NO_CONTENT


def test_joining_writes_the_seat_into_the_cookie(lobby, client):
    response = client.post(reverse("lobbies:join", args=[lobby.code]), {"display_name": "Bo"})
    assert response.status_code == HTTPStatus.FOUND
    assert settings.SESSION_COOKIE_NAME in response.cookies
    page = client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
    assert "Bo" in page and "Leave this lobby" in page


def test_signing_out_ends_the_session(client, user, lobby):
    client.force_login(user)
    assert client.get(reverse("lobbies:mine")).status_code == HTTPStatus.OK
    response = client.post(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FOUND
    mine = client.get(reverse("lobbies:mine"))
    assert mine.status_code == HTTPStatus.FOUND and "login" in mine["Location"]


def test_changing_the_password_ends_sessions_elsewhere(client, user):
    client.force_login(user)
    elsewhere = client.cookies[settings.SESSION_COOKIE_NAME].value
    user.set_password("a brand new password")
    user.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = elsewhere
    mine = client.get(reverse("lobbies:mine"))
    assert mine.status_code == HTTPStatus.FOUND and "login" in mine["Location"]
