"""Deleting a comment or a place asks first: the delete address, read with GET, is a small
page that shows the item with a Delete button (POST) and a way back; with htmx the control
asks the browser's own dialog (hx-confirm) and posts. Only who may delete sees the page."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from lobbies.availability.answers import spec_for
from lobbies.comments import services as comments
from tests.html import elements
from tests.voting_support import propose, reload
from voting import decisions

HTMX = {"HX-Request": "true"}


def comment_confirm_url(code: str, comment_id: str, **extra) -> str:
    query = urlencode({"comment": comment_id, **extra})
    return f"{reverse('lobbies:delete_comment', args=[code])}?{query}"


def place_delete_url(code: str, place_id: str) -> str:
    return reverse("voting:delete_place", args=[code, place_id])


def older_url(code: str) -> str:
    return reverse("lobbies:comments", args=[code])


@pytest.fixture
def gus(lobby, join_as):
    return join_as(lobby, "Gus")


@pytest.fixture
def gus_comment(lobby, gus):
    _client, participant = gus
    return comments.post_comment(reload(lobby.code), participant.participant_id, "See <you>")


@pytest.mark.django_db
class TestCommentConfirmation:
    def test_the_author_sees_the_comment_and_a_delete_button_that_posts(
        self, lobby, gus, gus_comment
    ):
        client, _participant = gus
        response = client.get(comment_confirm_url(lobby.code, gus_comment.comment_id))
        body = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert "<html" in body and "Delete this comment?" in body
        assert "See &lt;you&gt;" in body and "Gus" in body
        action = reverse("lobbies:delete_comment", args=[lobby.code])
        assert f'method="post" action="{action}"' in body
        assert "csrfmiddlewaretoken" in body
        assert f'name="comment" value="{gus_comment.comment_id}"' in body
        assert f'href="{reverse("lobbies:detail", args=[lobby.code])}#comments"' in body
        assert len(reload(lobby.code).comments) == 1  # asking deletes nothing

    def test_with_htmx_it_is_the_confirmation_alone(self, lobby, gus, gus_comment):
        client, _participant = gus
        url = comment_confirm_url(lobby.code, gus_comment.comment_id)
        response = client.get(url, headers=HTMX)
        body = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert "<html" not in body and "Delete this comment?" in body
        assert len(reload(lobby.code).comments) == 1

    def test_the_organizer_may_delete_anyone_s(self, lobby, organizer_client, gus_comment):
        response = organizer_client.get(comment_confirm_url(lobby.code, gus_comment.comment_id))
        assert response.status_code == HTTPStatus.OK

    def test_others_and_outsiders_get_404(self, lobby, join_as, gus_comment):
        ann, _ann = join_as(lobby, "Ann")
        url = comment_confirm_url(lobby.code, gus_comment.comment_id)
        assert ann.get(url).status_code == HTTPStatus.NOT_FOUND
        assert ann.get(url, headers=HTMX).status_code == HTTPStatus.NOT_FOUND
        assert Client().get(url).status_code == HTTPStatus.NOT_FOUND
        assert len(reload(lobby.code).comments) == 1

    def test_a_comment_gone_already_is_a_message(self, lobby, organizer_client):
        response = organizer_client.get(comment_confirm_url(lobby.code, "gone"))
        assert response.status_code == HTTPStatus.FOUND
        page = organizer_client.get(response["Location"]).content.decode()
        assert "That comment is gone already." in page

    def test_the_post_from_the_confirmation_deletes(self, lobby, gus, gus_comment):
        client, _participant = gus
        url = reverse("lobbies:delete_comment", args=[lobby.code])
        response = client.post(url, {"comment": gus_comment.comment_id})
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].endswith("#comments")
        assert reload(lobby.code).comments == ()

    def test_the_lobby_page_asks_before_deleting(self, lobby, gus, gus_comment):
        client, _participant = gus
        page = client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        action = reverse("lobbies:delete_comment", args=[lobby.code])
        assert f'<form id="comment-delete" method="get" action="{action}"' in page
        assert 'hx-confirm="Delete this comment by Gus?"' in page


@pytest.mark.django_db
class TestOlderCommentsPage:
    """Deleting from a page of older comments comes back to that very page."""

    @pytest.fixture
    def notes(self, lobby, monkeypatch):
        monkeypatch.setattr("lobbies.comments.presenters.SHOWN", 2)
        for n in range(7):
            comments.post_comment(reload(lobby.code), lobby.lobby.owner_id, f"note {n}")
        return reload(lobby.code).comments

    def test_the_page_s_place_travels_through_the_confirmation(
        self, lobby, organizer_client, notes
    ):
        before = notes[3].comment_id  # the second page of older ones: notes 1 and 2
        page = organizer_client.get(f"{older_url(lobby.code)}?before={before}").content.decode()
        assert f'name="before" value="{before}"' in page
        url = comment_confirm_url(lobby.code, notes[1].comment_id, back="older", before=before)
        confirm = organizer_client.get(url).content.decode()
        assert f'href="{older_url(lobby.code)}?before={before}"' in confirm
        assert f'name="before" value="{before}"' in confirm
        response = organizer_client.post(
            reverse("lobbies:delete_comment", args=[lobby.code]),
            {"comment": notes[1].comment_id, "back": "older", "before": before},
        )
        assert response["Location"] == f"{older_url(lobby.code)}?before={before}"
        assert notes[1].comment_id not in [c.comment_id for c in reload(lobby.code).comments]

    @pytest.mark.parametrize("before", ["not-a-comment", "x" * 500, '"><b>'])
    def test_an_unknown_page_goes_back_to_the_first_older_page(
        self, lobby, organizer_client, notes, before
    ):
        response = organizer_client.post(
            reverse("lobbies:delete_comment", args=[lobby.code]),
            {"comment": notes[0].comment_id, "back": "older", "before": before},
        )
        assert response["Location"] == older_url(lobby.code)
        url = comment_confirm_url(lobby.code, notes[1].comment_id, back="older", before=before)
        confirm = organizer_client.get(url)
        assert confirm.status_code == HTTPStatus.OK
        assert f'href="{older_url(lobby.code)}"' in confirm.content.decode()


@pytest.mark.django_db
class TestPlaceConfirmation:
    @pytest.fixture
    def gus_place(self, lobby, gus):
        _client, participant = gus
        return propose(lobby.code, participant.participant_id, "Pizza <Bar>", address="1 Main St")

    def test_the_organizer_is_asked_to_remove(self, lobby, organizer_client, gus_place):
        url = place_delete_url(lobby.code, gus_place.place_id)
        response = organizer_client.get(url)
        body = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert "<html" in body and "Remove this place?" in body
        assert "Pizza &lt;Bar&gt;" in body and "1 Main St" in body
        assert f'method="post" action="{url}"' in body and "csrfmiddlewaretoken" in body
        cancel = f"{reverse('lobbies:detail', args=[lobby.code])}#place-{gus_place.place_id}"
        assert f'href="{cancel}"' in body
        assert len(reload(lobby.code).places) == 1

    def test_the_proposer_is_asked_to_withdraw(self, lobby, gus, gus_place):
        client, _participant = gus
        response = client.get(place_delete_url(lobby.code, gus_place.place_id))
        assert response.status_code == HTTPStatus.OK
        assert "Withdraw this place?" in response.content.decode()

    def test_with_htmx_it_is_the_confirmation_alone(self, lobby, organizer_client, gus_place):
        url = place_delete_url(lobby.code, gus_place.place_id)
        response = organizer_client.get(url, headers=HTMX)
        body = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert "<html" not in body and "Remove this place?" in body
        assert len(reload(lobby.code).places) == 1

    def test_others_and_outsiders_get_404(self, lobby, join_as, gus_place):
        ann, _ann = join_as(lobby, "Ann")
        url = place_delete_url(lobby.code, gus_place.place_id)
        assert ann.get(url).status_code == HTTPStatus.NOT_FOUND
        assert ann.get(url, headers=HTMX).status_code == HTTPStatus.NOT_FOUND
        assert Client().get(url).status_code == HTTPStatus.NOT_FOUND

    def test_a_place_gone_already_is_a_message(self, lobby, organizer_client):
        response = organizer_client.get(place_delete_url(lobby.code, "gone"))
        assert response.status_code == HTTPStatus.FOUND
        page = organizer_client.get(response["Location"]).content.decode()
        assert "That place is no longer on the list." in page

    def test_the_settled_place_says_why_it_stays(self, lobby, organizer_client, gus_place):
        snapshot = reload(lobby.code)
        start = decisions.window_starts(spec_for(snapshot.lobby), 4)[0]
        decisions.settle(snapshot, snapshot.lobby.owner_id, start, gus_place.place_id)
        response = organizer_client.get(place_delete_url(lobby.code, gus_place.place_id))
        assert response.status_code == HTTPStatus.FOUND
        page = organizer_client.get(response["Location"]).content.decode()
        assert "This is the place the lobby settled on." in page

    def test_the_post_from_the_confirmation_removes(self, lobby, organizer_client, gus_place):
        response = organizer_client.post(place_delete_url(lobby.code, gus_place.place_id))
        assert response.status_code == HTTPStatus.FOUND
        assert not reload(lobby.code).places

    def test_the_lobby_page_asks_before_removing(self, lobby, organizer_client, gus_place):
        page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        url = place_delete_url(lobby.code, gus_place.place_id)
        (form,) = [f for f in elements(page, "form") if f.attrs.get("id") == "place-delete"]
        assert form.attrs["method"] == "get"
        (button,) = [b for b in elements(page, "button") if b.attrs.get("formaction") == url]
        assert button.attrs["hx-post"] == url and button.attrs["form"] == "place-delete"
        assert 'hx-confirm="Remove “Pizza &lt;Bar&gt;” from the list?"' in page
