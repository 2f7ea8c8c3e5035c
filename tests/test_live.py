"""The live poll: one GetItem when nothing changed, the live fragments when something did."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from letshangout import dynamo
from lobbies import services
from lobbies.availability import saving
from lobbies.availability.answers import grid_key, spec_for
from lobbies.page.lobby import live_fragments
from lobbies.store import get_lobby, load_lobby, lobby_rev
from tests.factories import make_settings
from tests.html import table_cells
from voting import decisions

HTMX = {"HTTP_HX_REQUEST": "true"}


def poll_url(code: str) -> str:
    return reverse("lobbies:poll", args=[code])


def key_of(code: str) -> str:
    return grid_key(spec_for(load_lobby(code).lobby))


def answer(code: str, participant_id: str, yes=(), maybe=()) -> None:
    saving.save_availability(
        saving.answer_sheet(get_lobby(code), key_of(code)),
        participant_id,
        frozenset(yes),
        frozenset(maybe),
    )


def heat_cell(content: str, row: int, column: int) -> tuple[str, str]:
    cell = table_cells(content, "heatmap")[row][column]
    return cell["attrs"].get("class", ""), cell["text"]


def test_unchanged_is_204_for_one_getitem(organizer_client, lobby):
    rev = lobby_rev(lobby.code)
    organizer_client.get(poll_url(lobby.code), {"rev": rev})  # the session settles first
    with dynamo.count_calls() as calls:
        response = organizer_client.get(poll_url(lobby.code), {"rev": rev}, **HTMX)
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""
    assert response["X-Lobby-Rev"] == str(rev)
    assert "no-store" in response["Cache-Control"]
    assert calls.operations == ["GetItem"]


def test_changed_returns_every_live_fragment_out_of_band(organizer_client, lobby, join_as):
    rev = lobby_rev(lobby.code)
    _, ann = join_as(lobby, "Ann")
    answer(lobby.code, ann.participant_id, yes={0, 1, 2, 3})
    with dynamo.count_calls() as calls:
        response = organizer_client.get(poll_url(lobby.code), {"rev": rev}, **HTMX)
    assert response.status_code == HTTPStatus.OK
    assert calls.operations == ["GetItem", "Query"]
    assert response["X-Lobby-Rev"] == str(lobby_rev(lobby.code))
    content = response.content.decode()
    assert "<html" not in content
    roots = re.findall(r'<\w+ [^>]*id="([\w-]+)"[^>]*hx-swap-oob="true"', content)
    assert "group-view" in roots and "grid-notice" in roots
    assert len(roots) == len(live_fragments())
    # Ann's answer is in the heatmap, and the best times name her.
    assert heat_cell(content, 0, 0) == ("h5", "1")  # Ann, the only one who answered
    assert "Would miss it" not in content and "Ann" in content
    # What I am editing is never sent: my own grid stays as I left it.
    assert 'id="my-grid"' not in content and 'name="y"' not in content


def test_poll_keeps_the_heatmap_filter(organizer_client, lobby, join_as):
    rev = lobby_rev(lobby.code)
    _, ann = join_as(lobby, "Ann")
    answer(lobby.code, ann.participant_id, yes={0})
    answer(lobby.code, lobby.organizer.participant_id, yes={5})
    query = {"rev": rev, "known": [ann.participant_id, lobby.organizer.participant_id]}
    query["only"] = [ann.participant_id]
    content = organizer_client.get(poll_url(lobby.code), query, **HTMX).content.decode()
    assert heat_cell(content, 0, 0) == ("h5", "1")
    assert heat_cell(content, 5, 0) == ("h0", "0")  # my own answer is filtered out


def test_poll_says_when_the_grid_changed_under_me(organizer_client, lobby):
    old_key = key_of(lobby.code)
    rev = lobby_rev(lobby.code)
    current = load_lobby(lobby.code)
    services.update_settings(
        current,
        current.organizer.participant_id,
        current.lobby.version,
        make_settings(day_start=17 * 60),
    )
    response = organizer_client.get(poll_url(lobby.code), {"rev": rev, "grid": old_key}, **HTMX)
    assert "changed the days or times" in response.content.decode()
    same = organizer_client.get(
        poll_url(lobby.code), {"rev": rev, "grid": key_of(lobby.code)}, **HTMX
    )
    assert "changed the days or times" not in same.content.decode()


def test_poll_says_when_answers_close(organizer_client, lobby):
    rev = lobby_rev(lobby.code)
    services.set_joining_locked(load_lobby(lobby.code), lobby.organizer.participant_id, True)
    content = organizer_client.get(poll_url(lobby.code), {"rev": rev}).content.decode()
    assert "answers can no longer change" in content


def test_outsider_gets_404_without_touching_dynamodb(lobby, db):
    with dynamo.count_calls() as calls:
        response = Client().get(poll_url(lobby.code), {"rev": 1})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert calls.count == 0


@pytest.mark.parametrize("rev", ["", "abc", "-1", "1.5", "9" * 40])
def test_bad_rev_is_400(organizer_client, lobby, rev):
    response = organizer_client.get(poll_url(lobby.code), {"rev": rev})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_deleted_lobby_is_404(organizer_client, lobby):
    services.delete_lobby(load_lobby(lobby.code), lobby.organizer.participant_id)
    assert organizer_client.get(poll_url(lobby.code), {"rev": 1}).status_code == 404


def test_removed_participant_is_404(lobby, join_as):
    client, ann = join_as(lobby, "Ann")
    rev = lobby_rev(lobby.code)
    services.remove_participant(
        load_lobby(lobby.code), lobby.organizer.participant_id, ann.participant_id
    )
    assert client.get(poll_url(lobby.code), {"rev": rev}).status_code == 404


def test_poll_needs_get(organizer_client, lobby):
    assert organizer_client.post(poll_url(lobby.code), {"rev": 1}).status_code == 405


def test_lobby_page_wires_up_the_poll(organizer_client, lobby):
    content = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
    rev = lobby_rev(lobby.code)
    expected = f'data-live-url="{poll_url(lobby.code)}?grid={key_of(lobby.code)}"'
    assert expected in content and f'data-live-rev="{rev}"' in content
    assert "js/live.js" in content and "js/grid.js" in content


@pytest.mark.django_db
def test_poll_brings_new_participants(organizer_client, lobby, join_as):
    rev = lobby_rev(lobby.code)
    join_as(lobby, "Newcomer Nora")
    response = organizer_client.get(
        reverse("lobbies:poll", args=[lobby.code]), {"rev": rev}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="participants"' in content
    assert "Newcomer Nora" in content


def test_poll_takes_the_propose_form_away_once_places_close(organizer_client, lobby):
    """Settled or past the deadline: the form goes, so nobody types a proposal for nothing.
    While places are open the poll leaves the form alone (it may hold half-typed text)."""
    rev = lobby_rev(lobby.code)
    open_content = organizer_client.get(poll_url(lobby.code), {"rev": 0}).content.decode()
    assert 'id="propose"' not in open_content
    decisions.settle(load_lobby(lobby.code), lobby.lobby.owner_id, 0, None)
    content = organizer_client.get(poll_url(lobby.code), {"rev": rev}).content.decode()
    assert '<div id="propose" class="propose" hx-swap-oob="true"></div>' in content
