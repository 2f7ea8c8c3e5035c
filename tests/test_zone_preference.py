"""A signed-in user's time zone is kept on the account (for the emails they receive): taken
from the browser's `tz` cookie at sign-in, when they choose a zone, and when their browser's
zone changes; keeping it up to date reads no table on an ordinary request."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from letshangout.models import TimeZonePreference
from lobbies.page.labels import TZ_COOKIE

pytestmark = pytest.mark.django_db

NEW_YORK = "America/New_York"
CREDENTIALS = {"login": "sam@example.com", "password": "correct horse battery"}


def stored_zone(user) -> str | None:
    row = TimeZonePreference.objects.filter(user=user).first()
    return row.zone if row else None


def browser_in(zone: str) -> Client:
    """A browser whose script has set the `tz` cookie, URL-encoded as grid.js writes it."""
    client = Client()
    client.cookies[TZ_COOKIE] = zone.replace("/", "%2F")
    return client


def zone_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "timezonepreference" in q["sql"].lower()]


class TestSignIn:
    def test_stores_the_visits_zone(self, user):
        response = browser_in(NEW_YORK).post(reverse("account_login"), CREDENTIALS)
        assert response.status_code == HTTPStatus.FOUND
        assert stored_zone(user) == NEW_YORK

    def test_a_sign_in_from_elsewhere_moves_it(self, user):
        TimeZonePreference.objects.create(user=user, zone="Europe/Berlin")
        browser_in("Asia/Tokyo").post(reverse("account_login"), CREDENTIALS)
        assert stored_zone(user) == "Asia/Tokyo"

    def test_without_a_zone_or_with_an_unknown_one_nothing_is_stored(self, user):
        Client().post(reverse("account_login"), CREDENTIALS)
        response = browser_in("Mars/Olympus").post(reverse("account_login"), CREDENTIALS)
        assert response.status_code == HTTPStatus.FOUND
        assert stored_zone(user) is None


class TestChoosing:
    def test_the_zone_picker_stores_a_signed_in_choice(self, user, lobby):
        client = browser_in("Europe/Berlin")
        client.force_login(user)
        url = reverse("lobbies:timezone", args=[lobby.code])
        response = client.get(url, {"tz": NEW_YORK})
        assert response.status_code == HTTPStatus.FOUND
        assert response.cookies[TZ_COOKIE].value == NEW_YORK
        assert stored_zone(user) == NEW_YORK

    def test_an_unknown_choice_changes_nothing(self, user, lobby):
        client = Client()
        client.force_login(user)
        url = reverse("lobbies:timezone", args=[lobby.code])
        response = client.get(url, {"tz": "Mars/Olympus"})
        assert response.status_code == HTTPStatus.FOUND
        assert stored_zone(user) is None

    def test_a_guests_choice_stores_nothing(self, lobby):
        url = reverse("lobbies:timezone", args=[lobby.code])
        Client().get(url, {"tz": NEW_YORK})
        assert not TimeZonePreference.objects.exists()

    def test_the_join_form_stores_the_browsers_zone(self, user, lobby):
        client = Client()
        client.force_login(user)
        url = reverse("lobbies:join", args=[lobby.code])
        response = client.post(url, {"display_name": "Sam", "tz": NEW_YORK})
        assert response.status_code == HTTPStatus.FOUND
        assert stored_zone(user) == NEW_YORK


class TestFollowingTheBrowser:
    def test_a_new_zone_in_the_cookie_is_stored_once(self, user):
        client = browser_in("Europe/Berlin")
        client.post(reverse("account_login"), CREDENTIALS)
        client.cookies[TZ_COOKIE] = "Asia%2FTokyo"  # the person travelled
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("lobbies:home"))
        assert zone_queries(queries) and stored_zone(user) == "Asia/Tokyo"
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("lobbies:home"))
        assert zone_queries(queries) == []

    def test_the_same_zone_reads_no_table(self, user):
        client = browser_in(NEW_YORK)
        client.post(reverse("account_login"), CREDENTIALS)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("lobbies:home"))
        assert zone_queries(queries) == []

    def test_a_guests_cookie_costs_no_query(self, django_assert_num_queries):
        client = browser_in(NEW_YORK)
        with django_assert_num_queries(0):
            assert client.get(reverse("lobbies:home")).status_code == HTTPStatus.OK


def test_deleting_the_account_deletes_its_zone(user):
    client = browser_in(NEW_YORK)
    client.post(reverse("account_login"), CREDENTIALS)
    assert stored_zone(user) == NEW_YORK
    response = client.post(reverse("lobbies:delete_account"), {"confirm": "on"})
    assert response.status_code == HTTPStatus.FOUND
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert not TimeZonePreference.objects.exists()
