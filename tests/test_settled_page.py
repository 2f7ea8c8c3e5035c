"""A settled lobby stops taking answers everywhere: a save from a page opened before is
refused with a 409 and a message (grid.js then locks the grid, tests/browser/test_zones.py),
and the page no longer offers to sign in for an email about the settling."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from lobbies.availability import grid
from lobbies.availability.answers import grid_key, spec_for
from lobbies.store import load_lobby
from voting import decisions


def _settle(code: str) -> None:
    snapshot = load_lobby(code)
    decisions.settle(snapshot, snapshot.lobby.owner_id, 0, None)


@pytest.mark.django_db
def test_a_save_after_settling_is_a_409_with_a_message(lobby, organizer_client):
    spec = spec_for(lobby.lobby)
    data = {
        "participant": lobby.lobby.owner_id,
        "grid": grid_key(spec),
        "yes": grid.bitmap_to_text(grid.encode_bitmap({0}, spec.slot_count)),
        "maybe": grid.bitmap_to_text(grid.encode_bitmap(set(), spec.slot_count)),
    }
    _settle(lobby.code)
    url = reverse("lobbies:availability", args=[lobby.code])
    response = organizer_client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == HTTPStatus.CONFLICT
    assert 'id="save-status"' in response.content.decode()
    assert "settled" in response.content.decode()


@pytest.mark.django_db
def test_a_settled_lobby_does_not_offer_signing_in_for_the_email(lobby, join_as):
    guest, _ann = join_as(lobby, "Ann")
    url = reverse("lobbies:detail", args=[lobby.code])
    assert "to get an email with the event" in guest.get(url).content.decode()
    _settle(lobby.code)
    assert "to get an email with the event" not in guest.get(url).content.decode()
