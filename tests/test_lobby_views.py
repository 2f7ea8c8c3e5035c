"""Lobby pages: create, find, join, personal link, organizer controls, leave."""

from __future__ import annotations

import gzip
import re
from datetime import date, timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from letshangout import dynamo
from lobbies import services
from lobbies.codes import display_code
from lobbies.errors import LobbyNotFound
from lobbies.store import load_lobby
from tests.factories import create_payload


def only_lobby_code() -> str:
    codes = [item.code for item in dynamo.TableItem.scan() if item.sk == "LOBBY"]
    assert len(codes) == 1
    return codes[0]


@pytest.mark.django_db
class TestHome:
    def test_explains_and_offers_both_ways_in(self, client):
        response = client.get(reverse("lobbies:home"))
        assert response.status_code == HTTPStatus.OK
        assert b"Create a lobby" in response.content
        assert b'name="code"' in response.content

    def test_find_redirects_to_lobby_for_any_spelling(self, client, lobby):
        messy = f" {lobby.code[:4].lower()} - {lobby.code[4:].lower()} "
        response = client.get(reverse("lobbies:find"), {"code": messy})
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == reverse("lobbies:detail", args=[lobby.code])

    @pytest.mark.parametrize("typed", ["", "nope", "ABCD-EFG", "UUUUUUUU", "x" * 5000])
    def test_malformed_and_unknown_codes_look_the_same(self, client, typed):
        malformed = client.get(reverse("lobbies:find"), {"code": typed})
        unknown = client.get(reverse("lobbies:find"), {"code": "ABCD-EFGH"})
        assert malformed.status_code == unknown.status_code == HTTPStatus.NOT_FOUND
        assert b"could not find a lobby" in malformed.content


