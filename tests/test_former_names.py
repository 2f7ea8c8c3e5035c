"""A seat whose account was deleted reads "Former participant" in each reader's language, in
every place that names it, and nobody waits for its answers any more."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from lobbies import services
from lobbies.comments import services as comments
from lobbies.entities import Participant
from lobbies.store import update_in_lobby
from tests.voting_support import evening_window, mark, propose, reload, slots
from voting import decisions

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


@pytest.fixture
def departed(user, lobby, organizer_client):
    """Sam joined Olivia's lobby, proposed a place and commented, never marked a time, then
    deleted his account from a German browser. Olivia marked her times."""
    sam = services.join_lobby(reload(lobby.code), "Sam", user.pk).participant
    propose(lobby.code, sam.participant_id, "Pizza Bar")
    comments.post_comment(reload(lobby.code), sam.participant_id, "see you there")
    start = evening_window(reload(lobby.code))
    mark(lobby.code, lobby.lobby.owner_id, yes=slots(start, 4))
    client = Client()
    client.force_login(user)
    client.post(reverse("lobbies:delete_account"), {"confirm": "on"}, **GERMAN)
    return sam


def page(client: Client, code: str, **headers) -> str:
    return client.get(reverse("lobbies:detail", args=[code]), **headers).content.decode()


@pytest.mark.django_db
class TestFormerParticipantName:
    def test_named_in_the_readers_language_everywhere(self, departed, lobby, organizer_client):
        body = page(organizer_client, lobby.code, **FRENCH)
        assert "Ehemalige Person" not in body and "Former participant" not in body
        assert "Proposé par Ancien participant" in body
        assert body.count("Ancien participant") >= 3  # people, place card, comment
        english = page(organizer_client, lobby.code)
        assert "Proposed by Former participant" in english

    def test_the_seat_holds_a_marker_not_words(self, departed, lobby):
        seat = reload(lobby.code).participant(departed.participant_id)
        assert seat.released_at is not None
        assert seat.display_name != "Ehemalige Person"

    def test_seats_released_by_older_code_read_translated_too(
        self, lobby, join_as, organizer_client
    ):
        _client, gus = join_as(lobby, "Gus")
        services.rename_participant(reload(lobby.code), gus.participant_id, "Ehemalige Person")
        body = page(organizer_client, lobby.code, **FRENCH)
        assert "Ehemalige Person" not in body and "Ancien participant" in body

    def test_the_export_names_it_in_the_readers_language(self, departed, lobby, organizer_client):
        url = reverse("lobbies:export_lobby", args=[lobby.code, "json"])
        data = json.loads(organizer_client.get(url, **FRENCH).content)
        names = {person["id"]: person["name"] for person in data["participants"]}
        assert names[departed.participant_id] == "Ancien participant"

    def test_never_waited_for(self, departed, lobby, organizer_client):
        body = page(organizer_client, lobby.code)
        assert "Not answered yet" not in body
        assert "1 of 1 has answered." in body
        assert decisions.everyone_answered(reload(lobby.code)) is False  # one person is no group

    def test_the_group_has_answered_once_the_others_have(self, departed, lobby, join_as):
        _client, ann = join_as(lobby, "Ann")
        assert not decisions.everyone_answered(reload(lobby.code))
        mark(lobby.code, ann.participant_id, yes=slots(evening_window(reload(lobby.code)), 2))
        snapshot = reload(lobby.code)
        place = snapshot.places[0].place_id
        for person in (lobby.lobby.owner_id, ann.participant_id):
            update_in_lobby(
                lobby.code,
                Participant(*Participant.key_for(lobby.code, person)),
                [Participant.votes[place].set("yes")],
            )
        assert decisions.everyone_answered(reload(lobby.code))


@pytest.mark.django_db
class TestALobbyLeftWithoutOrganizer:
    """Olivia (organizer) marked her times, then her seat lost its account; Ben answered, Carla
    did not. Her marks are answers she really gave: they stay in the heatmap, the best times
    and who can come as "Former participant", and count as answered; nobody waits for her."""

    @pytest.fixture
    def orphaned(self, lobby, join_as):
        from tests.test_account_handover import orphan

        start = evening_window(reload(lobby.code))
        mark(lobby.code, lobby.lobby.owner_id, yes=slots(start, 4))
        ben_client, ben = join_as(lobby, "Ben")
        mark(lobby.code, ben.participant_id, yes=slots(start, 4))
        join_as(lobby, "Carla")
        orphan(lobby.code, lobby.lobby.owner_id)
        return ben_client

    def test_no_organizer_badge_on_the_former_seat(self, lobby, orphaned):
        body = page(orphaned, lobby.code)
        assert "This lobby has no organizer" in body
        assert 'class="badge">organizer<' not in body

    def test_the_counts_agree(self, lobby, orphaned):
        body = page(orphaned, lobby.code)
        assert "2 of 3 have answered." in body
        assert "more of the 2 people shown" in body
        assert "Former participant" in body
