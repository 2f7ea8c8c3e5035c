"""The admin: allauth's sign-in in front of it, and lobbies (DynamoDB) listed and acted on."""

from __future__ import annotations

import json
import logging
import time
from http import HTTPStatus

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.test import Client
from django.urls import reverse

from hangout import operations, transfer
from hangout.lobby_admin import views as admin_views
from letshangout.dynamo import TableItem
from lobbies import services
from lobbies.codes import display_code
from lobbies.entities import Lobby, Participant
from lobbies.store import load_lobby
from tests.factories import make_settings, small_demo
from voting import decisions
from voting.entities import Place, PlaceKey


@pytest.fixture
def staff(db, django_user_model):
    return django_user_model.objects.create_user(
        username="root", email="root@example.com", password="pw-for-staff-1", is_staff=True
    )


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def member_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def demo(db):
    """A lobby with answers, places and votes, so it can be settled."""
    report = small_demo(5, participants=4, day_end=23 * 60, places=3, title="Quiz night")
    return load_lobby(report.code)


def list_url(**params) -> str:
    url = reverse("admin:lobbies_lobby_changelist")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def detail_url(code: str) -> str:
    return reverse("admin:lobbies_lobby_change", args=[code])


def action_url(code: str, action: str) -> str:
    return reverse("admin:lobbies_lobby_action", args=[code, action])


def set_expiry(code: str, expires_at: int) -> None:
    TableItem._get_connection().update_item(
        f"LOBBY#{code}", range_key="LOBBY", actions=[Lobby.expires_at.set(expires_at)]
    )


# --- getting in ------------------------------------------------------------------------------


def test_index_lists_lobbies_beside_users(staff_client, staff):
    staff.is_superuser = True  # plain staff see lobbies only; models need permissions
    staff.save()
    response = staff_client.get(reverse("admin:index"))
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert f'href="{list_url()}"' in body
    assert "Lobbies" in body
    assert reverse("admin:auth_user_changelist") in body
    assert reverse("admin:account_emailaddress_changelist") in body


def test_plain_staff_see_lobbies_only(staff_client):
    body = staff_client.get(reverse("admin:index")).content.decode()
    assert f'href="{list_url()}"' in body
    assert reverse("admin:auth_user_changelist") not in body


def test_admin_login_goes_through_allauth(client, staff):
    response = client.get(reverse("admin:index"))
    assert response.status_code == HTTPStatus.FOUND
    login = client.get(response["Location"])
    assert login.status_code == HTTPStatus.FOUND
    assert login["Location"].startswith(reverse("account_login") + "?next=")

    # The admin's own form cannot be used to sign in around allauth.
    posted = client.post(reverse("admin:login"), {"username": "root", "password": "pw-for-staff-1"})
    assert posted.status_code == HTTPStatus.FOUND
    assert posted["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session

    signed_in = client.post(
        reverse("account_login"),
        {"login": "root@example.com", "password": "pw-for-staff-1", "next": list_url()},
    )
    assert signed_in.status_code == HTTPStatus.FOUND
    assert signed_in["Location"] == list_url()
    assert client.get(list_url()).status_code == HTTPStatus.OK


def test_signed_in_non_staff_is_refused(member_client, lobby):
    for url in (reverse("admin:index"), list_url(), detail_url(lobby.code)):
        response = member_client.get(url, follow=True)
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert lobby.lobby.title not in response.content.decode()


def test_non_staff_cannot_act(member_client, client, lobby):
    for who in (member_client, client):
        response = who.post(action_url(lobby.code, "delete"))
        assert response.status_code == HTTPStatus.FOUND
        assert "/login/" in response["Location"]
    assert load_lobby(lobby.code).lobby.title == lobby.lobby.title
    assert not LogEntry.objects.exists()


# --- the list --------------------------------------------------------------------------------


@pytest.fixture
def three_lobbies(db):
    codes = []
    for title in ("Board games", "Hike in the hills", "Board meeting"):
        codes.append(services.create_lobby(make_settings(title=title), "O", None).participant.code)
        time.sleep(0.002)  # distinct creation times, so "newest first" is well defined
    return codes


def rows_of(response) -> list[str]:
    return [row["lobby"].code for row in response.context["rows"]]


def test_list_is_newest_first(staff_client, three_lobbies):
    response = staff_client.get(list_url())
    assert response.status_code == HTTPStatus.OK
    assert rows_of(response) == list(reversed(three_lobbies))
    assert display_code(three_lobbies[0]) in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("board", [2, 0]), ("HILLS", [1]), ("nothing-like-this", [])],
)
def test_search_by_title(staff_client, three_lobbies, query, expected):
    response = staff_client.get(list_url(q=query))
    assert rows_of(response) == [three_lobbies[i] for i in expected]


