"""The last snapshot of recently shown lobbies, kept in this process and keyed by their `rev`.

Showing a lobby this process has shown before costs one Query that returns only what changed
since (services.read_lobby): the Lobby item if its `rev` moved, and the items written since
the snapshot was read (etags hold the time they were made) that it does not hold. With 50
people the whole lobby is ~70 items to transfer and parse; an unchanged one sends back none.
Every write in a lobby also bumps `rev` (see services.bump_rev), so a poll knows with one
GetItem whether its page is current, and a snapshot at that rev answers it. Whatever pages
derive from a snapshot (the heatmap, the best times, the ranking) is memoized on it, so it
is computed once per change rather than once per viewer.

Snapshots here are shared by the requests (and threads) of this process: read them, never
change them (but for `read_at`, which only moves forward). Writes load their own fresh
snapshot (services.load_lobby).
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


class _Read:
    """One read of a lobby that several requests share."""

    def __init__(self):
        self.done = threading.Event()
        self.snapshot = None  # stays None if the read failed


class SharedReads:
    """Requests for the same lobby that arrive together share one read of it.

    While a read of a lobby runs, the requests that arrive for it wait and then share the next
    read, which starts only after they came in: each still sees every write acknowledged
    before it arrived, as if it had read alone. After a change all the open pages of a lobby
    poll at once; in a process, they cost one Query between them rather than one each.
    A read that fails is not shared: each request then reads on its own, and fails alone.
    No wait is longer than the reads waited for, which DynamoDB's timeouts bound
    (DYNAMODB_CONNECT_TIMEOUT, DYNAMODB_READ_TIMEOUT, DYNAMODB_MAX_RETRIES).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._running: dict[str, _Read] = {}
        self._next: dict[str, _Read] = {}

    def read(self, code: str, fetch):
        """A snapshot of `code` from a fetch() that started after this call did."""
        with self._lock:
            ahead, shared = self._running.get(code), self._next.get(code)
            if ahead is None:  # nothing running: read now
                mine = self._running[code] = _Read()
            elif shared is None:  # the running read started before we came: run the next
                mine = self._next[code] = _Read()
        if ahead is not None and shared is not None:  # the next has not started: share it
            shared.done.wait()
            return shared.snapshot if shared.snapshot is not None else fetch()
        if ahead is not None:
            ahead.done.wait()  # it has made ours the running read
        try:
            mine.snapshot = fetch()
            return mine.snapshot
        finally:
            with self._lock:
                following = self._next.pop(code, None)
                if following is None:
                    del self._running[code]
                else:
                    self._running[code] = following
            mine.done.set()


shared_reads = SharedReads()
