"""Load for `make bench`: one route at a time, driven by `scripts/bench.py`.

bench.py writes a plan (JSON: the server, each pretend browser's cookies and the requests it
makes for every route) and runs locust headless once per route:

    BENCH_PLAN=plan.json BENCH_ROUTE=lobby BENCH_RESULT=out.json BENCH_WARMUP=3 \
        locust -f scripts/locustfile.py --headless -u 8 -r 8 -t 13s --only-summary

Users wait for nothing between requests (a closed loop at full speed), so requests per second
is what the server manages at that concurrency. Statistics are reset once the warm-up is
over; the result file holds the measured part only.

The app runs with production settings behind a pretend load balancer: cookies are `__Host-`
and Secure, so each user sends its Cookie header itself, with X-Forwarded-Proto: https.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

import gevent
from locust import FastHttpUser, constant, events, task

PLAN = json.loads(Path(os.environ["BENCH_PLAN"]).read_text())
ROUTE_KEY = os.environ["BENCH_ROUTE"]
ROUTE = PLAN["routes"][ROUTE_KEY]
WARMUP = float(os.environ.get("BENCH_WARMUP", "3"))
RESULT = os.environ.get("BENCH_RESULT")

_user_numbers = itertools.count()
_window = {"started": time.time()}


class Browser(FastHttpUser):
    host = PLAN["base_url"]
    wait_time = constant(0)
    # Tell the server nothing about our pool; keep connections alive like a browser does.
    concurrency = 1
    insecure = True

    def on_start(self):
        number = next(_user_numbers)
        self.person = PLAN["users"][number % len(PLAN["users"])]
        self.requests = itertools.cycle(self.person["requests"][ROUTE_KEY])
        self.base_headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.person["address"],
            "Cookie": self.person["cookie"],
            "Accept-Encoding": "gzip, deflate",  # as browsers do
        }

    @task
    def hit(self):
        spec = next(self.requests)
        headers = dict(self.base_headers)
        body = None
        if spec.get("htmx"):
            headers["HX-Request"] = "true"
        if spec["method"] != "GET":
            headers["Origin"] = PLAN["origin"]
            headers["Referer"] = PLAN["origin"] + "/"
            headers["X-CSRFToken"] = self.person["csrf"]
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = spec.get("body", "").encode()
        with self.client.request(
            spec["method"],
            spec["path"],
            data=body,
            headers=headers,
            name=ROUTE["name"],
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code in ROUTE["expect"]:
                response.success()
            else:
                response.failure(f"status {response.status_code}")


@events.test_start.add_listener
def _schedule_reset(environment, **kwargs):
    def reset():
        environment.stats.reset_all()
        _window["started"] = time.time()

    gevent.spawn_later(WARMUP, reset)


@events.quitting.add_listener
def _write_result(environment, **kwargs):
    if not RESULT:
        return
    entry = next((e for e in environment.stats.entries.values() if e.name == ROUTE["name"]), None)
    elapsed = max(time.time() - _window["started"], 1e-6)
    result = {"requests": 0, "failures": 0}
    if entry is not None and entry.num_requests:
        result.update(
            requests=entry.num_requests,
            failures=entry.num_failures,
            rps=entry.num_requests / elapsed,
            p50_ms=entry.get_response_time_percentile(0.50),
            p95_ms=entry.get_response_time_percentile(0.95),
            p99_ms=entry.get_response_time_percentile(0.99),
        )
    Path(RESULT).write_text(json.dumps(result, indent=2))
