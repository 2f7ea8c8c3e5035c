"""The calendar feed of My lobbies: its address on My lobbies (owner only, shown once,
replaced by POST), and the feed itself (ETag, cancelled meetings, 404s, rate limits)."""

from __future__ import annotations

import re
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from lobbies import services
from lobbies.exports.feed_tokens import fingerprint
from lobbies.models import CalendarFeed
from lobbies.store import load_lobby
from tests.factories import make_settings
from tests.voting_support import evening_window, reload
from voting import decisions
from voting.calendar import feed

pytestmark = pytest.mark.django_db

MINE = reverse("lobbies:mine")
ADDRESS = reverse("lobbies:calendar_address")


@pytest.fixture(autouse=True)
def _fresh_feeds():
    feed.forget_feeds()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def new_address(client) -> str:
    """Make (or replace) the address and read it from My lobbies, the one page showing it."""
    response = client.post(ADDRESS, follow=True)
    assert response.status_code == HTTPStatus.OK
    return re.search(r'value="(https?://[^"]+/feeds/[^"]+\.ics)"', response.content.decode())[1]


def feed_path(url: str) -> str:
    return urlsplit(url).path


def lobby_of(user, **overrides):
    membership = services.create_lobby(make_settings(**overrides), "Sam", user.pk)
    return load_lobby(membership.participant.code), membership.participant


def settle(snapshot, participant, hour: int = 19, day: int = 0) -> None:
    decisions.settle(
        snapshot, participant.participant_id, evening_window(snapshot, day, hour), None
    )


def events(response) -> list:
    return Calendar.from_ical(response.content).walk("VEVENT")


class TestAddressOnMyLobbies:
    def test_a_first_visit_offers_to_make_one_and_makes_nothing(self, signed_in, user):
        page = signed_in.get(MINE).content.decode()
        assert "Create my calendar address" in page and "/feeds/" not in page
        assert not CalendarFeed.objects.filter(user=user).exists()

    def test_the_owner_sees_it_once_with_webcal_and_https(self, signed_in, user):
        page = signed_in.post(ADDRESS, follow=True).content.decode()
        url = re.search(r'value="(http[^"]+\.ics)"', page)[1]
        assert f'href="webcal://{url.split("://", 1)[1]}"' in page
        token = url.rsplit("/", 1)[1].removesuffix(".ics")
        assert len(token) == 22  # 128 bits, URL-safe base64
        assert CalendarFeed.objects.get(user=user).token_hash == fingerprint(token)
        again = signed_in.get(MINE).content.decode()
        assert token not in again and "Get a new address" in again

    def test_another_user_never_sees_it(self, signed_in, user, django_user_model):
        url = new_address(signed_in)
        other = django_user_model.objects.create_user("kim", "kim@example.com", "pw-long-enough")
        client = Client()
        client.force_login(other)
        assert url not in client.get(MINE).content.decode()
        assert client.get(ADDRESS).status_code == HTTPStatus.FOUND  # nothing to replace

    def test_signed_out_visitors_are_sent_to_sign_in(self, client):
        assert client.post(ADDRESS).status_code == HTTPStatus.FOUND
        assert not CalendarFeed.objects.exists()

    def test_replacing_asks_first(self, signed_in):
        new_address(signed_in)
        page = signed_in.get(ADDRESS).content.decode()
        assert "Get a new calendar address?" in page and 'method="post"' in page

    def test_replacing_needs_the_csrf_token(self, user):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        assert client.post(ADDRESS).status_code == HTTPStatus.FORBIDDEN
        assert not CalendarFeed.objects.exists()

    def test_a_new_address_ends_the_old_one_at_once(self, signed_in):
        old = feed_path(new_address(signed_in))
        assert signed_in.get(old).status_code == HTTPStatus.OK
        new = feed_path(new_address(signed_in))
        assert Client().get(old).status_code == HTTPStatus.NOT_FOUND
        assert Client().get(new).status_code == HTTPStatus.OK


