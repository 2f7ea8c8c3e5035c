"""What a worker keeps of the lobbies it shows: only the snapshot cache holds snapshots
(lobbies/store.py), what pages derive from them is kept under (code, rev) in a cache bounded
by settings (lobbies/derived.py), and the bounds come from the environment."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from http import HTTPStatus
from pathlib import Path

from django.conf import settings as django_settings
from django.core.cache import caches
from django.urls import reverse

from lobbies import store
from lobbies.availability import saving
from lobbies.availability.answers import grid_key, spec_for
from lobbies.store import load_lobby
from voting import services as voting

ROOT = Path(__file__).resolve().parent.parent


def show_page(client, code: str) -> None:
    response = client.get(reverse("lobbies:detail", args=[code]))
    assert response.status_code == HTTPStatus.OK


def answer(code: str, participant_id: str, yes: set[int]) -> None:
    lobby = load_lobby(code).lobby
    saving.save_availability(
        saving.answer_sheet(lobby, grid_key(spec_for(lobby))), participant_id, yes, set()
    )


def test_nothing_derived_keeps_an_old_snapshot(organizer_client, lobby, join_as):
    code = lobby.code
    guest, ann = join_as(lobby, "Ann")
    answer(code, ann.participant_id, {0, 1})
    voting.propose_place(load_lobby(code), ann.participant_id, voting.PlaceValues("Pub"))
    shown = load_lobby(code)
    old = [weakref.ref(shown), *(weakref.ref(p) for p in shown.participants.values())]
    old.append(weakref.ref(shown.places[0]))
    del shown
    show_page(organizer_client, code)
    show_page(guest, code)
    derived = len(caches[django_settings.LOBBY_CACHE]._cache)
    assert derived >= 4  # the group view, the people list, the ranking, place cards

    answer(code, ann.participant_id, {2})  # a new rev
    show_page(organizer_client, code)
    show_page(guest, code)
    store.snapshot_at.cache_clear()  # the snapshot cache only: what was derived stays
    gc.collect()

    assert len(caches[django_settings.LOBBY_CACHE]._cache) > derived
    assert [ref() for ref in old] == [None] * len(old)


def test_the_derived_cache_keeps_no_more_than_its_bound(organizer_client, lobby, join_as, settings):
    settings.CACHES = {
        **settings.CACHES,
        settings.LOBBY_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "lobbies-bound-test",
            "TIMEOUT": None,
            "OPTIONS": {"MAX_ENTRIES": 3},
        },
    }
    _guest, ann = join_as(lobby, "Ann")
    for slot in range(4):
        answer(lobby.code, ann.participant_id, {slot})
        show_page(organizer_client, lobby.code)
        assert len(caches[settings.LOBBY_CACHE]._cache) <= 3


def test_the_snapshot_cache_is_bounded_by_its_setting():
    assert store.snapshot_at.cache_info().maxsize == django_settings.LOBBY_SNAPSHOTS_KEPT


def test_the_bounds_come_from_the_environment():
    """A worker started with other bounds uses them, for every cache of lobby data."""
    script = (
        "import django, json; django.setup()\n"
        "from django.core.cache import caches\n"
        "from lobbies import store\n"
        "from lobbies.availability import answers, marks, presenters as pages\n"
        "print(json.dumps([store.snapshot_at.cache_info().maxsize,\n"
        "  marks.grid_view.cache_info().maxsize, pages.my_grid_html.cache_info().maxsize,\n"
        "  answers._spec.cache_info().maxsize, caches['lobbies']._max_entries]))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "letshangout.settings",
        "DJANGO_ENV": "test",
        "LOBBY_SNAPSHOTS_KEPT": "3",
        "LOBBY_GRIDS_KEPT": "5",
        "LOBBY_DERIVED_KEPT": "7",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [3, 5, 5, 5, 7]
