"""Shared by the reliability parts: a lobby to work in, people seated in it, and results."""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import stack  # noqa: E402


def log(message: str) -> None:
    print(f"[reliability {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class PartResult:
    """One line of the summary table, with the details printed under it."""

    name: str
    passed: bool = True
    figures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, ok: bool, problem: str) -> bool:
        if not ok:
            self.passed = False
            self.problems.append(problem)
        return ok


@dataclass
class Seat:
    """A participant of the test lobby and the session cookie that sits in their seat."""

    participant_id: str
    session: str


@dataclass
class TestLobby:
    code: str
    owner: Seat
    people: list[Seat]
    place_ids: list[str]
    grid_key: str
    slots: list[int]
    slot_count: int

    def marks_body(self, seat: Seat, yes: frozenset, maybe: frozenset) -> dict:
        return stack.marks_form(seat.participant_id, self.grid_key, self.slot_count, yes, maybe)


def make_lobby(people: int, places: int, title: str = "Reliability") -> TestLobby:
    """A lobby written through the services, with `people` guests besides the organizer."""
    from lobbies import services
    from lobbies.availability.answers import grid_key, spec_for
    from lobbies.store import load_lobby
    from voting import services as voting

    values = services.LobbySettings(
        title=title,
        description="",
        timezone="UTC",
        dates=tuple(date.today() + timedelta(days=n) for n in range(2, 5)),
        day_start=18 * 60,
        day_end=23 * 60,
        slot_minutes=30,
        meeting_minutes=60,
    )
    owner = services.create_lobby(values, "Organizer", None).participant
    code = owner.code
    snapshot = load_lobby(code)
    for n in range(people):
        services.join_lobby(snapshot, f"Person {n + 1}", None)
    snapshot = load_lobby(code)
    for n in range(places):
        voting.propose_place(
            snapshot, owner.participant_id, voting.PlaceValues(name=f"Seeded place {n + 1}")
        )
        snapshot = load_lobby(code)
    spec = spec_for(snapshot.lobby)
    seats = {pid: Seat(pid, stack.new_session_cookie({code: pid})) for pid in snapshot.participants}
    return TestLobby(
        code=code,
        owner=seats[owner.participant_id],
        people=[seat for pid, seat in seats.items() if pid != owner.participant_id],
        place_ids=[place.place_id for place in snapshot.places],
        grid_key=grid_key(spec),
        slots=sorted(spec.existing_slots()),
        slot_count=spec.slot_count,
    )


def client_for(server: stack.Server, seat: Seat | None, address: str) -> stack.Client:
    return stack.client(server, seat.session if seat else None, forwarded_for=address)


def random_marks(rng: random.Random, slots: list[int]) -> tuple[frozenset, frozenset]:
    chosen = rng.sample(slots, k=rng.randint(0, len(slots)))
    cut = rng.randint(0, len(chosen))
    return frozenset(chosen[:cut]), frozenset(chosen[cut:])


def stored_state(code: str) -> dict:
    """What DynamoDB holds for the lobby, read fresh: marks, votes and places."""
    from lobbies.availability import grid
    from lobbies.availability.answers import spec_for
    from lobbies.store import load_lobby
    from voting import services as voting

    snapshot = load_lobby(code)
    length = spec_for(snapshot.lobby).slot_count

    def bits(data) -> frozenset:
        return grid.decode_bitmap(bytes(data), length) if data else frozenset()

    return {
        "rev": int(snapshot.lobby.rev),
        "marks": {pid: (bits(p.yes), bits(p.maybe)) for pid, p in snapshot.participants.items()},
        "votes": {pid: voting.votes_of(p) for pid, p in snapshot.participants.items()},
        "places": [(place.place_id, place.name) for place in snapshot.places],
    }


def form(body: dict) -> str:
    return urlencode(body, doseq=True)


def summarize_latencies(seconds: list[float]) -> str:
    if not seconds:
        return "no requests"
    ms = [s * 1000 for s in seconds]
    return (
        f"p50 {stack.percentile(ms, 50):.0f} ms, p99 {stack.percentile(ms, 99):.0f} ms, "
        f"max {max(ms):.0f} ms"
    )
