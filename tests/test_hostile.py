"""Hostile use: codes cannot be tested route by route, a personal link asks before it changes
anything, a removed person stays out, creating lobbies is limited per person (keeping the
form), and the rate limiter lets requests through when its cache fails."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from letshangout import dynamo, ratelimit
from lobbies import services
from lobbies.errors import LobbyError
from lobbies.store import load_lobby
from tests.factories import create_payload

UNKNOWN = "ZZZZZZZZ"

# Every lobby route a participant uses, as (method, path under /l/<code>/).
ROUTES = [
    ("get", "group/"),
    ("get", "who/?day=0&time=0"),
    ("get", "event.ics"),
    ("get", "settings/"),
    ("post", "settings/"),
    ("get", "settle/"),
    ("post", "settle/"),
    ("get", "delete/"),
    ("post", "delete/"),
    ("post", "availability/"),
    ("get", "poll/?rev=1"),
    ("post", "lock/"),
    ("post", "leave/"),
    ("post", "my-link/"),
    ("get", "timezone/"),
    ("post", "participants/abc/remove/"),
    ("post", "places/"),
    ("get", "places/abc/edit/"),
    ("get", "places/abc/delete/"),
    ("post", "places/abc/delete/"),
    ("post", "places/abc/vote/"),
    ("post", "reopen/"),
    ("post", "notifications/"),
    ("post", "take-over/"),
    ("get", "comments/delete/?comment=abc"),
    ("post", "comments/delete/"),
]


def _send(client: Client, method: str, code: str, path: str):
    return getattr(client, method)(f"/l/{code}/{path}")


def _plain(response) -> str:
    """The page without what differs on every response (CSRF tokens, CSP nonces)."""
    text = response.content.decode()
    return re.sub(r"(csrfmiddlewaretoken|X-CSRFToken|nonce)[^>]*", "", text)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_an_outsider_and_an_unknown_code_get_the_same_404_without_a_read(lobby, method, path):
    outsider = Client()
    with dynamo.count_calls() as calls:
        real = _send(outsider, method, lobby.code, path)
        unknown = _send(outsider, method, UNKNOWN, path)
    assert real.status_code == unknown.status_code == HTTPStatus.NOT_FOUND
    # The page may echo the path it was asked for (the language switcher's `next`).
    assert _plain(real).replace(lobby.code, UNKNOWN) == _plain(unknown)
    assert calls.count == 0


@pytest.mark.django_db
def test_a_signed_in_outsider_gets_the_same_404(lobby, user):
    outsider = Client()
    outsider.force_login(user)
    for method, path in ROUTES[:6]:
        real = _send(outsider, method, lobby.code, path)
        unknown = _send(outsider, method, UNKNOWN, path)
        assert real.status_code == unknown.status_code == HTTPStatus.NOT_FOUND, path
        assert _plain(real).replace(lobby.code, UNKNOWN) == _plain(unknown)


@pytest.mark.django_db
def test_testing_codes_on_any_route_hits_the_lookup_limit(lobby, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lobby_lookup": (5, 60)}
    cache.clear()
    guesser = Client()
    statuses = [_send(guesser, m, UNKNOWN, p).status_code for m, p in ROUTES[:8]]
    assert statuses[:5] == [HTTPStatus.NOT_FOUND] * 5
    assert set(statuses[5:]) == {HTTPStatus.TOO_MANY_REQUESTS}
    # The same limit as the lobby page and the join form.
    response = guesser.get(reverse("lobbies:detail", args=[UNKNOWN]))
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) >= 1


# --- personal links ----------------------------------------------------------------------------


def _link(code: str, token: str) -> str:
    return reverse("lobbies:personal_link", args=[code, token])


@pytest.mark.django_db
def test_a_personal_link_asks_before_it_changes_anything(lobby):
    ann = services.join_lobby(load_lobby(lobby.code), "Ann", None)
    device = Client()
    page = device.get(_link(lobby.code, ann.token))
    assert page.status_code == HTTPStatus.OK
    assert "Continue as Ann" in page.content.decode()
    assert device.session.get("lobby_seats", {}) == {}
    response = device.post(_link(lobby.code, ann.token))
    assert response.status_code == HTTPStatus.FOUND
    assert device.session["lobby_seats"] == {lobby.code: ann.participant.participant_id}


@pytest.mark.django_db
def test_a_personal_link_never_silently_replaces_a_seat(lobby, organizer_client):
    ann = services.join_lobby(load_lobby(lobby.code), "Ann", None)
    owner_id = lobby.lobby.owner_id
    page = organizer_client.get(_link(lobby.code, ann.token)).content.decode()
    assert "already in this lobby as <strong>Olivia</strong>" in page
    assert organizer_client.session["lobby_seats"][lobby.code] == owner_id
    # A POST without saying "switch" changes nothing either.
    refused = organizer_client.post(_link(lobby.code, ann.token))
    assert refused.status_code == HTTPStatus.CONFLICT
    assert organizer_client.session["lobby_seats"][lobby.code] == owner_id
    switched = organizer_client.post(_link(lobby.code, ann.token), {"switch": "1"})
    assert switched.status_code == HTTPStatus.FOUND
    assert organizer_client.session["lobby_seats"][lobby.code] == ann.participant.participant_id


@pytest.mark.django_db
def test_signing_up_after_a_mere_look_at_a_link_claims_nothing(lobby, user):
    device = Client()
    organizer_link = load_lobby(lobby.code)  # the organizer's seat
    token = services.new_personal_token(organizer_link, lobby.lobby.owner_id)
    device.get(_link(lobby.code, token))
    device.force_login(user)  # claims the guest seats this browser holds: none
    assert load_lobby(lobby.code).organizer.user_id is None


# --- removal is a ban ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_removed_guest_cannot_rejoin_under_another_name(lobby, organizer_client):
    troll = Client()
    join = reverse("lobbies:join", args=[lobby.code])
    assert troll.post(join, {"display_name": "Troll"}).status_code == HTTPStatus.FOUND
    seat = troll.session["lobby_seats"][lobby.code]
    remove = reverse("lobbies:remove_participant", args=[lobby.code, seat])
    assert organizer_client.post(remove).status_code == HTTPStatus.FOUND
    again = troll.post(join, {"display_name": "Nice person"})
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert "removed you from this lobby" in again.content.decode()
    assert [p.display_name for p in load_lobby(lobby.code).participants.values()] == ["Olivia"]
    # Someone else, on another browser, still joins.
    assert Client().post(join, {"display_name": "Ann"}).status_code == HTTPStatus.FOUND


@pytest.mark.django_db
def test_a_removed_account_cannot_rejoin_from_another_browser(lobby, user):
    member = services.join_lobby(load_lobby(lobby.code), "Sam", user.pk, "b" * 32)
    services.remove_participant(
        load_lobby(lobby.code), lobby.lobby.owner_id, member.participant.participant_id
    )
    other = Client()
    other.force_login(user)
    response = other.post(reverse("lobbies:join", args=[lobby.code]), {"display_name": "S"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert len(load_lobby(lobby.code).participants) == 1


@pytest.mark.django_db
def test_the_ban_holds_in_the_transaction_for_a_join_from_an_old_snapshot(lobby):
    before = load_lobby(lobby.code)  # read before the removal
    member = services.join_lobby(before, "Troll", None, "c" * 32)
    services.remove_participant(
        load_lobby(lobby.code), lobby.lobby.owner_id, member.participant.participant_id
    )
    with pytest.raises(LobbyError, match="removed you"):
        services.join_lobby(before, "Again", None, "c" * 32)


# --- creating lobbies ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_creation_limit_keeps_the_form_and_says_the_true_wait(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lobby_create": (2, 3600)}
    cache.clear()
    guest = Client()
    url = reverse("lobbies:create")
    for n in range(2):
        assert guest.post(url, create_payload(title=f"Plan {n}")).status_code == HTTPStatus.FOUND
    refused = guest.post(url, create_payload(title="Surprise party for Bea"))
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    page = refused.content.decode()
    assert 'value="Surprise party for Bea"' in page
    minutes = int(re.search(r"create another in (\d+) minutes", page).group(1))
    # An hour's sliding window: between half an hour and an hour and a half, never "a minute".
    assert 29 <= minutes <= 91


@pytest.mark.django_db
def test_people_behind_one_address_each_have_their_own_creation_limit(settings, user):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lobby_create": (1, 3600)}
    cache.clear()
    url = reverse("lobbies:create")
    office = [Client(REMOTE_ADDR="203.0.113.7") for _n in range(3)]
    office[2].force_login(user)
    for n, person in enumerate(office):
        assert person.post(url, create_payload(title=f"Team {n}")).status_code == HTTPStatus.FOUND
    assert office[0].post(url, create_payload(title="Again")).status_code == 429
    # The address as a whole has a looser backstop for guests who drop their cookies.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lobby_create_address": (3, 3600)}
    cache.clear()
    statuses = [
        Client(REMOTE_ADDR="203.0.113.8").post(url, create_payload(title="x")).status_code
        for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]


# --- the limiter's cache ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_cache_that_fails_to_store_a_slot_lets_the_request_through(
    lobby, monkeypatch, settings, caplog
):
    """The database cache answers "database is locked" on INSERT with add() == False."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lobby_lookup": (3, 60)}
    cache.clear()
    monkeypatch.setattr(ratelimit.cache, "add", lambda *args, **kwargs: False)
    with caplog.at_level(logging.WARNING, logger="letshangout.ratelimit"):
        statuses = {Client().get(f"/l/{UNKNOWN}/").status_code for _n in range(5)}
    assert statuses == {HTTPStatus.NOT_FOUND}
    assert "rate limit cache unavailable" in caplog.text


@pytest.mark.django_db
def test_a_lobby_page_for_a_seated_visitor_is_not_a_guess(lobby, organizer_client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lobby_lookup": (1, 60)}
    cache.clear()
    for _n in range(3):
        assert organizer_client.get(f"/l/{lobby.code}/group/").status_code in {200, 302}