@pytest.mark.django_db
class TestCreate:
    def test_only_a_title_is_required(self, client):
        response = client.post(
            reverse("lobbies:create"),
            {
                "title": "Picnic",
                "timezone": "UTC",
                "day_start": "18:00",
                "day_end": "23:00",
                "slot_minutes": "30",
                "meeting_minutes": "120",
            },
        )
        assert response.status_code == HTTPStatus.FOUND
        snapshot = load_lobby(only_lobby_code())
        assert snapshot.lobby.title == "Picnic"
        assert len(snapshot.lobby.dates) == 7
        assert [p.display_name for p in snapshot.participants.values()] == ["Organizer"]

    def test_form_defaults_render(self, client):
        response = client.get(reverse("lobbies:create"))
        assert response.status_code == HTTPStatus.OK
        assert b'value="18:00"' in response.content
        assert b"Europe/Berlin" in response.content

    def test_creates_and_lands_on_lobby_with_share_details(self, client):
        response = client.post(reverse("lobbies:create"), create_payload(), follow=True)
        assert response.status_code == HTTPStatus.OK
        code = only_lobby_code()
        content = response.content.decode()
        assert display_code(code) in content
        assert f"http://testserver/l/{code}/" in content
        assert "Copy link" in content
        assert "Olivia" in content
        assert "/me/" in content  # the personal link, shown once
        again = client.get(reverse("lobbies:detail", args=[code])).content.decode()
        assert "/me/" not in again

    def test_whole_days(self, client):
        client.post(reverse("lobbies:create"), create_payload(whole_days="on"))
        lobby = load_lobby(only_lobby_code()).lobby
        assert (lobby.slot_minutes, lobby.day_start, lobby.day_end) == (1440, 0, 1440)

    def test_individual_days_from_the_calendar(self, client):
        days = [(date.today() + timedelta(days=n)).isoformat() for n in (4, 9)]
        client.post(
            reverse("lobbies:create"),
            create_payload(range_start="", range_end="", days=days),
        )
        assert load_lobby(only_lobby_code()).lobby.dates == days

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"title": ""}, "This field is required"),
            ({"title": "   "}, "This field is required"),
            ({"title": "x" * 10_000}, "at most 120 characters"),
            ({"range_start": "2020-01-01", "range_end": "2020-01-02"}, "is past"),
            (
                {
                    "range_start": (date.today() + timedelta(days=400)).isoformat(),
                    "range_end": (date.today() + timedelta(days=401)).isoformat(),
                },
                "within the next year",
            ),
            (
                {
                    "range_start": date.today().isoformat(),
                    "range_end": (date.today() + timedelta(days=40)).isoformat(),
                },
                "at most 31 days",
            ),
            ({"day_start": "20:00", "day_end": "18:00"}, "must end after it starts"),
            ({"timezone": "Mars/Olympus_Mons"}, "Select a valid choice"),
            ({"slot_minutes": "7"}, "Select a valid choice"),
            ({"day_start": "25:99"}, "Enter a valid time"),
            ({"deadline": "2020-01-01T10:00"}, "must be in the future"),
            ({"range_start": "not a date"}, "Enter a valid date"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_is_stored(self, client, overrides, message):
        response = client.post(reverse("lobbies:create"), create_payload(**overrides))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert message in response.content.decode()
        assert list(dynamo.TableItem.scan()) == []

    def test_post_without_csrf_token_is_refused(self):
        client = Client(enforce_csrf_checks=True)
        response = client.post(reverse("lobbies:create"), create_payload())
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert list(dynamo.TableItem.scan()) == []

    def test_signed_in_creator_sees_it_in_my_lobbies(self, client, user):
        client.force_login(user)
        client.post(reverse("lobbies:create"), create_payload())
        response = client.get(reverse("lobbies:mine"))
        assert "Board games" in response.content.decode()


@pytest.mark.django_db
class TestLobbyPage:
    def test_outsider_sees_only_title_and_join_form(self, lobby, join_as):
        join_as(lobby, "Secret Sally")
        response = Client().get(reverse("lobbies:detail", args=[lobby.code]))
        content = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert "Friday drinks" in content
        assert 'name="display_name"' in content
        assert "Secret Sally" not in content
        assert "Olivia" not in content

    def test_participant_sees_who_joined(self, lobby, join_as):
        client, _ = join_as(lobby, "Ann")
        content = client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        assert "Ann" in content
        assert "Olivia" in content

    def test_lobby_page_asks_dynamodb_only_whether_the_lobby_changed(
        self, organizer_client, lobby, join_as
    ):
        url = reverse("lobbies:detail", args=[lobby.code])
        organizer_client.get(url)
        with dynamo.count_calls() as calls:
            response = organizer_client.get(url)
        assert response.status_code == HTTPStatus.OK
        assert calls.operations == ["GetItem"]  # seen before, unchanged: the rev alone
        join_as(lobby, "Ann")
        with dynamo.count_calls() as calls:
            response = organizer_client.get(url)
        assert calls.operations == ["GetItem", "Query"]  # the rev moved: the whole lobby
        assert "Ann" in response.content.decode()

    def test_page_is_gzipped_for_browsers_that_ask(self, organizer_client, lobby):
        url = reverse("lobbies:detail", args=[lobby.code])
        plain = organizer_client.get(url)
        packed = organizer_client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
        assert "Content-Encoding" not in plain
        assert packed["Content-Encoding"] == "gzip"
        assert len(packed.content) < len(plain.content) / 3
        page = gzip.decompress(packed.content).decode()
        assert page.count("<html") == 1 and display_code(lobby.code) in page
        assert "Accept-Encoding" in packed["Vary"]

    def test_gzipped_pages_vary_in_length_against_breach(self, organizer_client, lobby):
        url = reverse("lobbies:detail", args=[lobby.code])
        sizes = set()
        for _ in range(8):
            packed = organizer_client.get(url, HTTP_ACCEPT_ENCODING="gzip")
            assert packed.content[3] & gzip.FNAME  # the random-length name in the header
            sizes.add(len(packed.content))
        assert len(sizes) > 1

    def test_lowercase_code_redirects_to_canonical(self, organizer_client, lobby):
        response = organizer_client.get(f"/l/{lobby.code.lower()}/")
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == reverse("lobbies:detail", args=[lobby.code])

    @pytest.mark.parametrize("code", ["ABCDEFGH", "short", "%00", "a" * 300])
    def test_unknown_or_malformed_code_is_404(self, client, code, db):
        assert client.get(f"/l/{code}/").status_code == HTTPStatus.NOT_FOUND

    def test_html_in_title_shows_as_text(self, client, db):
        client.post(reverse("lobbies:create"), create_payload(title="<script>alert(1)</script>"))
        content = client.get(reverse("lobbies:detail", args=[only_lobby_code()])).content
        assert b"<script>alert(1)</script>" not in content
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in content


@pytest.mark.django_db
class TestJoin:
    def test_guest_joins_once_and_rejoining_does_not_duplicate(self, lobby, client):
        url = reverse("lobbies:join", args=[lobby.code])
        assert client.post(url, {"display_name": "Ann"}).status_code == HTTPStatus.FOUND
        assert client.post(url, {"display_name": "Ann"}).status_code == HTTPStatus.FOUND
        names = [p.display_name for p in load_lobby(lobby.code).participants.values()]
        assert names == ["Olivia", "Ann"]

    def test_a_title_or_name_nobody_could_see_counts_as_none(self, client):
        response = client.post(reverse("lobbies:create"), create_payload(title="\u200b\u2060"))
        assert "Give your plan a title." in response.content.decode()
        client.post(reverse("lobbies:create"), create_payload(display_name="\u200b"))
        snapshot = load_lobby(only_lobby_code())
        assert [p.display_name for p in snapshot.participants.values()] == ["Organizer"]

    def test_a_name_nobody_could_see_is_refused(self, lobby, client):
        url = reverse("lobbies:join", args=[lobby.code])
        response = client.post(url, {"display_name": "\u200b\u200b"})
        assert "Tell the others who you are." in response.content.decode()
        assert len(load_lobby(lobby.code).participants) == 1

    def test_signed_in_user_rejoining_from_another_browser_keeps_one_seat(self, lobby, user):
        for _ in range(2):
            browser = Client()
            browser.force_login(user)
            browser.post(reverse("lobbies:join", args=[lobby.code]), {"display_name": "Sam"})
            page = browser.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
            assert "You are in this lobby as" in page
        assert len(load_lobby(lobby.code).participants) == 2

    @pytest.mark.parametrize("name", ["", "   ", "x" * 61])
    def test_bad_name_is_explained(self, lobby, client, name):
        response = client.post(reverse("lobbies:join", args=[lobby.code]), {"display_name": name})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert len(load_lobby(lobby.code).participants) == 1

    def test_locked_lobby_refuses_with_message(self, lobby, client):
        services.set_joining_locked(lobby, lobby.lobby.owner_id, True)
        response = client.post(reverse("lobbies:join", args=[lobby.code]), {"display_name": "A"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "locked" in response.content.decode()
        assert len(load_lobby(lobby.code).participants) == 1

    def test_personal_link_restores_identity_on_a_new_browser(self, lobby, client):
        client.post(reverse("lobbies:join", args=[lobby.code]), {"display_name": "Ann"})
        page = client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
        token_path = personal_link_path(page)
        assert "/me/" in token_path
        other_device = Client()
        assert other_device.get(token_path).status_code == HTTPStatus.OK  # it asks first
        response = other_device.post(token_path, follow=True)
        assert "You are in this lobby as <strong>Ann</strong>" in response.content.decode()

    def test_wrong_personal_token_is_404(self, lobby, client):
        url = reverse("lobbies:personal_link", args=[lobby.code, "not-a-token"])
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND

    def test_leave(self, lobby, join_as):
        client, ann = join_as(lobby, "Ann")
        response = client.post(reverse("lobbies:leave", args=[lobby.code]))
        assert response.status_code == HTTPStatus.FOUND
        assert ann.participant_id not in load_lobby(lobby.code).participants
        assert 'name="display_name"' in client.get(f"/l/{lobby.code}/").content.decode()

    def test_organizer_cannot_leave(self, lobby, organizer_client):
        organizer_client.post(reverse("lobbies:leave", args=[lobby.code]))
        assert lobby.lobby.owner_id in load_lobby(lobby.code).participants


@pytest.mark.django_db
class TestOrganizerControls:
    def test_edit_settings(self, lobby, organizer_client):
        url = reverse("lobbies:edit", args=[lobby.code])
        form = organizer_client.get(url)
        assert form.status_code == HTTPStatus.OK
        payload = create_payload(title="Board games night", version="1")
        response = organizer_client.post(url, payload)
        assert response.status_code == HTTPStatus.FOUND
        assert load_lobby(lobby.code).lobby.title == "Board games night"

    def test_stale_edit_is_shown_back(self, lobby, organizer_client):
        url = reverse("lobbies:edit", args=[lobby.code])
        organizer_client.post(url, create_payload(title="First", version="1"))
        response = organizer_client.post(url, create_payload(title="Second", version="1"))
        assert response.status_code == HTTPStatus.CONFLICT
        assert "Someone changed this lobby" in response.content.decode()
        assert 'value="First"' in response.content.decode()
        assert load_lobby(lobby.code).lobby.title == "First"

    def test_lock_and_unlock(self, lobby, organizer_client):
        url = reverse("lobbies:lock", args=[lobby.code])
        organizer_client.post(url, {"locked": "1"})
        assert load_lobby(lobby.code).lobby.joining_locked is True
        organizer_client.post(url, {"locked": "0"})
        assert load_lobby(lobby.code).lobby.joining_locked is False

    def test_remove_participant(self, lobby, organizer_client, join_as):
        _, ann = join_as(lobby, "Ann")
        url = reverse("lobbies:remove_participant", args=[lobby.code, ann.participant_id])
        organizer_client.post(url)
        assert ann.participant_id not in load_lobby(lobby.code).participants

    def test_delete(self, lobby, organizer_client):
        assert organizer_client.get(reverse("lobbies:delete", args=[lobby.code])).status_code == 200
        organizer_client.post(reverse("lobbies:delete", args=[lobby.code]))
        with pytest.raises(LobbyNotFound):
            load_lobby(lobby.code)

    @pytest.mark.parametrize(
        ("name", "method", "data"),
        [
            ("lobbies:edit", "get", None),
            ("lobbies:edit", "post", {"title": "Hacked", "version": "1"}),
            ("lobbies:lock", "post", {"locked": "1"}),
            ("lobbies:delete", "get", None),
            ("lobbies:delete", "post", None),
        ],
    )
    def test_participants_cannot_manage(self, lobby, join_as, name, method, data):
        client, _ = join_as(lobby, "Ann")
        response = getattr(client, method)(reverse(name, args=[lobby.code]), data or {})
        assert response.status_code == HTTPStatus.FORBIDDEN
        after = load_lobby(lobby.code).lobby
        assert (after.title, after.joining_locked) == ("Friday drinks", False)

    def test_participant_cannot_remove_others(self, lobby, join_as):
        client, _ = join_as(lobby, "Ann")
        url = reverse("lobbies:remove_participant", args=[lobby.code, lobby.lobby.owner_id])
        assert client.post(url).status_code == HTTPStatus.FORBIDDEN
        assert lobby.lobby.owner_id in load_lobby(lobby.code).participants

    @pytest.mark.parametrize(
        "name", ["lobbies:edit", "lobbies:lock", "lobbies:delete", "lobbies:leave"]
    )
    def test_outsiders_get_404(self, lobby, client, name):
        assert client.post(reverse(name, args=[lobby.code])).status_code == HTTPStatus.NOT_FOUND


def personal_link_path(page: str) -> str:
    """The path of the personal link the page shows once."""
    tag = re.search(r'<input[^>]*\sid="personal-link"[^>]*>', page)[0]
    return re.search(r'\svalue="http://testserver([^"]+)"', tag)[1]


@pytest.mark.django_db
def test_new_personal_link_replaces_the_old_one(lobby, join_as):
    client, ann = join_as(lobby, "Ann")
    response = client.post(reverse("lobbies:new_personal_link", args=[lobby.code]), follow=True)
    page = response.content.decode()
    new_path = personal_link_path(page)
    assert "/me/" in new_path
    other_device = Client()
    assert "as <strong>Ann</strong>" in other_device.post(new_path, follow=True).content.decode()
    assert Client().get(new_path.replace(new_path.split("/")[-2], "stale")).status_code == 404


@pytest.mark.django_db
def test_outsider_cannot_get_a_personal_link(lobby, client):
    url = reverse("lobbies:new_personal_link", args=[lobby.code])
    assert client.post(url).status_code == HTTPStatus.NOT_FOUND
