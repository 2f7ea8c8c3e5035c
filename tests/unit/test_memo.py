"""ContentMemo: a value computed once per key, the least recently used going first."""

from __future__ import annotations

from letshangout.memo import ContentMemo


def test_a_value_is_computed_once_per_key():
    memo = ContentMemo(4)
    calls = []

    def compute(value):
        calls.append(value)
        return value

    assert memo.get("a", lambda: compute(["a"])) is memo.get("a", lambda: compute(["other"]))
    assert calls == [["a"]]


def test_the_least_recently_used_goes_first():
    memo = ContentMemo(2)
    first = memo.get("a", list)
    memo.get("b", list)
    assert memo.get("a", list) is first  # "a" used again: "b" is now the oldest
    memo.get("c", list)
    assert memo.get("a", list) is first
    assert memo.get("b", lambda: "new") == "new"
