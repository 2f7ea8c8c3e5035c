"""No id is used twice on a page, in any state it can reach: the main pages for the organizer
and a participant, open and settled, with forms sent back with errors, and with the fragments
htmx swaps in (the calendar panel and its result) standing beside the page they go into.
A second element with an id takes over its label: "Your comment" would name the wrong box.
Every id a label, aria-describedby, aria-labelledby or form attribute names exists too: a
reference to nothing leaves the field without its help or its error for a screen reader."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lobbies.availability.answers import spec_for
from lobbies.store import load_lobby
from tests import test_weekly
from tests.html import dangling_references, duplicate_ids
from voting import decisions

weekly_lobby = test_weekly.weekly_lobby  # the fixture, here too

HTMX = {"HX-Request": "true"}
CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:a@t\r\n"
    "DTSTART:{day}T180000Z\r\nDTEND:{day}T193000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def id_problems(*parts: str) -> list[str]:
    """Ids used twice, and references to ids that are not there, across a page and the
    fragments htmx swaps into it."""
    return duplicate_ids(*parts) + dangling_references(*parts)


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
    assert id_problems(lobby_page) == []
    assert id_problems(lobby_page, *fragments) == []


@pytest.mark.django_db
def test_forms_sent_back_with_errors_have_no_duplicate_id(lobby, organizer_client):
    code = lobby.code
    comment = organizer_client.post(reverse("lobbies:comment", args=[code]), {"text": ""})
    place = organizer_client.post(reverse("voting:propose", args=[code]), {"name": ""})
    for response in (comment, place):
        assert response.status_code == 400
        body = response.content.decode()
        fragments = calendar_fragments(organizer_client, code, first_day(lobby))
        assert id_problems(body, *fragments) == []


@pytest.mark.django_db
def test_pages_of_their_own_have_no_duplicate_id(lobby, organizer_client):
    code = lobby.code
    own_pages = [
        page(organizer_client, name, code)
        for name in ("lobbies:calendar", "lobbies:comments", "lobbies:edit", "voting:settle")
    ]
    for body in own_pages:
        assert id_problems(body) == []
    url = reverse("lobbies:calendar", args=[code])
    text = CALENDAR.format(day=f"{first_day(lobby):%Y%m%d}")
    result = organizer_client.post(url, {"text": text}).content.decode()
    assert "calendar-found" in result and id_problems(result) == []


@pytest.mark.django_db
def test_the_settled_lobby_has_no_duplicate_id(lobby, organizer_client, join_as):
    guest, _gus = join_as(lobby, "Gus")
    snapshot = load_lobby(lobby.code)
    decisions.settle(snapshot, snapshot.lobby.owner_id, 0, None)
    for client in (organizer_client, guest):
        assert id_problems(page(client, "lobbies:detail", lobby.code)) == []


@pytest.mark.django_db
def test_forms_with_help_texts_name_only_ids_that_exist(lobby, organizer_client, client):
    """Django describes a field by its help ("<id>_helptext") and error ("<id>_error"): the
    pages that show them, blank and sent back with errors."""
    create = reverse("lobbies:create")
    signup, login = reverse("account_signup"), reverse("account_login")
    bodies = {
        "create": organizer_client.get(create),
        "create, with errors": organizer_client.post(create, {"title": ""}),
        "a place, with errors": organizer_client.post(
            reverse("voting:propose", args=[lobby.code]),
            {"name": "Bar", "link": "javascript:alert(1)"},
        ),
        "sign up": client.get(signup),
        "sign up, with errors": client.post(signup, {"email": "x", "password1": "1"}),
        "sign in": client.get(login),
        "sign in, with errors": client.post(login, {"login": "x", "password": ""}),
        "home": client.get(reverse("lobbies:home")),
        "join, as an outsider": client.get(reverse("lobbies:detail", args=[lobby.code])),
        "join, with errors": client.post(reverse("lobbies:join", args=[lobby.code]), {}),
        "password reset": client.get(reverse("account_reset_password")),
    }
    for state, response in bodies.items():
        assert id_problems(response.content.decode()) == [], state
    # The password rules are a list: in a div, as a <p> cannot hold a <ul>.
    rules = bodies["sign up"].content.decode().split('id="id_password1_helptext"')[1]
    assert rules.startswith("><ul>")


@pytest.mark.django_db
def test_the_weekly_settle_form_names_only_ids_that_exist(weekly_lobby, organizer_client):
    url = reverse("voting:settle", args=[weekly_lobby.code])
    blank = organizer_client.get(url).content.decode()
    refused = organizer_client.post(url, {"first_date": "nonsense"}).content.decode()
    assert "id_first_date_helptext" in blank
    assert id_problems(blank) == [] and id_problems(refused) == []
