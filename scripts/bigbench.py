"""The thousand-person part of `make bench` (scripts/bench.py calls it in the same run).

- Seeding: a lobby made by the seed command with a few people, places and votes, then grown
  to its full size by copying a participant item with BatchWriteItem (25 items a request)
  straight into DynamoDB Local. The participant cap (lobbies/people/seats.py) applies to joins, so
  a big lobby cannot be made through the app yet; the items written are the ones a join and
  a save would have left (new ids, names, join times, marks and votes), and the Lobby item's
  participant count and rev are moved once at the end, as the app's writes would have.
- One request at a time: server time warm, the first render after a change, the bytes of a
  first visit, DynamoDB requests per page, unchanged poll and save.
- The burst and the crowd: 200 participants save within one second while 300 others poll
  the live updates as static/js/live.js does; afterwards every stored mark is compared with
  what was sent.
- Memory: one worker's resident memory after showing 64 lobbies of the largest size.

Every random choice comes from a seeded `random.Random`.
"""

from __future__ import annotations

import contextlib
import json
import random
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import stack
from webclient import Client, Response

BATCH = 25  # BatchWriteItem's limit
Marks = tuple[frozenset, frozenset]  # yes, maybe
STAMP = "%Y-%m-%dT%H:%M:%S.%f%z"  # PynamoDB's UTCDateTimeAttribute format


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- raw DynamoDB access (the benchmark's own client, generous timeouts) -------------------


def raw_client():
    import botocore.session
    from botocore.config import Config
    from django.conf import settings

    session = botocore.session.get_session()
    return session.create_client(
        "dynamodb",
        endpoint_url=settings.DYNAMODB_ENDPOINT_URL,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(
            read_timeout=60, connect_timeout=5, retries={"max_attempts": 5}, max_pool_connections=8
        ),
    )


def table_name() -> str:
    from django.conf import settings

    return settings.DYNAMODB_TABLE


def query_all(client, code: str) -> list[dict]:
    items, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = client.query(
            TableName=table_name(),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"LOBBY#{code}"}},
            ConsistentRead=True,
            **extra,
        )
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def batch_put(client, items: list[dict], threads: int = 3) -> None:
    """Every item, 25 to a BatchWriteItem, a few requests at a time; unprocessed ones again."""

    def put(chunk: list[dict]) -> None:
        pending = {table_name(): [{"PutRequest": {"Item": item}} for item in chunk]}
        for attempt in range(20):
            answer = client.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(0.05 * (attempt + 1))
        raise RuntimeError("BatchWriteItem kept items unprocessed")

    chunks = [items[n : n + BATCH] for n in range(0, len(items), BATCH)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, chunks))


def seeded_text(rng: random.Random, length: int) -> str:
    """Letters of the app's code alphabet: an id (lowercased) or a lobby code."""
    from lobbies.codes import ALPHABET

    return "".join(rng.choice(ALPHABET) for _ in range(length))


# --- seeding -------------------------------------------------------------------------------


def seed_small(seed: int, title: str = "Benchmark lobby, 1,000 people", **options) -> str:
    """A lobby made by the app's seed command (its options given over the defaults here): its
    Lobby item, places, votes, marks."""
    import io

    from django.core.management import call_command

    options = {"slot": 15, "places": 20, "meeting": 120, "timezone": "UTC", **options}
    out, quiet = io.StringIO(), io.StringIO()
    call_command(
        "seed_demo_lobby", title=title, seed=seed, as_json=True, stdout=out, stderr=quiet, **options
    )
    return json.loads(out.getvalue())["code"]


