"""Requests for one lobby that arrive together share a read, never one older than they are."""

import itertools
import threading
import time

from lobbies.snapshot_cache import SharedReads


class SlowStore:
    """A fetch that takes a while and says which read (by number) it was, and when it began."""

    def __init__(self, seconds: float = 0.05, fail_first: bool = False):
        self.seconds = seconds
        self.fail_first = fail_first
        self.numbers = itertools.count(1)
        self.started: dict[int, float] = {}
        self.running = threading.Event()

    def fetch(self):
        number = next(self.numbers)
        self.started[number] = time.monotonic()
        self.running.set()
        time.sleep(self.seconds)
        if self.fail_first and number == 1:
            raise ConnectionError("DynamoDB is away")
        return number


def read_in_threads(reads: SharedReads, store: SlowStore, count: int) -> list[tuple]:
    """`count` requests arriving while a first read runs: (arrived, read number) for each."""
    results: list[tuple] = []

    def request():
        arrived = time.monotonic()
        try:
            results.append((arrived, reads.read("ABCD2345", store.fetch)))
        except ConnectionError:
            results.append((arrived, None))

    first = threading.Thread(target=request)
    first.start()
    store.running.wait()
    others = [threading.Thread(target=request) for _ in range(count)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(timeout=5)
    return results


def test_requests_arriving_during_a_read_share_the_next_one():
    store = SlowStore()
    results = read_in_threads(SharedReads(), store, count=6)
    numbers = sorted(number for _arrived, number in results)
    assert numbers == [1, 2, 2, 2, 2, 2, 2]  # two reads for seven requests


def test_no_request_gets_a_read_that_began_before_it_arrived():
    store = SlowStore()
    for arrived, number in read_in_threads(SharedReads(), store, count=6):
        assert store.started[number] >= arrived


def test_alone_a_request_reads_for_itself():
    store = SlowStore(seconds=0)
    reads = SharedReads()
    assert [reads.read("ABCD2345", store.fetch) for _ in range(3)] == [1, 2, 3]


def test_a_failed_read_is_not_shared_and_the_next_requests_read_again():
    store = SlowStore(fail_first=True)
    reads = SharedReads()
    results = read_in_threads(reads, store, count=3)
    assert sorted(number for _arrived, number in results if number is None) == [None]
    assert all(number and number >= 2 for _arrived, number in results if number is not None)
    assert reads.read("ABCD2345", store.fetch) > 2  # and nothing is left waiting


def test_a_failed_shared_read_lets_each_waiting_request_read_on_its_own():
    reads = SharedReads()
    gate = threading.Event()
    calls = itertools.count(1)

    def first_fetch():
        gate.wait(5)
        return "first"

    def flaky_fetch():
        if next(calls) == 1:
            raise ConnectionError("gone")
        return "own"

    results = []
    first = threading.Thread(target=lambda: results.append(reads.read("X", first_fetch)))
    first.start()
    time.sleep(0.02)

    def waiting():
        try:
            results.append(reads.read("X", flaky_fetch))
        except ConnectionError:
            results.append("failed")

    others = [threading.Thread(target=waiting) for _ in range(3)]
    for thread in others:
        thread.start()
    time.sleep(0.05)
    gate.set()
    for thread in [first, *others]:
        thread.join(timeout=5)
    assert sorted(results) == ["failed", "first", "own", "own"]


def test_different_lobbies_do_not_wait_for_each_other():
    reads = SharedReads()
    gate = threading.Event()
    slow = threading.Thread(target=lambda: reads.read("SLOW", lambda: gate.wait(5)))
    slow.start()
    time.sleep(0.02)
    started = time.monotonic()
    assert reads.read("FAST", lambda: "fast") == "fast"
    assert time.monotonic() - started < 0.5
    gate.set()
    slow.join(timeout=5)
