"""The zone list offers each place once, by its current name: no backward-compatible aliases
(Africa/Asmera, Mexico/BajaNorte, US/*, Etc/*); a lobby stored with an old name still shows
and saves it."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import translation

from lobbies import services
from lobbies.page.labels import timezone_choices
from lobbies.store import load_lobby
from tests.conftest import seat_client
from tests.factories import create_payload, make_settings

ALIASES = ["Africa/Asmera", "Mexico/BajaNorte", "US/Pacific", "Etc/GMT+5", "Asia/Calcutta", "GB"]
CURRENT = ["Africa/Asmara", "America/Tijuana", "America/Los_Angeles", "Asia/Kolkata", "UTC"]


def offered(page: bytes, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', page.decode(), re.S)[0]
    return re.findall(r'<option value="([^"]*)"', select)


def test_only_current_names_are_offered():
    names = [value for value, _label in timezone_choices()]
    assert not set(ALIASES) & set(names)
    assert set(CURRENT) <= set(names)
    assert names[0] == "UTC" and len(names) == len(set(names))


def test_zones_are_named_in_the_readers_language_by_country_then_city():
    with translation.override("de"):
        menu = dict(timezone_choices())
        order = [value for value, _label in timezone_choices()]
    assert menu["Europe/Berlin"] == "Deutschland – Berlin"
    assert menu["America/New_York"] == "Vereinigte Staaten – New York"
    # Ägypten sorts with A in German, before Albanien; Kabul (Afghanistan) before both.
    assert order.index("Asia/Kabul") < order.index("Africa/Cairo") < order.index("Europe/Tirane")
    with translation.override("ja"):
        assert dict(timezone_choices())["Europe/Berlin"] == "ドイツ – ベルリン"


@pytest.mark.django_db
def test_the_create_form_names_zones_in_german(client):
    page = client.get(reverse("lobbies:create"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<option value="Europe/Berlin"' in page and "Deutschland – Berlin" in page


@pytest.mark.django_db
def test_the_create_form_offers_no_alias(client):
    zones = offered(client.get(reverse("lobbies:create")).content, "timezone")
    assert "Europe/Berlin" in zones and "Mexico/BajaNorte" not in zones


@pytest.mark.django_db
def test_a_lobby_stored_with_an_old_name_keeps_working(client):
    membership = services.create_lobby(make_settings(timezone="Africa/Asmera"), "Olivia", None)
    code = membership.participant.code
    seat_client(client, code, membership.participant)
    url = reverse("lobbies:edit", args=[code])
    page = client.get(url)
    assert "Africa/Asmera" in offered(page.content, "timezone")
    assert re.search(r'<option value="Africa/Asmera"[^>]* selected', page.content.decode())
    version = re.search(rb'name="version" value="(\d+)"', page.content)[1].decode()
    response = client.post(
        url, create_payload(timezone="Africa/Asmera", title="Renamed", version=version)
    )
    assert response.status_code == HTTPStatus.FOUND
    lobby = load_lobby(code).lobby
    assert (lobby.title, lobby.timezone) == ("Renamed", "Africa/Asmera")
    assert client.get(reverse("lobbies:detail", args=[code])).status_code == HTTPStatus.OK
