"""The last snapshot of recently shown lobbies, kept in this process and keyed by their `rev`.

Showing a lobby this process has shown before costs one Query that returns only what changed
since (services.read_lobby): the Lobby item and the items whose etag the snapshot does not
hold. With 50 people the whole lobby is ~70 items to transfer and parse; an unchanged one is
one item. Every write in a lobby also bumps `rev` (see services.bump_rev), so a poll knows
with one GetItem whether its page is current, and a snapshot at that rev answers it.
Whatever pages derive from a snapshot (the heatmap, the best times, the ranking) is memoized
on it, so it is computed once per change rather than once per viewer.

Snapshots here are shared by the requests (and threads) of this process: read them, never
change them. Writes load their own fresh snapshot (services.load_lobby).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.conf import settings


class SnapshotCache:
    """A small least-recently-used map from lobby code to its newest snapshot seen here."""

    def __init__(self, size: int):
        self._size = size
        self._entries: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def latest(self, code: str):
        """The newest snapshot of `code` seen here, or None."""
        with self._lock:
            snapshot = self._entries.get(code)
            if snapshot is not None:
                self._entries.move_to_end(code)
            return snapshot

    def put(self, snapshot) -> None:
        if self._size <= 0:
            return
        with self._lock:
            current = self._entries.get(snapshot.code)
            if current is not None and int(current.lobby.rev) > int(snapshot.lobby.rev):
                return  # a slower reader must not replace a newer snapshot
            self._entries[snapshot.code] = snapshot
            self._entries.move_to_end(snapshot.code)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


recent = SnapshotCache(settings.LOBBY_SNAPSHOT_CACHE_SIZE)
