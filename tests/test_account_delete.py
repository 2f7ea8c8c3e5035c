"""Deleting an account: seats become anonymous guests, everything else keeps working."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from lobbies import services
from lobbies.entities import Participant
from lobbies.people import accounts
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.voting_support import evening_window, mark, reload, slots

URL = reverse("lobbies:delete_account")


@pytest.fixture
def signed_in(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seats(user, lobby):
    """The user organizes one lobby and joined another (`lobby`, organized by Olivia)."""
    own = services.create_lobby(make_settings(title="Sam's party"), "Sam", user.pk)
    joined = services.join_lobby(reload(lobby.code), "Sam", user.pk)
    mark(lobby.code, joined.participant.participant_id, yes=slots(evening_window(lobby), 4))
    return own.participant, joined.participant


@pytest.mark.django_db
class TestDeleteAccount:
    def test_confirmation_page(self, signed_in):
        response = signed_in.get(URL)
        assert response.status_code == HTTPStatus.OK
        assert "Former participant" in response.content.decode()
        assert 'method="post"' in response.content.decode()

    def test_anonymous_visitors_are_sent_to_sign_in(self):
        response = Client().get(URL)
        assert response.status_code == HTTPStatus.FOUND
        assert reverse("account_login") in response["Location"]

    def test_post_without_confirming_changes_nothing(self, signed_in, user, seats):
        response = signed_in.post(URL, {})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert get_user_model().objects.filter(pk=user.pk).exists()
        assert reload(seats[0].code).participants[seats[0].participant_id].user_id == user.pk

    def test_get_never_deletes(self, signed_in, user):
        signed_in.get(URL + "?confirm=on")
        assert get_user_model().objects.filter(pk=user.pk).exists()

    def test_deletes_user_emails_and_session(self, signed_in, user, seats):
        other_device = Client()
        other_device.force_login(user)
        response = signed_in.post(URL, {"confirm": "on"})
        assert response.status_code == HTTPStatus.FOUND
        assert not get_user_model().objects.filter(pk=user.pk).exists()
        assert not EmailAddress.objects.filter(email=user.email).exists()
        # This browser is signed out, and so is every other: the user is gone.
        mine = reverse("lobbies:mine")
        assert signed_in.get(mine).status_code == HTTPStatus.FOUND
        assert other_device.get(mine).status_code == HTTPStatus.FOUND

    def test_seats_become_former_participants(self, signed_in, user, seats, lobby):
        own, joined = seats
        signed_in.post(URL, {"confirm": "on"})
        for seat in seats:
            person = reload(seat.code).participants[seat.participant_id]
            assert person.display_name == "Former participant"
            assert person.user_id is None
            assert person.gsi1pk is None and person.gsi1sk is None
        assert not list(Participant.for_user(user.pk))
        # Their marks still count, and the organizer's lobby still has its organizer.
        from lobbies.availability.answers import answers_of

        assert joined.participant_id in answers_of(reload(lobby.code))
        assert reload(own.code).is_organizer(own.participant_id)

    def test_others_still_see_the_lobbies(self, signed_in, seats, lobby, organizer_client):
        signed_in.post(URL, {"confirm": "on"})
        page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code]))
        assert page.status_code == HTTPStatus.OK
        assert "Former participant" in page.content.decode()

    def test_organizer_seat_keeps_working_as_a_guest(self, signed_in, seats):
        own, _joined = seats
        signed_in.post(URL, {"confirm": "on"})
        guest = Client()
        seat_client(guest, own.code, own)
        url = reverse("lobbies:detail", args=[own.code])
        assert guest.get(url).status_code == HTTPStatus.OK
        edit = guest.get(reverse("lobbies:edit", args=[own.code]))
        assert edit.status_code == HTTPStatus.OK

    def test_release_bumps_each_lobbys_rev(self, user, seats):
        revs = {seat.code: reload(seat.code).rev for seat in seats}
        assert accounts.release_seats(user.pk) == 2
        for code, rev in revs.items():
            assert reload(code).rev == rev + 1
        assert accounts.release_seats(user.pk) == 0

    def test_mine_page_links_here(self, signed_in):
        page = signed_in.get(reverse("lobbies:mine")).content.decode()
        assert URL in page
