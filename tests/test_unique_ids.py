"""No id is used twice on a page, in any state it can reach: the main pages for the organizer
and a participant, open and settled, with forms sent back with errors, and with the fragments
htmx swaps in (the calendar panel and its result) standing beside the page they go into.
A second element with an id takes over its label: "Your comment" would name the wrong box."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lobbies import services
from lobbies.answers import spec_for
from tests.html import duplicate_ids
from voting import decisions

HTMX = {"HX-Request": "true"}
CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:a@t\r\n"
    "DTSTART:{day}T180000Z\r\nDTEND:{day}T193000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def first_day(snapshot):
    return spec_for(snapshot.lobby).dates[0]


def page(client, name: str, code: str, **kwargs) -> str:
    return client.get(reverse(name, args=[code]), **kwargs).content.decode()


def calendar_fragments(client, code: str, first_day) -> list[str]:
    url = reverse("lobbies:calendar", args=[code])
    panel = client.get(url, headers=HTMX).content.decode()
    text = CALENDAR.format(day=f"{first_day:%Y%m%d}")
    result = client.post(url, {"text": text}, headers=HTMX).content.decode()
    broken = client.post(url, {"text": "nonsense"}, headers=HTMX).content.decode()
    assert "calendar-found" in result and "form-error" in broken
    return [panel, result]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["organizer", "participant"])
def test_the_lobby_page_with_its_panels_open_has_no_duplicate_id(
    lobby, organizer_client, join_as, who
):
    client = organizer_client if who == "organizer" else join_as(lobby, "Gus")[0]
    lobby_page = page(client, "lobbies:detail", lobby.code)
    fragments = calendar_fragments(client, lobby.code, first_day(lobby))
    assert duplicate_ids(lobby_page) == []
    assert duplicate_ids(lobby_page, *fragments) == []


@pytest.mark.django_db
def test_forms_sent_back_with_errors_have_no_duplicate_id(lobby, organizer_client):
    code = lobby.code
    comment = organizer_client.post(reverse("lobbies:comment", args=[code]), {"text": ""})
    place = organizer_client.post(reverse("voting:propose", args=[code]), {"name": ""})
    for response in (comment, place):
        assert response.status_code == 400
        body = response.content.decode()
        fragments = calendar_fragments(organizer_client, code, first_day(lobby))
        assert duplicate_ids(body, *fragments) == []


@pytest.mark.django_db
def test_pages_of_their_own_have_no_duplicate_id(lobby, organizer_client):
    code = lobby.code
    own_pages = [
        page(organizer_client, name, code)
        for name in ("lobbies:calendar", "lobbies:comments", "lobbies:edit", "voting:settle")
    ]
    for body in own_pages:
        assert duplicate_ids(body) == []
    url = reverse("lobbies:calendar", args=[code])
    text = CALENDAR.format(day=f"{first_day(lobby):%Y%m%d}")
    result = organizer_client.post(url, {"text": text}).content.decode()
    assert "calendar-found" in result and duplicate_ids(result) == []


@pytest.mark.django_db
def test_the_settled_lobby_has_no_duplicate_id(lobby, organizer_client, join_as):
    guest, _gus = join_as(lobby, "Gus")
    snapshot = services.load_lobby(lobby.code)
    decisions.settle(snapshot, snapshot.lobby.owner_id, 0, None)
    for client in (organizer_client, guest):
        assert duplicate_ids(page(client, "lobbies:detail", lobby.code)) == []
