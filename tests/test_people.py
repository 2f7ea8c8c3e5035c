"""The people lists at a thousand: the lobby page holds a bounded preview of each, and the
people routes serve the whole lists, a page at a time, searchable, to participants only."""

from __future__ import annotations

import gzip
import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from letshangout import dynamo
from lobbies.people.lists import PAGE_SIZE, PREVIEW
from lobbies.people.seats import MAX_PARTICIPANTS
from lobbies.store import load_lobby
from tests.factories import fill_lobby
from tests.voting_support import propose, vote

HTMX = {"HTTP_HX_REQUEST": "true"}
# A 1,000-person lobby page (three evenings of half-hour slots). Without the lists of people
# it is about 30 kB (grid, heatmap, forms), and each list's preview adds a dozen names. One
# full list of a thousand would add at least 65 bytes a name (`<li class="person"><span
# class="person-name">Person 0000</span></li>`), 65 kB, and the page lists people in six
# places: 60 kB leaves room for the page to grow but not for one whole list. Gzipped (what
# is sent), 16 kB is about twice the page, and more than a thousand names in six lists take.
PAGE_BYTES_BOUND = 60_000
PAGE_GZIP_BOUND = 16_000


def people_url(code: str, **params) -> tuple[str, dict]:
    return reverse("lobbies:people", args=[code]), params


def get_people(client: Client, code: str, headers=None, **params):
    url, query = people_url(code, **params)
    return client.get(url, query, **(headers or {}))


@pytest.fixture
def big(lobby):
    """The lobby with 1,000 people in it: the organizer and 999 who answered."""
    return fill_lobby(lobby.code, MAX_PARTICIPANTS - 1)


@pytest.fixture
def crowd(lobby):
    """The lobby with 120 more people (three pages), everyone answered."""
    return fill_lobby(lobby.code, 120)


def names_in(body: str) -> set[str]:
    return {f"Person {n:04d}" for n in range(1000) if f"Person {n:04d}<" in body}


def test_the_cap_is_the_setting_and_the_1001st_join_is_refused(big, settings):
    assert MAX_PARTICIPANTS == settings.LOBBY_MAX_PARTICIPANTS == 1000
    assert len(big.participants) == 1000
    client = Client()
    response = client.post(reverse("lobbies:join", args=[big.code]), {"display_name": "Late"})
    body = response.content.decode()
    assert "This lobby is full (1000 people)." in body
    assert len(load_lobby(big.code).participants) == 1000


def test_a_1000_person_lobby_page_is_bounded(big, organizer_client):
    detail = reverse("lobbies:detail", args=[big.code])
    organizer_client.get(detail)  # this process reads the new rev once
    with dynamo.count_calls() as calls:
        response = organizer_client.get(detail)
    assert response.status_code == HTTPStatus.OK
    assert calls.count <= 2
    body = response.content.decode()
    shown = names_in(body)
    assert 0 < len(shown) <= 5 * PREVIEW  # a few lists of previews, never the thousand
    assert "and 988 more" in body  # the people list: 12 of 1,000
    assert reverse("lobbies:people", args=[big.code]) + "?list=everyone" in body
    assert len(response.content) < PAGE_BYTES_BOUND
    assert len(gzip.compress(response.content)) < PAGE_GZIP_BOUND


def test_everyone_as_a_plain_page_with_pages_and_a_search_form(crowd, organizer_client):
    response = get_people(organizer_client, crowd.code)
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "<html" in body
    assert '<label for="people-everyone-q">' in body
    assert 'role="status"' in body
    assert "121 people." in body and "Page 1 of 3." in body
    assert len(names_in(body)) == PAGE_SIZE - 1  # the organizer, Olivia, comes first
    assert "Olivia" in body
    assert "page=2" in body and "Previous page" not in body
    # The organizer's Remove buttons, each named for its person, and the form they submit.
    assert 'aria-label="Remove Person 0000"' in body
    assert 'id="remove-person"' in body


def test_search_is_served_by_the_server(crowd, organizer_client):
    body = get_people(organizer_client, crowd.code, q="person 0042").content.decode()
    assert names_in(body) == {"Person 0042"}
    assert "1 person found for" in body
    assert (
        get_people(organizer_client, crowd.code, q="zzz")
        .content.decode()
        .count("Nobody by that name.")
    )


@pytest.mark.parametrize(
    ("page", "expected"), [("0", 1), ("-1", 1), ("abc", 1), ("3", 3), ("99", 3), ("9" * 40, 1)]
)
def test_page_edges(crowd, organizer_client, page, expected):
    response = get_people(organizer_client, crowd.code, page=page)
    assert response.status_code == HTTPStatus.OK
    assert f"Page {expected} of 3." in response.content.decode()


