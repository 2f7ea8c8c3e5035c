""" "Email me when everyone has answered" is offered only to an organizer with an address to
write to; a guest (or an unverified account) is told how to get it, and the server refuses
the box ticked anyway."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from letshangout import dynamo
from lobbies import services
from lobbies.store import load_lobby
from tests.conftest import seat_client
from tests.factories import create_payload, make_settings

NOTICE = "notify_owner_all_answered"
BOX = re.compile(r'<input type="checkbox" name="notify_owner_all_answered"[^>]*>')
REFUSED = "There is no verified email address to send it to."


def box_of(page: bytes) -> str:
    return BOX.search(page.decode())[0]


def lobby_codes() -> list[str]:
    return [item.code for item in dynamo.TableItem.scan() if item.sk == "LOBBY"]


@pytest.fixture
def member(django_user_model):
    def make(verified: bool):
        user = django_user_model.objects.create_user(
            username="olivia", email="olivia@example.com", password="correct horse battery"
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
        return user

    return make


@pytest.mark.django_db
class TestCreate:
    def test_a_guest_is_told_how_to_get_it(self, client):
        response = client.get(reverse("lobbies:create"))
        assert "disabled" in box_of(response.content)
        assert 'aria-describedby="notify-owner-help"' in box_of(response.content)
        assert b"Sign in</a> with a verified email address to get this email." in response.content

    def test_a_guest_who_ticks_it_anyway_is_refused_and_keeps_the_form(self, client):
        response = client.post(reverse("lobbies:create"), create_payload(**{NOTICE: "on"}))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert REFUSED in response.content.decode()
        assert 'value="Board games"' in response.content.decode()
        assert lobby_codes() == []

    def test_an_unverified_address_is_not_enough(self, client, member):
        client.force_login(member(verified=False))
        response = client.get(reverse("lobbies:create"))
        assert "disabled" in box_of(response.content)
        assert b"Verify your email address to receive it." in response.content
        response = client.post(reverse("lobbies:create"), create_payload(**{NOTICE: "on"}))
        assert response.status_code == HTTPStatus.BAD_REQUEST

    def test_a_verified_organizer_gets_the_choice(self, client, member):
        client.force_login(member(verified=True))
        assert "disabled" not in box_of(client.get(reverse("lobbies:create")).content)
        response = client.post(reverse("lobbies:create"), create_payload(**{NOTICE: "on"}))
        assert response.status_code == HTTPStatus.FOUND
        (code,) = lobby_codes()
        assert load_lobby(code).lobby.notify_owner_all_answered is True


@pytest.mark.django_db
def test_a_guest_organizers_settings_refuse_it(client):
    membership = services.create_lobby(make_settings(), "Olivia", None)
    code = membership.participant.code
    seat_client(client, code, membership.participant)
    url = reverse("lobbies:edit", args=[code])
    page = client.get(url)
    assert "disabled" in box_of(page.content)
    version = re.search(rb'name="version" value="(\d+)"', page.content)[1].decode()
    payload = create_payload(**{NOTICE: "on", "version": version})
    response = client.post(url, payload)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert REFUSED in response.content.decode()
    assert load_lobby(code).lobby.notify_owner_all_answered is False
