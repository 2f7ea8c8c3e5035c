"""Benchmark probe: counts renders in gunicorn workers without touching the app.

`make bench` puts this folder on PYTHONPATH of one gunicorn, with BENCH_PROBE_DIR set. Each
worker (forked from the master) then writes, twice a second, the hits and misses of every
`functools.lru_cache` function in the app's modules (lobbies, voting, letshangout) to
BENCH_PROBE_DIR/probe-<pid>.json. A miss of a function that renders HTML is one render, so
the benchmark can tell "once per variant" from "once per viewer". Reading cache_info()
changes nothing the app does. Without BENCH_PROBE_DIR this file does nothing.
"""

import json
import os
import sys
import threading
import time

_DIR = os.environ.get("BENCH_PROBE_DIR")
_PACKAGES = ("lobbies.", "voting.", "letshangout.")


def _counters() -> dict:
    found = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith(_PACKAGES) or module is None:
            continue
        for attr, value in list(vars(module).items()):
            info = getattr(value, "cache_info", None)
            if callable(info) and getattr(value, "__module__", None) == name:
                stats = info()
                found[f"{name}.{attr}"] = {"hits": stats.hits, "misses": stats.misses}
    return found


def _write_forever() -> None:
    path = os.path.join(_DIR, f"probe-{os.getpid()}.json")
    while True:
        time.sleep(0.5)
        try:
            data = json.dumps(_counters())
            with open(path + ".tmp", "w") as out:
                out.write(data)
            os.replace(path + ".tmp", path)
        except Exception:  # noqa: BLE001,S110 - a probe must never disturb the worker
            pass


def _start() -> None:
    threading.Thread(target=_write_forever, name="bench-probe", daemon=True).start()


if _DIR and "gunicorn" in os.path.basename(sys.argv[0] if sys.argv else ""):
    # Only workers: the master forks them, and threads do not survive a fork.
    os.register_at_fork(after_in_child=_start)
