"""Builders for test data with sensible defaults."""

from __future__ import annotations

import random
from datetime import date, timedelta

from lobbies import demo
from lobbies.services import LobbySettings


def make_settings(**overrides) -> LobbySettings:
    start = date.today() + timedelta(days=2)
    values = {
        "title": "Friday drinks",
        "description": "",
        "timezone": "Europe/Berlin",
        "dates": tuple(start + timedelta(days=n) for n in range(3)),
        "day_start": 18 * 60,
        "day_end": 23 * 60,
        "slot_minutes": 30,
        "meeting_minutes": 120,
    }
    values.update(overrides)
    return LobbySettings(**values)


def small_demo(seed: int, **overrides):
    """A small lobby with answers, places and votes (lobbies.demo.seed_demo), reproducibly."""
    options = {
        "participants": 3,
        "days": 3,
        "slot_minutes": 60,
        "day_start": 18 * 60,
        "day_end": 22 * 60,
        "places": 2,
        "meeting_minutes": 60,
    }
    options.update(overrides)
    return demo.seed_demo(rng=random.Random(seed), **options)


def create_payload(**overrides) -> dict:
    """What the create form posts for a three-evening lobby, with `overrides`."""
    start = date.today() + timedelta(days=3)
    payload = {
        "title": "Board games",
        "range_start": start.isoformat(),
        "range_end": (start + timedelta(days=2)).isoformat(),
        "day_start": "18:00",
        "day_end": "23:00",
        "slot_minutes": "30",
        "meeting_minutes": "120",
        "timezone": "Europe/Berlin",
        "display_name": "Olivia",
    }
    payload.update(overrides)
    return payload
