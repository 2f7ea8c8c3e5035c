"""`make reliability`: LetsHangOut keeps working when things go wrong. Prints a summary table.

(a) two gunicorn instances sharing DynamoDB Local and the database, many clients writing at
    once through both: stored state == what clients were told, no 5xx  (concurrency.py)
(b) DynamoDB Local killed under load and started again: 503s only, no hangs, recovery
    without restarting the app, every acknowledged write kept  (outage.py)
(c) hypothesis fuzzing of every form and htmx endpoint: no 5xx, payloads shown as text,
    rejected input changes nothing  (test_hostile_input.py, run by pytest)
(d) guessing codes: 429 long before a hit; "no such lobby" and "not a code" look alike
    (guessing.py)
(e) injected faults: busy transactions, throttled reads, an unreachable endpoint and a lobby
    deleted mid-request on every write and page: 0 responses with status 500
    (test_faults.py, run by pytest)

The parts live in tests/reliability/: (c) and (e) are pytest modules marked `reliability`
(which `make test` leaves out), each run here in a pytest process of its own with test
settings; (a), (b) and (d) run in this process, a production-configured Django.
Everything runs on 127.0.0.1 with production settings (scripts/stack.py), DynamoDB Local
behind the proxy that enforces DynamoDB's rules, and stops at the end. `--ci` is the
bounded subset `.ci/run` uses (shorter phases, fewer examples).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The suite's parts live in tests/reliability/ beside its pytest modules.
SUITE = HERE.parent / "tests" / "reliability"
sys.path[:0] = [str(HERE), str(SUITE)]

# The environment before the stack turns this process into a production Django.
BASE_ENV = dict(os.environ)

import common  # noqa: E402
import stack  # noqa: E402
from common import PartResult, log  # noqa: E402

# The app instances reach DynamoDB Local through the proxy that enforces DynamoDB's rules
# (letshangout/emulator/rules.py). Each transaction stays in flight there about as long as a
# transaction takes on DynamoDB, far longer than the emulator takes, so saves arriving
# together meet and are cancelled as they would be on AWS.
RULES_HOLD_MS = 20

FULL = {
    "clients": 8,
    "concurrency_seconds": 25,
    "outage": (5, 6, 6),
    "outage_clients": 6,
    "guess_samples": 300,
    "fuzz_examples": 200,
    "fuzz_seconds": 10,
}
CI = {
    "clients": 6,
    "concurrency_seconds": 10,
    "outage": (3, 4, 4),
    "outage_clients": 4,
    "guess_samples": 100,
    "fuzz_examples": 40,
    "fuzz_seconds": 2.5,
}


def run_pytest_part(module: str, env: dict, report: Path):
    """Run one of this folder's test modules in its own pytest process; its outcome and the
    JSON report it wrote (then removed)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(SUITE / module), "-q", "-p", "no:cacheprovider"]
        + ["--rootdir", str(stack.ROOT), "-m", "reliability", "-n", "0"],
        cwd=stack.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    data = json.loads(report.read_text() or "{}") if report.exists() else {}
    report.unlink(missing_ok=True)
    return done, data