def test_a_200_character_query_is_refused_with_a_message(crowd, organizer_client):
    response = get_people(organizer_client, crowd.code, q="x" * 200)
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "at most 100 characters" in body
    assert 'value="' + "x" * 200 not in body  # the search box is not filled with it


def test_htmx_opens_the_panel_then_swaps_results_and_count(crowd, organizer_client):
    panel = get_people(
        organizer_client, crowd.code, {**HTMX, "HTTP_HX_TARGET": "people-everyone"}
    ).content.decode()
    assert "<html" not in panel
    assert 'id="people-everyone-q"' in panel and 'id="people-everyone-results"' in panel
    results = get_people(
        organizer_client,
        crowd.code,
        {**HTMX, "HTTP_HX_TARGET": "people-everyone-results"},
        q="Person 01",
    ).content.decode()
    assert "<form" not in results
    assert 'id="people-everyone-count" hx-swap-oob="innerHTML"' in results
    assert "20 people found for" in results and len(names_in(results)) == 20


def test_outsiders_get_the_lobbys_404(crowd, client):
    assert get_people(client, crowd.code).status_code == HTTPStatus.NOT_FOUND
    assert get_people(client, crowd.code, HTMX).status_code == HTTPStatus.NOT_FOUND
    place = reverse("voting:attendance", args=[crowd.code])
    assert client.get(place, {"answer": "yes"}).status_code == HTTPStatus.NOT_FOUND


def test_a_participant_sees_names_without_remove_buttons(crowd, join_as):
    guest, _person = join_as(crowd, "Gus")
    body = get_people(guest, crowd.code).content.decode()
    assert "Person 0000" in body
    assert "Remove" not in body and 'id="remove-person"' not in body


def test_not_answered_yet(lobby, organizer_client):
    fill_lobby(lobby.code, 30, answered=False, name="Quiet {n:04d}")
    body = get_people(organizer_client, lobby.code, list="unanswered").content.decode()
    assert "31 people." in body  # the organizer has not answered either
    assert "Quiet 0029" in body
    page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
    assert "31 have not answered yet:" in page
    assert "Quiet 0029" not in page  # past the preview


def test_who_can_come_at_a_slot_and_in_a_window(crowd, organizer_client):
    body = get_people(
        organizer_client, crowd.code, list="slot", day="0", time="0", answer="yes"
    ).content.decode()
    assert "120 people." in body
    body = get_people(
        organizer_client, crowd.code, list="window", start="0", answer="yes"
    ).content.decode()
    assert "120 people." in body
    for bad in (
        {"list": "slot", "day": "9", "time": "0", "answer": "yes"},
        {"list": "window", "start": "x", "answer": "yes"},
        {"list": "window", "start": "0", "answer": "all"},
        {"list": "nobody"},
    ):
        assert get_people(organizer_client, crowd.code, **bad).status_code == HTTPStatus.NOT_FOUND


def test_place_voters(crowd, organizer_client):
    propose(crowd.code, crowd.lobby.owner_id, "Pizza Bar")
    snapshot = load_lobby(crowd.code)
    place = snapshot.places[0]
    for person in list(snapshot.participants)[1:31]:
        vote(crowd.code, person, place.place_id, "yes")
    url = reverse("voting:voters", args=[crowd.code, place.place_id])
    body = organizer_client.get(url, {"answer": "yes"}).content.decode()
    assert "30 people." in body and "Voted yes for Pizza Bar" in body
    assert organizer_client.get(url, {"answer": "meh"}).status_code == HTTPStatus.NOT_FOUND
    page = organizer_client.get(reverse("lobbies:detail", args=[crowd.code])).content.decode()
    assert url + "?answer=yes" in page and "and 18 more" in page


def test_the_recommended_place_names_a_preview_of_who_voted_no(crowd, organizer_client):
    place = propose(crowd.code, crowd.lobby.owner_id, "Bar Nord")
    for person in list(crowd.participants.values())[1:41]:
        vote(crowd.code, person.participant_id, place.place_id, "no")
    body = organizer_client.get(reverse("lobbies:detail", args=[crowd.code])).content.decode()
    where = body[body.index(">Bar Nord<") :]
    where = where[: where.index("</details>")]
    assert len(re.findall(r"Person \d{4}", where)) == PREVIEW
    assert "and 28 more" in where


def test_names_are_listed_with_the_languages_own_separator():
    from django.utils import translation

    from lobbies.templatetags.people_tags import listed

    with translation.override("ar"):
        assert listed(["سارة", "Dave"]) == "سارة، Dave"
    with translation.override("ja"):
        assert listed(["花子", "Ann"]) == "花子、Ann"
    with translation.override("en"):
        assert listed(["Ann", "Bo"]) == "Ann, Bo"
