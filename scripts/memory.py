"""How much memory a worker keeps after showing many of the largest lobbies.

`measure_memory()` seeds `lobbies` lobbies of `people` participants over `days` days of
15-minute slots (the whole day: 96 slots a day), every participant with marks, then renders
each lobby page once in this process with Django's test Client, seated as the organizer, and
returns the process's resident memory (VmRSS) before and after, what the app's caches hold,
and tracemalloc's top allocation sites. Run on its own it prints that as JSON:

    .venv/bin/python scripts/memory.py --lobbies 64

It starts its own DynamoDB Local (in memory, on a free port) and an in-memory SQLite database,
and stops them at the end. The participants are written in batches straight through the
entities (a join per person through the services would take minutes per lobby), then the
Lobby item's counts and rev are set through the store, as a write would.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import logging
import os
import random
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TABLE = "letshangout-memory"
SLOT_MINUTES = 15


def resident_bytes() -> int:
    """VmRSS of this process, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("No VmRSS in /proc/self/status")


def _settle() -> int:
    """Collect garbage and hand freed heap back to the system, then read VmRSS: what a
    worker really keeps, not what it touched on the way."""
    gc.collect()
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return resident_bytes()


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "letshangout.settings")
    os.environ.setdefault("DJANGO_ENV", "test")
    import django

    django.setup()
    # One JSON line per request on standard output would drown the report.
    logging.getLogger("letshangout.request").setLevel(logging.WARNING)
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)


def _random_marks(spec, rng: random.Random) -> tuple[set[int], set[int]]:
    """Per day, maybe one stretch of "yes" with some "if need be" after it."""
    yes: set[int] = set()
    maybe: set[int] = set()
    per_day = spec.slots_per_day
    for day in range(len(spec.dates)):
        if rng.random() < 0.3:
            continue
        begin = day * per_day + rng.randrange(per_day)
        end = min((day + 1) * per_day, begin + rng.randint(1, per_day // 2))
        yes.update(range(begin, end))
        maybe.update(range(end, min((day + 1) * per_day, end + rng.randint(0, 8))))
    existing = spec.existing_slots()
    return yes & existing, (maybe - yes) & existing


def seed_big_lobby(people: int, days: int, rng: random.Random):
    """A lobby of `people` participants who all answered, over `days` whole days in 15-minute
    slots; returns (code, organizer participant)."""
    from lobbies import codes, services, store
    from lobbies.availability import grid
    from lobbies.availability.answers import grid_key, spec_for
    from lobbies.entities import Lobby, Participant
    from lobbies.services import LobbySettings

    first = date.today() + timedelta(days=1)
    values = LobbySettings(
        title="Memory check",
        description="",
        timezone="UTC",
        dates=tuple(first + timedelta(days=n) for n in range(days)),
        day_start=0,
        day_end=24 * 60,
        slot_minutes=SLOT_MINUTES,
        meeting_minutes=120,
    )
    organizer = services.create_lobby(values, "Organizer", None).participant
    code = organizer.code
    lobby = store.get_lobby(code)
    spec = spec_for(lobby)
    key = grid_key(spec)
    now = datetime.now(UTC)
    with Participant.batch_write() as batch:
        for n in range(people):
            yes, maybe = _random_marks(spec, rng)
            pid = organizer.participant_id if n == 0 else codes.new_id()
            batch.save(
                Participant(
                    *Participant.key_for(code, pid),
                    display_name="Organizer" if n == 0 else f"Person {n}",
                    token_hash=organizer.token_hash if n == 0 else codes.hash_token(pid),
                    yes=grid.encode_bitmap(yes, spec.slot_count),
                    maybe=grid.encode_bitmap(maybe, spec.slot_count),
                    joined_at=organizer.joined_at if n == 0 else now + timedelta(microseconds=n),
                    answered_at=now,
                    grid_key=key,
                    expires_at=lobby.expires_at,
                )
            )
    store.update_lobby(code, [Lobby.participant_count.set(people)])
    return code, organizer


def _caches_held() -> dict:
    """What the app's in-process caches hold now."""
    from django.conf import settings
    from django.core.cache import caches

    from lobbies import store

    held = {"snapshots": store.snapshot_at.cache_info().currsize}
    for alias in settings.CACHES:
        cache = caches[alias]
        if hasattr(cache, "_cache"):  # a local-memory cache
            held[f"cache:{alias}:entries"] = len(cache._cache)
            held[f"cache:{alias}:bytes"] = sum(len(value) for value in cache._cache.values())
    return held


def measure_memory(
    lobbies: int = 24, people: int = 1000, days: int = 31, trace: bool = True, top: int = 15
) -> dict:
    """Seed `lobbies` big lobbies, render each page once, and report memory (a dict)."""
    from django.conf import settings
    from django.test import Client

    from lobbies.people.access import lobby_url
    from tests.conftest import seat_client

    rng = random.Random(2976)
    started = time.monotonic()
    seeded = [seed_big_lobby(people, days, rng) for _ in range(lobbies)]
    seeding = time.monotonic() - started
    before = _settle()
    if trace:
        tracemalloc.start()
    started = time.monotonic()
    sizes = []
    for code, organizer in seeded:
        client = Client()
        seat_client(client, code, organizer)
        response = client.get(lobby_url(code))
        if response.status_code != 200:
            raise RuntimeError(f"The lobby page of {code} answered {response.status_code}")
        sizes.append(len(response.content))
        del client, response
    rendering = time.monotonic() - started
    after = _settle()
    report = {
        "lobbies": lobbies,
        "people": people,
        "days": days,
        "slots": days * 24 * 60 // SLOT_MINUTES,
        "settings": {
            name: getattr(settings, name)
            for name in dir(settings)
            if name.startswith("LOBBY_") and name.endswith(("_KEPT", "_BYTES"))
        },
        "rss_before_mb": round(before / 2**20, 1),
        "rss_after_mb": round(after / 2**20, 1),
        "rss_growth_per_lobby_mb": round((after - before) / 2**20 / max(1, lobbies), 2),
        "page_bytes_median": sorted(sizes)[len(sizes) // 2] if sizes else 0,
        "seconds_seeding": round(seeding, 1),
        "seconds_rendering": round(rendering, 1),
        "caches": _caches_held(),
    }
    if trace:
        snapshot = tracemalloc.take_snapshot()
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        report["traced_mb"] = round(current / 2**20, 1)
        report["traced_peak_mb"] = round(peak / 2**20, 1)
        report["top"] = [
            {"where": str(stat.traceback[0]), "mb": round(stat.size / 2**20, 2), "n": stat.count}
            for stat in snapshot.statistics("lineno")[:top]
        ]
    return report


def run(lobbies: int, people: int, days: int, trace: bool) -> dict:
    """Start DynamoDB Local and Django, measure, stop DynamoDB Local."""
    _setup_django()
    from letshangout import dynamo
    from letshangout.emulator import local as dynamo_local

    local = dynamo_local.start()
    try:
        dynamo.configure(local.endpoint_url, TABLE)
        dynamo.create_table()
        return measure_memory(lobbies, people, days, trace)
    finally:
        local.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lobbies", type=int, default=24)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--no-trace", action="store_true", help="Skip tracemalloc (its own cost).")
    options = parser.parse_args()
    report = run(options.lobbies, options.people, options.days, not options.no_trace)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
