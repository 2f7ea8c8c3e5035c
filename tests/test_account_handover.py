"""An organizer who deletes their account hands each lobby over first, and a lobby the old
release left without an organizer can be taken over by any participant: a lobby always has
someone who can settle it, change its settings, lock it or delete it."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from letshangout.dynamo import TableItem
from lobbies import services
from lobbies.entities import Participant
from lobbies.people import accounts
from lobbies.store import update_in_lobby
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.voting_support import evening_window, mark, reload, slots

DELETE = reverse("lobbies:delete_account")


def settle(client: Client, code: str):
    start = evening_window(reload(code))
    return client.post(reverse("voting:settle", args=[code]), {"window": start, "place": ""})


def field(code: str) -> str:
    return f"successor_{code}"


@pytest.fixture
def party(user, join_as):
    """Sam (signed in) organizes a lobby Ann, then Bob, joined; everyone marked one evening."""
    own = services.create_lobby(make_settings(title="Sam's party"), "Sam", user.pk).participant
    ann_client, ann = join_as(reload(own.code), "Ann")
    bob_client, bob = join_as(reload(own.code), "Bob")
    start = evening_window(reload(own.code))
    for person in (own, ann, bob):
        mark(own.code, person.participant_id, yes=slots(start, 4))
    sam = Client()
    sam.force_login(user)
    return {
        "code": own.code,
        "sam": sam,
        "own": own,
        "ann": (ann_client, ann),
        "bob": (bob_client, bob),
    }


@pytest.mark.django_db
class TestHandOverOnDelete:
    def test_delete_page_asks_who_takes_over_defaulting_to_the_longest_standing(self, party):
        page = party["sam"].get(DELETE).content.decode()
        ann, bob = party["ann"][1], party["bob"][1]
        assert f'name="{field(party["code"])}"' in page
        assert f'value="{ann.participant_id}" selected' in page
        assert f'value="{bob.participant_id}"' in page
        assert "Sam&#x27;s party" in page or "Sam's party" in page
        assert "takes over" in page

    def test_successor_can_settle_after_the_organizer_deleted_their_account(self, party):
        code = party["code"]
        bob_client, bob = party["bob"]
        response = party["sam"].post(DELETE, {"confirm": "on", field(code): bob.participant_id})
        assert response.status_code == HTTPStatus.FOUND
        snapshot = reload(code)
        assert snapshot.is_organizer(bob.participant_id)
        former = snapshot.participant(party["own"].participant_id)
        assert former.is_former and former.user_id is None
        assert settle(bob_client, code).status_code == HTTPStatus.FOUND
        assert reload(code).lobby.status == "settled"
        # The others see a lobby with an organizer, not a "Former participant · organizer".
        page = party["ann"][0].get(reverse("lobbies:detail", args=[code])).content.decode()
        assert "Former participant" in page

    def test_posting_without_a_choice_takes_the_default(self, party):
        code = party["code"]
        party["sam"].post(DELETE, {"confirm": "on"})
        assert reload(code).is_organizer(party["ann"][1].participant_id)

    def test_a_successor_who_is_not_in_the_lobby_is_refused(self, party, user):
        code = party["code"]
        response = party["sam"].post(DELETE, {"confirm": "on", field(code): "nobody"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert reload(code).is_organizer(party["own"].participant_id)
        assert reload(code).participant(party["own"].participant_id).user_id == user.pk

    def test_a_successor_who_left_meanwhile_loses_nothing(self, party, user):
        code = party["code"]
        bob = party["bob"][1]
        page = party["sam"].get(DELETE)  # the form offered Bob...
        assert page.status_code == HTTPStatus.OK
        services.leave_lobby(reload(code), bob.participant_id)  # ...who leaves before the POST
        response = party["sam"].post(DELETE, {"confirm": "on", field(code): bob.participant_id})
        assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.CONFLICT)
        assert "no longer in" in response.content.decode()
        snapshot = reload(code)
        assert snapshot.is_organizer(party["own"].participant_id)
        assert snapshot.participant(party["own"].participant_id).user_id == user.pk

    def test_the_hand_over_is_conditional_on_the_successor_still_being_there(self, party, user):
        """The race the form cannot see: the successor leaves between the check and the write."""
        code = party["code"]
        bob = party["bob"][1]
        services.leave_lobby(reload(code), bob.participant_id)
        with pytest.raises(accounts.SuccessorGone):
            accounts.release_seats(user.pk, {code: bob.participant_id})
        snapshot = reload(code)
        assert snapshot.is_organizer(party["own"].participant_id)
        assert snapshot.participant(party["own"].participant_id).user_id == user.pk

    def test_a_lobby_nobody_else_joined_needs_no_choice(self, user):
        alone = services.create_lobby(make_settings(), "Sam", user.pk).participant
        sam = Client()
        sam.force_login(user)
        assert field(alone.code) not in sam.get(DELETE).content.decode()
        assert sam.post(DELETE, {"confirm": "on"}).status_code == HTTPStatus.FOUND
        assert reload(alone.code).participant(alone.participant_id).is_former


def orphan(code: str, participant_id: str) -> None:
    """What the old release left: the organizer's seat without its account, named in English."""
    item = Participant(*Participant.key_for(code, participant_id))
    update_in_lobby(
        code,
        item,
        [
            Participant.user_id.remove(),
            Participant.gsi1pk.remove(),
            Participant.gsi1sk.remove(),
            Participant.display_name.set("Former participant"),
        ],
    )
    assert isinstance(item, TableItem)


@pytest.mark.django_db
class TestTakeOverAnOrphanedLobby:
    def test_any_participant_takes_over_and_settles(self, party):
        code = party["code"]
        orphan(code, party["own"].participant_id)
        ann_client, ann = party["ann"]
        url = reverse("lobbies:take_over", args=[code])
        page = ann_client.get(reverse("lobbies:detail", args=[code])).content.decode()
        assert f'action="{url}"' in page
        assert settle(ann_client, code).status_code == HTTPStatus.FORBIDDEN
        response = ann_client.post(url)
        assert response.status_code == HTTPStatus.FOUND
        assert reload(code).is_organizer(ann.participant_id)
        assert settle(ann_client, code).status_code == HTTPStatus.FOUND

    def test_only_one_takes_over(self, party):
        code = party["code"]
        orphan(code, party["own"].participant_id)
        url = reverse("lobbies:take_over", args=[code])
        party["ann"][0].post(url)
        response = party["bob"][0].post(url, follow=True)
        assert reload(code).is_organizer(party["ann"][1].participant_id)
        assert "already" in response.content.decode()

    def test_a_lobby_with_an_organizer_cannot_be_taken_over(self, lobby, join_as):
        client, _ann = join_as(lobby, "Ann")
        client.post(reverse("lobbies:take_over", args=[lobby.code]))
        assert reload(lobby.code).lobby.owner_id == lobby.lobby.owner_id
        page = client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert reverse("lobbies:take_over", args=[lobby.code]) not in page

    def test_outsiders_get_404_and_get_is_refused(self, party):
        code = party["code"]
        orphan(code, party["own"].participant_id)
        url = reverse("lobbies:take_over", args=[code])
        assert Client().post(url).status_code == HTTPStatus.NOT_FOUND
        assert party["ann"][0].get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert reload(code).is_organizer(party["own"].participant_id)

    def test_csrf_is_required(self, party):
        code = party["code"]
        orphan(code, party["own"].participant_id)
        client = Client(enforce_csrf_checks=True)
        seat_client(client, code, party["ann"][1])
        response = client.post(reverse("lobbies:take_over", args=[code]))
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert reload(code).is_organizer(party["own"].participant_id)