def grow_lobby(code: str, total: int, rng: random.Random) -> None:
    """Participant items copied from a seeded one until the lobby holds `total` people, each
    with their own id, name, join time, marks and votes; then the Lobby item's count and rev
    move once (a cached snapshot of the smaller lobby is stale after that, as it should be)."""
    from hangout import demo
    from lobbies.availability import grid
    from lobbies.availability.answers import spec_for
    from lobbies.store import load_lobby

    client = raw_client()
    items = query_all(client, code)
    lobby = next(item for item in items if item["sk"]["S"] == "LOBBY")
    people = [item for item in items if item["sk"]["S"].startswith("P#")]
    template = next(p for p in people if p["sk"]["S"] != f"P#{lobby['owner_id']['S']}")
    spec = spec_for(load_lobby(code).lobby)
    existing = spec.existing_slots()
    joined = datetime.fromisoformat(template["joined_at"]["S"])
    place_ids = list(template.get("votes", {}).get("M", {}))
    new_items = []
    for n in range(len(people), total):
        item = {
            key: value
            for key, value in template.items()
            if key not in {"gsi1pk", "gsi1sk", "browser_hash", "reminded_at"}
        }
        yes, maybe = demo._demo_availability(spec, existing, rng)
        item["sk"] = {"S": f"P#{seeded_text(rng, 10).lower()}"}
        item["display_name"] = {"S": f"Person {n}"}
        item["token_hash"] = {"S": f"{rng.getrandbits(256):064x}"}
        joined_at = joined + timedelta(seconds=n)
        item["joined_at"] = {"S": joined_at.strftime(STAMP)}
        item["yes"] = {"B": grid.encode_bitmap(yes, spec.slot_count)}
        item["maybe"] = {"B": grid.encode_bitmap(maybe, spec.slot_count)}
        item["votes"] = {
            "M": {
                place: {"S": rng.choices(("yes", "maybe", "no"), weights=(4, 2, 2))[0]}
                for place in place_ids
                if rng.random() < 0.7
            }
        }
        new_items.append(item)
    batch_put(client, new_items)
    client.update_item(
        TableName=table_name(),
        Key={"pk": lobby["pk"], "sk": lobby["sk"]},
        UpdateExpression="SET participant_count = :n ADD rev :one",
        ExpressionAttributeValues={":n": {"N": str(total)}, ":one": {"N": "1"}},
    )


def copy_lobby(source: str, copies: int, rng: random.Random) -> list[str]:
    """`copies` more lobbies holding the same items as `source` under new codes."""
    from lobbies.codes import CODE_LENGTH

    client = raw_client()
    items = query_all(client, source)
    codes, pending = [], []
    for _ in range(copies):
        code = seeded_text(rng, CODE_LENGTH)
        codes.append(code)
        for item in items:
            pending.append({**item, "pk": {"S": f"LOBBY#{code}"}})
        if len(pending) >= 5000:
            batch_put(client, pending)
            pending = []
    batch_put(client, pending)
    return codes


# --- the people of a big lobby, as the app stores them ------------------------------------


@dataclass
class BigLobby:
    code: str
    people: list[str]  # participant ids other than the organizer's, in join order
    grid_key: str
    slot_count: int
    slots: list[int]
    lobby_path: str
    poll_path: str
    save_path: str
    sessions: dict[str, str] = field(default_factory=dict)

    def session(self, pid: str) -> str:
        if pid not in self.sessions:
            self.sessions[pid] = stack.new_session_cookie({self.code: pid})
        return self.sessions[pid]


def describe(code: str) -> BigLobby:
    from django.urls import reverse

    from lobbies.availability.answers import grid_key, spec_for
    from lobbies.store import load_lobby

    snapshot = load_lobby(code)
    spec = spec_for(snapshot.lobby)
    people = [pid for pid in snapshot.participants if pid != snapshot.lobby.owner_id]
    return BigLobby(
        code=code,
        people=people,
        grid_key=grid_key(spec),
        slot_count=spec.slot_count,
        slots=sorted(spec.existing_slots()),
        lobby_path=reverse("lobbies:detail", args=[code]),
        poll_path=reverse("lobbies:poll", args=[code]),
        save_path=reverse("lobbies:availability", args=[code]),
    )


def client_as(server: stack.Server, big: BigLobby, pid: str, number: int) -> Client:
    address = f"10.2.{number // 250}.{number % 250 + 1}"
    return stack.client(server, big.session(pid), forwarded_for=address, timeout=60)


