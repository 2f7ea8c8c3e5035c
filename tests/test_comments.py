"""Comments in the lobby: services and views against DynamoDB Local."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from lobbies import services
from lobbies.comments import services as comments
from lobbies.comments.presenters import SHOWN
from lobbies.entities import Comment, Lobby
from lobbies.errors import LobbyError, NotAllowed
from lobbies.store import load_lobby


def post(client: Client, code: str, text: str, htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("lobbies:comment", args=[code]), {"text": text}, headers=headers)


def delete(client: Client, code: str, comment_id: str, htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    url = reverse("lobbies:delete_comment", args=[code])
    return client.post(url, {"comment": comment_id}, headers=headers)


def fresh(code: str):
    return load_lobby(code)


@pytest.mark.django_db
class TestPosting:
    def test_plain_form_stores_it_in_the_partition_and_counts_it(self, lobby, organizer_client):
        response = post(organizer_client, lobby.code, "  Bring snacks?  ")
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].endswith("#comments")
        snapshot = fresh(lobby.code)
        (comment,) = snapshot.comments
        assert comment.text == "Bring snacks?"
        assert comment.pk == f"LOBBY#{lobby.code}" and comment.sk.startswith("COMMENT#")
        assert comment.author_id == lobby.lobby.owner_id
        assert comment.expires_at == lobby.lobby.expires_at
        assert snapshot.lobby.comment_count == 1
        assert snapshot.rev > lobby.rev
        page = organizer_client.get(response["Location"]).content.decode()
        assert "Bring snacks?" in page and f'id="c-{comment.comment_id}"' in page

    def test_htmx_answers_with_the_section(self, lobby, organizer_client):
        response = post(organizer_client, lobby.code, "Hi all", htmx=True)
        body = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert body.lstrip().startswith('<section class="card comments" id="comments"')
        assert "Hi all" in body and "Comment posted." in body
        assert "<html" not in body

    def test_text_is_escaped(self, lobby, organizer_client):
        post(organizer_client, lobby.code, "<script>alert(1)</script>\nline two")
        page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>line two" in page

    @pytest.mark.parametrize("text", ["", "   ", "x" * 1001])
    def test_empty_or_too_long_is_refused_and_shown_back(self, lobby, organizer_client, text):
        response = post(organizer_client, lobby.code, text)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert 'class="field-error"' in response.content.decode()
        assert fresh(lobby.code).comments == ()
        htmx = post(organizer_client, lobby.code, text, htmx=True)
        assert htmx.status_code == HTTPStatus.OK and "field-error" in htmx.content.decode()

    def test_a_thousand_characters_are_fine(self, lobby):
        comments.post_comment(lobby, lobby.lobby.owner_id, "é" * 1000)
        assert len(fresh(lobby.code).comments[0].text) == 1000

    def test_outsiders_get_404(self, lobby):
        assert post(Client(), lobby.code, "hello").status_code == HTTPStatus.NOT_FOUND
        assert fresh(lobby.code).comments == ()

    def test_rate_limited(self, lobby, organizer_client, settings):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment_post": (2, 600)}
        assert post(organizer_client, lobby.code, "one").status_code == HTTPStatus.FOUND
        assert post(organizer_client, lobby.code, "two").status_code == HTTPStatus.FOUND
        assert post(organizer_client, lobby.code, "three").status_code == 429
        assert len(fresh(lobby.code).comments) == 2

    @pytest.mark.parametrize("htmx", [False, True])
    def test_a_refused_comment_keeps_its_text_and_says_how_long_to_wait(
        self, lobby, organizer_client, settings, htmx
    ):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment_post": (1, 600)}
        post(organizer_client, lobby.code, "one", htmx=htmx)
        organizer_client.get(reverse("lobbies:detail", args=[lobby.code]))  # "Comment posted."
        response = post(organizer_client, lobby.code, "Kept <text>", htmx=htmx)
        body = response.content.decode()
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert 0 < int(response["Retry-After"]) <= 1200
        assert "Kept &lt;text&gt;</textarea>" in body
        assert "too often in a short time. Wait" in body
        assert "Comment posted." not in body
        assert ("<html" in body) is not htmx
        assert len(fresh(lobby.code).comments) == 1

    def test_the_cap_holds_at_write_time(self, lobby, monkeypatch):
        monkeypatch.setattr(comments, "MAX_COMMENTS", 2)
        owner = lobby.lobby.owner_id
        comments.post_comment(lobby, owner, "one")
        # The same stale snapshot twice: only the lobby's count can refuse the third.
        comments.post_comment(lobby, owner, "two")
        with pytest.raises(LobbyError, match="the most it can"):
            comments.post_comment(lobby, owner, "three")
        snapshot = fresh(lobby.code)
        assert len(snapshot.comments) == 2 and snapshot.lobby.comment_count == 2


@pytest.mark.django_db
class TestDeleting:
    def test_deleting_from_the_older_comments_page_returns_there(
        self, lobby, organizer_client, monkeypatch
    ):
        monkeypatch.setattr("lobbies.comments.presenters.SHOWN", 1)
        for text in ("old one", "new one"):
            comments.post_comment(fresh(lobby.code), lobby.lobby.owner_id, text)
        older = organizer_client.get(reverse("lobbies:comments", args=[lobby.code]))
        assert 'name="back" value="older"' in older.content.decode()
        old = fresh(lobby.code).comments[0]
        url = reverse("lobbies:delete_comment", args=[lobby.code])
        response = organizer_client.post(url, {"comment": old.comment_id, "back": "older"})
        assert response["Location"] == reverse("lobbies:comments", args=[lobby.code])
        assert [c.text for c in fresh(lobby.code).comments] == ["new one"]

    def test_author_deletes_own(self, lobby, join_as):
        client, guest = join_as(lobby, "Gus")
        post(client, lobby.code, "mine")
        (comment,) = fresh(lobby.code).comments
        response = delete(client, lobby.code, comment.comment_id)
        assert response.status_code == HTTPStatus.FOUND
        snapshot = fresh(lobby.code)
        assert snapshot.comments == () and snapshot.lobby.comment_count == 0

    def test_organizer_deletes_any_and_others_cannot(self, lobby, organizer_client, join_as):
        gus, _ = join_as(lobby, "Gus")
        ann, _ = join_as(lobby, "Ann")
        post(gus, lobby.code, "from Gus")
        (comment,) = fresh(lobby.code).comments
        page = ann.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert f'value="{comment.comment_id}"' not in page  # no delete button for Ann
        assert delete(ann, lobby.code, comment.comment_id).status_code == HTTPStatus.FOUND
        assert len(fresh(lobby.code).comments) == 1
        with pytest.raises(NotAllowed):
            comments.delete_comment(fresh(lobby.code), "someone-else", comment.comment_id)
        response = delete(organizer_client, lobby.code, comment.comment_id, htmx=True)
        assert response.status_code == HTTPStatus.OK
        assert "Comment deleted." in response.content.decode()
        assert fresh(lobby.code).comments == ()

    def test_a_comment_gone_already_is_a_message(self, lobby, organizer_client):
        response = delete(organizer_client, lobby.code, "nope", htmx=True)
        assert "gone already" in response.content.decode()


@pytest.mark.django_db
class TestListing:
    def test_newest_last_the_last_50_and_older_ones_on_their_page(self, lobby, organizer_client):
        owner = lobby.lobby.owner_id
        for n in range(SHOWN + 7):
            comments.post_comment(fresh(lobby.code), owner, f"note {n:03d}")
        page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert "note 006" not in page and "note 007" in page and "note 056" in page
        assert page.index("note 007") < page.index("note 056")
        assert "Show 7 older comments" in page
        older = organizer_client.get(reverse("lobbies:comments", args=[lobby.code]))
        body = older.content.decode()
        assert older.status_code == HTTPStatus.OK
        assert "note 000" in body and "note 006" in body and "note 007" not in body
        assert "hx-post" not in body.split('class="comment-list"')[1]

    def test_older_page_pages_back(self, lobby, organizer_client, monkeypatch):
        monkeypatch.setattr("lobbies.comments.presenters.SHOWN", 2)
        owner = lobby.lobby.owner_id
        for n in range(5):
            comments.post_comment(fresh(lobby.code), owner, f"note {n}")
        url = reverse("lobbies:comments", args=[lobby.code])
        first = organizer_client.get(url).content.decode()
        assert "note 1" in first and "note 2" in first and "note 0" not in first
        before = fresh(lobby.code).comments[1].comment_id
        assert f"?before={before}" in first
        second = organizer_client.get(f"{url}?before={before}").content.decode()
        assert "note 0" in second and "note 1" not in second

    def test_older_page_is_for_participants_only(self, lobby):
        assert Client().get(reverse("lobbies:comments", args=[lobby.code])).status_code == 404

    def test_the_live_poll_carries_the_comments(self, lobby, organizer_client, join_as):
        gus, _ = join_as(lobby, "Gus")
        rev = fresh(lobby.code).rev
        post(gus, lobby.code, "live one")
        url = reverse("lobbies:poll", args=[lobby.code])
        body = organizer_client.get(url, {"rev": rev}).content.decode()
        assert 'id="comments-list" hx-swap-oob="true"' in body and "live one" in body

    def test_author_who_left_is_a_former_participant(self, lobby, organizer_client, join_as):
        gus, guest = join_as(lobby, "Gus")
        post(gus, lobby.code, "bye")
        services.leave_lobby(fresh(lobby.code), guest.participant_id)
        page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert "Former participant" in page and "bye" in page


@pytest.mark.django_db
def test_comments_go_with_the_lobby(lobby):
    comments.post_comment(lobby, lobby.lobby.owner_id, "x")
    services.delete_lobby(fresh(lobby.code), lobby.lobby.owner_id)
    assert list(Lobby.collection(lobby.code, consistent=True)) == []
    assert not list(Comment.scan())