def run_fuzzing(examples: int, seconds: float) -> PartResult:
    """(c) in its own pytest process: test settings, in-memory DynamoDB Local, test client."""
    result = PartResult("(c) hostile input (hypothesis)")
    started = time.monotonic()
    report = Path(tempfile.mkstemp(prefix="lho-fuzz-", suffix=".json")[1])
    env = {
        **BASE_ENV,
        "DJANGO_ENV": "test",
        "RELIABILITY_FUZZ_EXAMPLES": str(examples),
        "RELIABILITY_FUZZ_SECONDS": str(seconds),
        "LOG_LEVEL": "WARNING",
        "RELIABILITY_FUZZ_REPORT": str(report),
    }
    log(f"(c) hypothesis: up to {examples} examples or {seconds} s per endpoint")
    done, data = run_pytest_part("test_hostile_input.py", env, report)
    endpoints = data.get("endpoints", {})
    total = sum(e["examples"] for e in endpoints.values())
    statuses: dict[str, int] = {}
    for e in endpoints.values():
        for status, n in e["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    result.check(done.returncode == 0, "pytest failed:\n" + _tail(done.stdout + done.stderr))
    result.check(total > 0, "no examples ran")
    result.figures += [
        f"{total} requests over {len(endpoints)} endpoints, statuses "
        f"{dict(sorted(statuses.items()))}",
        f"{data.get('rejected_checked', 0)} rejected inputs checked to leave DynamoDB unchanged, "
        f"{data.get('markers_checked', 0)} responses checked for unescaped payloads",
    ]
    slowest = sorted(endpoints.items(), key=lambda kv: -kv[1]["examples"])
    result.figures.append(
        "per endpoint: " + ", ".join(f"{name} {e['examples']}" for name, e in slowest)
    )
    result.seconds = time.monotonic() - started
    return result


def run_faults(subset: bool) -> PartResult:
    """(e) in its own pytest process, like (c): test settings, in-memory DynamoDB Local."""
    result = PartResult("(e) injected faults")
    started = time.monotonic()
    report = Path(tempfile.mkstemp(prefix="lho-faults-", suffix=".json")[1])
    env = {
        **BASE_ENV,
        "DJANGO_ENV": "test",
        "LOG_LEVEL": "WARNING",
        "RELIABILITY_FAULTS_REPORT": str(report),
        **({"RELIABILITY_FAULTS_SUBSET": "1"} if subset else {}),
    }
    log("(e) fault injection on every write and page")
    done, data = run_pytest_part("test_faults.py", env, report)
    cases = data.get("cases", {})
    statuses: dict[str, int] = {}
    for counts in cases.values():
        for status, n in counts.items():
            statuses[status] = statuses.get(status, 0) + n
    total = sum(statuses.values())
    errors = statuses.get("500", 0)
    result.check(done.returncode == 0, "pytest failed:\n" + _tail(done.stdout + done.stderr))
    result.check(total > 0, "no faults were injected")
    result.check(errors == 0, f"{errors} responses with status 500")
    result.figures += [
        f"{total} requests under {data.get('injected', 0)} injected faults: {errors} with "
        f"status 500; statuses {dict(sorted(statuses.items()))}",
        "per fault: "
        + ", ".join(f"{name} {dict(sorted(c.items()))}" for name, c in sorted(cases.items())),
    ]
    result.seconds = time.monotonic() - started
    return result


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


DOC = stack.ROOT / "docs" / "benchmarks.md"
DOC_START = "<!-- reliability:start (written by make reliability) -->"
DOC_END = "<!-- reliability:end -->"


def write_doc(results: list[PartResult], total: float) -> None:
    """The full run's summary into docs/benchmarks.md, between its markers (kept by bench)."""
    import platform
    from datetime import UTC, datetime

    lines = [
        DOC_START,
        "## Reliability (`make reliability`)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M UTC} on {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, production settings on 127.0.0.1 "
        f"({total:.0f} s in all). `make reliability-ci` runs a shorter version of the same "
        "parts on every CI run.",
        "",
        "| part | result | figures |",
        "|---|---|---|",
    ]
    for r in results:
        figures = "<br>".join(f.replace("|", "\\|") for f in r.figures)
        problems = "<br>".join(f"✗ {p.splitlines()[0]}" for p in r.problems)
        cell = "<br>".join(x for x in (figures, problems) if x)
        lines.append(f"| {r.name} | {'pass' if r.passed else '**fail**'} | {cell} |")
    block = "\n".join(lines) + "\n" + DOC_END
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if DOC_START in text and DOC_END in text:
        before, rest = text.split(DOC_START, 1)
        after = rest.split(DOC_END, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text)


def print_summary(results: list[PartResult], total: float) -> None:
    width = max(len(r.name) for r in results)
    print()
    print("=" * 100)
    print(f"{'part'.ljust(width)}  result  time")
    print("-" * 100)
    for r in results:
        print(f"{r.name.ljust(width)}  {'PASS' if r.passed else 'FAIL'}    {r.seconds:5.0f} s")
        for figure in r.figures:
            print(f"{'':{width}}    · {figure}")
        for problem in r.problems:
            print(f"{'':{width}}    ✗ {problem}")
    print("-" * 100)
    passed = sum(r.passed for r in results)
    print(f"reliability: {passed} passed, {len(results) - passed} failed in {total:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ci", action="store_true", help="the bounded subset for CI")
    parser.add_argument("--only", default="a,b,c,d,e", help="parts to run, e.g. a,d")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args()
    sizes = CI if args.ci else FULL
    parts = set(args.only.split(","))
    started = time.monotonic()
    results: list[PartResult] = []

    if parts & {"a", "b", "d"}:
        stk = stack.Stack(
            persist_dynamo=True,
            rules_hold_ms=RULES_HOLD_MS,
            extra_env={
                "RATE_LIMIT_LOOKUP": "1000000",
                "RATE_LIMIT_CREATE": "1000000",
                "RATE_LIMIT_PROPOSE": "1000000",
                "WEB_CONCURRENCY": "1",
                "GUNICORN_THREADS": "4",
            },
        )
        try:
            stk.configure_django()
            log(f"work folder {stk.workdir}")
            log("DynamoDB Local (persisted), collectstatic, migrate")
            stk.start_dynamo()
            stk.prepare()
            if "d" in parts:
                guard = stk.start_server("limits", RATE_LIMIT_LOOKUP="20")
                results.append(_safely("(d) guessing codes", run_guessing, guard, sizes))
                stk.stop_server(guard)
            if parts & {"a", "b"}:
                servers = [stk.start_server("app-1"), stk.start_server("app-2")]
                if "a" in parts:
                    results.append(_safely("(a) two instances", run_concurrency, servers, sizes))
                if "b" in parts:
                    results.append(_safely("(b) outage", run_outage, stk, servers[0], sizes))
            _check_logs(stk, results)
        finally:
            stk.close(keep_workdir=args.keep)
    if "c" in parts:
        results.append(run_fuzzing(sizes["fuzz_examples"], sizes["fuzz_seconds"]))
    if "e" in parts:
        results.append(run_faults(subset=args.ci))
    total = time.monotonic() - started
    print_summary(results, total)
    if not args.ci and parts == {"a", "b", "c", "d", "e"}:
        write_doc(results, total)
    return 0 if all(r.passed for r in results) else 1


def _safely(name: str, function, *args) -> PartResult:
    try:
        return function(*args)
    except Exception as error:  # a crashed part is a failed part, the others still run
        import traceback

        result = PartResult(name, passed=False)
        result.problems.append(f"crashed: {error!r}\n{traceback.format_exc()}")
        return result


def run_guessing(server, sizes) -> PartResult:
    import guessing

    return guessing.run(server, samples=sizes["guess_samples"])


def run_concurrency(servers, sizes) -> PartResult:
    import concurrency

    lobby = common.make_lobby(people=sizes["clients"] + 2, places=concurrency.SEEDED_PLACES)
    return concurrency.run(servers, lobby, sizes["clients"], sizes["concurrency_seconds"])


def run_outage(stk, server, sizes) -> PartResult:
    import outage

    lobby = common.make_lobby(people=sizes["outage_clients"], places=4, title="Outage")
    up, down, after = sizes["outage"]
    return outage.run(stk, server, lobby, sizes["outage_clients"], up, down, after)


def _check_logs(stk: stack.Stack, results: list[PartResult]) -> None:
    """No stack trace of an unexpected error in any server's log (a 500 that slipped by)."""
    for server in stk.servers:
        text = server.log_path.read_text(errors="replace") if server.log_path.exists() else ""
        crashes = text.count('"logger": "django.request", "message": "Internal Server Error')
        if crashes:
            target = results[-1] if results else PartResult("logs")
            target.check(False, f"{server.name}: {crashes} internal server errors in its log")


if __name__ == "__main__":
    sys.exit(main())
