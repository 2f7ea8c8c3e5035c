"""(d) Guessing lobby codes: rate-limited long before it could pay off, and nothing learnt.

Against an instance with the production rate limits (RATE_LIMIT_LOOKUP, 20 lookups a minute
per client address), a guesser trying random codes must get 429 after the limit. And for the
two ways in, the find form (/find/?code=) and a lobby URL (/l/<code>/), a well-formed code of
no lobby and a malformed one must look the same: same status, same size (for inputs of the
same length: the find form shows back what was typed), and the same time within noise. The
timing samples are interleaved and spread over many client addresses, so the limit never
fires while measuring.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter

from common import PartResult, client_for, log

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_SPACE = 32**8
# Timing verdict. The two kinds are told apart only if the Mann-Whitney test separates them
# (p < 0.01) AND their medians differ by more than 1 ms and 5 %: a smaller gap drowns in the
# jitter of any real network and load balancer (loopback here has none of that, so this is
# strict). A noisy machine widens both distributions alike; the test stays fair.
TIMING_TOLERANCE_MS = 1.0
TIMING_TOLERANCE_SHARE = 0.05
SIGNIFICANCE = 0.01


def unknown_code(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(8))


def malformed_code(rng: random.Random) -> str:
    """Eight characters that can never be a code: a U (not in Crockford's alphabet), or a
    dash where a ninth character is missing."""
    if rng.random() < 0.5:
        chars = [rng.choice(ALPHABET) for _ in range(8)]
        chars[rng.randrange(8)] = "U"
        return "".join(chars)
    return (
        "".join(rng.choice(ALPHABET) for _ in range(4))
        + "-"
        + "".join(rng.choice(ALPHABET) for _ in range(3))
    )


def path_for(route: str, code: str) -> str:
    return f"/find/?code={code}" if route == "find" else f"/l/{code}/"


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, ties averaged)."""
    n1, n2 = len(a), len(b)
    if not n1 or not n2:
        return float("nan")
    combined = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(combined)
    ties = 0.0
    i = 0
    while i < len(combined):
        j = i
        while j + 1 < len(combined) and combined[j + 1][0] == combined[i][0]:
            j += 1
        rank = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[k] = rank
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    r1 = sum(rank for rank, (_v, group) in zip(ranks, combined, strict=True) if group == 0)
    u1 = r1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        return 1.0
    z = (u1 - n1 * n2 / 2) / sigma
    return math.erfc(abs(z) / math.sqrt(2))


def _ms(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def run(server, samples: int, guesses: int = 40) -> PartResult:
    result = PartResult("(d) guessing codes")
    started = time.monotonic()
    rng = random.Random(4)
    log(f"(d) {guesses} guesses from one address per route, {samples} timing samples per class")

    # 1. One client guessing as fast as it can: the limit answers 429 after 20 a minute.
    for route in ("find", "lobby"):
        client = client_for(server, None, f"198.51.100.{1 if route == 'find' else 2}")
        sequence = [client.get(path_for(route, unknown_code(rng))) for _ in range(guesses)]
        client.close()
        statuses = [r.status for r in sequence]
        first_429 = statuses.index(429) + 1 if 429 in statuses else None
        found = sum(1 for s in statuses if s not in (404, 429))
        result.check(first_429 is not None, f"{route}: no 429 after {guesses} guesses")
        result.check(found == 0, f"{route}: {found} guesses did not answer 404/429")
        result.check(
            all(r.headers.get("retry-after") for r in sequence if r.status == 429),
            f"{route}: a 429 came without Retry-After",
        )
        if first_429:
            result.check(
                set(statuses[first_429 - 1 :]) == {429},
                f"{route}: after the first 429 some guesses got through",
            )
            allowed = first_429 - 1
            years = CODE_SPACE / 100_000 / allowed / 60 / 24 / 365
            result.figures.append(
                f"{route}: {allowed} guesses allowed a minute per address, then 429 "
                f"(Retry-After {sequence[first_429 - 1].headers.get('retry-after')} s); "
                f"with 100,000 live lobbies one address needs ~{years:,.1f} years on average "
                "to hit one"
            )

    # 2. "No such lobby" and "not a code" side by side, many addresses, interleaved.
    client = client_for(server, None, "203.0.113.1")
    timing = {}
    per_address = 10
    address = 0
    count = 0
    for route in ("find", "lobby"):
        kinds = {"unknown": ([], Counter(), Counter()), "malformed": ([], Counter(), Counter())}
        for _ in range(samples):
            for kind in (
                ("unknown", "malformed") if rng.random() < 0.5 else ("malformed", "unknown")
            ):
                if count % per_address == 0:
                    address += 1
                    client.forwarded_for = f"10.4.{address // 250}.{address % 250 + 1}"
                count += 1
                code = unknown_code(rng) if kind == "unknown" else malformed_code(rng)
                response = client.get(path_for(route, code))
                seconds, statuses, sizes = kinds[kind]
                seconds.append(response.seconds)
                statuses[response.status] += 1
                sizes[len(response.body)] += 1
        unknown, malformed = kinds["unknown"], kinds["malformed"]
        result.check(
            set(unknown[1]) == set(malformed[1]) == {404},
            f"{route}: statuses differ: unknown {dict(unknown[1])}, malformed {dict(malformed[1])}",
        )
        result.check(
            set(unknown[2]) == set(malformed[2]),
            f"{route}: sizes differ: unknown {sorted(unknown[2])}, malformed "
            f"{sorted(malformed[2])}",
        )
        p50u, p50m = _ms(unknown[0], 50), _ms(malformed[0], 50)
        p_value = mann_whitney_p(unknown[0], malformed[0])
        delta = p50u - p50m
        tolerance = max(TIMING_TOLERANCE_MS, TIMING_TOLERANCE_SHARE * min(p50u, p50m))
        result.check(
            p_value >= SIGNIFICANCE or abs(delta) <= tolerance,
            f"{route}: told apart by timing: medians {p50u:.2f} vs {p50m:.2f} ms "
            f"(Δ {delta:+.2f} ms > {tolerance:.2f} ms, p = {p_value:.4f})",
        )
        timing[route] = {
            kind: {
                "p5": _ms(values[0], 5),
                "p25": _ms(values[0], 25),
                "p50": _ms(values[0], 50),
                "p75": _ms(values[0], 75),
                "p95": _ms(values[0], 95),
                "sizes": sorted(values[2]),
            }
            for kind, values in kinds.items()
        }
        timing[route]["p_value"] = p_value
        for kind, values in kinds.items():
            t = timing[route][kind]
            result.figures.append(
                f"{route} {kind:9}: n={len(values[0])} status {dict(values[1])} size "
                f"{t['sizes']} ms p5/p25/p50/p75/p95 {t['p5']:.2f}/{t['p25']:.2f}/"
                f"{t['p50']:.2f}/{t['p75']:.2f}/{t['p95']:.2f}"
            )
        result.figures.append(
            f"{route}: Δ median {delta:+.2f} ms, Mann-Whitney p = {p_value:.3f} (told apart "
            f"only if p < {SIGNIFICANCE} and |Δ| > {tolerance:.2f} ms)"
        )
    client.close()
    result.seconds = time.monotonic() - started
    return result
