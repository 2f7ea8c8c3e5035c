"""(b) DynamoDB goes away under load and comes back; the app keeps its promises.

DynamoDB Local runs persisted (-dbPath). Clients load the lobby page, poll, save and vote.
Mid-load the emulator is stopped (SIGTERM, so it goes at once but closes its files). Not
SIGKILL: killed that way, DynamoDB Local itself loses transactional writes it had already
acknowledged (measured: 1 of 18 transaction writers lost its last acknowledged write over six
SIGKILLs, none of 30 over ten SIGTERMs, none of the plain UpdateItems either way), which says
nothing about the app; DynamoDB proper acknowledges a transaction only once it is durable.
While it is down every request must get the 503 page with Retry-After, quickly (the
connection timeouts bound it), never a 500. Then
the clients pause, the emulator starts again on the same files, and before anyone writes
again every write acknowledged before the outage must be there. The app is not restarted:
load resumes and must succeed again.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from common import (
    PartResult,
    Seat,
    TestLobby,
    client_for,
    log,
    random_marks,
    stored_state,
    summarize_latencies,
)

# PynamoDB: connect timeout 1 s, read timeout 2 s, 2 retries. A request that needs two
# DynamoDB calls could take (1 s × 3 attempts + backoff) × 2; anything beyond is a hang.
HANG_SECONDS = 10.0


@dataclass
class Call:
    kind: str
    started: float
    ended: float
    status: int
    retry_after: str = ""
    write: tuple | None = None  # (what, key, value) for a save or a vote


@dataclass
class Worker:
    seat: Seat
    address: str
    calls: list[Call] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    busy: bool = False


def drive(worker: Worker, lobby: TestLobby, server, stop: threading.Event, pause, seed: int):
    rng = random.Random(seed)
    client = client_for(server, worker.seat, worker.address)
    base = f"/l/{lobby.code}/"
    while not stop.is_set():
        worker.busy = True  # before looking at `pause`, so a pause never misses a request
        if pause.is_set():
            worker.busy = False
            time.sleep(0.05)
            continue
        roll = rng.random()
        write = None
        started = time.monotonic()
        try:
            if roll < 0.3:
                kind = "save"
                yes, maybe = random_marks(rng, lobby.slots)
                body = lobby.marks_body(worker.seat, yes, maybe)
                write = ("marks", worker.seat.participant_id, (yes, maybe))
                response = client.post(base + "availability/", body, htmx=True)
            elif roll < 0.6:
                kind = "vote"
                place_id = rng.choice(lobby.place_ids)
                value = rng.choice(["yes", "maybe", "no"])
                write = ("vote", (worker.seat.participant_id, place_id), value)
                response = client.post(
                    f"{base}places/{place_id}/vote/", {"value": value}, htmx=True
                )
            elif roll < 0.8:
                kind = "page"
                response = client.get(base)
            else:
                kind = "poll"
                response = client.get(base + "poll/?rev=1", htmx=True)
        except OSError as error:
            worker.errors.append(f"{type(error).__name__}: {error}")
            worker.busy = False
            client.close()
            time.sleep(0.1)
            continue
        worker.busy = False
        worker.calls.append(
            Call(
                kind,
                started,
                time.monotonic(),
                response.status,
                response.headers.get("retry-after", ""),
                write,
            )
        )
        if response.status == 503:
            time.sleep(0.05)  # a browser would wait Retry-After; keep the pressure on anyway
    client.close()


# A save answers 200 with its status line, a vote 204 (htmx): both say it was stored.
ACKNOWLEDGED = {200, 204}


def _expected(calls: list[Call], until: float) -> tuple[dict, dict]:
    """Per key: the last acknowledged value, and the values of later unacknowledged writes
    (sent before `until`) that may or may not have landed."""
    acked: dict = {}
    maybe: dict = {}
    for call in sorted(calls, key=lambda c: c.started):
        if call.write is None or call.started > until:
            continue
        what, key, value = call.write
        if call.status in ACKNOWLEDGED:
            acked[(what, key)] = value
            maybe[(what, key)] = []
        else:
            maybe.setdefault((what, key), []).append(value)
    return acked, maybe


def _holds(state: dict, what: str, key, value) -> bool:
    if what == "marks":
        return state["marks"][key] == value
    pid, place_id = key
    return state["votes"][pid].get(place_id) == value


def run(stk, server, lobby: TestLobby, clients: int, up: float, down: float, after: float):
    result = PartResult("(b) DynamoDB outage and recovery")
    started_part = time.monotonic()
    workers = [Worker(seat, f"10.3.0.{n + 1}") for n, seat in enumerate(lobby.people[:clients])]
    stop, pause = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=drive, args=(w, lobby, server, stop, pause, n), daemon=True)
        for n, w in enumerate(workers)
    ]
    log(f"(b) {clients} clients: {up:.0f} s up, {down:.0f} s down, {after:.0f} s after restart")
    for thread in threads:
        thread.start()
    time.sleep(up)

    # The outage starts when the stop does: stopping takes a moment, and requests that fail
    # in it (the rules proxy answers at once once the emulator is gone) are the outage's.
    outage_started = time.monotonic()
    stk.stop_dynamo()  # SIGTERM, not SIGKILL: see the module's docstring
    time.sleep(down)
    pause.set()
    outage_ended = time.monotonic()
    # Requests still running finish within the timeouts; then nobody is writing.
    settle_deadline = time.monotonic() + HANG_SECONDS
    while time.monotonic() < settle_deadline and any(w.busy for w in workers):
        time.sleep(0.05)

    restart_started = time.monotonic()
    stk.start_dynamo()
    restarted = time.monotonic()
    log(
        f"(b) DynamoDB Local back after {restarted - outage_started:.1f} s (start took "
        f"{restarted - restart_started:.1f} s)"
    )

    # Before anyone writes again: everything acknowledged is still there.
    calls = [c for w in workers for c in w.calls]
    acked, unsure = _expected(calls, outage_ended)
    state = stored_state(lobby.code)
    missing = 0
    ambiguous = 0
    for (what, key), value in acked.items():
        if _holds(state, what, key, value):
            continue
        if any(_holds(state, what, key, other) for other in unsure.get((what, key), [])):
            ambiguous += 1  # a write in flight at the kill landed without its answer
            continue
        missing += 1
    result.check(missing == 0, f"{missing} acknowledged writes were lost in the outage")

    pause.clear()
    recovery_started = time.monotonic()
    time.sleep(after)
    stop.set()
    for thread in threads:
        thread.join(timeout=HANG_SECONDS + 5)
    result.check(not any(t.is_alive() for t in threads), "a client hung after the outage")

    calls = [c for w in workers for c in w.calls]
    before = [c for c in calls if c.ended <= outage_started]
    during = [c for c in calls if c.started >= outage_started and c.ended <= outage_ended]
    after_calls = [c for c in calls if c.started >= recovery_started]
    statuses = Counter(c.status for c in calls)
    result.check(statuses.get(500, 0) == 0, f"{statuses.get(500, 0)} responses were 500")
    other_5xx = {s: n for s, n in statuses.items() if s >= 500 and s != 503}
    result.check(not other_5xx, f"unexpected 5xx: {other_5xx}")
    result.check(bool(before), "no requests before the outage")
    failed_before = Counter(f"{c.kind} {c.status}" for c in before if c.status >= 500)
    result.check(
        not failed_before, f"errors before the outage (the app was not healthy): {failed_before}"
    )
    during_status = Counter(c.status for c in during)
    result.check(bool(during), "no request ran entirely during the outage")
    result.check(
        set(during_status) <= {503}, f"during the outage, not only 503: {dict(during_status)}"
    )
    result.check(
        all(c.retry_after for c in during if c.status == 503), "a 503 came without Retry-After"
    )
    slowest = max((c.ended - c.started for c in calls), default=0.0)
    result.check(slowest <= HANG_SECONDS, f"a request took {slowest:.1f} s (hang)")
    after_bad = Counter(c.status for c in after_calls if c.status >= 500)
    first_ok = min((c.ended for c in after_calls if c.status < 500), default=None)
    result.check(first_ok is not None, "the app did not recover after DynamoDB came back")
    result.check(not after_bad, f"after the restart, still errors: {dict(after_bad)} (no recovery)")
    errors = [e for w in workers for e in w.errors]
    result.check(not errors, f"{len(errors)} client errors, e.g. {errors[:3]}")

    # And at the very end: every acknowledged write, before or after, is what is stored.
    acked_all, unsure_all = _expected(calls, float("inf"))
    state = stored_state(lobby.code)
    final_missing = sum(
        1
        for (what, key), value in acked_all.items()
        if not _holds(state, what, key, value)
        and not any(_holds(state, what, key, o) for o in unsure_all.get((what, key), []))
    )
    result.check(final_missing == 0, f"{final_missing} acknowledged writes differ at the end")

    during_latency = [c.ended - c.started for c in during]
    result.figures += [
        f"{len(calls)} requests: {len(before)} before, {len(during)} during the outage "
        f"({dict(during_status)}), {len(after_calls)} after the restart "
        f"({dict(Counter(c.status for c in after_calls))})",
        f"during the outage: {summarize_latencies(during_latency)}; slowest request overall "
        f"{slowest:.1f} s (limit {HANG_SECONDS:.0f} s)",
        f"{len(acked)} acknowledged writes checked right after the restart: {missing} lost, "
        f"{ambiguous} in flight at the kill landed without their answer",
        "recovered without restarting the app: first success "
        + (f"{first_ok - recovery_started:.2f} s after load resumed" if first_ok else "never"),
    ]
    result.seconds = time.monotonic() - started_part
    return result
