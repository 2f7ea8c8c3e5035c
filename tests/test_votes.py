"""Voting on places: by form and htmx, the lock, bad input, and concurrent writes."""

from __future__ import annotations

import random
import re
import threading
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from letshangout import dynamo
from lobbies import codes
from lobbies import services as lobby_services
from lobbies.availability.answers import spec_for
from lobbies.entities import Participant
from lobbies.errors import LobbyError
from lobbies.store import load_lobby, lobby_rev
from tests.html import elements
from tests.voting_support import pass_deadline, propose, reload, stored_votes, vote
from voting import decisions, services
from voting.presenters import place_rows


def vote_url(code: str, place_id: str) -> str:
    return reverse("voting:vote", args=[code, place_id])


@pytest.fixture
def place(lobby):
    return propose(lobby.code, lobby.lobby.owner_id, "Café Rouge")


@pytest.mark.django_db
class TestVoteView:
    def test_plain_form_stores_vote_and_redirects_to_the_place(
        self, lobby, organizer_client, place
    ):
        response = organizer_client.post(vote_url(lobby.code, place.place_id), {"value": "yes"})
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].endswith(f"#place-{place.place_id}")
        assert stored_votes(lobby.code, lobby.lobby.owner_id) == {place.place_id: "yes"}

    def test_htmx_vote_asks_the_live_poll_for_the_ranked_list(self, lobby, organizer_client, place):
        rev = lobby_rev(lobby.code)
        response = organizer_client.post(
            vote_url(lobby.code, place.place_id),
            {"value": "maybe"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == HTTPStatus.NO_CONTENT
        assert "live:poll" in response.headers["HX-Trigger"]
        assert stored_votes(lobby.code, lobby.lobby.owner_id) == {place.place_id: "maybe"}
        poll = organizer_client.get(
            reverse("lobbies:poll", args=[lobby.code]), {"rev": rev}, HTTP_HX_REQUEST="true"
        )
        body = poll.content.decode()
        maybe = [b for b in elements(body, "button") if b.attrs.get("value") == "maybe"]
        assert [b.attrs["class"] for b in maybe] == ["vote-button vote-maybe"]
        assert maybe[0].attrs["aria-pressed"] == "true"
        assert "1 if need be" in body

    def test_vote_can_change_and_stays_one_per_place(self, lobby, organizer_client, place):
        for value in ("yes", "no", "maybe"):
            organizer_client.post(vote_url(lobby.code, place.place_id), {"value": value})
        assert stored_votes(lobby.code, lobby.lobby.owner_id) == {place.place_id: "maybe"}
        body = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert "1 if need be" in body
        assert "0 yes" in body

    def test_vote_bumps_rev(self, lobby, organizer_client, place):
        before = lobby_rev(lobby.code)
        organizer_client.post(vote_url(lobby.code, place.place_id), {"value": "yes"})
        assert lobby_rev(lobby.code) == before + 1

    @pytest.mark.parametrize("value", ["", "YES", "maybe ", "absolutely", "x" * 1000])
    def test_unknown_value_is_refused(self, lobby, organizer_client, place, value):
        response = organizer_client.post(vote_url(lobby.code, place.place_id), {"value": value})
        assert response.status_code == HTTPStatus.FOUND
        page = organizer_client.get(response["Location"]).content.decode()
        assert "Choose yes, if need be or no." in page
        assert stored_votes(lobby.code, lobby.lobby.owner_id) == {}

    def test_unknown_value_with_htmx_shows_the_message(self, lobby, organizer_client, place):
        response = organizer_client.post(
            vote_url(lobby.code, place.place_id), {"value": "nah"}, headers={"HX-Request": "true"}
        )
        assert response.status_code == HTTPStatus.OK
        assert 'role="alert">Choose yes, if need be or no.' in response.content.decode()

    def test_missing_value_is_refused(self, lobby, organizer_client, place):
        organizer_client.post(vote_url(lobby.code, place.place_id))
        assert stored_votes(lobby.code, lobby.lobby.owner_id) == {}

    @pytest.mark.parametrize("place_id", ["unknown", "x" * 300, "%00", "PLACE#x"])
    def test_vote_for_unknown_place_is_refused(self, lobby, organizer_client, place, place_id):
        response = organizer_client.post(vote_url(lobby.code, place_id), {"value": "yes"})
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].endswith("#places")
        page = organizer_client.get(response["Location"]).content.decode()
        assert "That place is no longer on the list." in page
        assert stored_votes(lobby.code, lobby.lobby.owner_id) == {}

    def test_vote_for_withdrawn_place_counts_for_nothing(self, lobby, organizer_client, place):
        services.delete_place(reload(lobby.code), lobby.lobby.owner_id, place.place_id)
        response = organizer_client.post(
            vote_url(lobby.code, place.place_id), {"value": "yes"}, headers={"HX-Request": "true"}
        )
        assert response.status_code == HTTPStatus.NO_CONTENT  # the live poll drops the card
        assert services.ranked_places(reload(lobby.code)) == []

    def test_vote_after_deadline_is_refused(self, lobby, organizer_client, place):
        pass_deadline(lobby.code)
        response = organizer_client.post(vote_url(lobby.code, place.place_id), {"value": "yes"})
        page = organizer_client.get(response["Location"]).content.decode()
        assert "The deadline has passed, so places and votes are closed." in page
        assert stored_votes(lobby.code, lobby.lobby.owner_id) == {}

    def test_vote_once_settled_is_refused(self, lobby, organizer_client, place):
        snapshot = reload(lobby.code)
        start = decisions.window_starts(spec_for(snapshot.lobby), 4)[0]
        decisions.settle(snapshot, snapshot.lobby.owner_id, start, place.place_id)
        response = organizer_client.post(
            vote_url(lobby.code, place.place_id), {"value": "yes"}, headers={"HX-Request": "true"}
        )
        assert "This lobby is settled" in response.content.decode()
        assert stored_votes(lobby.code, lobby.lobby.owner_id) == {}

    def test_locked_page_has_no_vote_buttons(self, lobby, organizer_client, place):
        vote(lobby.code, lobby.lobby.owner_id, place.place_id, "yes")
        pass_deadline(lobby.code)
        body = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert vote_url(lobby.code, place.place_id) not in body
        assert "Your vote: Yes" in body
        assert "Propose a place" not in body

    def test_outsider_gets_404(self, lobby, place):
        response = Client().post(vote_url(lobby.code, place.place_id), {"value": "yes"})
        assert response.status_code == HTTPStatus.NOT_FOUND

    def test_get_is_not_allowed(self, lobby, organizer_client, place):
        response = organizer_client.get(vote_url(lobby.code, place.place_id))
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED

    def test_removed_participant_cannot_vote(self, lobby, join_as, place):
        client, participant = join_as(lobby, "Gus")
        # The session still holds the seat, but the organizer removed them meanwhile.
        Participant(*Participant.key_for(lobby.code, participant.participant_id)).delete()
        response = client.post(vote_url(lobby.code, place.place_id), {"value": "yes"})
        assert response.status_code == HTTPStatus.NOT_FOUND

    def test_every_vote_form_is_a_real_form_with_htmx_on_top(self, lobby, organizer_client, place):
        body = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        url = vote_url(lobby.code, place.place_id)
        # Each button submits the one shared form, with its CSRF token, to the place's URL.
        (form,) = [f for f in elements(body, "form") if f.attrs.get("id") == "vote-form"]
        assert form.attrs["method"] == "post" and "hidden" in form.attrs
        tokens = [i for i in elements(body, "input") if i.inside("vote-form")]
        assert [(i.attrs["type"], i.attrs["name"]) for i in tokens] == [
            ("hidden", "csrfmiddlewaretoken")
        ]
        buttons = [b for b in elements(body, "button") if b.attrs.get("form") == "vote-form"]
        assert [b.attrs["value"] for b in buttons] == ["yes", "maybe", "no"]
        for button in buttons:
            assert button.attrs["type"] == "submit" and button.attrs["name"] == "value"
            assert button.attrs["formaction"] == url and button.attrs["hx-post"] == url


@pytest.mark.django_db
class TestRankingOnThePage:
    def test_places_are_ranked_with_who_voted_what(self, lobby, join_as, organizer_client):
        owner = lobby.lobby.owner_id
        _c1, ann = join_as(lobby, "Ann")
        _c2, bob = join_as(lobby, "Bob")
        early = propose(lobby.code, owner, "Early Bird")
        pizza = propose(lobby.code, owner, "Pizza")
        sushi = propose(lobby.code, owner, "Sushi")
        vote(lobby.code, ann.participant_id, pizza.place_id, "yes")
        vote(lobby.code, bob.participant_id, pizza.place_id, "maybe")
        vote(lobby.code, ann.participant_id, sushi.place_id, "yes")
        vote(lobby.code, bob.participant_id, sushi.place_id, "yes")
        vote(lobby.code, owner, sushi.place_id, "no")
        vote(lobby.code, owner, early.place_id, "no")
        body = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        order = [body.index(f'id="place-{p.place_id}"') for p in (sushi, pizza, early)]
        assert order == sorted(order)
        sushi_card = body[order[0] : order[1]]
        assert "2 yes" in sushi_card
        assert re.search(r"<dd>\s*Ann, Bob\s*</dd>", sushi_card)
        assert re.search(r"<dd>\s*Olivia\s*</dd>", sushi_card)
        ranked = [s.place_id for s in services.ranked_places(reload(lobby.code))]
        assert ranked == [sushi.place_id, pizza.place_id, early.place_id]

    def test_a_vote_shows_at_once_in_the_places_it_changed(self, lobby, join_as):
        owner = lobby.lobby.owner_id
        _client, ann = join_as(lobby, "Ann")
        pizza = propose(lobby.code, owner, "Pizza")
        sushi = propose(lobby.code, owner, "Sushi")
        vote(lobby.code, ann.participant_id, pizza.place_id, "yes")
        vote(lobby.code, ann.participant_id, sushi.place_id, "maybe")

        def shown(snapshot) -> dict:
            return {row.place.place_id: row for row in place_rows(snapshot, owner)}

        before = shown(reload(lobby.code))
        vote(lobby.code, owner, sushi.place_id, "no")
        after = shown(reload(lobby.code))
        assert before[sushi.place_id].ranked.no == () and before[sushi.place_id].my_vote is None
        assert after[sushi.place_id].ranked.no == ("Olivia",)
        assert after[sushi.place_id].my_vote == "no"
        assert after[pizza.place_id].ranked.yes == ("Ann",)
        assert after[pizza.place_id].my_vote is None

    def test_an_edited_place_is_shown_as_it_is_now(self, lobby, organizer_client):
        owner = lobby.lobby.owner_id
        place = propose(lobby.code, owner, "Pizza")
        page = reverse("lobbies:detail", args=[lobby.code])
        assert "Pizza" in organizer_client.get(page).content.decode()
        snapshot = reload(lobby.code)
        services.edit_place(
            snapshot, owner, place.place_id, services.PlaceValues(name="Pizza Napoli")
        )
        assert "Pizza Napoli" in organizer_client.get(page).content.decode()


@pytest.mark.django_db
class TestConcurrentVotes:
    def test_two_tabs_voting_on_different_places_both_survive(self, lobby):
        owner = lobby.lobby.owner_id
        places = [propose(lobby.code, owner, f"Place {n}") for n in range(2)]
        barrier = threading.Barrier(2)
        errors = []

        def tab(index: int, value: str):
            try:
                barrier.wait()
                services.cast_vote(lobby.code, owner, places[index].place_id, value)
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [
            threading.Thread(target=tab, args=(0, "yes")),
            threading.Thread(target=tab, args=(1, "no")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert stored_votes(lobby.code, owner) == {
            places[0].place_id: "yes",
            places[1].place_id: "no",
        }

    def test_many_votes_of_one_person_at_once_all_survive(self, lobby):
        owner = lobby.lobby.owner_id
        places = [propose(lobby.code, owner, f"Place {n}") for n in range(12)]
        barrier = threading.Barrier(len(places))

        def cast(place):
            barrier.wait()
            services.cast_vote(lobby.code, owner, place.place_id, "maybe")

        threads = [threading.Thread(target=cast, args=(p,)) for p in places]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert stored_votes(lobby.code, owner) == {p.place_id: "maybe" for p in places}

    def test_many_participants_voting_at_once_give_exact_tallies(self, lobby):
        owner = lobby.lobby.owner_id
        places = [propose(lobby.code, owner, f"Place {n}") for n in range(3)]
        people = [
            lobby_services.join_lobby(reload(lobby.code), f"P{n}", None).participant
            for n in range(24)
        ]
        rng = random.Random(4)
        ballots = {
            p.participant_id: {pl.place_id: rng.choice(["yes", "maybe", "no"]) for pl in places}
            for p in people
        }
        barrier = threading.Barrier(len(people))
        errors = []

        def voter(participant_id: str):
            try:
                barrier.wait()
                for place_id, value in ballots[participant_id].items():
                    services.cast_vote(lobby.code, participant_id, place_id, value)
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=voter, args=(p.participant_id,)) for p in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        scores = {s.place_id: s for s in services.ranked_places(reload(lobby.code))}
        for place in places:
            expected = {
                value: sorted(pid for pid, b in ballots.items() if b[place.place_id] == value)
                for value in ("yes", "maybe", "no")
            }
            score = scores[place.place_id]
            assert sorted(score.yes) == expected["yes"]
            assert sorted(score.maybe) == expected["maybe"]
            assert sorted(score.no) == expected["no"]


class TestTheWriteDecides:
    """A vote reads nothing first: the write of my answer checks the voter, and the move of
    the lobby's rev checks the lobby as it is when it is written; when either says no,
    nothing of the vote stays behind."""

    def refused(self, lobby, voter_id, place_id, message):
        rev = lobby_rev(lobby.code)
        with pytest.raises(LobbyError, match=message):
            services.cast_vote(lobby.code, voter_id, place_id, "yes")
        assert lobby_rev(lobby.code) == rev

    def test_a_place_withdrawn_a_moment_ago_counts_for_nothing(self, lobby, place):
        owner = lobby.lobby.owner_id
        services.delete_place(reload(lobby.code), owner, place.place_id)
        services.cast_vote(lobby.code, owner, place.place_id, "yes")
        assert services.ranked_places(reload(lobby.code)) == []

    def test_a_ballot_cannot_grow_past_its_bound(self, lobby):
        owner = lobby.lobby.owner_id
        gone = [codes.new_id() for _ in range(services.BALLOT_MAX + 1)]
        for place_id in gone[:-1]:
            services.cast_vote(lobby.code, owner, place_id, "no")
        with pytest.raises(LobbyError):
            services.cast_vote(lobby.code, owner, gone[-1], "no")
        services.cast_vote(lobby.code, owner, gone[0], "yes")  # changing one still works

    def test_a_lobby_settled_a_moment_ago(self, lobby, place):
        owner = lobby.lobby.owner_id
        services.cast_vote(lobby.code, owner, place.place_id, "maybe")
        decisions.settle(reload(lobby.code), owner, 0, place.place_id)
        self.refused(lobby, owner, place.place_id, "Votes closed a moment ago")
        assert stored_votes(lobby.code, owner) == {place.place_id: "maybe"}  # taken back

    def test_a_deadline_passed_a_moment_ago(self, lobby, place):
        owner = lobby.lobby.owner_id
        pass_deadline(lobby.code)
        self.refused(lobby, owner, place.place_id, "Votes closed a moment ago")
        assert stored_votes(lobby.code, owner) == {}

    def test_a_voter_removed_a_moment_ago(self, lobby, join_as, place):
        _, ann = join_as(lobby, "Ann")
        owner = lobby.lobby.owner_id

        lobby_services.remove_participant(reload(lobby.code), owner, ann.participant_id)
        self.refused(lobby, ann.participant_id, place.place_id, "not in this lobby")
        assert load_lobby(lobby.code).participant(ann.participant_id) is None

    def test_a_vote_is_two_writes_and_no_read(self, lobby, organizer_client, place):
        with dynamo.count_calls() as calls:
            response = organizer_client.post(vote_url(lobby.code, place.place_id), {"value": "yes"})
        assert response.status_code == HTTPStatus.FOUND
        assert calls.operations == ["UpdateItem", "UpdateItem"]
        # With htmx the answer is empty and asks the live poll for the new tallies at once.
        with dynamo.count_calls() as calls:
            response = organizer_client.post(
                vote_url(lobby.code, place.place_id), {"value": "maybe"}, HTTP_HX_REQUEST="true"
            )
        assert response.status_code == HTTPStatus.NO_CONTENT
        assert "live:poll" in response.headers["HX-Trigger"]
        assert calls.operations == ["UpdateItem", "UpdateItem"]
        assert stored_votes(lobby.code, lobby.lobby.owner_id) == {place.place_id: "maybe"}
