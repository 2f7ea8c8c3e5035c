"""How many derived fragments a request computed anew, for its log line.

A crowd watching one lobby should make each change render once per variant (language, role),
not once per watcher; the request log says which fragments each request rendered, so the
benchmark (and anyone reading the logs) can tell.
"""

from __future__ import annotations

import contextvars
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

_counts: contextvars.ContextVar[Counter | None] = contextvars.ContextVar(
    "rendered_fragments", default=None
)


@contextmanager
def count_renders() -> Iterator[Counter]:
    """Count the fragments rendered inside the block (by this thread or task), by kind."""
    counts: Counter = Counter()
    token = _counts.set(counts)
    try:
        yield counts
    finally:
        _counts.reset(token)


def rendered(kind: str) -> None:
    """One fragment of `kind` was computed, not taken from the cache."""
    counts = _counts.get()
    if counts is not None:
        counts[kind] += 1
