"""A small memo shared by a process's threads: what pages derive, kept while it is used."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class ContentMemo:
    """A least-recently-used map from a key to a value computed by the caller's `compute` on
    a miss, so the inputs it needs (snapshots, items) stay out of the key.

    On a snapshot (LobbySnapshot.derive) the key says which view of it; across snapshots
    the key says everything the value shows (a place card, my grid): any change in a lobby
    makes a new snapshot, yet most of what its pages show looks as it did and is rendered
    again only when it changed."""

    def __init__(self, size: int):
        self._size = size
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()  # outside the lock: two threads may both compute it, harmlessly
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
