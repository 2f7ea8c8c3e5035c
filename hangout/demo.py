"""Demo data: a new lobby whose people have answered, for trying the app and for benchmarks.

Everything goes through the app's own use cases (create, join, propose, vote, save marks), so
a demo lobby is exactly what people would have made: its counts, name markers and rev are
right, and nothing here writes an entity by itself.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from lobbies import services
from lobbies.availability import grid
from lobbies.availability.answers import grid_key, spec_for
from lobbies.availability.saving import answer_sheet, save_availability
from lobbies.services import LobbySettings
from lobbies.store import load_lobby
from voting import services as voting
from voting.ranking import MAYBE, NO, YES

_FIRST_NAMES = [
    "Ada",
    "Ben",
    "Chloé",
    "Dmitri",
    "Emma",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemal",
    "Lea",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tove",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
]
_PLACE_NAMES = [
    "Café Rouge",
    "Harbour Pub",
    "Green Garden",
    "The Library Bar",
    "Noodle House",
    "Riverside Park",
    "Pizza Forno",
    "Tapas Tía",
    "Old Mill Brewery",
    "Sushi Kai",
    "Board Game Café",
    "Taco Stand",
    "Rooftop Terrace",
    "Dumpling Den",
    "Bistro 9",
    "Falafel Corner",
    "Tea Room",
    "Bowling Alley",
    "Jazz Cellar",
    "Food Hall",
]


@dataclass(frozen=True)
class SeededParticipant:
    participant_id: str
    display_name: str
    token: str


@dataclass(frozen=True)
class SeedReport:
    code: str
    participants: list[SeededParticipant]
    places: int
    slots: int

    @property
    def organizer(self) -> SeededParticipant:
        return self.participants[0]


def seed_demo(
    *,
    participants: int,
    days: int,
    slot_minutes: int,
    day_start: int,
    day_end: int,
    places: int,
    timezone: str = "UTC",
    title: str = "Demo lobby",
    meeting_minutes: int = 120,
    start_date: date | None = None,
    rng: random.Random | None = None,
) -> SeedReport:
    """A new lobby with people who answered: availability on the grid, places and votes.

    The same `rng` seed gives the same names, marks and votes (ids and tokens stay random).
    One transaction per join, proposal, vote and answer, as in the app: a 50-person lobby
    with 20 places takes some seconds."""
    rng = rng or random.Random()
    first = start_date or date.today() + timedelta(days=1)
    values = LobbySettings(
        title=title,
        description=_("Made by manage.py seed_demo_lobby for trying the app."),
        timezone=timezone,
        dates=tuple(first + timedelta(days=n) for n in range(days)),
        day_start=day_start,
        day_end=day_end,
        slot_minutes=slot_minutes,
        meeting_minutes=meeting_minutes,
    )
    # Refuse a bad window, slot, zone or meeting length before writing anything.
    grid.GridSpec(values.dates, day_start, day_end, slot_minutes, timezone).meeting_slots(
        meeting_minutes
    )
    membership = services.create_lobby(values, rng.choice(_FIRST_NAMES), None)
    organizer = membership.participant
    code = organizer.code
    seeded = [SeededParticipant(organizer.participant_id, organizer.display_name, membership.token)]
    snapshot = load_lobby(code)
    for n in range(1, participants):
        joined = services.join_lobby(snapshot, f"{rng.choice(_FIRST_NAMES)} {n}", None)
        person = joined.participant
        seeded.append(SeededParticipant(person.participant_id, person.display_name, joined.token))

    snapshot = load_lobby(code)
    people = [seat.participant_id for seat in seeded]
    for n in range(places):
        voting.propose_place(snapshot, rng.choice(people), _demo_place(n))

    snapshot = load_lobby(code)
    place_ids = [place.place_id for place in snapshot.places]
    for person in people:
        for place_id, value in _demo_votes(place_ids, rng).items():
            voting.cast_vote(code, person, place_id, value)

    # Marks go through the app's own service: it checks them against the grid and stamps
    # them with the grid's key, exactly as the calendar page does.
    lobby = snapshot.lobby
    spec = spec_for(lobby)
    sheet = answer_sheet(lobby, grid_key(spec))
    existing = spec.existing_slots()
    for person in people:
        yes, maybe = _demo_availability(spec, existing, rng)
        save_availability(sheet, person, yes, maybe)
    return SeedReport(code, seeded, places, spec.slot_count)


def _demo_place(n: int) -> voting.PlaceValues:
    name = _PLACE_NAMES[n % len(_PLACE_NAMES)]
    if n >= len(_PLACE_NAMES):
        name = f"{name} {n // len(_PLACE_NAMES) + 1}"
    return voting.PlaceValues(
        name=name,
        address=f"{n + 1} Example Street",
        link=f"https://example.com/places/{n + 1}",
    )


def _demo_availability(
    spec: grid.GridSpec, existing: frozenset[int], rng: random.Random
) -> tuple[set[int], set[int]]:
    """Per day, maybe one stretch of "yes" with a fringe of "if need be": how people answer."""
    yes: set[int] = set()
    maybe: set[int] = set()
    per_day = spec.slots_per_day
    for day in range(len(spec.dates)):
        if rng.random() < 0.35:
            continue
        begin = rng.randrange(per_day)
        length = rng.randint(1, max(1, per_day // 2))
        stretch = range(day * per_day + begin, day * per_day + min(per_day, begin + length))
        yes.update(stretch)
        fringe = rng.randint(0, max(1, per_day // 8))
        maybe.update(range(max(day * per_day, stretch.start - fringe), stretch.start))
        maybe.update(range(stretch.stop, min((day + 1) * per_day, stretch.stop + fringe)))
    # Clocks may skip some slots (daylight saving); those cannot be answered.
    return yes & existing, (maybe - yes) & existing


def _demo_votes(place_ids: list[str], rng: random.Random) -> dict[str, str]:
    return {
        place_id: rng.choices((YES, MAYBE, NO), weights=(4, 2, 2))[0]
        for place_id in place_ids
        if rng.random() < 0.7
    }
