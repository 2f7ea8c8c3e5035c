"""(a) Two app instances, one DynamoDB Local and one database, many clients at once.

Every client is a participant's browser; each request goes to the other instance than the
one before (a load balancer without stickiness). Clients save availability, vote and propose
places, with and without htmx. Two participants have a second tab open at the same time,
voting on other places than the first tab. At the end DynamoDB must hold exactly what the
clients were told was saved: every acknowledged save and vote, every acknowledged place once,
nothing else; and no request may get a 5xx.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from common import PartResult, Seat, TestLobby, client_for, log, random_marks, stored_state

SEEDED_PLACES = 8
PROPOSALS_TOTAL = 24  # stays under the lobby's cap of places


@dataclass
class Tab:
    """One browser tab: who it is, which places it votes on, what it was told was saved."""

    name: str
    seat: Seat
    place_ids: list[str]
    saves_marks: bool
    proposals_left: int
    address: str
    acked_marks: tuple | None = None
    acked_votes: dict[str, str] = field(default_factory=dict)
    acked_places: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    by_server: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


def plan_tabs(lobby: TestLobby, clients: int) -> list[Tab]:
    people = lobby.people[:clients]
    per_client = max(1, PROPOSALS_TOTAL // len(people))
    tabs = []
    for n, seat in enumerate(people):
        second_tab = n < 2
        mine = lobby.place_ids[0::2] if second_tab else lobby.place_ids
        tabs.append(Tab(f"client {n + 1}", seat, list(mine), True, per_client, f"10.2.0.{n + 1}"))
        if second_tab:
            tabs.append(
                Tab(
                    f"client {n + 1} (2nd tab)",
                    seat,
                    list(lobby.place_ids[1::2]),
                    False,
                    0,
                    f"10.2.0.{n + 1}",
                )
            )
    return tabs


def drive(tab: Tab, lobby: TestLobby, servers: list, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    client = client_for(servers[0], tab.seat, tab.address)
    lobby_path = f"/l/{lobby.code}/"
    turn = 0
    while time.monotonic() < deadline:
        server = servers[turn % len(servers)]
        turn += 1
        client.use(server.base_url)
        htmx = rng.random() < 0.5
        roll = rng.random()
        try:
            if tab.saves_marks and roll < 0.4:
                yes, maybe = random_marks(rng, lobby.slots)
                response = client.post(
                    lobby_path + "availability/",
                    lobby.marks_body(tab.seat, yes, maybe),
                    htmx=htmx,
                )
                if _acknowledged(tab, server, response, htmx):
                    tab.acked_marks = (yes, maybe)
            elif tab.proposals_left and roll > 0.85:
                name = f"{tab.name} idea {tab.proposals_left} «café» <b>&</b>"
                response = client.post(lobby_path + "places/", {"name": name}, htmx=htmx)
                tab.proposals_left -= 1
                if _acknowledged(tab, server, response, htmx):
                    tab.acked_places.append(name)
            else:
                place_id = rng.choice(tab.place_ids)
                value = rng.choice(["yes", "maybe", "no"])
                response = client.post(
                    f"{lobby_path}places/{place_id}/vote/", {"value": value}, htmx=htmx
                )
                # With htmx a vote answers 204 and the live poll brings the new tallies.
                if _acknowledged(tab, server, response, htmx, htmx_ok=204):
                    tab.acked_votes[place_id] = value
        except OSError as error:  # a timeout or a dropped connection: never acknowledged
            tab.failures.append(f"{server.name}: {type(error).__name__} {error}")
            client.close()
    client.close()


def _acknowledged(tab: Tab, server, response, htmx: bool, htmx_ok: int = 200) -> bool:
    tab.statuses[response.status] += 1
    tab.by_server[server.name] += 1
    tab.latencies.append(response.seconds)
    ok = response.status == (htmx_ok if htmx else 302)
    if not ok:
        tab.failures.append(f"{server.name}: {response.status} {response.text[:200]!r}")
    return ok


def run(servers: list, lobby: TestLobby, clients: int, seconds: float) -> PartResult:
    result = PartResult("(a) two instances, concurrent writes")
    started = time.monotonic()
    tabs = plan_tabs(lobby, clients)
    before = stored_state(lobby.code)
    log(f"(a) {len(tabs)} tabs of {clients} people over {len(servers)} instances, {seconds:.0f} s")
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=drive, args=(tab, lobby, servers, deadline, n), daemon=True)
        for n, tab in enumerate(tabs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    result.check(not any(t.is_alive() for t in threads), "a client hung past the deadline")

    after = stored_state(lobby.code)
    statuses = sum((tab.statuses for tab in tabs), Counter())
    by_server = sum((tab.by_server for tab in tabs), Counter())
    requests = sum(statuses.values())
    fivexx = sum(n for status, n in statuses.items() if status >= 500)
    result.check(fivexx == 0, f"{fivexx} responses were 5xx")
    failures = [f"{tab.name}: {f}" for tab in tabs for f in tab.failures]
    result.check(not failures, f"{len(failures)} requests failed, e.g. {failures[:3]}")

    # Availability: each person's stored marks are the last ones they were told were saved.
    lost_marks = 0
    for tab in tabs:
        if tab.saves_marks and tab.acked_marks is not None:
            stored = after["marks"][tab.seat.participant_id]
            if stored != tab.acked_marks:
                lost_marks += 1
    result.check(lost_marks == 0, f"{lost_marks} people's stored marks differ from the last saved")

    # Votes: per person and place, the last acknowledged answer; two tabs never wipe each other.
    expected_votes: dict[str, dict[str, str]] = {}
    for tab in tabs:
        expected_votes.setdefault(tab.seat.participant_id, {}).update(tab.acked_votes)
    wrong_votes = 0
    for pid, votes in expected_votes.items():
        stored = after["votes"][pid]
        wrong_votes += sum(1 for place_id, value in votes.items() if stored.get(place_id) != value)
        extra = set(stored) - set(votes) - set(before["votes"][pid])
        wrong_votes += len(extra)
    result.check(wrong_votes == 0, f"{wrong_votes} stored votes differ from the acknowledged ones")

    # Places: every acknowledged proposal exactly once, nothing else new.
    acked_places = Counter(name for tab in tabs for name in tab.acked_places)
    seeded = {pid for pid, _name in before["places"]}
    new_places = Counter(name for pid, name in after["places"] if pid not in seeded)
    result.check(
        new_places == acked_places,
        f"places: stored {sum(new_places.values())}, acknowledged {sum(acked_places.values())}",
    )
    result.check(set(after["marks"]) == set(before["marks"]), "the set of participants changed")

    votes_acked = sum(len(tab.acked_votes) for tab in tabs)
    saves = sum(1 for tab in tabs if tab.acked_marks)
    latencies = [s for tab in tabs for s in tab.latencies]
    result.figures += [
        f"{requests} requests ({', '.join(f'{k}: {v}' for k, v in sorted(by_server.items()))}), "
        f"statuses {dict(sorted(statuses.items()))}",
        f"checked: {saves} people's marks, {votes_acked} (person, place) votes, "
        f"{sum(acked_places.values())} new places; rev {before['rev']} → {after['rev']}",
        "latency " + _latency(latencies),
    ]
    result.seconds = time.monotonic() - started
    return result


def _latency(seconds: list[float]) -> str:
    from common import summarize_latencies

    return summarize_latencies(seconds)