def test_search_by_code_in_any_spelling(staff_client, three_lobbies):
    code = three_lobbies[1]
    for typed in (code, code.lower(), display_code(code).lower(), code[:5]):
        assert rows_of(staff_client.get(list_url(q=typed))) == [code]


def test_filter_by_state(staff_client, three_lobbies):
    locked, settled_like, expired = three_lobbies
    operations.set_joining_locked(locked, True)
    set_expiry(expired, int(time.time()) - 10)
    TableItem._get_connection().update_item(
        f"LOBBY#{settled_like}", range_key="LOBBY", actions=[Lobby.status.set("settled")]
    )
    assert rows_of(staff_client.get(list_url(state="locked"))) == [locked]
    assert rows_of(staff_client.get(list_url(state="expired"))) == [expired]
    assert rows_of(staff_client.get(list_url(state="settled"))) == [settled_like]
    assert rows_of(staff_client.get(list_url(state="open"))) == []
    assert len(rows_of(staff_client.get(list_url(state="bogus")))) == 3


def test_list_is_paginated(staff_client, three_lobbies, monkeypatch):
    monkeypatch.setattr(admin_views, "PAGE_SIZE", 2)
    first = staff_client.get(list_url())
    second = staff_client.get(list_url(p=2))
    assert rows_of(first) == [three_lobbies[2], three_lobbies[1]]
    assert rows_of(second) == [three_lobbies[0]]
    assert "p=2" in first.content.decode()


# --- the detail page -------------------------------------------------------------------------


def test_detail_shows_settings_people_places_votes_and_decision(staff_client, demo):
    before = staff_client.get(detail_url(demo.code))
    assert before.status_code == HTTPStatus.OK
    body = before.content.decode()
    assert "Quiz night" in body and "Not settled." in body
    for person in demo.participants.values():
        assert person.display_name in body
    for place in demo.places:
        assert place.name in body
    assert "If need be" in body or "Yes" in body
    assert body.count('id="participants"') == 1

    rec = decisions.recommendation(demo)
    decisions.settle(demo, demo.lobby.owner_id, rec.window.start_slot, rec.place.place_id)
    after = staff_client.get(detail_url(demo.code)).content.decode()
    assert "Not settled." not in after
    chosen = demo.place(rec.place.place_id)
    assert f"{chosen.name}, {chosen.address}" in after


def test_detail_shows_expired_lobbies_too(staff_client, lobby):
    set_expiry(lobby.code, int(time.time()) - 10)
    response = staff_client.get(detail_url(lobby.code))
    assert response.status_code == HTTPStatus.OK
    assert response.context["state"] == "expired"


@pytest.mark.parametrize("code", ["ABCDEFGH", "abcdefgh", "not-a-code"])
def test_unknown_or_non_canonical_code_is_404(staff_client, code):
    assert staff_client.get(detail_url(code)).status_code == HTTPStatus.NOT_FOUND


# --- actions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["lock", "settle", "export", "delete"])
def test_every_action_asks_first_and_changes_nothing_on_get(staff_client, demo, action):
    before = transfer.export_lobby(demo.code)["items"]
    response = staff_client.get(action_url(demo.code, action))
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert 'method="post"' in body and "csrfmiddlewaretoken" in body
    assert response.context["action"].name == action
    assert transfer.export_lobby(demo.code)["items"] == before
    assert not LogEntry.objects.exists()


