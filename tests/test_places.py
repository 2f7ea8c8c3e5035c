"""Proposing, editing, withdrawing and removing places: services and views."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from lobbies.availability.answers import spec_for
from lobbies.store import lobby_rev
from tests.voting_support import pass_deadline, propose, reload
from voting import decisions, services
from voting.entities import Place
from voting.ranking import normalize_place_key


def propose_url(code: str) -> str:
    return reverse("voting:propose", args=[code])


def place_payload(**overrides) -> dict:
    payload = {"name": "Café Rouge", "address": "1 Main St", "link": "", "note": ""}
    payload.update(overrides)
    return payload


def stored_places(code: str) -> list[Place]:
    return list(reload(code).places)


@pytest.mark.django_db
class TestPropose:
    def test_plain_form_stores_place_and_redirects_to_it(self, lobby, organizer_client):
        response = organizer_client.post(
            propose_url(lobby.code),
            place_payload(link="https://example.com/rouge", note="Good wine"),
        )
        (place,) = stored_places(lobby.code)
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].endswith(f"#place-{place.place_id}")
        assert (place.name, place.address, place.link, place.note) == (
            "Café Rouge",
            "1 Main St",
            "https://example.com/rouge",
            "Good wine",
        )
        assert place.proposer_id == lobby.lobby.owner_id
        assert place.expires_at == lobby.lobby.expires_at
        page = organizer_client.get(response["Location"])
        assert "Café Rouge" in page.content.decode()
        assert f'id="place-{place.place_id}"' in page.content.decode()

    def test_htmx_answers_with_the_places_section(self, lobby, organizer_client):
        response = organizer_client.post(
            propose_url(lobby.code), place_payload(), headers={"HX-Request": "true"}
        )
        assert response.status_code == HTTPStatus.OK
        body = response.content.decode()
        assert body.lstrip().startswith('<section class="card places" id="places"')
        assert "Café Rouge" in body
        assert "<html" not in body

    # Zero-width spaces, a word joiner between spaces, a left-to-right mark.
    @pytest.mark.parametrize("name", ["\u200b\u200b", " \u2060 ", "\u200e"])
    def test_a_name_nobody_could_see_is_refused(self, lobby, organizer_client, name):
        response = organizer_client.post(propose_url(lobby.code), place_payload(name=name))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "Give the place a name." in response.content.decode()
        assert stored_places(lobby.code) == []

    def test_proposal_bumps_rev(self, lobby, organizer_client):
        before = lobby_rev(lobby.code)
        organizer_client.post(propose_url(lobby.code), place_payload())
        assert lobby_rev(lobby.code) == before + 1

    def test_link_without_scheme_becomes_https(self, lobby, organizer_client):
        organizer_client.post(propose_url(lobby.code), place_payload(link="example.com/x"))
        assert stored_places(lobby.code)[0].link == "https://example.com/x"

    @pytest.mark.parametrize(
        "link",
        [
            "javascript:alert(1)",
            "JavaScript:alert(document.cookie)",
            "data:text/html,<script>alert(1)</script>",
            "ftp://example.com/file",
            "file:///etc/passwd",
            "vbscript:msgbox(1)",
            "http://",
            "https://exa mple.com",
        ],
    )
    def test_links_other_than_web_links_are_refused(self, lobby, organizer_client, link):
        response = organizer_client.post(propose_url(lobby.code), place_payload(link=link))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert stored_places(lobby.code) == []
        body = response.content.decode()
        # One message, said once: Django's own URL check must not repeat it in its words.
        assert body.count("Enter a web address that starts with http:// or https://.") == 1
        assert "Enter a valid URL." not in body

    def test_html_in_every_field_shows_as_text(self, lobby, organizer_client):
        script = "<script>alert('x')</script>"
        organizer_client.post(
            propose_url(lobby.code),
            place_payload(name=f"Bar {script}", address=f"<b>{script}</b>", note=script),
        )
        body = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
        assert "&lt;b&gt;" in body

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("name", "", "This field is required."),
            ("name", "   ", "This field is required."),
            ("name", "x" * 201, "at most 200 characters"),
            ("address", "x" * 301, "at most 300 characters"),
            ("note", "x" * 501, "at most 500 characters"),
            ("link", "https://example.com/" + "x" * 500, "at most 500 characters"),
            ("name", "bad\x00name", "Null characters are not allowed."),
        ],
    )
    def test_bad_fields_are_refused_with_a_message(
        self, lobby, organizer_client, field, value, message
    ):
        response = organizer_client.post(propose_url(lobby.code), place_payload(**{field: value}))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert message in response.content.decode()
        assert stored_places(lobby.code) == []

    def test_longest_allowed_values_are_accepted(self, lobby, organizer_client):
        organizer_client.post(
            propose_url(lobby.code), place_payload(name="n" * 200, note="x" * 500)
        )
        (place,) = stored_places(lobby.code)
        assert len(place.name) == 200
        assert len(place.note) == 500

    def test_bad_htmx_proposal_comes_back_in_the_section_with_the_input(
        self, lobby, organizer_client
    ):
        response = organizer_client.post(
            propose_url(lobby.code),
            place_payload(link="javascript:alert(1)", name="Kept name"),
            headers={"HX-Request": "true"},
        )
        body = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert 'value="Kept name"' in body
        assert "field-error" in body
        assert stored_places(lobby.code) == []

    def test_duplicate_says_so_and_links_to_the_existing_place(self, lobby, organizer_client):
        first = propose(lobby.code, lobby.lobby.owner_id, "Café Rouge", address="1 Main St")
        response = organizer_client.post(
            propose_url(lobby.code), place_payload(name="  cafe   ROUGE ", address="1 main st.")
        )
        body = response.content.decode()
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "is already on the list" in body
        assert f'href="#place-{first.place_id}"' in body
        assert len(stored_places(lobby.code)) == 1

    def test_same_name_at_another_address_is_not_a_duplicate(self, lobby, organizer_client):
        propose(lobby.code, lobby.lobby.owner_id, "Café Rouge", address="1 Main St")
        organizer_client.post(propose_url(lobby.code), place_payload(address="99 Other Rd"))
        assert len(stored_places(lobby.code)) == 2

    def test_cap_of_fifty_places(self, lobby, organizer_client):
        for n in range(services.MAX_PLACES):
            propose(lobby.code, lobby.lobby.owner_id, f"Place {n}")
        response = organizer_client.post(propose_url(lobby.code), place_payload(name="One more"))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "50 places, the most it can hold" in response.content.decode()
        assert len(stored_places(lobby.code)) == services.MAX_PLACES

    def test_after_the_deadline_proposals_are_refused(self, lobby, organizer_client):
        pass_deadline(lobby.code)
        response = organizer_client.post(propose_url(lobby.code), place_payload())
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "The deadline has passed" in response.content.decode()
        assert stored_places(lobby.code) == []

    def test_once_settled_proposals_are_refused(self, lobby, organizer_client):
        snapshot = reload(lobby.code)
        start = decisions.window_starts(spec_for(snapshot.lobby), 4)[0]
        decisions.settle(snapshot, snapshot.lobby.owner_id, start, None)
        response = organizer_client.post(propose_url(lobby.code), place_payload())
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "This lobby is settled" in response.content.decode()
        assert stored_places(lobby.code) == []

    def test_outsider_gets_404_and_nothing_is_stored(self, lobby, client):
        response = client.post(propose_url(lobby.code), place_payload())
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert stored_places(lobby.code) == []

    def test_unknown_lobby_is_404(self, organizer_client):
        response = organizer_client.post(propose_url("ZZZZZZZZ"), place_payload())
        assert response.status_code == HTTPStatus.NOT_FOUND

    def test_get_is_not_allowed(self, lobby, organizer_client):
        response = organizer_client.get(propose_url(lobby.code))
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED

    def test_proposing_is_rate_limited(self, lobby, organizer_client, settings):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "place_propose": (2, 600)}
        for n in range(2):
            organizer_client.post(propose_url(lobby.code), place_payload(name=f"P{n}"))
        response = organizer_client.post(propose_url(lobby.code), place_payload(name="P3"))
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert len(stored_places(lobby.code)) == 2
        # The form comes back with what was typed and how long to wait, with htmx or without.
        assert 'value="P3"' in response.content.decode()
        assert "too often in a short time. Wait" in response.content.decode()
        headers = {"HX-Request": "true"}
        url, payload = propose_url(lobby.code), place_payload(name="P4")
        htmx = organizer_client.post(url, payload, headers=headers)
        assert htmx.status_code == HTTPStatus.TOO_MANY_REQUESTS and htmx["Retry-After"]
        body = htmx.content.decode()
        assert 'value="P4"' in body and "Wait" in body and "<html" not in body

    def test_page_shows_the_form_and_the_empty_state(self, lobby, organizer_client):
        body = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert "Propose a place" in body
        assert "No places yet" in body
        assert f'action="{propose_url(lobby.code)}"' in body
        assert f'hx-post="{propose_url(lobby.code)}"' in body


def edit_url(code: str, place_id: str) -> str:
    return reverse("voting:edit_place", args=[code, place_id])


def delete_url(code: str, place_id: str) -> str:
    return reverse("voting:delete_place", args=[code, place_id])


@pytest.mark.django_db
class TestEditAndWithdraw:
    @pytest.fixture
    def guest(self, lobby, join_as):
        return join_as(lobby, "Gus")

    @pytest.fixture
    def guest_place(self, lobby, guest):
        _client, participant = guest
        return propose(lobby.code, participant.participant_id, "Pizza Bar")

    def test_proposer_edits_their_place(self, lobby, guest, guest_place):
        client, _participant = guest
        page = client.get(edit_url(lobby.code, guest_place.place_id))
        assert page.status_code == HTTPStatus.OK
        assert 'value="Pizza Bar"' in page.content.decode()
        response = client.post(
            edit_url(lobby.code, guest_place.place_id),
            place_payload(name="Pizza Place", link="http://pizza.example"),
        )
        assert response.status_code == HTTPStatus.FOUND
        (place,) = stored_places(lobby.code)
        assert (place.name, place.link) == ("Pizza Place", "http://pizza.example")
        assert place.dedupe_key == normalize_place_key("Pizza Place", "1 Main St")

    def test_someone_else_cannot_edit(self, lobby, organizer_client, guest_place):
        response = organizer_client.post(
            edit_url(lobby.code, guest_place.place_id), place_payload(name="Hijacked")
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "Only the person who proposed a place can edit it." in response.content.decode()
        assert stored_places(lobby.code)[0].name == "Pizza Bar"

    def test_edit_into_a_duplicate_points_to_the_other(self, lobby, guest, guest_place):
        client, _participant = guest
        other = propose(lobby.code, lobby.lobby.owner_id, "Sushi", address="")
        response = client.post(
            edit_url(lobby.code, guest_place.place_id), place_payload(name="SUSHI", address="")
        )
        body = response.content.decode()
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert f"#place-{other.place_id}" in body
        assert {p.name for p in stored_places(lobby.code)} == {"Pizza Bar", "Sushi"}

    def test_edit_with_bad_link_is_refused(self, lobby, guest, guest_place):
        client, _participant = guest
        response = client.post(
            edit_url(lobby.code, guest_place.place_id), place_payload(link="javascript:alert(1)")
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert stored_places(lobby.code)[0].link == ""

    def test_edit_after_deadline_is_refused(self, lobby, guest, guest_place):
        client, _participant = guest
        pass_deadline(lobby.code)
        response = client.post(
            edit_url(lobby.code, guest_place.place_id), place_payload(name="Later")
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert stored_places(lobby.code)[0].name == "Pizza Bar"

    def test_an_edit_sent_after_the_place_was_removed_comes_back_to_propose(
        self, lobby, guest, guest_place
    ):
        client, _participant = guest
        services.delete_place(reload(lobby.code), lobby.lobby.owner_id, guest_place.place_id)
        response = client.post(
            edit_url(lobby.code, guest_place.place_id), place_payload(name="Pizza Palace")
        )
        body = response.content.decode()
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "That place was removed while you were editing it." in body
        assert 'value="Pizza Palace"' in body
        assert stored_places(lobby.code) == []

    def test_unknown_place_is_404(self, lobby, organizer_client):
        assert organizer_client.get(edit_url(lobby.code, "nope")).status_code == 404
        assert organizer_client.post(edit_url(lobby.code, "x" * 500)).status_code == 404

    def test_proposer_withdraws(self, lobby, guest, guest_place):
        client, _participant = guest
        response = client.post(delete_url(lobby.code, guest_place.place_id))
        assert response.status_code == HTTPStatus.FOUND
        assert stored_places(lobby.code) == []
        page = client.get(response["Location"]).content.decode()
        assert "You withdrew “Pizza Bar”." in page

    def test_withdraw_with_htmx_returns_the_list(self, lobby, guest, guest_place):
        client, _participant = guest
        response = client.post(
            delete_url(lobby.code, guest_place.place_id), headers={"HX-Request": "true"}
        )
        body = response.content.decode()
        assert body.lstrip().startswith('<div id="places-list"')
        assert "You withdrew" in body
        assert stored_places(lobby.code) == []

    def test_other_participant_cannot_withdraw(self, lobby, join_as, guest_place):
        other_client, _other = join_as(lobby, "Ola")
        other_client.post(delete_url(lobby.code, guest_place.place_id))
        assert len(stored_places(lobby.code)) == 1
        page = other_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert "Only the person who proposed a place, or the organizer" in page

    def test_organizer_removes_any_place(self, lobby, organizer_client, guest_place):
        organizer_client.post(delete_url(lobby.code, guest_place.place_id))
        assert stored_places(lobby.code) == []

    def test_organizer_can_remove_after_deadline_but_proposer_cannot_withdraw(
        self, lobby, organizer_client, guest, guest_place
    ):
        client, _participant = guest
        pass_deadline(lobby.code)
        client.post(delete_url(lobby.code, guest_place.place_id))
        assert len(stored_places(lobby.code)) == 1
        organizer_client.post(delete_url(lobby.code, guest_place.place_id))
        assert stored_places(lobby.code) == []

    def test_settled_place_cannot_be_removed(self, lobby, organizer_client, guest_place):
        snapshot = reload(lobby.code)
        start = decisions.window_starts(spec_for(snapshot.lobby), 4)[0]
        decisions.settle(snapshot, snapshot.lobby.owner_id, start, guest_place.place_id)
        organizer_client.post(delete_url(lobby.code, guest_place.place_id))
        assert len(stored_places(lobby.code)) == 1

    def test_deleting_twice_is_a_message_not_an_error(self, lobby, organizer_client, guest_place):
        organizer_client.post(delete_url(lobby.code, guest_place.place_id))
        response = organizer_client.post(delete_url(lobby.code, guest_place.place_id))
        assert response.status_code == HTTPStatus.FOUND
        page = organizer_client.get(response["Location"]).content.decode()
        assert "That place is no longer on the list." in page

    def test_outsider_cannot_delete(self, lobby, guest_place):
        response = Client().post(delete_url(lobby.code, guest_place.place_id))
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert len(stored_places(lobby.code)) == 1

    def test_page_offers_edit_and_withdraw_only_to_the_proposer(
        self, lobby, organizer_client, guest, guest_place
    ):
        client, _participant = guest
        mine = client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert edit_url(lobby.code, guest_place.place_id) in mine
        assert "Withdraw" in mine
        theirs = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert edit_url(lobby.code, guest_place.place_id) not in theirs
        assert "Remove<span" in theirs