class TestFeed:
    def test_no_lobbies_is_a_valid_empty_calendar(self, signed_in):
        response = Client().get(feed_path(new_address(signed_in)))
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        calendar = Calendar.from_ical(response.content)
        assert calendar.walk("VEVENT") == []
        text = response.content.decode()
        assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text and "X-PUBLISHED-TTL:PT1H" in text

    def test_a_settled_lobby_is_an_event_with_place_link_and_time(self, signed_in, user, settings):
        settings.SITE_URL = "https://hang.example"
        snapshot, me = lobby_of(user, title="Board games")
        settle(snapshot, me)
        url = feed_path(new_address(signed_in))
        (event,) = events(Client().get(url))
        decision = reload(snapshot.code).lobby.decision
        assert str(event["SUMMARY"]) == "Board games"
        assert event.decoded("DTSTART") == decision.starts_at
        link = f"https://hang.example/l/{snapshot.code}/"
        assert str(event["URL"]) == link and link in str(event["DESCRIPTION"])
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["UID"]) == f"lobby-{snapshot.code.lower()}@letshangout"

    def test_open_lobbies_and_others_lobbies_are_not_in_it(self, signed_in, user, lobby):
        lobby_of(user)  # open
        settle(lobby, lobby.participants[lobby.lobby.owner_id])  # someone else's
        assert events(Client().get(feed_path(new_address(signed_in)))) == []

    def test_a_reopened_lobby_stays_as_cancelled_with_a_higher_sequence(self, signed_in, user):
        snapshot, me = lobby_of(user)
        settle(snapshot, me)
        url = feed_path(new_address(signed_in))
        (settled,) = events(Client().get(url))
        decisions.reopen(reload(snapshot.code), me.participant_id)
        (cancelled,) = events(Client().get(url))
        assert str(cancelled["STATUS"]) == "CANCELLED"
        assert cancelled["UID"] == settled["UID"]
        assert cancelled["SEQUENCE"] > settled["SEQUENCE"]
        settle(reload(snapshot.code), me, hour=20)
        (again,) = events(Client().get(url))
        assert str(again["STATUS"]) == "CONFIRMED" and again["SEQUENCE"] > cancelled["SEQUENCE"]

    def test_a_lobby_left_is_no_longer_listed(self, signed_in, user, lobby):
        member = services.join_lobby(lobby, "Sam", user.pk).participant
        settle(reload(lobby.code), lobby.participants[lobby.lobby.owner_id])
        url = feed_path(new_address(signed_in))
        assert len(events(Client().get(url))) == 1
        services.leave_lobby(reload(lobby.code), member.participant_id)
        assert events(Client().get(url)) == []

    def test_etag_answers_304_until_a_lobby_changes(self, signed_in, user):
        snapshot, me = lobby_of(user)
        url = feed_path(new_address(signed_in))
        first = Client().get(url)
        etag = first["ETag"]
        again = Client().get(url, headers={"if-none-match": etag})
        assert again.status_code == HTTPStatus.NOT_MODIFIED
        settle(snapshot, me)
        changed = Client().get(url, headers={"if-none-match": etag})
        assert changed.status_code == HTTPStatus.OK and changed["ETag"] != etag

    @pytest.mark.parametrize("token", ["A" * 22, "short", "x" * 300, "..%2e"])
    def test_an_unknown_token_is_404(self, client, token):
        assert client.get(f"/feeds/{token}.ics").status_code == HTTPStatus.NOT_FOUND

    def test_only_get(self, signed_in):
        url = feed_path(new_address(signed_in))
        assert Client().post(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED

    def test_a_feed_asked_too_often_is_429_with_retry_after(self, signed_in, settings):
        url = feed_path(new_address(signed_in))
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "calendar_feed": (2, 600)}
        client = Client()
        assert [client.get(url).status_code for _ in range(2)] == [HTTPStatus.OK] * 2
        refused = client.get(url)
        assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert int(refused["Retry-After"]) > 0

    def test_guessing_from_one_address_is_429(self, client, settings):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "calendar_feed_address": (3, 600)}
        codes = [client.get(f"/feeds/guess{n}.ics").status_code for n in range(4)]
        assert codes == [HTTPStatus.NOT_FOUND] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