def test_actions_need_the_csrf_token(staff, demo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(action_url(demo.code, "delete"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert load_lobby(demo.code)


def test_action_that_does_not_apply_is_404(staff_client, demo):
    assert staff_client.get(action_url(demo.code, "reopen")).status_code == 404
    assert staff_client.post(action_url(demo.code, "unlock")).status_code == 404
    assert staff_client.post(action_url(demo.code, "explode")).status_code == 404


def assert_logged(staff, code: str, action: str, caplog) -> None:
    entry = LogEntry.objects.get()
    assert entry.user == staff
    assert entry.content_type is None
    assert entry.object_id == code
    lines = [r for r in caplog.records if r.name == "letshangout.admin"]
    assert [(r.action, r.lobby_ref) for r in lines] == [(action, operations.audit_ref(code))]
    assert code not in caplog.text


def test_lock_and_unlock(staff_client, staff, demo, caplog):
    caplog.set_level(logging.INFO)
    response = staff_client.post(action_url(demo.code, "lock"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == detail_url(demo.code)
    lobby = load_lobby(demo.code).lobby
    assert lobby.joining_locked is True
    assert lobby.version == demo.lobby.version  # an open settings form does not go stale
    assert_logged(staff, demo.code, "lock", caplog)

    staff_client.post(action_url(demo.code, "unlock"))
    assert load_lobby(demo.code).lobby.joining_locked is False


def test_settle_on_the_chosen_window_and_place_then_reopen(staff_client, staff, demo, caplog):
    caplog.set_level(logging.INFO)
    rec = decisions.recommendation(demo)
    window = rec.windows[-1]
    place = rec.places[-1]
    response = staff_client.post(
        action_url(demo.code, "settle"),
        {"window": str(window.start_slot), "place": place.place_id},
    )
    assert response.status_code == HTTPStatus.FOUND
    lobby = load_lobby(demo.code).lobby
    assert lobby.status == "settled"
    assert lobby.decision.start_slot == window.start_slot
    assert lobby.decision.place_id == place.place_id
    assert_logged(staff, demo.code, "settle", caplog)

    assert staff_client.post(action_url(demo.code, "reopen")).status_code == HTTPStatus.FOUND
    lobby = load_lobby(demo.code).lobby
    assert lobby.status == "open" and lobby.decision is None


def test_settle_on_another_time_than_the_best(staff_client, demo):
    rec = decisions.recommendation(demo)
    best = {window.start_slot for window in rec.windows}
    other = next(
        start for start in decisions.window_starts(rec.spec, rec.width) if start not in best
    )
    response = staff_client.post(
        action_url(demo.code, "settle"), {"window": "other", "other_start": other, "place": ""}
    )
    assert response.status_code == HTTPStatus.FOUND
    decision = load_lobby(demo.code).lobby.decision
    assert decision.start_slot == other and decision.place_id is None


def test_settle_refuses_a_window_not_offered(staff_client, demo):
    response = staff_client.post(action_url(demo.code, "settle"), {"window": "99999"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert load_lobby(demo.code).lobby.status == "open"
    assert not LogEntry.objects.exists()


def test_settle_without_answers_says_so(staff_client, lobby):
    response = staff_client.get(action_url(lobby.code, "settle"), follow=True)
    assert b"nothing to settle on" in response.content
    assert load_lobby(lobby.code).lobby.status == "open"


def test_delete_removes_every_item(staff_client, staff, demo, caplog):
    caplog.set_level(logging.INFO)
    kinds = {type(item) for item in Lobby.collection(demo.code, consistent=True)}
    assert kinds == {Lobby, Participant, Place, PlaceKey}
    response = staff_client.post(action_url(demo.code, "delete"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == list_url()
    assert list(Lobby.collection(demo.code, consistent=True)) == []
    assert LogEntry.objects.get().action_flag == DELETION
    assert_logged(staff, demo.code, "delete", caplog)
    assert staff_client.get(detail_url(demo.code)).status_code == HTTPStatus.NOT_FOUND


def test_export_downloads_every_item(staff_client, staff, demo, caplog):
    caplog.set_level(logging.INFO)
    response = staff_client.post(action_url(demo.code, "export"))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["items"] == transfer.export_lobby(demo.code)["items"]
    assert len(data["items"]) == 1 + 4 + 3 + 3  # the lobby, people, places, name markers
    assert_logged(staff, demo.code, "export", caplog)


def test_recent_actions_show_on_the_index(staff_client, demo):
    staff_client.post(action_url(demo.code, "lock"))
    body = staff_client.get(reverse("admin:index")).content.decode()
    assert display_code(demo.code) in body