def post_marks(
    client: Client, big: BigLobby, pid: str, marks: tuple[frozenset, frozenset]
) -> Response:
    form = stack.marks_form(pid, big.grid_key, big.slot_count, *marks)
    return client.request("POST", big.save_path, form=form, htmx=True)


def marks_for(rng: random.Random, slots: list[int], share: int = 4) -> Marks:
    """New marks on one in `share` of the slots: three quarters of them yes, the rest maybe."""
    chosen = rng.sample(slots, k=len(slots) // share)
    cut = len(chosen) * 3 // 4
    return frozenset(chosen[:cut]), frozenset(chosen[cut:])


# --- one request at a time -----------------------------------------------------------------


def alone(server: stack.Server, big: BigLobby, warm_count: int, cold_count: int) -> dict:
    """Server times with one request at a time, and DynamoDB requests per page, unchanged
    poll and save. A cold render is the first page after someone else's save; both workers
    see each rev once, so every cold sample is a page at a rev no worker has rendered."""
    from lobbies.store import lobby_rev

    rng = random.Random(11)
    viewer, saver = big.people[0], big.people[1]
    page = client_as(server, big, viewer, 0)
    writer = client_as(server, big, saver, 1)
    cold, page_calls, save_calls = [], [], []
    for _ in range(cold_count):
        offset = server.log_size()
        response = post_marks(writer, big, saver, marks_for(rng, big.slots))
        if response.status != 200:
            raise SystemExit(f"big lobby: save answered {response.status}: {response.text[:500]}")
        response = page.get(big.lobby_path)
        if response.status != 200:
            raise SystemExit(f"big lobby: page answered {response.status}")
        lines = server.request_lines(offset)
        saves = [line for line in lines if line.get("route") == "lobbies:availability"]
        pages = [line for line in lines if line.get("route") == "lobbies:detail"]
        save_calls += [int(line["dynamodb_calls"]) for line in saves]
        page_calls += [int(line["dynamodb_calls"]) for line in pages]
        cold += [float(line["duration_ms"]) for line in pages]

    # Warm: both workers have rendered the current rev before the timed pages.
    for _ in range(4):
        page.get(big.lobby_path)
    offset = server.log_size()
    for _ in range(warm_count):
        page.get(big.lobby_path)
    warm = server.request_lines(offset, "lobbies:detail")
    page_calls += [int(line["dynamodb_calls"]) for line in warm]

    rev = lobby_rev(big.code)
    offset = server.log_size()
    for _ in range(10):
        page.get(f"{big.poll_path}?rev={rev}", htmx=True)
    polls = server.request_lines(offset, "lobbies:poll")
    page.close()
    writer.close()
    return {
        "cold_ms": statistics.median(cold) if cold else None,
        "cold_samples": cold,
        "warm_ms": statistics.median(float(line["duration_ms"]) for line in warm),
        "calls": {
            "lobby": max(page_calls),
            "poll_unchanged": max(int(line["dynamodb_calls"]) for line in polls),
            "save": max(save_calls),
        },
    }


# --- the burst and the crowd ---------------------------------------------------------------


@dataclass
class Save:
    pid: str
    yes: frozenset
    maybe: frozenset
    status: int = 0
    sent_at: float = 0.0
    answered_at: float = 0.0


@dataclass
class Watcher:
    pid: str
    rev: int
    # (sent, got, status, rev) of each answered poll
    polls: list[tuple[float, float, int, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def burst_and_crowd(server: stack.Server, big: BigLobby, sizes: dict) -> dict:
    """`savers` participants each save once, spread over one second, while `watchers` other
    participants poll as live.js does (GET poll?rev=N with HX-Request, the next poll
    `poll_interval` seconds after the last answer, rev taken from X-Lobby-Rev)."""
    from lobbies.store import lobby_rev

    savers, watchers, interval = sizes["savers"], sizes["watchers"], sizes["poll_interval"]
    rng = random.Random(13)
    start_rev = lobby_rev(big.code)
    saving = big.people[:savers]
    watching = big.people[savers : savers + watchers]
    saves = [Save(pid, *marks_for(rng, big.slots)) for pid in saving]
    save_clients = [client_as(server, big, s.pid, n) for n, s in enumerate(saves)]
    crowd = [Watcher(pid, start_rev) for pid in watching]
    crowd_clients = [client_as(server, big, w.pid, 500 + n) for n, w in enumerate(crowd)]
    offsets = [rng.uniform(0, interval) for _ in crowd]
    stop = threading.Event()

    def watch(n: int) -> None:
        watcher, client = crowd[n], crowd_clients[n]
        if stop.wait(offsets[n]):
            return
        while not stop.is_set():
            sent = time.monotonic()
            try:
                response = client.get(f"{big.poll_path}?rev={watcher.rev}", htmx=True)
            except Exception as error:  # noqa: BLE001 - counted as an error
                if not stop.is_set():  # not the server stopped under a late poll
                    watcher.errors.append(repr(error))
                client.close()
                stop.wait(interval)
                continue
            got = time.monotonic()
            next_rev = response.headers.get("x-lobby-rev", "")
            watcher.polls.append((sent, got, response.status, next_rev))
            if response.status not in (200, 204):
                watcher.errors.append(f"status {response.status}")
            elif next_rev.isdigit():
                watcher.rev = int(next_rev)
            stop.wait(interval)

    burst_started = [0.0]

    def save(n: int) -> None:
        entry = saves[n]
        delay = burst_started[0] + n / len(saves) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        entry.sent_at = time.monotonic()
        # No answer (status 0) counts as an error, as any status but 200 does.
        with contextlib.suppress(Exception):
            marks = (entry.yes, entry.maybe)
            entry.status = post_marks(save_clients[n], big, entry.pid, marks).status
        entry.answered_at = time.monotonic()

    offset = server.log_size()
    watch_threads = [
        threading.Thread(target=watch, args=(n,), daemon=True) for n in range(watchers)
    ]
    for thread in watch_threads:
        thread.start()
    time.sleep(interval + 1)  # every watcher is polling before the burst
    burst_started[0] = time.monotonic() + 0.2
    save_threads = [threading.Thread(target=save, args=(n,)) for n in range(len(saves))]
    for thread in save_threads:
        thread.start()
    for thread in save_threads:
        thread.join()
    burst_done = time.monotonic()
    time.sleep(2 * interval + 4)  # watchers catch up
    stop.set()
    # Polls still queued at the server are left to it (it stops after this phase).
    deadline = time.monotonic() + 30
    for thread in watch_threads:
        thread.join(timeout=max(0.1, deadline - time.monotonic()))
    for client in save_clients + crowd_clients:
        client.close()

    accepted = [s for s in saves if s.status == 200]
    latencies = [1000 * (s.answered_at - s.sent_at) for s in accepted]
    stored = stored_marks(big)
    lost = [s.pid for s in accepted if stored.get(s.pid) != (s.yes, s.maybe)]
    final_rev = lobby_rev(big.code)
    lines = server.request_lines(offset)
    return {
        "savers": len(saves),
        "watchers": watchers,
        "interval_s": interval,
        "burst_seconds": burst_done - burst_started[0],
        "accepted": len(accepted),
        "save_error_count": sum(1 for s in saves if s.status != 200),
        "save_timeouts": sum(1 for s in saves if s.status == 0),
        "lost": len(lost),
        "save_p50_ms": stack.percentile(latencies, 50),
        "save_p95_ms": stack.percentile(latencies, 95),
        "save_max_ms": max(latencies, default=None),
        "save_statuses": dict(Counter(str(s.status) for s in saves)),
        **seen_by_watchers(accepted, crowd, final_rev),
        **server_side(lines),
    }


def stored_marks(big: BigLobby) -> dict[str, tuple[frozenset, frozenset]]:
    return {
        item["sk"]["S"].removeprefix("P#"): (
            _bitmap(item, "yes", big.slot_count),
            _bitmap(item, "maybe", big.slot_count),
        )
        for item in query_all(raw_client(), big.code)
        if item["sk"]["S"].startswith("P#")
    }


def _bitmap(item: dict, name: str, length: int) -> frozenset:
    from lobbies.availability import grid

    return grid.decode_bitmap(item[name]["B"], length) if name in item else frozenset()


def seen_by_watchers(accepted: list[Save], crowd: list[Watcher], final_rev: int | None) -> dict:
    """How long until each accepted save was on each watcher's page, bounded from above.

    A poll reads the rev strongly consistently, and its answer (200 with the page's new
    fragments, or 204 when the page is already there) says in X-Lobby-Rev which rev the page
    now shows. Any poll sent after a save was acknowledged read a rev that holds the save, so
    the smallest such rev, over every watcher, holds it too; a watcher's page holds the save
    from its first answer at that rev or later (from the acknowledgement, if earlier)."""
    answers = sorted(
        (got, sent, int(rev), n)
        for n, watcher in enumerate(crowd)
        for sent, got, status, rev in watcher.polls
        if status in (200, 204) and rev.isdigit()
    )
    worst, late, missing = 0.0, 0, 0
    delays = []
    for entry in accepted:
        later = [rev for _got, sent, rev, _n in answers if sent >= entry.answered_at]
        if not later:
            missing += len(crowd)
            continue
        holding = min(later)
        first_seen: dict[int, float] = {}
        for got, _sent, rev, n in answers:
            if rev >= holding and n not in first_seen:
                first_seen[n] = got
        missing += len(crowd) - len(first_seen)
        for got in first_seen.values():
            delay = max(0.0, got - entry.answered_at)
            delays.append(delay)
            worst = max(worst, delay)
            late += delay > 5.0
    final = sum(1 for w in crowd if str(w.rev) == str(final_rev))
    return {
        "visible_max_s": worst if delays else None,
        "visible_p95_s": stack.percentile(delays, 95),
        "visible_late": late,
        "visible_missing": missing,
        "visible_pairs": len(crowd) * len(accepted),
        "watchers_at_final_rev": final,
        "watch_errors": sum(len(w.errors) for w in crowd),
        "polls": sum(len(w.polls) for w in crowd),
        "polls_changed": sum(1 for w in crowd for p in w.polls if p[2] == 200),
        "revs_served": len({p[3] for w in crowd for p in w.polls if p[2] == 200}),
    }


def server_side(lines: list[dict]) -> dict:
    changed_ms = [
        float(line["duration_ms"])
        for line in lines
        if line.get("route") == "lobbies:poll" and line.get("status") == 200
    ]
    saves = [line for line in lines if line.get("route") == "lobbies:availability"]
    save_ms = [float(line["duration_ms"]) for line in saves]
    save_calls = [int(line["dynamodb_calls"]) for line in saves]
    renders: Counter = Counter()
    for line in lines:
        renders.update({kind: int(n) for kind, n in (line.get("renders") or {}).items()})
    return {
        "renders": dict(renders),
        "server_5xx": sum(1 for line in lines if int(line.get("status", 0)) >= 500),
        "poll_changed_server_p50_ms": stack.percentile(changed_ms, 50),
        "save_server_p50_ms": stack.percentile(save_ms, 50),
        "save_server_p95_ms": stack.percentile(save_ms, 95),
        "save_dynamodb_calls_max": max(save_calls, default=None),
        "save_dynamodb_calls_mean": statistics.fmean(save_calls) if save_calls else None,
    }


# --- memory ----------------------------------------------------------------------------------


def show_lobbies(server: stack.Server, codes: list[str], viewer: str) -> list[float]:
    """Each lobby's page once, as `viewer` (a participant of each); the server's time per page."""
    from django.urls import reverse

    times = []
    for n, code in enumerate(codes):
        session = stack.new_session_cookie({code: viewer})
        address = f"10.3.{n // 250}.{n % 250 + 1}"
        client = stack.client(server, session, forwarded_for=address, timeout=120)
        response = client.get(reverse("lobbies:detail", args=[code]))
        client.close()
        if response.status != 200:
            raise SystemExit(f"memory: lobby page answered {response.status}")
        times.append(response.seconds)
    return times
